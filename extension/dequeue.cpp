// Consuming: dequeue, and dequeue_wait which sleeps until a message is there.
#include "access.hpp"
#include "args.hpp"
#include "frontier.hpp"
#include "guard.hpp"
#include "lookup.hpp"
#include "results.hpp"
#include "retry.hpp"
#include "snapshot.hpp"
#include "wake.hpp"

extern "C" {
#include "access/xact.h"
#include "pgstat.h"
#include "portability/instr_time.h"
#include "storage/latch.h"
}

using namespace pgqrs;

int pgqrs::max_wait_seconds_setting = 60;

// Claims the oldest visible messages, walking the (queue_id, vt, id) index in
// order (the queue is a scalar subquery so the scan can use it), and leases
// them. A claimed message already delivered max_attempts times is left as it
// was instead: it comes back with its old dequeued_at, the caller tells it
// from the leased ones (dequeued_at = $5) and dead-letters it. One whose
// lease expired while its queue's retry policy still makes it wait is
// deferred to its next attempt (vt = retry_at, later than $5). The rows are
// updated through id = ANY (array) so the plan stays an index probe whatever
// batch size the generic plan assumes. $6: the queues the caller may consume
// (NULL for all), so a queue recreated under the name after the access check
// is not claimed from. The rows come back in no particular order (no sort to
// set up per call): claim_into orders them.
//
// The scan starts at the claim frontier ($8, $9; claim_by_priority: of
// priority p at $8[p + 1], $9[p + 1]) of queue $7 (frontier.hpp), and runs
// only when the queue of that name is still $7 ($7 NULL: from the start,
// which $8 and $9 then are). Each claimed row comes back with the vt and xmin
// of the version it was claimed in; when the queue was found and the worker
// is ready, one row comes back even when nothing was claimed (all columns
// NULL but the scanned_ ones): the evidence that the scan ran, or of why it
// did not (another queue id, other priorities or another retry policy).
//
// Three statements, the smallest plan that serves the queue (planning and
// starting a plan is most of a one-message claim's cost): claim_plain for a
// queue whose messages have all had priority 0 (priority_levels = 1) and
// that has no retry policy, claim_retrying for one with a retry policy,
// claim_by_priority for one with priorities. Each claims nothing from a
// queue it does not serve and says so in the scanned_ columns; claim_into
// then runs the one that does: one scan of the same index per priority used,
// highest first, each from its own frontier and keeping the rows of its
// priority, taken lazily up to $2 rows in all.
#define CLAIM_QUEUE                                                                           \
    "WITH q AS (SELECT id, max_attempts, retry_backoff, retry_delay_seconds, "               \
    "             retry_max_delay_seconds, retry_jitter, priority_levels, "                  \
    "             $7::bigint IS NULL OR id = $7 AS same_queue "                              \
    "           FROM @.queues WHERE queue_name = $1 "                                         \
    "           AND ($6::bigint[] IS NULL OR id = ANY ($6)) AND ($4 IS NULL OR EXISTS "       \
    "               (SELECT FROM @.workers w WHERE w.id = $4 AND w.status = 'ready'))), "
// Walks one queue (`which`: the condition on q that says the statement serves it).
#define CLAIM_SCAN(which)                                                                     \
    "claimed AS (SELECT m.id, m.vt, m.xmin FROM @.messages m "                                \
    "            WHERE m.queue_id = (SELECT id FROM q WHERE same_queue AND " which ") "       \
    "              AND m.vt <= $5 AND (m.vt, m.id) >= ($8, $9) "                             \
    "            ORDER BY m.vt, m.id LIMIT $2 FOR UPDATE SKIP LOCKED), "
