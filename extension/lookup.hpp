// Finding the queue or worker an argument names, with the error a user can act on.
#pragma once

#include "spi.hpp"

namespace pgqrs {

struct QueueRef {
    int64 id;
    int32 max_attempts;
};

// The queue of that name; error P0002 'queue "x" does not exist' when none.
QueueRef find_queue(Datum queue_name);

// Status of a worker: 'r' ready, 's' suspended, 't' stopped; error P0002 when unknown.
char worker_state(int64 worker_id);

// Raises 'worker N is stopped' when it is; used by calls a stopped worker may not make.
void require_not_stopped(int64 worker_id);

// A statement found nothing, yet the lookup that explains why found its
// object: another transaction changed it in between. Raises 40001 (retry).
pg_attribute_noreturn() void raise_changed_concurrently(const char *what);

// Runs st until it returns a row. When it returns none, explain(subject)
// raises the error that says why (unknown queue, unknown or stopped worker);
// when explain finds nothing wrong, a concurrent commit came between the two
// and st runs again, up to 3 times, then raise_changed_concurrently(what).
Rows exec_until_found(Statement &st, const Datum *args, const char *nulls,
                      void (*explain)(Datum subject), Datum subject, const char *what);

// explain functions for exec_until_found.
void explain_queue(Datum queue_name);
void explain_worker(Datum worker_id);
void explain_live_worker(Datum worker_id);

}  // namespace pgqrs
