// Finishing consumed messages: archive, delete (single and batch),
// extend_visibility, release. With a worker id (and an attempt, the read_ct the consumer was
// given) a call acts only on the lease that worker holds for that attempt.
#include "args.hpp"
#include "guard.hpp"
#include "lookup.hpp"
#include "results.hpp"
#include "spi.hpp"
#include "wake.hpp"

using namespace pgqrs;

static Statement archive_messages = {
    "WITH done AS (DELETE FROM messages m "
    "    USING unnest($1::bigint[], $3::int[]) AS x(id, attempt) "
    "    WHERE m.id = x.id AND ($2 IS NULL OR m.consumer_worker_id = $2) "
    "      AND (x.attempt IS NULL OR m.read_ct = x.attempt) RETURNING m.*) "
    "INSERT INTO archive (id, queue_id, payload, vt, enqueued_at, read_ct, dequeued_at, "
    "  producer_worker_id, consumer_worker_id) "
    "SELECT id, queue_id, payload, vt, enqueued_at, read_ct, dequeued_at, "
    "  producer_worker_id, consumer_worker_id FROM done RETURNING id",
    3, {INT8ARRAYOID, INT8OID, INT4ARRAYOID}};

static Statement delete_messages = {
    "DELETE FROM messages m USING unnest($1::bigint[], $3::int[]) AS x(id, attempt) "
    "WHERE m.id = x.id AND ($2 IS NULL OR m.consumer_worker_id = $2) "
    "  AND (x.attempt IS NULL OR m.read_ct = x.attempt) RETURNING m.id",
    3, {INT8ARRAYOID, INT8OID, INT4ARRAYOID}};

// The single-message forms: the same conditions on one id, without arrays.
static Statement archive_message = {
    "WITH done AS (DELETE FROM messages WHERE id = $1 "
    "    AND ($2::bigint IS NULL OR consumer_worker_id = $2) "
    "    AND ($3::int IS NULL OR read_ct = $3) RETURNING *) "
    "INSERT INTO archive (id, queue_id, payload, vt, enqueued_at, read_ct, dequeued_at, "
    "  producer_worker_id, consumer_worker_id) "
    "SELECT id, queue_id, payload, vt, enqueued_at, read_ct, dequeued_at, "
    "  producer_worker_id, consumer_worker_id FROM done RETURNING id",
    3, {INT8OID, INT8OID, INT4OID}};

static Statement delete_message = {
    "DELETE FROM messages WHERE id = $1 AND ($2::bigint IS NULL OR consumer_worker_id = $2) "
    "  AND ($3::int IS NULL OR read_ct = $3) RETURNING id",
    3, {INT8OID, INT8OID, INT4OID}};

static Statement extend_lease = {
    "UPDATE messages SET vt = $2 WHERE id = $1 AND dequeued_at IS NOT NULL "
    "  AND ($3 IS NULL OR consumer_worker_id = $3) AND ($4 IS NULL OR read_ct = $4) "
    "RETURNING vt",
    4, {INT8OID, TIMESTAMPTZOID, INT8OID, INT4OID}};

static Statement release_leases = {
    "UPDATE messages m SET vt = $4, consumer_worker_id = NULL "
    "FROM unnest($1::bigint[], $3::int[]) AS x(id, attempt) "
    "WHERE m.id = x.id AND m.dequeued_at IS NOT NULL AND m.vt > $4 "
    "  AND ($2 IS NULL OR m.consumer_worker_id = $2) "
    "  AND (x.attempt IS NULL OR m.read_ct = x.attempt) RETURNING m.queue_id",
    4, {INT8ARRAYOID, INT8OID, INT4ARRAYOID, TIMESTAMPTZOID}};

// The arguments of a batch call: msg_ids, worker_id, attempts (same length as msg_ids).
static int batch_args(FunctionCallInfo fcinfo, Datum *args, char *nulls)
{
    required(fcinfo, 0, "msg_ids");
    int count = check_array(fcinfo, 0, "msg_ids");
    int attempts = check_array(fcinfo, 2, "attempts", true);  // NULL: any attempt
    if (attempts >= 0 && attempts != count)
        ereport(ERROR, (errcode(ERRCODE_INVALID_PARAMETER_VALUE),
                        errmsg("attempts must have one element per msg_ids element (%d, not %d)",
                               count, attempts)));
    for (int i = 0; i < 3; i++) {
        args[i] = PG_GETARG_DATUM(i);
        nulls[i] = PG_ARGISNULL(i) ? 'n' : ' ';
    }
    return count;
}

// A caller naming a worker must name a known one; a stopped one simply holds nothing.
static void check_worker_known(FunctionCallInfo fcinfo, int n)
{
    if (!PG_ARGISNULL(n))
        worker_state(PG_GETARG_INT64(n));
}

static Datum finish_single(FunctionCallInfo fcinfo, Statement &st)
{
    Datum args[3] = {required(fcinfo, 0, "msg_id"), PG_GETARG_DATUM(1), PG_GETARG_DATUM(2)};
    char nulls[4] = "   ";
    nulls[1] = PG_ARGISNULL(1) ? 'n' : ' ';
    nulls[2] = PG_ARGISNULL(2) ? 'n' : ' ';
    begin_call(fcinfo);
    bool done = exec(st, args, nulls) > 0;
    if (!done)
        check_worker_known(fcinfo, 1);
    end_call();
    PG_RETURN_BOOL(done);
}

static Datum finish_batch(FunctionCallInfo fcinfo, Statement &st)
{
    Datum args[3];
    char nulls[4] = "   ";
    batch_args(fcinfo, args, nulls);
    begin_rows(fcinfo);
    begin_call(fcinfo);
    check_worker_known(fcinfo, 1);
    exec(st, args, nulls);
    append_all_rows(fcinfo);
    end_call();
    return (Datum) 0;
}

PGQRS_FUNCTION(archive) { return finish_single(fcinfo, archive_message); }

PGQRS_FUNCTION(archive_batch) { return finish_batch(fcinfo, archive_messages); }

PGQRS_FUNCTION(delete) { return finish_single(fcinfo, delete_message); }

PGQRS_FUNCTION(delete_batch) { return finish_batch(fcinfo, delete_messages); }

PGQRS_FUNCTION(extend_visibility)
{
    Datum id = required(fcinfo, 0, "msg_id");
    int32 seconds = required_int(fcinfo, 1, "seconds", 1, max_lock_seconds);
    Datum args[4] = {id, seconds_from_now(seconds), PG_GETARG_DATUM(2), PG_GETARG_DATUM(3)};
    char nulls[5] = "    ";
    nulls[2] = PG_ARGISNULL(2) ? 'n' : ' ';
    nulls[3] = PG_ARGISNULL(3) ? 'n' : ' ';

    begin_call(fcinfo);
    bool extended = exec(extend_lease, args, nulls) > 0;
    if (!extended)
        check_worker_known(fcinfo, 2);
    end_call();
    if (!extended)
        PG_RETURN_NULL();
    PG_RETURN_DATUM(args[1]);
}

PGQRS_FUNCTION(release)
{
    Datum args[4];
    char nulls[5] = "    ";
    batch_args(fcinfo, args, nulls);
    args[3] = seconds_from_now(0);

    begin_call(fcinfo);
    check_worker_known(fcinfo, 1);
    uint64 released = exec(release_leases, args, nulls);
    wake_after_commit_rows(1);
    end_call();
    PG_RETURN_INT64(static_cast<int64>(released));
}