// The lease of a claimed row m without a retry policy: delivered when it has
// an attempt left, else left as it was.
#define DELIVER_PLAIN "m.read_ct < q.max_attempts"
#define LEASE_PLAIN                                                                           \
    "leased AS (UPDATE @.messages m SET "                                                     \
    "  vt = CASE WHEN " DELIVER_PLAIN " THEN $3 ELSE m.vt END, "                              \
    "  read_ct = CASE WHEN " DELIVER_PLAIN " THEN m.read_ct + 1 ELSE m.read_ct END, "         \
    "  dequeued_at = CASE WHEN " DELIVER_PLAIN " THEN $5 ELSE m.dequeued_at END, "            \
    "  consumer_worker_id = CASE WHEN " DELIVER_PLAIN " THEN $4 ELSE m.consumer_worker_id END, " \
    "  retry_at = CASE WHEN " DELIVER_PLAIN " THEN NULL ELSE m.retry_at END "
// With a retry policy, decided once per row (r, kept from being folded into
// each column's expression by OFFSET 0): a message whose RETRY_UNTIL is after
// now ($5) is deferred to it; else one with an attempt left is delivered;
// else it is left as it was.
#define DELIVER_RETRYING "(m.read_ct < q.max_attempts AND NOT r.defer)"
#define LEASE_RETRYING                                                                        \
    "leased AS (UPDATE @.messages m SET "                                                     \
    "  (vt, read_ct, dequeued_at, consumer_worker_id, retry_at) = (SELECT "                   \
    "    CASE WHEN " DELIVER_RETRYING " THEN $3 WHEN r.defer THEN r.until ELSE m.vt END, "    \
    "    CASE WHEN " DELIVER_RETRYING " THEN m.read_ct + 1 ELSE m.read_ct END, "              \
    "    CASE WHEN " DELIVER_RETRYING " THEN $5 ELSE m.dequeued_at END, "                     \
    "    CASE WHEN " DELIVER_RETRYING " THEN $4 ELSE m.consumer_worker_id END, "              \
    "    CASE WHEN " DELIVER_RETRYING " THEN NULL WHEN r.defer THEN r.until ELSE m.retry_at END " \
    "  FROM (SELECT u.until, COALESCE(u.until > $5, false) AS defer "                         \
    "        FROM (SELECT " RETRY_UNTIL("q", "m") " AS until OFFSET 0) AS u OFFSET 0) AS r) "
#define CLAIM_RESULT                                                                          \
    "FROM q WHERE m.id = ANY (ARRAY(SELECT id FROM claimed)) RETURNING m.*) "                 \
    "SELECT l.*, c.vt AS claimed_vt, c.xmin AS claimed_xmin, q.id AS scanned_queue_id, "     \
    "  q.priority_levels AS scanned_levels, q.retry_backoff <> 'none' AS scanned_retrying "   \
    "FROM q LEFT JOIN (leased l JOIN claimed c ON c.id = l.id) ON true"
#define CLAIM_ARGS(from_vt_type, from_id_type)                                                 \
    9, {TEXTOID, INT4OID, TIMESTAMPTZOID, INT8OID, TIMESTAMPTZOID, INT8ARRAYOID, INT8OID,      \
        from_vt_type, from_id_type},                                                           \
        moves_messages("queue_id", "vt", "claimed_vt")

static Statement claim_plain = {
    CLAIM_QUEUE CLAIM_SCAN("priority_levels = 1 AND retry_backoff = 'none'") LEASE_PLAIN CLAIM_RESULT,
    CLAIM_ARGS(TIMESTAMPTZOID, INT8OID)};

static Statement claim_retrying = {
    CLAIM_QUEUE CLAIM_SCAN("priority_levels = 1") LEASE_RETRYING CLAIM_RESULT,
    CLAIM_ARGS(TIMESTAMPTZOID, INT8OID)};

