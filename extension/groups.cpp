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

// The first held message of the group of key `key` (lowest id, from its row
// g's held_from on, below which only versions left by earlier heads lie),
// found through the (queue_id, vt, id) index at the group's held vt `vt`.
#define NEXT_HELD(g, key, vt)                                                            \
    "(SELECT h.id FROM @.messages h WHERE h.queue_id = $1 AND h.vt = " vt                \
    "  AND h.group_key = " key " AND h.id >= COALESCE(" g ".held_from, 0) ORDER BY h.id LIMIT 1)"

// The groups a statement changes, as x(k, n, h): $2 their keys, distinct and
// in byte order, which is the order their rows are locked in; $3 a count for
// each; $4 their held vts (join_groups: the least id inserted into each).
// The LIMIT keeps the planner from a scan of the whole table joined by hash
// while the table is small: one probe per group.
#define GROUPS(h, limit)                                                                 \
    "(SELECT * FROM unnest($2::text[], $3::bigint[], $4::" h "[]) AS u(k, n, h) "         \
    " LIMIT " limit ") AS x"

// Counts the messages just inserted (held) into their locked groups. A group
// that had none makes the least of them (x.h) its head, visible at the vt it
// was enqueued with, as a message without a group is; a message put back with
// an older id (replay_dlq) lowers held_from.
static Statement join_groups = {
    "WITH counted AS (UPDATE @.message_groups g SET messages = g.messages + x.n, "
    "    version = g.version + 1, "
    "    head_id = CASE WHEN g.messages = 0 THEN x.h ELSE g.head_id END, "
    "    held_from = CASE WHEN g.messages = 0 THEN x.h + 1 "
    "                     ELSE LEAST(COALESCE(g.held_from, x.h), x.h) END "
    "  FROM " GROUPS("bigint", "$5") " WHERE g.queue_id = $1 AND g.group_key = x.k "
    "  RETURNING g.head_id, g.messages - x.n AS before), "
    "heads AS (UPDATE @.messages m SET vt = m.held_vt, held_vt = NULL "
    "          FROM counted c WHERE m.id = c.head_id AND c.before = 0 RETURNING m.queue_id, m.vt) "
    "SELECT (SELECT count(*) FROM counted) AS joined, h.queue_id, h.vt "
    "FROM (SELECT) AS one LEFT JOIN heads h ON true",
    5, {INT8OID, TEXTARRAYOID, INT8ARRAYOID, INT8ARRAYOID, INT4OID},
    lowers_messages("queue_id", "vt")};

// The SET of a group row g that messages ($5: their ids) left, given v, the
// group as the statement's snapshot saw it (its version, its next held message
// next): a group whose head left (or that had none) takes v.next as head if
// nothing changed the row since that snapshot, and no head otherwise.
#define HEAD_AFTER_LEAVING                                                                \
    "version = g.version + 1, "                                                          \
    "head_id = CASE WHEN g.head_id IS NOT NULL AND NOT g.head_id = ANY ($5) THEN g.head_id " \
    "               WHEN g.version = v.version THEN v.next END, "                        \
    "held_from = CASE WHEN (g.head_id IS NULL OR g.head_id = ANY ($5)) "                 \
    "                  AND g.version = v.version AND v.next IS NOT NULL THEN v.next + 1 " \
    "                 ELSE g.held_from END"

// Locks the groups that messages just deleted ($5: their ids) left, in key
// order, and counts them out. A group whose head left (or that had none) takes
// its next held message as head, as this statement's snapshot shows it (seen:
// the group's version and next held message, looked up once per group), and
// that message is made visible ($7: now). The snapshot is right unless
// another transaction changed the group after it was taken (the update then
// waited for it): the version it saw and the one written say which; such a
// group is left without a head for advance_groups. One row per group comes
// back (queue_id NULL), then one per message made the head (group_key NULL).
static Statement leave_groups = {
    "WITH seen AS MATERIALIZED (SELECT x.k, x.n, s.version, "
    "    " NEXT_HELD("s", "x.k", "x.h") " AS next "
    "  FROM " GROUPS("timestamptz", "$6") " JOIN @.message_groups s "
    "    ON s.queue_id = $1 AND s.group_key = x.k), "
    "changed AS (UPDATE @.message_groups g SET messages = g.messages - v.n, " HEAD_AFTER_LEAVING " "
    "  FROM seen v WHERE g.queue_id = $1 AND g.group_key = v.k "
    "  RETURNING g.group_key, g.messages, g.head_id, g.version = v.version + 1 AS in_view), "
    "heads AS (UPDATE @.messages m SET vt = GREATEST(m.held_vt, $7), held_vt = NULL FROM changed c "
    "          WHERE m.id = c.head_id AND c.in_view AND m.held_vt IS NOT NULL "
    "          RETURNING m.queue_id, m.vt) "
    "SELECT group_key, messages, in_view, NULL::bigint AS queue_id, NULL::timestamptz AS vt "
    "FROM changed UNION ALL SELECT NULL, NULL, NULL, queue_id, vt FROM heads",
    7, {INT8OID, TEXTARRAYOID, INT8ARRAYOID, TIMESTAMPTZARRAYOID, INT8ARRAYOID, INT4OID,
        TIMESTAMPTZOID},
    lowers_messages("queue_id", "vt")};

