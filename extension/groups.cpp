#include "groups.hpp"

#include "args.hpp"
#include "wake.hpp"

extern "C" {
#include "common/md5.h"
#include "storage/proc.h"
#include "utils/datetime.h"
}

namespace pgqrs {

// Creates or locks the rows of the groups, in key order, so that two
// transactions changing the same groups never wait for each other crosswise.
// Every change of a group row counts up its version, so that a REPEATABLE
// READ caller that missed one fails (40001) instead of deciding from an old
// snapshot.
static Statement lock_group_rows = {
    "INSERT INTO @.message_groups AS g (queue_id, group_key) "
    "SELECT $1, k FROM (SELECT DISTINCT k FROM unnest($2::text[]) AS k WHERE k IS NOT NULL) AS keys "
    "ORDER BY k COLLATE \"C\" "
    "ON CONFLICT (queue_id, group_key) DO UPDATE SET version = g.version + 1",
    2, {INT8OID, TEXTARRAYOID}};

// The first held message of the group of key x.k (lowest id), found through
// the (queue_id, vt, id) index at the group's held vt x.h.
#define NEXT_HELD                                                                        \
    "(SELECT h.id FROM @.messages h WHERE h.queue_id = $1 AND h.vt = x.h "              \
    "  AND h.group_key = x.k ORDER BY h.id LIMIT 1)"

// The groups a statement changes, as x(k, n, h): $2 their keys, distinct and
// in byte order, which is the order their rows are locked in; $3 a count for
// each; $4 their held vts. LIMIT $n keeps the planner from a scan of the whole
// table joined by hash while the table is small: one probe per group.
#define GROUPS(n)                                                                        \
    "(SELECT * FROM unnest($2::text[], $3::bigint[], $4::timestamptz[]) AS u(k, n, h) " \
    " LIMIT " n ") AS x"

// Counts the messages just inserted into their locked groups; a group that had
// none makes its first held message the head ($5: now).
static Statement join_groups = {
    "WITH counted AS (UPDATE @.message_groups g SET messages = g.messages + x.n, "
    "    version = g.version + 1, "
    "    head_id = CASE WHEN g.messages = 0 THEN " NEXT_HELD " ELSE g.head_id END "
    "  FROM " GROUPS("$6") " WHERE g.queue_id = $1 AND g.group_key = x.k "
    "  RETURNING g.head_id, g.messages - x.n AS before), "
    "heads AS (UPDATE @.messages m SET vt = GREATEST(m.held_vt, $5), held_vt = NULL "
    "          FROM counted c WHERE m.id = c.head_id AND c.before = 0 RETURNING m.queue_id, m.vt) "
    "SELECT (SELECT count(*) FROM counted) AS joined, h.queue_id, h.vt "
    "FROM (SELECT) AS one LEFT JOIN heads h ON true",
    6, {INT8OID, TEXTARRAYOID, INT8ARRAYOID, TIMESTAMPTZARRAYOID, TIMESTAMPTZOID, INT4OID},
    lowers_messages("queue_id", "vt")};

// Locks the groups that messages just deleted ($5: their ids) left, in key
// order, and counts them out. A group whose head left (or that had none) takes
// its next held message as head, as this statement's snapshot shows it, and
// that message is made visible ($7: now). The snapshot is right unless
// another transaction changed the group after it was taken (the update then
// waited for it): the version it saw and the one written say which; such a
// group is left for advance_groups. One row per group comes back (queue_id
// NULL), then one per message made the head (group_key NULL).
static Statement leave_groups = {
    "WITH changed AS (UPDATE @.message_groups g SET messages = g.messages - x.n, "
    "    version = g.version + 1, "
    "    head_id = CASE WHEN g.head_id IS NULL OR g.head_id = ANY ($5) THEN " NEXT_HELD " "
    "              ELSE g.head_id END "
    "  FROM " GROUPS("$6") " WHERE g.queue_id = $1 AND g.group_key = x.k "
    "  RETURNING g.group_key, g.messages, g.head_id, g.version = (SELECT s.version + 1 "
    "    FROM @.message_groups s WHERE s.queue_id = $1 AND s.group_key = x.k) AS in_view), "
    "heads AS (UPDATE @.messages m SET vt = GREATEST(m.held_vt, $7), held_vt = NULL FROM changed c "
    "          WHERE m.id = c.head_id AND c.in_view AND m.held_vt IS NOT NULL "
    "          RETURNING m.queue_id, m.vt) "
    "SELECT group_key, messages, in_view, NULL::bigint AS queue_id, NULL::timestamptz AS vt "
    "FROM changed UNION ALL SELECT NULL, NULL, NULL, queue_id, vt FROM heads",
    7, {INT8OID, TEXTARRAYOID, INT8ARRAYOID, TIMESTAMPTZARRAYOID, INT8ARRAYOID, INT4OID,
        TIMESTAMPTZOID},
    lowers_messages("queue_id", "vt")};

// For the groups leave_groups did not see as they were, in a new snapshot that
// sees what the transactions it waited for committed: a group whose head is
// not a message waiting or leased in it (it left) makes its next held message
// the head ($5: now).
static Statement advance_groups = {
    "WITH next AS (SELECT x.k, " NEXT_HELD " AS id FROM " GROUPS("$6") ", @.message_groups g "
    "              WHERE g.queue_id = $1 AND g.group_key = x.k AND NOT EXISTS (SELECT FROM "
    "                @.messages m WHERE m.id = g.head_id AND m.held_vt IS NULL)), "
    "moved AS (UPDATE @.message_groups g SET head_id = n.id, version = g.version + 1 FROM next n "
    "          WHERE g.queue_id = $1 AND g.group_key = n.k), "
    "heads AS (UPDATE @.messages m SET vt = GREATEST(m.held_vt, $5), held_vt = NULL "
    "          FROM next n WHERE m.id = n.id RETURNING m.queue_id, m.vt) "
    "SELECT queue_id, vt FROM heads",
    6, {INT8OID, TEXTARRAYOID, INT8ARRAYOID, TIMESTAMPTZARRAYOID, TIMESTAMPTZOID, INT4OID},
    lowers_messages("queue_id", "vt")};

// Groups left without messages lose their row ($2: their keys).
static Statement drop_empty_groups = {
    "DELETE FROM @.message_groups g USING (SELECT * FROM unnest($2::text[]) AS k LIMIT $3) AS x "
    "WHERE g.queue_id = $1 AND g.group_key = x.k AND g.messages <= 0",
    3, {INT8OID, TEXTARRAYOID, INT4OID}};
#undef GROUPS
#undef NEXT_HELD

// The queue whose groups this transaction locked last (lock_groups).
static LocalTransactionId locked_in = InvalidLocalTransactionId;
static int64 locked_queue = 0;

TimestampTz held_vt_of(Datum key)
{
    text *t = DatumGetTextPP(key);
    char hex[33];
    const char *error = nullptr;
    if (!pg_md5_hash(VARDATA_ANY(t), VARSIZE_ANY_EXHDR(t), hex, &error))
        elog(ERROR, "pgqrs: could not hash a group key: %s", error ? error : "out of memory");
    uint64 bits = 0;  // the first 10 hex digits: 40 bits
    for (int i = 0; i < 10; i++)
        bits = bits * 16 + static_cast<uint64>(hex[i] <= '9' ? hex[i] - '0' : hex[i] - 'a' + 10);
    TimestampTz base = static_cast<TimestampTz>(date2j(100000, 1, 1) - POSTGRES_EPOCH_JDATE) * USECS_PER_DAY;
    return base + static_cast<TimestampTz>(bits);
}

Datum held_vts(const Datum *keys, const bool *nulls, int n)
{
    Datum *vts = static_cast<Datum *>(palloc(sizeof(Datum) * (n + 1)));
    bool *none = static_cast<bool *>(palloc(sizeof(bool) * (n + 1)));
    for (int i = 0; i < n; i++) {
        none[i] = nulls != nullptr && nulls[i];
        vts[i] = none[i] ? (Datum) 0 : TimestampTzGetDatum(held_vt_of(keys[i]));
    }
    int dims[1] = {n};
    int lbs[1] = {1};
    return PointerGetDatum(construct_md_array(vts, none, 1, dims, lbs, TIMESTAMPTZOID, 8,
                                              FLOAT8PASSBYVAL, TYPALIGN_DOUBLE));
}

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

static Datum int64_array(const int64 *values, int n)
{
    Datum *elements = static_cast<Datum *>(palloc(sizeof(Datum) * (n + 1)));
    for (int i = 0; i < n; i++)
        elements[i] = Int64GetDatum(values[i]);
    return array_of(elements, n, INT8OID);
}

// Byte order of two group keys (the order of COLLATE "C"), for qsort.
static int compare_keys(const void *a, const void *b)
{
    text *x = DatumGetTextPP(*static_cast<const Datum *>(a));
    text *y = DatumGetTextPP(*static_cast<const Datum *>(b));
    int nx = VARSIZE_ANY_EXHDR(x), ny = VARSIZE_ANY_EXHDR(y);
    int c = memcmp(VARDATA_ANY(x), VARDATA_ANY(y), Min(nx, ny));
    return c != 0 ? c : (nx > ny) - (nx < ny);
}

// keys (n of them) made distinct, in byte order (the order groups are
// locked in), with how often each came; returns how many are distinct.
static int count_keys(Datum *keys, int64 *counts, int n)
{
    qsort(keys, n, sizeof(Datum), compare_keys);
    int d = 0;
    for (int i = 0; i < n; i++) {
        if (d > 0 && compare_keys(&keys[d - 1], &keys[i]) == 0) {
            counts[d - 1]++;
            continue;
        }
        keys[d] = keys[i];
        counts[d++] = 1;
    }
    return d;
}

static void join(int64 queue_id, Datum *keys, int n)
{
    if (locked_in != MyProc->lxid || locked_queue != queue_id)
        elog(ERROR, "pgqrs: messages joined groups of queue %lld without locking them first",
             static_cast<long long>(queue_id));
    int64 *counts = static_cast<int64 *>(palloc(sizeof(int64) * n));
    int groups = count_keys(keys, counts, n);
    Datum args[6] = {Int64GetDatum(queue_id), array_of(keys, groups, TEXTOID),
                     int64_array(counts, groups), held_vts(keys, nullptr, groups),
                     seconds_from_now(0), Int32GetDatum(groups)};
    Rows rows = exec(join_groups, args, "      ");
    if (DatumGetInt64(value(rows, 0, "joined", INT8OID)) != groups)
        elog(ERROR, "pgqrs: messages joined groups of queue %lld that were not locked",
             static_cast<long long>(queue_id));
}

static void leave(int64 queue_id, Datum *keys, Datum *ids, int n)
{
    int64 *counts = static_cast<int64 *>(palloc(sizeof(int64) * n));
    int groups = count_keys(keys, counts, n);
    Datum args[7] = {Int64GetDatum(queue_id), array_of(keys, groups, TEXTOID),
                     int64_array(counts, groups), held_vts(keys, nullptr, groups),
                     array_of(ids, n, INT8OID), Int32GetDatum(groups), seconds_from_now(0)};
    Rows left = exec(leave_groups, args, "       ");
    // per group: emptied (its row goes), or missed by the snapshot (look again)
    int promoted = 0, nempty = 0, nagain = 0;
    uint64 count = left.count;
    Datum *emptied = static_cast<Datum *>(palloc(sizeof(Datum) * (count + 1)));
    Datum *again = static_cast<Datum *>(palloc(sizeof(Datum) * (count + 1)));
    for (uint64 row = 0; row < count; row++) {
        bool head_row;
        Datum key = value(left, row, "group_key", TEXTOID, &head_row);
        if (head_row)
            promoted++;
        else if (DatumGetInt64(value(left, row, "messages", INT8OID)) <= 0)
            emptied[nempty++] = key;
        else if (!DatumGetBool(value(left, row, "in_view", BOOLOID)))
            again[nagain++] = key;
    }
    if (nagain > 0) {
        qsort(again, nagain, sizeof(Datum), compare_keys);
        Datum more[6] = {Int64GetDatum(queue_id), array_of(again, nagain, TEXTOID),
                         int64_array(counts, nagain), held_vts(again, nullptr, nagain),
                         seconds_from_now(0), Int32GetDatum(nagain)};
        promoted += static_cast<int>(exec(advance_groups, more, "      ").count);
    }
    if (nempty > 0) {
        Datum drop[3] = {Int64GetDatum(queue_id), array_of(emptied, nempty, TEXTOID),
                         Int32GetDatum(nempty)};
        exec(drop_empty_groups, drop, "   ");
    }
    if (promoted > 0)  // the next heads: visible now, or at their delay
        wake_after_commit(queue_id, promoted);
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
