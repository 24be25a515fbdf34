// Checking the arguments of the SQL functions: every bad input is a clear
// error raised before anything changes. Limits are documented in docs/sql-api.md.
#pragma once

#include "pg.hpp"

namespace pgqrs {

constexpr int max_queue_name_length = 128;
constexpr int max_batch_size = 10000;
constexpr int max_delay_seconds = 365 * 24 * 3600;
constexpr int max_lock_seconds = 24 * 3600;
constexpr int max_interval_years = 1000;
constexpr int max_priority = 9;  // priorities run from 0 to this, higher delivered first

// pgqrs.max_payload_bytes: the largest payload accepted (GUC, default 1 MiB).
extern int max_payload_bytes;

// pgqrs.max_wait_seconds: the longest a dequeue_wait call that keeps its
// statement's xmin sleeps (GUC, default 60).
extern int max_wait_seconds_setting;

// Argument n, which must not be NULL ("<name> must not be null" otherwise).
Datum required(FunctionCallInfo fcinfo, int n, const char *name);

// Integer argument n, not NULL and within [min, max].
int32 required_int(FunctionCallInfo fcinfo, int n, const char *name, int32 min, int32 max);

// chars (length bytes) for an error message: control characters and
// backslashes written \xNN, so a message stays one clean line. Quote at most
// a character-aligned prefix (pg_mbcliplen) of what the user gave.
const char *printable(const char *chars, int length);

// Argument n as a valid queue name: letters, digits, '_', '-', '.', 1 to 128 long.
Datum queue_name(FunctionCallInfo fcinfo, int n);

// Argument n as a valid topic name (the rules of queue names).
Datum topic_name(FunctionCallInfo fcinfo, int n);

constexpr int max_dedup_key_bytes = 512;

// Argument n as a dedup key (NULL allowed when nullable): 1 to 512 bytes.
Datum dedup_key_arg(FunctionCallInfo fcinfo, int n, bool nullable);

// Raises an error unless key (element `position` of dedup_keys, 0 for the
// single argument) is 1 to max_dedup_key_bytes long.
void check_dedup_key(Datum key, int position);

// Argument n as an interval from 0 to max_interval_years (NULL allowed when nullable).
Datum interval_arg(FunctionCallInfo fcinfo, int n, const char *name, bool nullable);

// Raises an error unless payload is a JSON object within the size limit;
// position is 0 for a single payload, the 1-based array index in a batch.
void check_payload(Datum payload, int position);

// Raises an error unless the optional array argument n (when given) is
// one-dimensional with at most max_batch_size elements, and, unless
// nulls_allowed, without NULL elements; returns its length, -1 if NULL.
int check_array(FunctionCallInfo fcinfo, int n, const char *name, bool nulls_allowed = false);

// The time `seconds` from now (clock time, not the transaction's start).
Datum seconds_from_now(int32 seconds);

}  // namespace pgqrs
