// Recurring schedules, managed: create_schedule, list_schedules,
// pause_schedule, resume_schedule, delete_schedule, and cron_times to preview
// an expression. Running them is schedule_run.cpp.
#include "args.hpp"
#include "cron.hpp"
#include "guard.hpp"
#include "lookup.hpp"
#include "results.hpp"

using namespace pgqrs;

static Statement insert_schedule = {
    "INSERT INTO @.schedules (schedule_name, cron_expression, time_zone, queue_name, payload, "
    "  catch_up, next_run_at, created_by) "
    "VALUES ($1, $2, $3, $4, $5, $6, $7, $8::regrole) "
    "ON CONFLICT (schedule_name) DO NOTHING RETURNING *",
    8, {TEXTOID, TEXTOID, TEXTOID, TEXTOID, JSONBOID, BOOLOID, TIMESTAMPTZOID, OIDOID}};

static Statement select_all_schedules = {"SELECT * FROM @.schedules ORDER BY id", 0, {}};

static Statement lock_schedule = {
    "SELECT * FROM @.schedules WHERE schedule_name = $1 FOR UPDATE", 1, {TEXTOID}};

static Statement update_paused = {
    "UPDATE @.schedules SET paused = $2, next_run_at = coalesce($3, next_run_at) "
    "WHERE id = $1 RETURNING *",
    3, {INT8OID, BOOLOID, TIMESTAMPTZOID}};

static Statement delete_schedule_row = {
    "DELETE FROM @.schedules WHERE schedule_name = $1", 1, {TEXTOID}};

// Argument n as a schedule name, with the rule of queue names.
static Datum schedule_name(FunctionCallInfo fcinfo, int n)
{
    Datum value = required(fcinfo, n, "schedule_name");
    text *name = DatumGetTextPP(value);
    const char *chars = VARDATA_ANY(name);
    int length = VARSIZE_ANY_EXHDR(name);
    bool valid = length >= 1 && length <= max_queue_name_length;
    for (int i = 0; valid && i < length; i++)
        valid = (chars[i] >= 'a' && chars[i] <= 'z') || (chars[i] >= 'A' && chars[i] <= 'Z') ||
                (chars[i] >= '0' && chars[i] <= '9') || chars[i] == '_' || chars[i] == '-' ||
                chars[i] == '.';
    if (!valid) {
        int shown = pg_mbcliplen(chars, length, 64);
        ereport(ERROR, (errcode(ERRCODE_INVALID_NAME),
                        errmsg("invalid schedule name \"%s\"%s", printable(chars, shown),
                               shown < length ? "..." : ""),
                        errdetail("A schedule name is 1 to %d letters, digits, '_', '-' or '.'.",
                                  max_queue_name_length)));
    }
    return PointerGetDatum(name);
}

// The first time of the expression after `after`; an error when it names none.
static TimestampTz first_time(const char *expression, pg_tz *tz, TimestampTz after)
{
    TimestampTz next;
    if (!next_cron_time(parse_cron(expression), tz, after, &next))
        ereport(ERROR, (errcode(ERRCODE_INVALID_PARAMETER_VALUE),
                        errmsg("cron expression \"%s\" names no time in the next ten years", expression)));
    return next;
}

static pg_attribute_noreturn() void raise_unknown(Datum name)
{
    ereport(ERROR, (errcode(ERRCODE_NO_DATA_FOUND),
                    errmsg("schedule \"%s\" does not exist", TextDatumGetCString(name))));
}