static Statement claim_by_priority = {
    CLAIM_QUEUE
    "levels AS (SELECT p FROM generate_series(9, 0, -1) AS p "
    "           WHERE ((SELECT priority_levels FROM q) & (1 << p)) <> 0), "
    "claimed AS (SELECT c.* FROM levels, LATERAL ("
    "    SELECT m.id, m.vt, m.xmin FROM @.messages m "
    "    WHERE m.queue_id = (SELECT id FROM q WHERE same_queue) AND m.vt <= $5 "
    "      AND m.priority = levels.p AND (m.vt, m.id) >= ($8[levels.p + 1], $9[levels.p + 1]) "
    "    ORDER BY m.vt, m.id LIMIT $2 FOR UPDATE SKIP LOCKED) c LIMIT $2), "
    LEASE_RETRYING CLAIM_RESULT,
    CLAIM_ARGS(TIMESTAMPTZARRAYOID, INT8ARRAYOID)};
#undef CLAIM_ARGS
#undef CLAIM_RESULT
#undef LEASE_RETRYING
#undef DELIVER_RETRYING
#undef LEASE_PLAIN
#undef DELIVER_PLAIN
#undef CLAIM_SCAN
#undef CLAIM_QUEUE

// Moves exhausted messages (claimed and locked by this transaction) to the archive.
static Statement bury_messages = {
    "WITH dead AS (DELETE FROM @.messages WHERE id = ANY ($1) RETURNING *) "
    "INSERT INTO @.archive (id, queue_id, payload, vt, enqueued_at, read_ct, dequeued_at, "
    "  producer_worker_id, consumer_worker_id, dead_letter, last_error, priority, group_key) "
    "SELECT id, queue_id, payload, vt, enqueued_at, read_ct, dequeued_at, "
    "  producer_worker_id, consumer_worker_id, true, last_error, priority, group_key FROM dead "
    "RETURNING id, queue_id, vt, group_key",
    1, {INT8ARRAYOID}, deletes_grouped("queue_id", "vt", "group_key")};

static Statement select_queue_id = {
    "SELECT id FROM @.queues WHERE queue_name = $1", 1, {TEXTOID}};

// What a waiter that found nothing needs to know: the queue's id now (no
// row: deleted) and the worker's status.
static Statement wait_state = {
    "SELECT q.id AS queue_id, (SELECT w.status FROM @.workers w WHERE w.id = $2) AS worker_status "
    "FROM @.queues q WHERE q.queue_name = $1",
    2, {TEXTOID, INT8OID}};

// When the next message of a queue becomes visible, before $3: a delayed
// message or a lease ending. The scan walks the entries of leases that ended
// in an archive and are not yet vacuumed (while the xmin horizon is pinned,
// all of them), so it looks only as far as the waiter would sleep anyway ($3:
// one recheck interval ahead), and a waiter runs it only when it would
// otherwise sleep that long, not after each wake-up.
static Statement next_visible = {
    "SELECT min(vt) AS next_vt FROM @.messages WHERE queue_id = $1 AND vt > $2 AND vt <= $3", 3,
    {INT8OID, TIMESTAMPTZOID, TIMESTAMPTZOID}};

// How often a waiting consumer looks at its queue without a wake-up: with
// preloading, a safety net (and how soon a suspended worker's waiter sees its
// resume); without, the only way it learns of new messages.
constexpr long wait_recheck_ms = 1000;
constexpr long wait_poll_ms = 100;
constexpr int max_wait_seconds = 3600;

// The arguments shared by dequeue and dequeue_wait (positions 0 to 3).
struct ClaimArgs {
    Datum name;
    int32 batch_size;
    int32 lock_seconds;
    bool has_worker;
    Datum worker_id;
};

static ClaimArgs claim_args(FunctionCallInfo fcinfo)
{
    ClaimArgs args;
    args.name = queue_name(fcinfo, 0);
    args.batch_size = required_int(fcinfo, 1, "batch_size", 1, max_batch_size);
    args.lock_seconds = required_int(fcinfo, 2, "lock_seconds", 1, max_lock_seconds);
    args.has_worker = !PG_ARGISNULL(3);
    args.worker_id = PG_GETARG_DATUM(3);
    return args;
}

