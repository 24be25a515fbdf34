// run_due_schedules: enqueues the payload of every schedule whose next time
// has come, once per scheduled time. The background worker
// (schedule_worker.cpp) calls it in each database; a client may call it too.
//
// Exactly once: a schedule's row is locked (FOR UPDATE SKIP LOCKED, so a
// second runner passes it by rather than waiting) and its next_run_at moves
// past the times enqueued in the same transaction as their messages; a runner
// that finds the row changed by a runner that committed sees the new
// next_run_at (READ COMMITTED rechecks the condition) and leaves it.
#include "args.hpp"
#include "cron.hpp"
#include "guard.hpp"
#include "wake.hpp"

extern "C" {
#include "access/xact.h"
#include "utils/resowner.h"
}

using namespace pgqrs;

// Scheduled times enqueued for one schedule in one call at most; the rest
// are enqueued by the next call.
constexpr int max_times_per_call = 1000;

static Statement select_due = {
    "SELECT id, schedule_name, cron_expression, time_zone, queue_name, payload, catch_up, "
    "  next_run_at, last_error "
    "FROM @.schedules WHERE NOT paused AND next_run_at <= now() "
    "ORDER BY next_run_at, id FOR UPDATE SKIP LOCKED",
    0, {}};

static Statement insert_runs = {
    "INSERT INTO @.messages (queue_id, payload, vt) "
    "SELECT q.id, $2, $4 FROM @.queues q, generate_series(1, $3) "
    "WHERE q.queue_name = $1 RETURNING id, queue_id, vt",
    4, {TEXTOID, JSONBOID, INT4OID, TIMESTAMPTZOID}, inserts_messages("queue_id", "vt")};

static Statement update_run = {
    "UPDATE @.schedules SET next_run_at = $2, last_run_at = $3, runs = runs + $4, "
    "  skipped_runs = skipped_runs + $5, last_message_id = $6, last_error = NULL "
    "WHERE id = $1 AND next_run_at = $7",
    7, {INT8OID, TIMESTAMPTZOID, TIMESTAMPTZOID, INT8OID, INT8OID, INT8OID, TIMESTAMPTZOID}};

static Statement update_error = {
    "UPDATE @.schedules SET last_error = $2 WHERE id = $1", 2, {INT8OID, TEXTOID}};

// What one schedule's run did, for the caller's count and its wake-up.
struct Run {
    int64 enqueued;
    int64 queue_id;
};

// Enqueues the due times of row `row` of due and moves the schedule on.
static Run run_one(const Rows &due, uint64 row)
{
    const char *expression = TextDatumGetCString(value(due, row, "cron_expression", TEXTOID));
    const char *zone = TextDatumGetCString(value(due, row, "time_zone", TEXTOID));
    bool catch_up = DatumGetBool(value(due, row, "catch_up", BOOLOID));
    TimestampTz first = DatumGetTimestampTz(value(due, row, "next_run_at", TIMESTAMPTZOID));
    TimestampTz now = GetCurrentTransactionStartTimestamp();
    CronSpec spec = parse_cron(expression);
    pg_tz *tz = find_time_zone(zone);

    // The due times: first, and each following one up to now.
    int64 due_times = 0;
    TimestampTz last = first, next = first;
    while (next <= now && due_times < max_times_per_call) {
        due_times++;
        last = next;
        if (!next_cron_time(spec, tz, last, &next))
            TIMESTAMP_NOEND(next);  // no time in ten years: the schedule is over
    }
    // Without catch-up, of the times missed only the latest is enqueued.
    int64 enqueue = catch_up ? due_times : 1;

    Datum payload = value(due, row, "payload", JSONBOID);
    check_payload(payload, 0);  // pgqrs.max_payload_bytes may have been lowered since
    Datum insert_args[4] = {value(due, row, "queue_name", TEXTOID), payload,
                            Int32GetDatum(static_cast<int32>(enqueue)), seconds_from_now(0)};
    Rows ids = exec(insert_runs, insert_args, "    ");
    if (ids.count == 0)
        ereport(ERROR, (errcode(ERRCODE_NO_DATA_FOUND),
                        errmsg("queue \"%s\" does not exist",
                               TextDatumGetCString(insert_args[0]))));
    int64 last_id = 0;
    for (uint64 i = 0; i < ids.count; i++)
        last_id = Max(last_id, DatumGetInt64(value(ids, i, "id", INT8OID)));

    Datum update_args[7] = {value(due, row, "id", INT8OID), TimestampTzGetDatum(next),
                            TimestampTzGetDatum(last), Int64GetDatum(enqueue),
                            Int64GetDatum(due_times - enqueue), Int64GetDatum(last_id),
                            TimestampTzGetDatum(first)};
    if (exec(update_run, update_args, "       ").count != 1)
        ereport(ERROR, (errcode(ERRCODE_T_R_SERIALIZATION_FAILURE),
                        errmsg("schedule changed while it was run")));
    return {enqueue, DatumGetInt64(value(ids, 0, "queue_id", INT8OID))};
}

// Runs one schedule in a subtransaction: its error is recorded in the row
// (and logged when it is new) and the others go on. A cancel is not caught.
static Run run_isolated(const Rows &due, uint64 row)
{
    MemoryContext context = CurrentMemoryContext;
    ResourceOwner owner = CurrentResourceOwner;
    Run run = {0, 0};
    ErrorData *error = nullptr;

    BeginInternalSubTransaction(nullptr);
    MemoryContextSwitchTo(context);
    PG_TRY();
    {
        run = run_one(due, row);
        ReleaseCurrentSubTransaction();
    }
    PG_CATCH();
    {
        MemoryContextSwitchTo(context);
        error = CopyErrorData();
        FlushErrorState();
        RollbackAndReleaseCurrentSubTransaction();
    }
    PG_END_TRY();
    MemoryContextSwitchTo(context);
    CurrentResourceOwner = owner;

    if (error == nullptr)
        return run;
    if (error->sqlerrcode == ERRCODE_QUERY_CANCELED || error->sqlerrcode == ERRCODE_ADMIN_SHUTDOWN)
        ReThrowError(error);
    const char *name = TextDatumGetCString(value(due, row, "schedule_name", TEXTOID));
    bool no_previous;
    Datum previous = value(due, row, "last_error", TEXTOID, &no_previous);
    if (no_previous || strcmp(TextDatumGetCString(previous), error->message) != 0)
        ereport(WARNING, (errcode(error->sqlerrcode),
                          errmsg("pgqrs schedule \"%s\" failed: %s", name, error->message),
                          errhint("It is tried again at each run until it succeeds; "
                                  "list_schedules() shows the error.")));
    Datum args[2] = {value(due, row, "id", INT8OID), CStringGetTextDatum(error->message)};
    exec(update_error, args, "  ");
    return {0, 0};
}

PGQRS_FUNCTION(run_due_schedules)
{
    CallScope call = begin_call(fcinfo);
    Rows due = exec(select_due, nullptr, "");
    int64 enqueued = 0;
    for (uint64 row = 0; row < due.count; row++) {
        Run run = run_isolated(due, row);
        if (run.enqueued > 0)
            wake_after_commit(run.queue_id, static_cast<int>(run.enqueued));
        enqueued += run.enqueued;
    }
    end_call(call);
    PG_RETURN_INT64(enqueued);
}
