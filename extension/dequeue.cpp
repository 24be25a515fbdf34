// Consuming: dequeue, and dequeue_wait which sleeps until a message is there.
#include "args.hpp"
#include "guard.hpp"
#include "lookup.hpp"
#include "results.hpp"
#include "spi.hpp"
#include "wake.hpp"

extern "C" {
#include "access/xact.h"
#include "pgstat.h"
#include "storage/latch.h"
}

using namespace pgqrs;

// Claims the oldest visible messages, walking the (queue_id, vt, id) index in
// order (the queue is a scalar subquery so the plan can use it). Those already delivered max_attempts
// times are dead-lettered (moved to the archive) instead of delivered; each of
// them comes back as a row of NULLs so the caller can claim again.
static Statement claim_messages = {
    "WITH q AS (SELECT id, max_attempts FROM queues WHERE queue_name = $1 "
    "           AND ($4 IS NULL OR EXISTS "
    "               (SELECT FROM workers w WHERE w.id = $4 AND w.status = 'ready'))), "
    "claimed AS (SELECT m.id, m.read_ct >= (SELECT max_attempts FROM q) AS exhausted "
    "            FROM messages m WHERE m.queue_id = (SELECT id FROM q) AND m.vt <= $5 "
    "            ORDER BY m.vt, m.id LIMIT $2 FOR UPDATE SKIP LOCKED), "
    "dead AS (DELETE FROM messages m USING claimed c WHERE m.id = c.id AND c.exhausted "
    "         RETURNING m.*), "
    "buried AS (INSERT INTO archive (id, queue_id, payload, vt, enqueued_at, read_ct, "
    "             dequeued_at, producer_worker_id, consumer_worker_id, dead_letter) "
    "           SELECT id, queue_id, payload, vt, enqueued_at, read_ct, dequeued_at, "
    "             producer_worker_id, consumer_worker_id, true FROM dead RETURNING id), "
    "leased AS (UPDATE messages m SET vt = $3, read_ct = m.read_ct + 1, dequeued_at = $5, "
    "             consumer_worker_id = $4 "
    "           FROM claimed c WHERE m.id = c.id AND NOT c.exhausted RETURNING m.*) "
    "(SELECT * FROM leased ORDER BY id) "
    "UNION ALL SELECT (NULL::messages).* FROM buried",
    5, {TEXTOID, INT4OID, TIMESTAMPTZOID, INT8OID, TIMESTAMPTZOID}};

// When the next message of a queue becomes visible: a delayed message or a lease ending.
static Statement next_visible = {
    "SELECT min(vt) FROM messages WHERE queue_id = $1 AND vt > $2", 2, {INT8OID, TIMESTAMPTZOID}};

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
    int32 wanted = a.batch_size;
    int delivered = 0;
    for (int round = 0; round < max_claim_rounds && wanted > 0; round++) {
        Datum args[5] = {a.name, Int32GetDatum(wanted), seconds_from_now(a.lock_seconds),
                         a.worker_id, seconds_from_now(0)};
        uint64 rows = exec(claim_messages, args, a.has_worker ? "     " : "   n ");
        int buried = 0;
        for (uint64 row = 0; row < rows; row++) {
            bool is_dead_marker;
            column(row, 1, &is_dead_marker);
            if (is_dead_marker)
                buried++;
            else
                append_row(fcinfo, row);
        }
        delivered += static_cast<int>(rows) - buried;
        wanted -= static_cast<int32>(rows) - buried;
        if (buried == 0)
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
    begin_call(fcinfo);
    claim_into(fcinfo, args, true);
    end_call();
    return (Datum) 0;
}

// Milliseconds to sleep before looking again: until the deadline, the next
// message becoming visible, or the recheck interval, whichever comes first.
static long sleep_ms(int64 queue_id, TimestampTz deadline)
{
    TimestampTz now = GetCurrentTimestamp();
    TimestampTz until = Min(deadline, now + (wake_available() ? wait_recheck_ms : wait_poll_ms) * 1000);
    Datum args[2] = {Int64GetDatum(queue_id), TimestampTzGetDatum(now)};
    exec(next_visible, args, "  ");
    bool none;
    Datum next = column(0, 1, &none);
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
    begin_call(fcinfo);
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

    end_call();
    return (Datum) 0;
}