// The id each queue name had at this backend's last claims, the priorities
// its messages have had (priority_levels) and whether it has a retry policy:
// the claim frontier is read for it before a claim, whose statement checks it
// is still that queue, and the claim statement is chosen by the other two.
constexpr int known_queues_size = 32;
struct KnownQueue {
    Oid database;
    int64 id;
    int32 levels;
    bool retrying;
    int length;
    char name[max_queue_name_length];
};
static KnownQueue known_queues[known_queues_size];
static int known_next = 0;

static KnownQueue *known_queue(Datum name)
{
    text *t = DatumGetTextPP(name);
    int length = VARSIZE_ANY_EXHDR(t);
    for (KnownQueue &k : known_queues)
        if (k.database == MyDatabaseId && k.length == length &&
            memcmp(k.name, VARDATA_ANY(t), length) == 0)
            return &k;
    return nullptr;
}

static void forget_queue(Datum name)
{
    KnownQueue *k = known_queue(name);
    if (k != nullptr)
        k->database = InvalidOid;
}

static void remember_queue(Datum name, int64 id, int32 levels, bool retrying)
{
    KnownQueue *k = known_queue(name);
    if (k == nullptr) {
        text *t = DatumGetTextPP(name);
        k = &known_queues[known_next];
        known_next = (known_next + 1) % known_queues_size;
        k->length = Min(static_cast<int>(VARSIZE_ANY_EXHDR(t)), max_queue_name_length);
        memcpy(k->name, VARDATA_ANY(t), k->length);
        k->database = MyDatabaseId;
    }
    k->id = id;
    k->levels = levels;
    k->retrying = retrying;
}

// The id of the queue of that name as this backend last knew it (looked up
// the first time), 0 when it does not exist or there is no frontier.
static int64 queue_id_for_claim(Datum name)
{
    if (!frontier_active())
        return 0;
    KnownQueue *k = known_queue(name);
    if (k != nullptr)
        return k->id;
    Rows rows = exec(select_queue_id, &name, " ");
    if (rows.count == 0)
        return 0;
    int64 id = DatumGetInt64(value(rows, 0, "id", INT8OID));
    remember_queue(name, id, 1, false);
    return id;
}

// The priorities a claim scans, in the order it scans them: those of levels
// (bit p: priority p) from 9 down to 1, then 0.
static int scan_order(int32 levels, int *order)
{
    int n = 0;
    for (int p = priority_levels - 1; p >= 1; p--)
        if ((levels & (1 << p)) != 0)
            order[n++] = p;
    order[n++] = 0;
    return n;
}

static Datum key_array(const ClaimStart &start, bool vts)
{
    Datum elements[priority_levels];
    for (int p = 0; p < priority_levels; p++)
        elements[p] = vts ? TimestampTzGetDatum(start.from[p].vt) : Int64GetDatum(start.from[p].id);
    return PointerGetDatum(construct_array(elements, priority_levels, vts ? TIMESTAMPTZOID : INT8OID,
                                           8, FLOAT8PASSBYVAL, TYPALIGN_DOUBLE));
}

// A claimed row of a claim statement's result, for taking them in the order
// the caller gets them: by priority, highest first, then by id.
struct ClaimedRow {
    uint64 row;
    int64 id;
    int level;
};
constexpr uint64 no_row = PG_UINT64_MAX;

static int claimed_row_cmp(const void *a, const void *b)
{
    const ClaimedRow *x = static_cast<const ClaimedRow *>(a);
    const ClaimedRow *y = static_cast<const ClaimedRow *>(b);
    if (x->level != y->level)
        return x->level > y->level ? -1 : 1;
    return x->id < y->id ? -1 : x->id > y->id ? 1 : 0;
}

