// Dead letters: messages delivered max_attempts times that came back once
// more sit in the archive with dead_letter = true; dlq lists them and
// replay_dlq puts them back in their queue with a fresh attempt count.
#include "args.hpp"
#include "groups.hpp"
#include "guard.hpp"
#include "lookup.hpp"
#include "results.hpp"
#include "wake.hpp"

using namespace pgqrs;

static Statement select_dead = {
    "SELECT * FROM @.archive WHERE queue_id = $1 AND dead_letter ORDER BY id", 1, {INT8OID}};

// A dead letter of a group goes back into it behind its head (held at its
// group's held vt: $4 the keys, $5 their held vts) unless the group is empty: settle_groups then makes the first one
// the head. It keeps its id, so it comes before the messages waiting there.
static Statement replay_dead = {
    "WITH back AS (DELETE FROM @.archive WHERE queue_id = $1 AND dead_letter "
    "    AND ($2::bigint[] IS NULL OR id = ANY ($2)) "
    "    AND (group_key IS NULL OR group_key = ANY ($4)) RETURNING *) "
    "INSERT INTO @.messages (id, queue_id, payload, vt, enqueued_at, read_ct, producer_worker_id, "
    "  last_error, priority, group_key, held_vt) "
    "SELECT id, queue_id, payload, CASE WHEN group_key IS NULL THEN $3 ELSE "
    "  (SELECT u.h FROM unnest($4::text[], $5::timestamptz[]) AS u(k, h) WHERE u.k = back.group_key) END, "
    "  enqueued_at, 0, producer_worker_id, last_error, priority, group_key, "
    "  CASE WHEN group_key IS NOT NULL THEN $3 END FROM back "
    "RETURNING id, queue_id, vt, group_key",
    5, {INT8OID, INT8ARRAYOID, TIMESTAMPTZOID, TEXTARRAYOID, TIMESTAMPTZARRAYOID},
    inserts_grouped("queue_id", "vt", "group_key")};

// The groups of the dead letters replay_dead moves ($4), locked before it (a
// dead letter of another group, buried meanwhile, stays).
static Statement select_dead_groups = {
    "SELECT array_agg(DISTINCT group_key) AS group_keys FROM @.archive WHERE queue_id = $1 "
    "  AND dead_letter AND ($2::bigint[] IS NULL OR id = ANY ($2)) AND group_key IS NOT NULL",
    2, {INT8OID, INT8ARRAYOID}};

static Statement first_not_dead = {
    "SELECT x.id FROM unnest($2::bigint[]) AS x(id) WHERE NOT EXISTS "
    "  (SELECT FROM @.archive a WHERE a.id = x.id AND a.queue_id = $1 AND a.dead_letter) "
    "ORDER BY x.id LIMIT 1",
    2, {INT8OID, INT8ARRAYOID}};

PGQRS_FUNCTION(dlq)
{
    Datum name = queue_name(fcinfo, 0);
    begin_rows(fcinfo);
    CallScope call = begin_call(fcinfo);
    Datum queue_id = Int64GetDatum(find_queue(name).id);
    append_all_rows(fcinfo, exec(select_dead, &queue_id, " "));
    end_call(call);
    return (Datum) 0;
}

PGQRS_FUNCTION(replay_dlq)
{
    Datum name = queue_name(fcinfo, 0);
    check_array(fcinfo, 1, "msg_ids");
    CallScope call = begin_call(fcinfo);
    Datum args[5] = {Int64GetDatum(find_queue(name).id), PG_GETARG_DATUM(1), seconds_from_now(0)};
    char nulls[6] = "     ";
    nulls[1] = PG_ARGISNULL(1) ? 'n' : ' ';

    // Named ids must all be dead letters of this queue: checked before anything moves.
    if (!PG_ARGISNULL(1)) {
        Rows not_dead = exec(first_not_dead, args, nulls);
        if (not_dead.count > 0)
            ereport(ERROR, (errcode(ERRCODE_INVALID_PARAMETER_VALUE),
                            errmsg("message %lld is not a dead letter of queue \"%s\"",
                                   static_cast<long long>(DatumGetInt64(value(not_dead, 0, "id", INT8OID))),
                                   TextDatumGetCString(name))));
    }
    bool no_groups;
    Datum groups = value(exec(select_dead_groups, args, nulls), 0, "group_keys", TEXTARRAYOID, &no_groups);
    args[3] = groups;
    nulls[3] = nulls[4] = no_groups ? 'n' : ' ';
    if (!no_groups) {
        Datum *keys;
        int nkeys;
        deconstruct_array(DatumGetArrayTypeP(groups), TEXTOID, -1, false, TYPALIGN_INT, &keys, nullptr,
                          &nkeys);
        args[4] = held_vts(keys, nullptr, nkeys);
        lock_groups(DatumGetInt64(args[0]), groups);
    }
    uint64 replayed = exec(replay_dead, args, nulls).count;
    wake_after_commit(DatumGetInt64(args[0]), static_cast<int>(Min(replayed, (uint64) PG_INT32_MAX)));
    end_call(call);
    PG_RETURN_INT64(static_cast<int64>(replayed));
}
