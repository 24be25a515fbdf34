// Cron expressions: parsing the five fields (or a shortcut) and finding the
// times they name in a time zone. Plain data only: every error is an ereport.
#pragma once

#include "pg.hpp"

extern "C" {
#include "pgtime.h"
}

namespace pgqrs {

// The values each field allows, as bits; a *_star flag is set when the field
// starts with '*' (Vixie cron: then day-of-month and day-of-week must both
// match, otherwise either one).
struct CronSpec {
    uint64 minutes;   // bits 0-59
    uint32 hours;     // bits 0-23
    uint32 days;      // bits 1-31
    uint32 months;    // bits 1-12
    uint32 weekdays;  // bits 0-6, Sunday 0
    bool days_star;
    bool weekdays_star;
};

// Parses expression; an invalid one raises 22023 naming the field and why.
CronSpec parse_cron(const char *expression);

// The time zone of that name (as SET TIME ZONE takes it); 22023 when unknown.
pg_tz *find_time_zone(const char *name);

// The first time after `after` that spec names in zone tz, in *next; false
// when there is none within the next ten years (or the timestamp range).
// Wall-clock times that do not exist (a DST gap) are taken as PostgreSQL
// takes them (the offset before the change); a wall-clock time that occurs
// twice counts once.
bool next_cron_time(const CronSpec &spec, pg_tz *tz, TimestampTz after, TimestampTz *next);

}  // namespace pgqrs