// leave_groups for one group ($2: its key, $3: how many left, $4: its held
// vt, $5: the ids of the messages deleted): the same, in statements simple
// enough to cost little more than their writes. The new head is returned, not
// made visible: promote_head does that when in_view.
static Statement leave_group = {
    "WITH seen AS MATERIALIZED (SELECT s.version, " NEXT_HELD("s", "$2", "$4") " AS next "
    "  FROM @.message_groups s WHERE s.queue_id = $1 AND s.group_key = $2) "
    "UPDATE @.message_groups g SET messages = g.messages - $3, " HEAD_AFTER_LEAVING " "
    "FROM seen v WHERE g.queue_id = $1 AND g.group_key = $2 "
    "RETURNING g.messages, g.head_id, g.version = v.version + 1 AS in_view",
    5, {INT8OID, TEXTOID, INT8OID, TIMESTAMPTZOID, INT8ARRAYOID}, reads_messages};
#undef HEAD_AFTER_LEAVING

// A held message becomes its group's head, visible at its vt or now ($2).
static Statement promote_head = {
    "UPDATE @.messages SET vt = GREATEST(held_vt, $2), held_vt = NULL "
    "WHERE id = $1 AND held_vt IS NOT NULL RETURNING queue_id, vt",
    2, {INT8OID, TIMESTAMPTZOID}, lowers_messages("queue_id", "vt")};