// The claimed rows of a claim statement's result (not its evidence row) in
// that order, ended by a row no_row.
static ClaimedRow *claimed_in_order(const Rows &claimed)
{
    ClaimedRow *in_order = static_cast<ClaimedRow *>(palloc(sizeof(ClaimedRow) * (claimed.count + 1)));
    int n = 0;
    for (uint64 row = 0; row < claimed.count; row++) {
        bool evidence_only;
        Datum id = value(claimed, row, "id", INT8OID, &evidence_only);
        if (evidence_only)
            continue;
        int level = DatumGetInt16(value(claimed, row, "priority", INT2OID));
        if (level < 0 || level >= priority_levels)  // scans keep priorities 0 to 9 only
            elog(ERROR, "pgqrs: claimed message %lld has priority %d",
                 static_cast<long long>(DatumGetInt64(id)), level);
        in_order[n++] = {row, DatumGetInt64(id), level};
    }
    qsort(in_order, n, sizeof(ClaimedRow), claimed_row_cmp);
    in_order[n].row = no_row;
    return in_order;
}

// Leases up to batch_size messages into the function's result; returns how
// many. Exhausted messages the claim meets are buried and the claim runs again,
// until it has batch_size deliverable messages or the queue has no more visible
// ones: a call never comes back short while a deliverable message is visible
// and unlocked, and its work is the exhausted messages in front of them, each
// buried once. When nothing was claimed and diagnose is set, raises the error
// that explains it (unknown queue, unknown or stopped worker), if any. Every
// call checks the caller's access first (a wait checks at each pass).
static int claim_into(FunctionCallInfo fcinfo, const ClaimArgs &a, bool diagnose)
{
    require_queue_access(fcinfo, Access::consumer, a.name);
    if (a.has_worker)
        require_worker_owner(fcinfo, DatumGetInt64(a.worker_id));
    bool all;
    Datum allowed = allowed_queues(fcinfo, Access::consumer, &all);

    int32 wanted = a.batch_size;
    int delivered = 0;
    for (;;) {
        int32 asked = wanted;
        KnownQueue *known = known_queue(a.name);
        int32 levels = known != nullptr ? known->levels : 1;
        bool retrying = known != nullptr && known->retrying;
        bool by_priority = levels != 1;
        // read before the statement takes its snapshot
        ClaimStart start = frontier_start(queue_id_for_claim(a.name));
        Datum leased_at = seconds_from_now(0);
        Datum args[9] = {a.name, Int32GetDatum(asked), seconds_from_now(a.lock_seconds),
                         a.worker_id, leased_at, allowed, Int64GetDatum(start.queue_id),
                         TimestampTzGetDatum(start.from[0].vt), Int64GetDatum(start.from[0].id)};
        if (by_priority) {
            args[7] = key_array(start, true);
            args[8] = key_array(start, false);
        }
        char nulls[10] = "         ";
        nulls[3] = a.has_worker ? ' ' : 'n';
        nulls[5] = all ? 'n' : ' ';
        nulls[6] = start.queue_id == 0 ? 'n' : ' ';
        Rows claimed = exec(by_priority ? claim_by_priority : retrying ? claim_retrying : claim_plain,
                            args, nulls);
        RowShape shape = row_shape(fcinfo, claimed);
        uint64 rows = claimed.count;
        int64 scanned_queue = 0;  // the queue the statement found; 0: none
        int32 scanned_levels = levels;
        bool scanned_retrying = retrying;
        if (rows > 0) {  // every row carries the queue's columns
            scanned_queue = DatumGetInt64(value(claimed, 0, "scanned_queue_id", INT8OID));
            scanned_levels = DatumGetInt32(value(claimed, 0, "scanned_levels", INT4OID));
            scanned_retrying = DatumGetBool(value(claimed, 0, "scanned_retrying", BOOLOID));
        }
        ClaimedRow *in_order = claimed_in_order(claimed);
        Datum *exhausted = static_cast<Datum *>(palloc(sizeof(Datum) * (rows + 1)));
        FoundKey *seen = static_cast<FoundKey *>(palloc(sizeof(FoundKey) * (rows + 1)));
        int nexhausted = 0;
        int ndeferred = 0;
        bool grouped_exhausted = false;  // burying it lets the next of its group go
        TimestampTz at = DatumGetTimestampTz(leased_at);
        int nseen = 0;
        uint64 nclaimed = 0;
        int claimed_at[priority_levels] = {};
        ClaimKey last_seen[priority_levels];
        for (ClaimKey &k : last_seen)
            k = claim_order_start;
        for (; in_order[nclaimed].row != no_row; nclaimed++) {
            uint64 row = in_order[nclaimed].row;
            Datum id = Int64GetDatum(in_order[nclaimed].id);
            int level = in_order[nclaimed].level;
            claimed_at[level]++;
            // where the scan found the row, unless another transaction changed
            // it after the statement's snapshot (the claim then read its new version)
            TransactionId xmin = DatumGetTransactionId(value(claimed, row, "claimed_xmin", XIDOID));
            if (frontier_seen_before(start, xmin)) {
                ClaimKey key = {DatumGetTimestampTz(value(claimed, row, "claimed_vt", TIMESTAMPTZOID)),
                                DatumGetInt64(id)};
                seen[nseen++] = {level, key, xmin};
                ClaimKey &last = last_seen[level];
                if (last.vt < key.vt || (last.vt == key.vt && last.id < key.id))
                    last = key;
            }
            bool never_leased, no_retry;
            Datum dequeued_at = value(claimed, row, "dequeued_at", TIMESTAMPTZOID, &never_leased);
            Datum retry_at = value(claimed, row, "retry_at", TIMESTAMPTZOID, &no_retry);
            if (!never_leased && DatumGetTimestampTz(dequeued_at) == at)
                append_row(fcinfo, claimed, row, shape);
            else if (!no_retry && DatumGetTimestampTz(retry_at) > at)
                ndeferred++;  // waits for its next attempt (retry policy)
            else {
                exhausted[nexhausted++] = id;
                bool no_group;
                value(claimed, row, "group_key", TEXTOID, &no_group);
                grouped_exhausted = grouped_exhausted || !no_group;
            }
        }
        pfree(in_order);
        if (scanned_queue != 0 && (scanned_queue != start.queue_id || scanned_levels != levels ||
                                   scanned_retrying != retrying))  // recreated, or changed
            remember_queue(a.name, scanned_queue, scanned_levels, scanned_retrying);
        else if (rows == 0)
            forget_queue(a.name);  // deleted, or a worker not ready: look it up again next time
        // Evidence to raise the frontier of each priority: the scan ran on the
        // queue it was read for, and saw every claimable row of a priority up
        // to leased_at (a priority scanned before the batch was full), or up to
        // the last row it found where it lay (the priority that filled it).
        bool short_batch = nclaimed < static_cast<uint64>(asked);
        // the statement claimed nothing: the queue was recreated, or needs another statement
        bool wrong_statement = (start.queue_id != 0 && scanned_queue != start.queue_id) ||
                               (!by_priority && scanned_levels != 1) ||
                               (!by_priority && !retrying && scanned_retrying);
        bool scanned = scanned_queue != 0 && scanned_queue == start.queue_id && !wrong_statement;
        LevelEvidence evidence[priority_levels] = {};
        int order[priority_levels];
        int norder = scan_order(by_priority ? scanned_levels : 1, order);
        int filling = -1;  // the priority where a full batch ended
        for (int i = 0; i < norder && !short_batch; i++)
            if (claimed_at[order[i]] > 0)
                filling = i;
        for (int i = 0; i < norder; i++) {
            int p = order[i];
            if (short_batch || i < filling)
                evidence[p] = {true, {DatumGetTimestampTz(leased_at), PG_INT64_MIN}};
            else if (i == filling && last_seen[p].vt != DT_NOBEGIN)
                evidence[p] = {true, last_seen[p]};
        }
        frontier_finish(start, scanned, evidence, seen, nseen);
        pfree(seen);
        if (wrong_statement && scanned_queue != 0)
            continue;  // claim again with the statement and frontier that serve the queue now
        int taken = static_cast<int>(nclaimed) - nexhausted - ndeferred;
        if (taken > 0)  // an abort makes them visible again: waiters must hear of it
            wake_after_abort(DatumGetInt64(value(claimed, 0, "queue_id", INT8OID)), taken);
        delivered += taken;
        wanted -= taken;
        if (nexhausted > 0) {
            Datum ids = PointerGetDatum(
                construct_array(exhausted, nexhausted, INT8OID, 8, true, TYPALIGN_DOUBLE));
            exec(bury_messages, &ids, " ");
        }
        pfree(exhausted);
        // a short claim saw every visible message (unless a buried head made
        // the next of its group visible); a full one without exhausted or
        // deferred messages delivered all that was wanted
        if (wanted <= 0 || nexhausted + ndeferred == 0 || (short_batch && !grouped_exhausted))
            break;
    }
    if (delivered == 0 && diagnose) {
        find_queue(a.name);
        if (a.has_worker)
            require_not_stopped(DatumGetInt64(a.worker_id));
    }
    return delivered;
}

