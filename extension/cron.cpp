#include "cron.hpp"

extern "C" {
#include "utils/datetime.h"
}

namespace pgqrs {

namespace {

struct Field {
    const char *name;
    int low, high;
    const char *const *names;  // names of low, low+1, ... (or null)
};

const char *const month_names[] = {"jan", "feb", "mar", "apr", "may", "jun", "jul",
                                   "aug", "sep", "oct", "nov", "dec", nullptr};
const char *const day_names[] = {"sun", "mon", "tue", "wed", "thu", "fri", "sat", nullptr};

// Day of week allows 7 for Sunday too (folded into 0 after parsing).
const Field fields[5] = {{"minute", 0, 59, nullptr},
                         {"hour", 0, 23, nullptr},
                         {"day of month", 1, 31, nullptr},
                         {"month", 1, 12, month_names},
                         {"day of week", 0, 7, day_names}};

struct Shortcut {
    const char *name;
    const char *fields;
};

const Shortcut shortcuts[] = {{"@yearly", "0 0 1 1 *"},  {"@annually", "0 0 1 1 *"},
                              {"@monthly", "0 0 1 * *"}, {"@weekly", "0 0 * * 0"},
                              {"@daily", "0 0 * * *"},   {"@midnight", "0 0 * * *"},
                              {"@hourly", "0 * * * *"},  {nullptr, nullptr}};

pg_attribute_noreturn() void invalid(const char *expression, const char *detail)
{
    ereport(ERROR, (errcode(ERRCODE_INVALID_PARAMETER_VALUE),
                    errmsg("invalid cron expression \"%s\"", expression), errdetail("%s", detail),
                    errhint("Use five fields (minute hour day-of-month month day-of-week) "
                            "or @yearly, @monthly, @weekly, @daily or @hourly.")));
}

bool is_blank(char c)
{
    return c == ' ' || c == '\t';
}

// One value at *p: a number, or a name of the field; advances *p.
int parse_value(const char *expression, const Field &f, const char **p)
{
    const char *s = *p;
    if (*s >= '0' && *s <= '9') {
        int v = 0;
        while (*s >= '0' && *s <= '9') {
            v = v * 10 + (*s - '0');
            if (v > 1000)
                invalid(expression, psprintf("%s field: number too large", f.name));
            s++;
        }
        if (v < f.low || v > f.high)
            invalid(expression, psprintf("%s field: %d is out of range %d-%d", f.name, v, f.low, f.high));
        *p = s;
        return v;
    }
    if (f.names != nullptr) {
        for (int i = 0; f.names[i] != nullptr; i++)
            if (pg_strncasecmp(s, f.names[i], 3) == 0) {
                *p = s + 3;
                return f.low + i;
            }
    }
    invalid(expression, psprintf("%s field: expected %s at \"%s\"", f.name,
                                 f.names != nullptr ? "a number or a name" : "a number", s));
}

// One field (text up to blank or end) into bits; returns the end of the field.
const char *parse_field(const char *expression, const Field &f, const char *p, uint64 *bits,
                        bool *star)
{
    *bits = 0;
    *star = *p == '*';
    for (;;) {
        int first, last, step = 1;
        if (*p == '*') {
            first = f.low;
            last = f.high;
            p++;
        } else {
            first = parse_value(expression, f, &p);
            last = first;
            if (*p == '-') {
                p++;
                last = parse_value(expression, f, &p);
                if (f.high == 7 && last == 0 && first > 0)
                    last = 7;  // "sat-sun": Sunday ends a range as 7
                if (last < first)
                    invalid(expression, psprintf("%s field: range %d-%d runs backwards", f.name,
                                                 first, last));
            } else if (*p == '/') {
                last = f.high;  // "5/15": from 5 to the end, every 15
            }
        }
        if (*p == '/') {
            p++;
            if (!(*p >= '0' && *p <= '9'))
                invalid(expression, psprintf("%s field: a step must be a number", f.name));
            step = 0;
            while (*p >= '0' && *p <= '9' && step <= f.high)
                step = step * 10 + (*p++ - '0');
            if (step < 1 || step > f.high - f.low + 1 || (*p >= '0' && *p <= '9'))
                invalid(expression, psprintf("%s field: step must be 1 to %d", f.name,
                                             f.high - f.low + 1));
        }
        for (int v = first; v <= last; v += step)
            *bits |= UINT64CONST(1) << v;
        if (*p == ',') {
            p++;
            continue;
        }
        if (*p == '\0' || is_blank(*p))
            return p;
        invalid(expression, psprintf("%s field: unexpected \"%c\"", f.name, *p));
    }
}

int days_in_month(int year, int month)
{
    return day_tab[isleap(year)][month - 1];
}

bool has(uint64 bits, int v)
{
    return (bits >> v) & 1;
}

// A wall-clock minute of the schedule's zone.
struct Wall {
    int year, month, day, hour, minute;
};

bool day_matches(const CronSpec &spec, const Wall &w)
{
    bool dom = has(spec.days, w.day);
    bool dow = has(spec.weekdays, j2day(date2j(w.year, w.month, w.day)));
    return spec.days_star || spec.weekdays_star ? dom && dow : dom || dow;
}

// The first wall-clock minute after w that spec names, in *w; false when
// there is none before year `limit`.
bool next_wall(const CronSpec &spec, Wall *w, int limit)
{
    w->minute++;
    for (;;) {
        if (w->minute > 59) {
            w->minute = 0;
            w->hour++;
        }
        if (w->hour > 23) {
            w->hour = 0;
            w->day++;
        }
        if (w->day > days_in_month(w->year, w->month)) {
            w->day = 1;
            w->month++;
        }
        if (w->month > 12) {
            w->month = 1;
            w->year++;
        }
        if (w->year >= limit)
            return false;
        if (!has(spec.months, w->month)) {
            w->month++;
            w->day = 1;
            w->hour = 0;
            w->minute = 0;
        } else if (!day_matches(spec, *w)) {
            w->day++;
            w->hour = 0;
            w->minute = 0;
        } else if (!has(spec.hours, w->hour)) {
            w->hour++;
            w->minute = 0;
        } else if (!has(spec.minutes, w->minute)) {
            w->minute++;
        } else {
            return true;
        }
    }
}

}  // namespace

CronSpec parse_cron(const char *expression)
{
    const char *text = expression;
    while (is_blank(*text))
        text++;
    if (*text == '@') {
        size_t length = strcspn(text, " \t");
        const char *rest = text + length;
        while (is_blank(*rest))
            rest++;
        for (const Shortcut *s = shortcuts; s->name != nullptr; s++)
            if (strlen(s->name) == length && pg_strncasecmp(text, s->name, length) == 0 && *rest == '\0')
                return parse_cron(s->fields);
        invalid(expression, "unknown shortcut (or text after it)");
    }

    CronSpec spec = {};
    uint64 bits[5];
    bool stars[5];
    for (int i = 0; i < 5; i++) {
        while (is_blank(*text))
            text++;
        if (*text == '\0')
            invalid(expression, psprintf("%d fields given, 5 expected", i));
        text = parse_field(expression, fields[i], text, &bits[i], &stars[i]);
    }
    while (is_blank(*text))
        text++;
    if (*text != '\0')
        invalid(expression, "more than 5 fields given");

    spec.minutes = bits[0];
    spec.hours = static_cast<uint32>(bits[1]);
    spec.days = static_cast<uint32>(bits[2]);
    spec.months = static_cast<uint32>(bits[3]);
    spec.weekdays = static_cast<uint32>((bits[4] | (bits[4] >> 7)) & 0x7f);  // 7 is Sunday
    spec.days_star = stars[2];
    spec.weekdays_star = stars[4];
    return spec;
}

pg_tz *find_time_zone(const char *name)
{
    pg_tz *tz = pg_tzset(name);
    if (tz == nullptr || !pg_tz_acceptable(tz))
        ereport(ERROR, (errcode(ERRCODE_INVALID_PARAMETER_VALUE),
                        errmsg("unknown time zone \"%s\"", name),
                        errhint("Use a name of pg_timezone_names, such as 'UTC' or 'Europe/Paris'.")));
    return tz;
}

bool next_cron_time(const CronSpec &spec, pg_tz *tz, TimestampTz after, TimestampTz *next)
{
    struct pg_tm tm;
    fsec_t fsec;
    int offset;
    if (TIMESTAMP_NOT_FINITE(after) || timestamp2tm(after, &offset, &tm, &fsec, nullptr, tz) != 0)
        return false;
    Wall w = {tm.tm_year, tm.tm_mon, tm.tm_mday, tm.tm_hour, tm.tm_min};
    int limit = w.year + 10;
    // A wall time may map to an instant not after `after` (a DST change
    // moved the clock back, or a skipped time maps forward): take the next.
    while (next_wall(spec, &w, limit)) {
        struct pg_tm local = {};
        local.tm_year = w.year;
        local.tm_mon = w.month;
        local.tm_mday = w.day;
        local.tm_hour = w.hour;
        local.tm_min = w.minute;
        int zone = DetermineTimeZoneOffset(&local, tz);
        TimestampTz t;
        if (tm2timestamp(&local, 0, &zone, &t) != 0 || !IS_VALID_TIMESTAMP(t))
            return false;
        if (t > after) {
            *next = t;
            return true;
        }
    }
    return false;
}

}  // namespace pgqrs