PGQRS_FUNCTION(create_schedule)
{
    Datum name = schedule_name(fcinfo, 0);
    const char *expression = TextDatumGetCString(required(fcinfo, 1, "cron_expression"));
    Datum queue = queue_name(fcinfo, 2);
    Datum payload = required(fcinfo, 3, "payload");
    const char *zone = TextDatumGetCString(required(fcinfo, 4, "time_zone"));
    Datum catch_up = required(fcinfo, 5, "catch_up");
    check_payload(payload, 0);
    TimestampTz next = first_time(expression, find_time_zone(zone), GetCurrentTransactionStartTimestamp());

    CallScope call = begin_call(fcinfo);
    find_queue(queue);
    Datum args[8] = {name, PG_GETARG_DATUM(1), PG_GETARG_DATUM(4), queue, payload, catch_up,
                     TimestampTzGetDatum(next), ObjectIdGetDatum(caller())};
    Rows rows = exec(insert_schedule, args, "        ");
    if (rows.count == 0)
        ereport(ERROR, (errcode(ERRCODE_DUPLICATE_OBJECT),
                        errmsg("schedule \"%s\" already exists", TextDatumGetCString(name))));
    Datum row = composite_result(fcinfo, rows, 0);
    end_call(call);
    return row;
}

PGQRS_FUNCTION(list_schedules)
{
    begin_rows(fcinfo);
    CallScope call = begin_call(fcinfo);
    append_all_rows(fcinfo, exec(select_all_schedules, nullptr, ""));
    end_call(call);
    return (Datum) 0;
}

// Pauses or resumes the schedule of argument 0. A resumed schedule goes on
// from the first time after now: the times of the pause are not enqueued.
static Datum set_paused(FunctionCallInfo fcinfo, bool paused)
{
    Datum name = schedule_name(fcinfo, 0);
    CallScope call = begin_call(fcinfo);
    Rows rows = exec(lock_schedule, &name, " ");
    if (rows.count == 0)
        raise_unknown(name);
    Datum args[3] = {value(rows, 0, "id", INT8OID), BoolGetDatum(paused), (Datum) 0};
    bool was_paused = DatumGetBool(value(rows, 0, "paused", BOOLOID));
    bool restart = was_paused && !paused;
    if (restart) {
        const char *expression = TextDatumGetCString(value(rows, 0, "cron_expression", TEXTOID));
        const char *zone = TextDatumGetCString(value(rows, 0, "time_zone", TEXTOID));
        args[2] = TimestampTzGetDatum(
            first_time(expression, find_time_zone(zone), GetCurrentTransactionStartTimestamp()));
    }
    Datum row = composite_result(fcinfo, exec(update_paused, args, restart ? "   " : "  n"), 0);
    end_call(call);
    return row;
}

PGQRS_FUNCTION(pause_schedule)
{
    return set_paused(fcinfo, true);
}

PGQRS_FUNCTION(resume_schedule)
{
    return set_paused(fcinfo, false);
}

PGQRS_FUNCTION(delete_schedule)
{
    Datum name = schedule_name(fcinfo, 0);
    CallScope call = begin_call(fcinfo);
    if (exec(delete_schedule_row, &name, " ").count == 0)
        raise_unknown(name);
    end_call(call);
    PG_RETURN_BOOL(true);
}

PGQRS_FUNCTION(cron_times)
{
    const char *expression = TextDatumGetCString(required(fcinfo, 0, "cron_expression"));
    const char *zone = TextDatumGetCString(required(fcinfo, 1, "time_zone"));
    TimestampTz after = DatumGetTimestampTz(required(fcinfo, 2, "after"));
    int32 count = required_int(fcinfo, 3, "count", 0, max_batch_size);
    CronSpec spec = parse_cron(expression);
    pg_tz *tz = find_time_zone(zone);

    begin_rows(fcinfo);
    CallScope call = begin_call(fcinfo);
    auto *set = reinterpret_cast<ReturnSetInfo *>(fcinfo->resultinfo);
    for (int i = 0; i < count && next_cron_time(spec, tz, after, &after); i++) {
        Datum time = TimestampTzGetDatum(after);
        bool null = false;
        tuplestore_putvalues(set->setResult, set->setDesc, &time, &null);
    }
    end_call(call);
    return (Datum) 0;
}