PGQRS_FUNCTION(dequeue)
{
    ClaimArgs args = claim_args(fcinfo);
    begin_rows(fcinfo);
    CallScope call = begin_call(fcinfo);
    claim_into(fcinfo, args, true);
    end_call(call);
    return (Datum) 0;
}

// What one pass of a wait found.
struct Pass {
    int claimed;
    int64 queue_id;     // the queue's id now (another one: recreated)
    bool worker_ready;  // false: suspended, nothing to claim until it resumes
};

// One pass of a wait: the claim and, when it found nothing, the queue's
// state. Runs in its own SPI connection, so its result tables and memory are
// freed when it ends: a wait of any length holds one pass's memory.
static Pass wait_pass(FunctionCallInfo fcinfo, const ClaimArgs &a, int64 queue_id)
{
    Pass pass = {0, queue_id, true};
    begin_pass();
    pass.claimed = claim_into(fcinfo, a, false);
    if (pass.claimed == 0) {
        Datum args[2] = {a.name, a.worker_id};
        Rows state = exec(wait_state, args, a.has_worker ? "  " : " n");
        if (state.count == 0) {
            pass.queue_id = find_queue(a.name).id;  // P0002 unless recreated just now
        } else {
            pass.queue_id = DatumGetInt64(value(state, 0, "queue_id", INT8OID));
            bool no_worker;
            Datum status = value(state, 0, "worker_status", TEXTOID, &no_worker);
            if (a.has_worker && no_worker) {
                worker_state(DatumGetInt64(a.worker_id));  // P0002 'worker does not exist'
                pass.worker_ready = false;
            } else if (a.has_worker) {
                const char *s = TextDatumGetCString(status);
                if (s[0] == 's' && s[1] == 't')
                    require_not_stopped(DatumGetInt64(a.worker_id));  // 55000
                pass.worker_ready = s[0] == 'r';
            }
        }
    }
    end_pass();
    return pass;
}

