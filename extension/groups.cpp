#include "groups.hpp"

#include "args.hpp"
#include "wake.hpp"

extern "C" {
#include "storage/proc.h"
}

namespace pgqrs {

// Creates or locks the rows of the groups, in key order, so that two
// transactions changing the same groups never wait for each other crosswise.
// The no-op update makes a REPEATABLE READ caller that missed the row's last
// change fail (40001) instead of deciding from an old snapshot.
static Statement lock_group_rows = {
    "INSERT INTO @.message_groups AS g (queue_id, group_key) "
    "SELECT $1, k FROM (SELECT DISTINCT k FROM unnest($2::text[]) AS k WHERE k IS NOT NULL) AS keys "
    "ORDER BY k "
    "ON CONFLICT (queue_id, group_key) DO UPDATE SET messages = g.messages",
    2, {INT8OID, TEXTARRAYOID}};

// The first held message of group `key` (lowest id), found through the
// (queue_id, vt, id) index at the group's HELD_VT.
#define NEXT_HELD(key)                                                                   \
    "(SELECT h.id FROM @.messages h WHERE h.queue_id = $1 AND h.vt = " HELD_VT(key) " " \
    "  AND h.group_key = " key " ORDER BY h.id LIMIT 1)"

// Counts the messages just inserted ($2: their keys) into their locked groups;
// a group that had none makes its first held message the head.
static Statement join_groups = {
    "WITH added AS (SELECT k, count(*) AS n FROM unnest($2::text[]) AS k GROUP BY k), "
    "counted AS (UPDATE @.message_groups g SET messages = g.messages + a.n, "
    "              head_id = CASE WHEN g.messages = 0 THEN " NEXT_HELD("g.group_key") " "
    "                        ELSE g.head_id END "
    "            FROM added a WHERE g.queue_id = $1 AND g.group_key = a.k "
    "            RETURNING g.head_id, g.messages - a.n AS before), "
    "heads AS (UPDATE @.messages m SET vt = GREATEST(m.held_vt, $3), held_vt = NULL "
    "          WHERE m.id IN (SELECT head_id FROM counted WHERE before = 0) "
    "          RETURNING m.queue_id, m.vt) "
    "SELECT (SELECT count(*) FROM added) AS wanted, (SELECT count(*) FROM counted) AS joined, "
    "  h.queue_id, h.vt FROM (SELECT) AS one LEFT JOIN heads h ON true",
    3, {INT8OID, TEXTARRAYOID, TIMESTAMPTZOID}, lowers_messages("queue_id", "vt")};

// Locks the groups the messages just deleted left ($2: their keys, $3: their
// ids), in key order, and counts them out; says whether each group's head left.
static Statement leave_groups = {
    "WITH gone AS (SELECT k, count(*) AS n, array_agg(id) AS ids "
    "              FROM unnest($2::text[], $3::bigint[]) AS x(k, id) GROUP BY k), "
    "locked AS (SELECT g.group_key FROM @.message_groups g WHERE g.queue_id = $1 "
    "           AND g.group_key IN (SELECT k FROM gone) ORDER BY g.group_key FOR UPDATE) "
    "UPDATE @.message_groups g SET messages = g.messages - gone.n FROM gone, locked "
    "WHERE g.queue_id = $1 AND g.group_key = gone.k AND locked.group_key = gone.k "
    "RETURNING g.group_key, g.messages, COALESCE(g.head_id = ANY (gone.ids), false) AS head_left",
    3, {INT8OID, TEXTARRAYOID, INT8ARRAYOID}};

// After leave_groups, in a snapshot that sees what the transactions it waited
// for committed: a group whose head left ($4) makes its next message the head,
// an empty one ($3: messages left) loses its row.
static Statement advance_groups = {
    "WITH settled AS (SELECT * FROM unnest($2::text[], $3::bigint[], $4::bool[]) "
    "                 AS x(k, messages_left, head_left)), "
    "next AS (SELECT s.k, " NEXT_HELD("s.k") " AS id FROM settled s "
    "         WHERE s.head_left AND s.messages_left > 0), "
    "emptied AS (DELETE FROM @.message_groups g USING settled s "
    "            WHERE g.queue_id = $1 AND g.group_key = s.k AND s.messages_left <= 0), "
    "moved AS (UPDATE @.message_groups g SET head_id = n.id FROM next n "
    "          WHERE g.queue_id = $1 AND g.group_key = n.k), "
    "heads AS (UPDATE @.messages m SET vt = GREATEST(m.held_vt, $5), held_vt = NULL "
    "          FROM next n WHERE m.id = n.id RETURNING m.queue_id, m.vt) "
    "SELECT queue_id, vt FROM heads",
    5, {INT8OID, TEXTARRAYOID, INT8ARRAYOID, BOOLARRAYOID, TIMESTAMPTZOID},
    lowers_messages("queue_id", "vt")};
#undef NEXT_HELD

// The queue whose groups this transaction locked last (lock_groups).
static LocalTransactionId locked_in = InvalidLocalTransactionId;
static int64 locked_queue = 0;

void check_group_key(Datum key, int position)
{
    int length = VARSIZE_ANY_EXHDR(DatumGetTextPP(key));
    if (length >= 1 && length <= max_group_key_bytes)
        return;
    if (position > 0)
        ereport(ERROR, (errcode(ERRCODE_INVALID_PARAMETER_VALUE),
                        errmsg("group key %d must be 1 to %d bytes long, got %d", position,
                               max_group_key_bytes, length)));
    ereport(ERROR, (errcode(ERRCODE_INVALID_PARAMETER_VALUE),
                    errmsg("group_key must be 1 to %d bytes long, got %d", max_group_key_bytes,
                           length)));
}

void lock_groups(int64 queue_id, Datum keys)
{
    Datum args[2] = {Int64GetDatum(queue_id), keys};
    exec(lock_group_rows, args, "  ");
    locked_in = MyProc->lxid;
    locked_queue = queue_id;
}

static Datum array_of(Datum *elements, int n, Oid type)
{
    int16 length;
    bool byval;
    char align;
    get_typlenbyvalalign(type, &length, &byval, &align);
    return PointerGetDatum(construct_array(elements, n, type, length, byval, align));
}

static void join(int64 queue_id, Datum *keys, int n)
{
    if (locked_in != MyProc->lxid || locked_queue != queue_id)
        elog(ERROR, "pgqrs: messages joined groups of queue %lld without locking them first",
             static_cast<long long>(queue_id));
    Datum args[3] = {Int64GetDatum(queue_id), array_of(keys, n, TEXTOID), seconds_from_now(0)};
    Rows rows = exec(join_groups, args, "   ");
    if (value(rows, 0, "joined", INT8OID) != value(rows, 0, "wanted", INT8OID))
        elog(ERROR, "pgqrs: messages joined groups of queue %lld that were not locked",
             static_cast<long long>(queue_id));
}

static void leave(int64 queue_id, Datum *keys, Datum *ids, int n)
{
    Datum args[5] = {Int64GetDatum(queue_id), array_of(keys, n, TEXTOID), array_of(ids, n, INT8OID)};
    Rows left = exec(leave_groups, args, "   ");
    // each group the rows left, with the messages it still has and whether
    // its head was among them
    int groups = static_cast<int>(left.count);
    Datum *group_keys = static_cast<Datum *>(palloc(sizeof(Datum) * (groups + 1)));
    Datum *remaining = static_cast<Datum *>(palloc(sizeof(Datum) * (groups + 1)));
    Datum *head_left = static_cast<Datum *>(palloc(sizeof(Datum) * (groups + 1)));
    for (int i = 0; i < groups; i++) {
        group_keys[i] = value(left, i, "group_key", TEXTOID);
        remaining[i] = value(left, i, "messages", INT8OID);
        head_left[i] = value(left, i, "head_left", BOOLOID);
    }
    args[1] = array_of(group_keys, groups, TEXTOID);
    args[2] = array_of(remaining, groups, INT8OID);
    args[3] = array_of(head_left, groups, BOOLOID);
    args[4] = seconds_from_now(0);
    Rows promoted = exec(advance_groups, args, "     ");
    if (promoted.count > 0)  // the next heads: visible now, or at their delay
        wake_after_commit(queue_id, static_cast<int>(promoted.count));
}

void settle_groups(const MessageEffect &effect, const Rows &rows)
{
    if (rows.count == 0)
        return;
    int max = static_cast<int>(rows.count);
    Datum *keys = static_cast<Datum *>(palloc(sizeof(Datum) * max));
    Datum *ids = static_cast<Datum *>(palloc(sizeof(Datum) * max));
    int64 *done = static_cast<int64 *>(palloc(sizeof(int64) * max));
    int ndone = 0;
    // the rows of each queue in turn (a batch may span queues)
    for (uint64 first = 0; first < rows.count; first++) {
        bool no_group, no_queue;
        value(rows, first, effect.group, TEXTOID, &no_group);
        Datum q = value(rows, first, effect.queue, INT8OID, &no_queue);
        if (no_group || no_queue)
            continue;
        int64 queue_id = DatumGetInt64(q);
        bool seen = false;
        for (int i = 0; i < ndone; i++)
            seen = seen || done[i] == queue_id;
        if (seen)
            continue;
        done[ndone++] = queue_id;
        int n = 0;
        for (uint64 row = first; row < rows.count; row++) {
            bool null_key, null_queue;
            Datum key = value(rows, row, effect.group, TEXTOID, &null_key);
            Datum rq = value(rows, row, effect.queue, INT8OID, &null_queue);
            if (null_key || null_queue || DatumGetInt64(rq) != queue_id)
                continue;
            keys[n] = key;
            if (effect.groups == GroupChange::leaves)
                ids[n] = value(rows, row, "id", INT8OID);
            n++;
        }
        if (effect.groups == GroupChange::joins)
            join(queue_id, keys, n);
        else
            leave(queue_id, keys, ids, n);
    }
}

}  // namespace pgqrs
