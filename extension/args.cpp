#include "args.hpp"

namespace pgqrs {

int max_payload_bytes = 1024 * 1024;

Datum required(FunctionCallInfo fcinfo, int n, const char *name)
{
    if (PG_ARGISNULL(n))
        ereport(ERROR, (errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
                        errmsg("%s must not be null", name)));
    return PG_GETARG_DATUM(n);
}

int32 required_int(FunctionCallInfo fcinfo, int n, const char *name, int32 min, int32 max)
{
    int32 value = DatumGetInt32(required(fcinfo, n, name));
    if (value < min || value > max)
        ereport(ERROR, (errcode(ERRCODE_INVALID_PARAMETER_VALUE),
                        errmsg("%s must be between %d and %d, got %d", name, min, max, value)));
    return value;
}

static bool is_queue_name_char(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
           c == '_' || c == '-' || c == '.';
}

const char *printable(const char *chars, int length)
{
    StringInfoData text;
    initStringInfo(&text);
    for (int i = 0; i < length; i++) {
        unsigned char c = static_cast<unsigned char>(chars[i]);
        if (c < 0x20 || c == 0x7f || c == '\\')
            appendStringInfo(&text, "\\x%02x", c);
        else
            appendStringInfoChar(&text, static_cast<char>(c));
    }
    return text.data;
}

// Argument n (named arg) as the name of a queue or topic (kind).
static Datum object_name(FunctionCallInfo fcinfo, int n, const char *arg, const char *kind)
{
    Datum value = required(fcinfo, n, arg);
    text *name = DatumGetTextPP(value);
    const char *chars = VARDATA_ANY(name);
    int length = VARSIZE_ANY_EXHDR(name);
    bool valid = length >= 1 && length <= max_queue_name_length;

    for (int i = 0; valid && i < length; i++)
        valid = is_queue_name_char(chars[i]);
    if (!valid) {
        int shown = pg_mbcliplen(chars, length, 64);
        ereport(ERROR, (errcode(ERRCODE_INVALID_NAME),
                        errmsg("invalid %s name \"%s\"%s", kind, printable(chars, shown),
                               shown < length ? "..." : ""),
                        errdetail("A %s name is 1 to %d letters, digits, '_', '-' or '.'.", kind,
                                  max_queue_name_length)));
    }
    return PointerGetDatum(name);
}

Datum queue_name(FunctionCallInfo fcinfo, int n)
{
    return object_name(fcinfo, n, "queue_name", "queue");
}

Datum topic_name(FunctionCallInfo fcinfo, int n)
{
    return object_name(fcinfo, n, "topic_name", "topic");
}

void check_dedup_key(Datum key, int position)
{
    int length = VARSIZE_ANY_EXHDR(DatumGetTextPP(key));
    if (length >= 1 && length <= max_dedup_key_bytes)
        return;
    if (position > 0)
        ereport(ERROR, (errcode(ERRCODE_INVALID_PARAMETER_VALUE),
                        errmsg("dedup key %d must be 1 to %d bytes long, got %d", position,
                               max_dedup_key_bytes, length)));
    ereport(ERROR, (errcode(ERRCODE_INVALID_PARAMETER_VALUE),
                    errmsg("dedup_key must be 1 to %d bytes long, got %d", max_dedup_key_bytes,
                           length)));
}

Datum dedup_key_arg(FunctionCallInfo fcinfo, int n, bool nullable)
{
    if (nullable && PG_ARGISNULL(n))
        return (Datum) 0;
    Datum key = PointerGetDatum(DatumGetTextPP(required(fcinfo, n, "dedup_key")));
    check_dedup_key(key, 0);
    return key;
}

Datum interval_arg(FunctionCallInfo fcinfo, int n, const char *name, bool nullable)
{
    if (nullable && PG_ARGISNULL(n))
        return (Datum) 0;
    Datum span = required(fcinfo, n, name);
    Interval zero = {};
    if (DatumGetBool(DirectFunctionCall2(interval_lt, span, IntervalPGetDatum(&zero))))
        ereport(ERROR, (errcode(ERRCODE_INVALID_PARAMETER_VALUE),
                        errmsg("%s must not be negative", name)));
    // now() - span must stay a valid timestamp: longer spans are refused here
    Interval longest = {};
    longest.month = max_interval_years * MONTHS_PER_YEAR;
    if (DatumGetBool(DirectFunctionCall2(interval_gt, span, IntervalPGetDatum(&longest))))
        ereport(ERROR, (errcode(ERRCODE_INVALID_PARAMETER_VALUE),
                        errmsg("%s must be at most %d years", name, max_interval_years)));
    return span;
}

void check_payload(Datum payload, int position)
{
    Size size = toast_raw_datum_size(payload);
    if (size > static_cast<Size>(max_payload_bytes)) {
        if (position > 0)
            ereport(ERROR, (errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
                            errmsg("payload %d is %zu bytes, more than pgqrs.max_payload_bytes (%d)",
                                   position, size, max_payload_bytes)));
        ereport(ERROR, (errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
                        errmsg("payload is %zu bytes, more than pgqrs.max_payload_bytes (%d)",
                               size, max_payload_bytes)));
    }

    Jsonb *json = DatumGetJsonbP(payload);
    if (!JB_ROOT_IS_OBJECT(json) || JB_ROOT_IS_SCALAR(json)) {
        if (position > 0)
            ereport(ERROR, (errcode(ERRCODE_INVALID_PARAMETER_VALUE),
                            errmsg("payload %d must be a JSON object", position)));
        ereport(ERROR, (errcode(ERRCODE_INVALID_PARAMETER_VALUE),
                        errmsg("payload must be a JSON object")));
    }
}

int check_array(FunctionCallInfo fcinfo, int n, const char *name, bool nulls_allowed)
{
    if (PG_ARGISNULL(n))
        return -1;
    ArrayType *array = PG_GETARG_ARRAYTYPE_P(n);
    if (ARR_NDIM(array) > 1)
        ereport(ERROR, (errcode(ERRCODE_ARRAY_SUBSCRIPT_ERROR),
                        errmsg("%s must be a one-dimensional array", name)));
    int length = ArrayGetNItems(ARR_NDIM(array), ARR_DIMS(array));
    if (length > max_batch_size)
        ereport(ERROR, (errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
                        errmsg("%s has %d elements, more than the limit of %d", name, length,
                               max_batch_size)));
    if (!nulls_allowed && array_contains_nulls(array))
        ereport(ERROR, (errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
                        errmsg("%s must not contain NULL", name)));
    return length;
}

Datum seconds_from_now(int32 seconds)
{
    return TimestampTzGetDatum(GetCurrentTimestamp() +
                               static_cast<int64>(seconds) * USECS_PER_SEC);
}

}  // namespace pgqrs
