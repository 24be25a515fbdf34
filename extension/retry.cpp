// set_retry_policy: how long a message of a queue whose attempt failed waits
// before the next one (the SQL that applies it is in retry.hpp).
#include "args.hpp"
#include "guard.hpp"
#include "lookup.hpp"
#include "results.hpp"
#include "retry.hpp"

extern "C" {
#include "utils/float.h"  // isnan
}

using namespace pgqrs;

static Statement update_retry_policy = {
    "UPDATE @.queues SET retry_backoff = $2, retry_delay_seconds = $3, "
    "  retry_max_delay_seconds = $4, retry_jitter = $5 WHERE queue_name = $1 RETURNING *",
    5, {TEXTOID, TEXTOID, FLOAT8OID, FLOAT8OID, FLOAT8OID}};

static pg_attribute_noreturn() void bad_policy(const char *message, double value)
{
    ereport(ERROR, (errcode(ERRCODE_INVALID_PARAMETER_VALUE), errmsg(message, value)));
}

// Optional float argument n in [min, max], or fallback when NULL.
static double seconds_arg(FunctionCallInfo fcinfo, int n, const char *name, double fallback)
{
    if (PG_ARGISNULL(n))
        return fallback;
    double value = PG_GETARG_FLOAT8(n);
    if (isnan(value) || value < 0 || value > max_delay_seconds)
        ereport(ERROR, (errcode(ERRCODE_INVALID_PARAMETER_VALUE),
                        errmsg("%s must be between 0 and %d, got %.15g", name, max_delay_seconds, value)));
    return value;
}

PGQRS_FUNCTION(set_retry_policy)
{
    Datum name = queue_name(fcinfo, 0);
    char *backoff = TextDatumGetCString(required(fcinfo, 1, "backoff"));
    bool none = strcmp(backoff, "none") == 0;
    if (!none && strcmp(backoff, "fixed") != 0 && strcmp(backoff, "exponential") != 0)
        ereport(ERROR, (errcode(ERRCODE_INVALID_PARAMETER_VALUE),
                        errmsg("backoff must be none, fixed or exponential, got \"%s\"",
                               printable(backoff, pg_mbcliplen(backoff, strlen(backoff), 64)))));
    double delay = 0, max_delay = 0, jitter = PG_ARGISNULL(4) ? 0 : PG_GETARG_FLOAT8(4);
    if (isnan(jitter) || jitter < 0 || jitter > 1)
        bad_policy("jitter must be between 0 and 1, got %.15g", jitter);
    if (none) {
        if (!PG_ARGISNULL(2) || !PG_ARGISNULL(3) || jitter != 0)
            ereport(ERROR, (errcode(ERRCODE_INVALID_PARAMETER_VALUE),
                            errmsg("backoff none takes no delay_seconds, max_delay_seconds or jitter")));
    } else {
        required(fcinfo, 2, "delay_seconds");
        delay = seconds_arg(fcinfo, 2, "delay_seconds", 0);
        bool exponential = backoff[0] == 'e';
        max_delay = seconds_arg(fcinfo, 3, "max_delay_seconds", exponential ? max_delay_seconds : delay);
        if (max_delay < delay)
            ereport(ERROR, (errcode(ERRCODE_INVALID_PARAMETER_VALUE),
                            errmsg("max_delay_seconds (%.15g) must not be less than delay_seconds (%.15g)",
                                   max_delay, delay)));
    }

    Datum args[5] = {name, CStringGetTextDatum(backoff), Float8GetDatum(delay),
                     Float8GetDatum(max_delay), Float8GetDatum(jitter)};
    CallScope call = begin_call(fcinfo);
    Rows rows = exec_until_found(update_retry_policy, args, "     ", explain_queue, name, "the queue");
    Datum row = composite_result(fcinfo, rows, 0);
    end_call(call);
    return row;
}
