// Finding the queue or worker an argument names, with the error a user can act on.
#pragma once

#include "pg.hpp"

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

}  // namespace pgqrs