// For the groups leave_groups did not see as they were, in a new snapshot that
// sees what the transactions it waited for committed: a group whose head is
// not a message waiting or leased in it (it left) makes its next held message
// the head ($5: now; the counts of x are not read).
static Statement advance_groups = {
    "WITH next AS (SELECT x.k, " NEXT_HELD("g", "x.k", "x.h") " AS id "
    "              FROM " GROUPS("timestamptz", "$6") ", "
    "                @.message_groups g "
    "              WHERE g.queue_id = $1 AND g.group_key = x.k AND NOT EXISTS (SELECT FROM "
    "                @.messages m WHERE m.id = g.head_id AND m.held_vt IS NULL)), "
    "moved AS (UPDATE @.message_groups g SET head_id = n.id, version = g.version + 1, "
    "            held_from = COALESCE(n.id + 1, g.held_from) FROM next n "
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

// A group key with a message id, sorted by key in byte order (the order of
// COLLATE "C") and then id.
struct KeyedId {
    Datum key;
    Datum id;
};

static int compare_text(Datum a, Datum b)
{
    text *x = DatumGetTextPP(a);
    text *y = DatumGetTextPP(b);
    int nx = VARSIZE_ANY_EXHDR(x), ny = VARSIZE_ANY_EXHDR(y);
    int c = memcmp(VARDATA_ANY(x), VARDATA_ANY(y), Min(nx, ny));
    return c != 0 ? c : (nx > ny) - (nx < ny);
}

static int compare_keyed(const void *a, const void *b)
{
    const KeyedId *x = static_cast<const KeyedId *>(a);
    const KeyedId *y = static_cast<const KeyedId *>(b);
    int c = compare_text(x->key, y->key);
    if (c != 0)
        return c;
    int64 i = DatumGetInt64(x->id), j = DatumGetInt64(y->id);
    return (i > j) - (i < j);
}

static int compare_keys(const void *a, const void *b)
{
    return compare_text(*static_cast<const Datum *>(a), *static_cast<const Datum *>(b));
}

// The groups of n messages: their distinct keys in byte order (the order
// groups are locked in), how many messages each and the least id of each.
struct GroupSet {
    int count;
    Datum *keys;
    Datum *sizes;
    Datum *least_ids;
};

static GroupSet group_set(Datum *keys, Datum *ids, int n)
{
    KeyedId *pairs = static_cast<KeyedId *>(palloc(sizeof(KeyedId) * (n + 1)));
    for (int i = 0; i < n; i++)
        pairs[i] = {keys[i], ids[i]};
    qsort(pairs, n, sizeof(KeyedId), compare_keyed);
    GroupSet g = {0, static_cast<Datum *>(palloc(sizeof(Datum) * (n + 1))),
                  static_cast<Datum *>(palloc(sizeof(Datum) * (n + 1))),
                  static_cast<Datum *>(palloc(sizeof(Datum) * (n + 1)))};
    for (int i = 0; i < n; i++) {
        if (g.count > 0 && compare_text(g.keys[g.count - 1], pairs[i].key) == 0) {
            g.sizes[g.count - 1] = Int64GetDatum(DatumGetInt64(g.sizes[g.count - 1]) + 1);
            continue;
        }
        g.keys[g.count] = pairs[i].key;
        g.sizes[g.count] = Int64GetDatum(1);
        g.least_ids[g.count++] = pairs[i].id;
    }
    return g;
}

static void join(int64 queue_id, Datum *keys, Datum *ids, int n)
{
    if (locked_in != MyProc->lxid || locked_queue != queue_id)
        elog(ERROR, "pgqrs: messages joined groups of queue %lld without locking them first",
             static_cast<long long>(queue_id));
    GroupSet g = group_set(keys, ids, n);
    Datum args[5] = {Int64GetDatum(queue_id), array_of(g.keys, g.count, TEXTOID),
                     array_of(g.sizes, g.count, INT8OID), array_of(g.least_ids, g.count, INT8OID),
                     Int32GetDatum(g.count)};
    Rows rows = exec(join_groups, args, "     ");
    if (DatumGetInt64(value(rows, 0, "joined", INT8OID)) != g.count)
        elog(ERROR, "pgqrs: messages joined groups of queue %lld that were not locked",
             static_cast<long long>(queue_id));
}

// leave() for messages of one group.
static void leave_one(int64 queue_id, const GroupSet &g, Datum removed)
{
    Datum args[5] = {Int64GetDatum(queue_id), g.keys[0], g.sizes[0],
                     TimestampTzGetDatum(held_vt_of(g.keys[0])), removed};
    Rows left = exec(leave_group, args, "     ");
    if (left.count == 0)
        return;  // no row: the group went with its queue
    bool no_head;
    Datum head = value(left, 0, "head_id", INT8OID, &no_head);
    int promoted = 0;
    if (DatumGetInt64(value(left, 0, "messages", INT8OID)) <= 0) {
        Datum drop[3] = {Int64GetDatum(queue_id), array_of(g.keys, 1, TEXTOID), Int32GetDatum(1)};
        exec(drop_empty_groups, drop, "   ");
    } else if (!DatumGetBool(value(left, 0, "in_view", BOOLOID))) {
        Datum more[6] = {Int64GetDatum(queue_id), array_of(g.keys, 1, TEXTOID),
                         array_of(g.sizes, 1, INT8OID), held_vts(g.keys, nullptr, 1),
                         seconds_from_now(0), Int32GetDatum(1)};
        promoted = static_cast<int>(exec(advance_groups, more, "      ").count);
    } else if (!no_head) {
        Datum promote[2] = {head, seconds_from_now(0)};
        promoted = static_cast<int>(exec(promote_head, promote, "  ").count);
    }
    if (promoted > 0)
        wake_after_commit(queue_id, promoted);
}

static void leave(int64 queue_id, Datum *keys, Datum *ids, int n)
{
    Datum removed = array_of(ids, n, INT8OID);
    GroupSet g = group_set(keys, ids, n);
    if (g.count == 1) {
        leave_one(queue_id, g, removed);
        return;
    }
    Datum args[7] = {Int64GetDatum(queue_id), array_of(g.keys, g.count, TEXTOID),
                     array_of(g.sizes, g.count, INT8OID), held_vts(g.keys, nullptr, g.count),
                     removed, Int32GetDatum(g.count), seconds_from_now(0)};
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
                         array_of(g.sizes, nagain, INT8OID), held_vts(again, nullptr, nagain),
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
            ids[n] = value(rows, row, "id", INT8OID);
            n++;
        }
        if (effect.groups == GroupChange::joins)
            join(queue_id, keys, ids, n);
        else
            leave(queue_id, keys, ids, n);
    }
}

}  // namespace pgqrs
