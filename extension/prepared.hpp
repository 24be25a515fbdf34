// COMMIT PREPARED and ROLLBACK PREPARED: the session that finishes a prepared
// transaction does not know which queues it changed.
#pragma once

namespace pgqrs {

// From _PG_init when preloading: after a prepared transaction is finished,
// the claim frontiers of the database restart, then its waiters look again
// (in that order, so that a woken waiter claims from the start).
void prepared_init();

}  // namespace pgqrs
