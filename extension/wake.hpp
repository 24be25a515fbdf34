// Waking waiting consumers (dequeue_wait) when messages are committed.
//
// With pgqrs in shared_preload_libraries, each backend has a slot in shared
// memory naming the queue it waits on; a transaction that enqueued N messages
// to a queue sets the latch of up to N of its waiters right after it commits,
// and a woken waiter's slot is cleared so the next message wakes another one.
// Without preloading there is no shared memory: waiters poll (wait.cpp).
#pragma once

#include "pg.hpp"

namespace pgqrs {

// From _PG_init: asks for shared memory when preloading, registers the commit hook.
void wake_init();

// True when this server has the shared slots (pgqrs was preloaded).
bool wake_available();

// This transaction enqueued `count` messages to queue_id: wake that many
// waiters of the queue once it commits.
void wake_after_commit(int64 queue_id, int count);

// This backend waits on queue_id from now on (call again after each wake-up).
void wake_register(int64 queue_id);

// This backend no longer waits.
void wake_unregister();

}  // namespace pgqrs
