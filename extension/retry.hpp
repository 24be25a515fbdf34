// The retry policy of a queue, as SQL: how long a message whose attempt failed
// waits before its next one. Used by the claim (a lease that expired) and by
// release (a consumer gives the message back). Limits: docs/sql-api.md.
#pragma once

// The delay in seconds (double precision) after attempt m.read_ct of message
// m failed, with q a row of queues: fixed, the base delay; exponential, the
// base doubled per attempt after the first (at most 64 doublings), capped;
// 'none' gives 0. Jitter shortens it by up to that fraction, by a hash of the
// message and the attempt: the same message and attempt always get the same
// delay (so the expression may be repeated in one statement), different
// messages failing together spread out.
#define RETRY_DELAY_SECONDS(q, m)                                                             \
    "((CASE " q ".retry_backoff WHEN 'exponential' THEN LEAST(" q ".retry_max_delay_seconds, " \
    q ".retry_delay_seconds * power(2::float8, LEAST(GREATEST(" m ".read_ct - 1, 0), 64))) "  \
    "ELSE " q ".retry_delay_seconds END) * (1 - " q ".retry_jitter * "                        \
    "((hashint8extended(" m ".id, " m ".read_ct) & 4294967295)::float8 / 4294967296)))"

// The same as an interval.
#define RETRY_DELAY(q, m) "(" RETRY_DELAY_SECONDS(q, m) " * interval '1 second')"

// When a claimed message whose lease ended unfinished without being given
// back (it expired, or its worker was stopped or reclaimed: leased once,
// retry_at never set) may be attempted again: the end of that lease (its vt)
// plus the policy delay. NULL for any other message, which the claim delivers
// as it comes (or dead-letters when it has no attempt left).
#define RETRY_UNTIL(q, m)                                                                     \
    "(CASE WHEN " q ".retry_backoff <> 'none' AND " m ".dequeued_at IS NOT NULL AND " m       \
    ".retry_at IS NULL AND " m ".read_ct < " q ".max_attempts THEN " m ".vt + " RETRY_DELAY(q, m) \
    " END)"

namespace pgqrs {

// The longest error text kept with a message (bytes; longer ones are cut at a
// character boundary).
constexpr int max_error_bytes = 4096;

}  // namespace pgqrs