// The time the next message of the queue becomes visible, or 0 when none is pending.
static TimestampTz next_visible_at(int64 queue_id, TimestampTz now)
{
    begin_pass();
    Datum args[3] = {Int64GetDatum(queue_id), TimestampTzGetDatum(now),
                     TimestampTzGetDatum(now + wait_recheck_ms * 1000)};
    bool none;
    Datum next = value(exec(next_visible, args, "   "), 0, "next_vt", TIMESTAMPTZOID, &none);
    TimestampTz at = none ? 0 : DatumGetTimestampTz(next);
    end_pass();
    return at;
}

// The microseconds left of a wait, on the monotonic clock.
class WaitClock {
public:
    explicit WaitClock(int64 length_us) : length_us_(length_us) { INSTR_TIME_SET_CURRENT(start_); }
    int64 left_us() const
    {
        instr_time elapsed;
        INSTR_TIME_SET_CURRENT(elapsed);
        INSTR_TIME_SUBTRACT(elapsed, start_);
        return length_us_ - static_cast<int64>(INSTR_TIME_GET_MICROSEC(elapsed));
    }

private:
    instr_time start_;
    int64 length_us_;
};

PGQRS_FUNCTION(dequeue_wait)
{
    ClaimArgs args = claim_args(fcinfo);
    int32 wait_seconds = required_int(fcinfo, 4, "wait_seconds", 0, max_wait_seconds);
    if (IsolationUsesXactSnapshot())
        ereport(ERROR, (errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
                        errmsg("dequeue_wait needs the READ COMMITTED isolation level"),
                        errdetail("Under REPEATABLE READ or SERIALIZABLE it could not see "
                                  "messages committed while it waits.")));

    begin_rows(fcinfo);
    CallScope call = begin_call(fcinfo);
    // The call's statement holds its snapshot (and so the backend's xmin) for
    // the whole call. When nothing else can read with that snapshot the xmin is
    // dropped while the call sleeps; otherwise pgqrs.max_wait_seconds bounds it.
    bool sleep_without_xmin = snapshot_only_ours(fcinfo);
    int32 waits = sleep_without_xmin ? wait_seconds : Min(wait_seconds, max_wait_seconds_setting);
    // The wait is measured on the monotonic clock: a step of the wall clock
    // neither ends it early nor stretches it (vt times stay wall-clock).
    WaitClock clock(static_cast<int64>(waits) * USECS_PER_SEC);
    require_queue_access(fcinfo, Access::consumer, args.name);  // before find_queue's P0002
    int64 queue_id = find_queue(args.name).id;
    bool ready = true;
    TimestampTz next = 0;    // when the next message becomes visible, as last looked up (0: none)
    bool look_ahead = true;  // look it up after this pass: the first, and those no wake-up began

    // The slot must be disarmed however the wait ends (cancel, error, timeout);
    // a wake-up that came after the last claim began goes to another waiter.
    PG_TRY();
    {
        for (;;) {
            ResetLatch(MyLatch);
            if (ready)
                wake_arm(queue_id, args.batch_size);
            Pass pass = wait_pass(fcinfo, args, queue_id);
            if (pass.claimed > 0)
                break;
            int64 left = clock.left_us();
            if (left <= 0)
                break;
            TimestampTz now = GetCurrentTimestamp();
            if (pass.queue_id != queue_id || pass.worker_ready != ready) {
                // recreated under the same name, or the worker suspended or resumed
                if (wake_disarm() && !pass.worker_ready)
                    wake_now(queue_id, args.batch_size);
                queue_id = pass.queue_id;
                ready = pass.worker_ready;
                next = 0;
                look_ahead = true;
                if (ready)
                    continue;  // claim again at once
            }
            // Polling every 100 ms (not preloaded) needs no look-ahead.
            if (wake_available() && ready && (look_ahead || (next != 0 && next <= now)))
                next = next_visible_at(queue_id, now);
            long interval = !wake_available() ? wait_poll_ms : wait_recheck_ms;
            TimestampTz until = now + Min(left, static_cast<int64>(interval) * 1000);
            if (ready && next > now)
                until = Min(until, next);
            if (sleep_without_xmin)
                drop_xmin();
            int events = WaitLatch(MyLatch, WL_LATCH_SET | WL_TIMEOUT | WL_EXIT_ON_PM_DEATH,
                                   Max(1, TimestampDifferenceMilliseconds(now, until) + 1),
                                   PG_WAIT_EXTENSION);
            look_ahead = (events & WL_LATCH_SET) == 0;
            CHECK_FOR_INTERRUPTS();
        }
    }
    PG_FINALLY();
    {
        if (wake_disarm())
            wake_now(queue_id, args.batch_size);
    }
    PG_END_TRY();

    end_call(call);
    return (Datum) 0;
}
