// Waking waiting consumers (dequeue_wait) when messages become visible.
//
// With pgqrs in shared_preload_libraries, each backend has a slot in shared
// memory naming the (database, queue) it waits on and how many messages it
// takes at once. A transaction that made N messages of a queue visible sets,
// right after it commits, the latches of that queue's waiters until their batch
// sizes cover N, starting after the waiter woken last (so wake-ups go round the
// waiters); a woken waiter's slot is disarmed so the next wake-up goes to
// another. Without preloading there is no shared memory: waiters poll.
#pragma once

#include "spi.hpp"

namespace pgqrs {

// Wakes every waiter of the queue (a deleted queue, an unknown number of messages).
constexpr int wake_everyone = -1;

// From _PG_init: asks for shared memory when preloading, registers the hooks.
void wake_init();

// True when this server has the shared slots (pgqrs was preloaded).
bool wake_available();

// A prepared transaction of this database was committed or rolled back: every
// waiter of the database looks again (which queues it changed is not known here).
void wake_prepared_finished();

// This transaction made `count` messages of queue_id (of this database)
// visible, or wake_everyone: wake that many waiters once it commits.
void wake_after_commit(int64 queue_id, int count);

// The same for each row of rows whose column queue_column holds a queue id (NULL: none).
void wake_after_commit_rows(const Rows &rows, const char *queue_column = "queue_id");

// The messages this transaction leased from queue_id come back if it aborts:
// wake waiters for them then.
void wake_after_abort(int64 queue_id, int count);

// Wakes waiters of queue_id for `count` messages now (a wake-up passed on).
void wake_now(int64 queue_id, int count);

// This backend waits on queue_id, taking up to `want` messages at once; its
// latch is set when it is woken. Arming again while armed keeps the slot.
void wake_arm(int64 queue_id, int want);

// This backend no longer waits; returns true when it had been woken since it
// armed (a wake-up it has not used, if it does not claim again).
bool wake_disarm();

}  // namespace pgqrs
