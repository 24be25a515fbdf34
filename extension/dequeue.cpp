// Consuming: dequeue, and dequeue_wait which sleeps until a message is there.
#include "access.hpp"
#include "args.hpp"
#include "guard.hpp"
#include "lookup.hpp"
#include "results.hpp"
#include "wake.hpp"

extern "C" {
#include "access/xact.h"
#include "pgstat.h"
#include "storage/latch.h"
}

using namespace pgqrs;

// Claims the oldest visible messages, walking the (queue_id, vt, id) index in
// order (the queue is a scalar subquery so the scan can use it), and leases
// them. A claimed message already delivered max_attempts times is left as it
// was instead: it comes back with its old dequeued_at, the caller tells it
// from the leased ones (dequeued_at = $5) and dead-letters it. The rows are
// updated through id = ANY (array) so the plan stays an index probe whatever
// batch size the generic plan assumes.
static Statement claim_messages = {
    "WITH q AS (SELECT id, max_attempts FROM @.queues WHERE queue_name = $1 "
    "           AND ($4 IS NULL OR EXISTS "
    "               (SELECT FROM @.workers w WHERE w.id = $4 AND w.status = 'ready'))), "
    "claimed AS (SELECT m.id FROM @.messages m "
    "            WHERE m.queue_id = (SELECT id FROM q) AND m.vt <= $5 "
    "            ORDER BY m.vt, m.id LIMIT $2 FOR UPDATE SKIP LOCKED), "
    "leased AS (UPDATE @.messages m SET "
    "  vt = CASE WHEN m.read_ct < q.max_attempts THEN $3 ELSE m.vt END, "
    "  read_ct = CASE WHEN m.read_ct < q.max_attempts THEN m.read_ct + 1 ELSE m.read_ct END, "
    "  dequeued_at = CASE WHEN m.read_ct < q.max_attempts THEN $5 ELSE m.dequeued_at END, "
    "  consumer_worker_id = CASE WHEN m.read_ct < q.max_attempts THEN $4 "
    "                            ELSE m.consumer_worker_id END "
    "FROM q WHERE m.id = ANY (ARRAY(SELECT id FROM claimed)) RETURNING m.*) "
    "SELECT * FROM leased ORDER BY id",
    5, {TEXTOID, INT4OID, TIMESTAMPTZOID, INT8OID, TIMESTAMPTZOID}};

// Moves exhausted messages (claimed and locked by this transaction) to the archive.
static Statement bury_messages = {
    "WITH dead AS (DELETE FROM @.messages WHERE id = ANY ($1) RETURNING *) "
    "INSERT INTO @.archive (id, queue_id, payload, vt, enqueued_at, read_ct, dequeued_at, "
    "  producer_worker_id, consumer_worker_id, dead_letter) "
    "SELECT id, queue_id, payload, vt, enqueued_at, read_ct, dequeued_at, "
    "  producer_worker_id, consumer_worker_id, true FROM dead",
    1, {INT8ARRAYOID}};

// When the next message of a queue becomes visible: a delayed message or a lease ending.
static Statement next_visible = {
    "SELECT min(vt) AS next_vt FROM @.messages WHERE queue_id = $1 AND vt > $2", 2, {INT8OID, TIMESTAMPTZOID}};

// A dequeue that dead-letters its whole claim tries again, this many times at most.
constexpr int max_claim_rounds = 8;

// How often a waiting consumer looks at its queue without a wake-up: with
// preloading, a safety net; without, the only way it learns of new messages.
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

// Leases up to batch_size messages into the function's result; returns how
// many. When nothing was claimed and diagnose is set, raises the error that
// explains it (unknown queue, unknown or stopped worker), if any.
static int claim_into(FunctionCallInfo fcinfo, const ClaimArgs &a, bool diagnose)
{
    if (diagnose) {  // the first pass of a call checks who is asking
        require_queue_access(fcinfo, Access::consumer, a.name);
        if (a.has_worker)
            require_worker_owner(fcinfo, DatumGetInt64(a.worker_id));
    }
    int32 wanted = a.batch_size;
    int delivered = 0;
    for (int round = 0; round < max_claim_rounds && wanted > 0; round++) {
        Datum leased_at = seconds_from_now(0);
        Datum args[5] = {a.name, Int32GetDatum(wanted), seconds_from_now(a.lock_seconds),
                         a.worker_id, leased_at};
        Rows claimed = exec(claim_messages, args, a.has_worker ? "     " : "   n ");
        uint64 rows = claimed.count;
        Datum *exhausted = static_cast<Datum *>(palloc(sizeof(Datum) * (rows + 1)));
        int nexhausted = 0;
        for (uint64 row = 0; row < rows; row++) {
            bool never_leased;
            Datum dequeued_at = value(claimed, row, "dequeued_at", TIMESTAMPTZOID, &never_leased);
            if (!never_leased && DatumGetTimestampTz(dequeued_at) == DatumGetTimestampTz(leased_at))
                append_row(fcinfo, claimed, row);
            else
                exhausted[nexhausted++] = value(claimed, row, "id", INT8OID);
        }
        delivered += static_cast<int>(rows) - nexhausted;
        wanted -= static_cast<int32>(rows) - nexhausted;
        if (nexhausted == 0)
            break;
        Datum ids = PointerGetDatum(
            construct_array(exhausted, nexhausted, INT8OID, 8, true, TYPALIGN_DOUBLE));
        exec(bury_messages, &ids, " ");
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

// Milliseconds to sleep before looking again: until the deadline, the next
// message becoming visible, or the recheck interval, whichever comes first.
static long sleep_ms(int64 queue_id, TimestampTz deadline)
{
    TimestampTz now = GetCurrentTimestamp();
    TimestampTz until = Min(deadline, now + (wake_available() ? wait_recheck_ms : wait_poll_ms) * 1000);
    Datum args[2] = {Int64GetDatum(queue_id), TimestampTzGetDatum(now)};
    bool none;
    Datum next = value(exec(next_visible, args, "  "), 0, "next_vt", TIMESTAMPTZOID, &none);
    if (!none)
        until = Min(until, DatumGetTimestampTz(next));
    return Max(1, TimestampDifferenceMilliseconds(now, until) + 1);
}

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
    int64 queue_id = find_queue(args.name).id;
    TimestampTz deadline = GetCurrentTimestamp() + static_cast<int64>(wait_seconds) * USECS_PER_SEC;

    // The slot must be cleared however the wait ends (cancel, error, timeout).
    PG_TRY();
    {
        for (bool first = true;; first = false) {
            wake_register(queue_id);
            ResetLatch(MyLatch);
            if (claim_into(fcinfo, args, first) > 0 || GetCurrentTimestamp() >= deadline)
                break;
            (void) WaitLatch(MyLatch, WL_LATCH_SET | WL_TIMEOUT | WL_EXIT_ON_PM_DEATH,
                             sleep_ms(queue_id, deadline), PG_WAIT_EXTENSION);
            CHECK_FOR_INTERRUPTS();
        }
    }
    PG_FINALLY();
    {
        wake_unregister();
    }
    PG_END_TRY();

    end_call(call);
    return (Datum) 0;
}
