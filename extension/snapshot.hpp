// Letting a sleeping dequeue_wait hold back no vacuum: its statement's
// snapshot stays registered for the whole call, and the backend's xmin with it.
// When nothing but this call can ever read with that snapshot, the xmin is
// dropped while the call sleeps; each look at the queue takes a fresh snapshot.
#pragma once

#include "pg.hpp"

namespace pgqrs {

// True when the statement running this call can read nothing with its snapshot
// but this call's own result: READ COMMITTED, the client's unnamed portal
// whose one statement is `SELECT <columns> FROM <this function>(<constants or
// parameters>)` with no other clause, and no other open portal (a cursor) in
// the transaction.
bool snapshot_only_ours(FunctionCallInfo fcinfo);

// Drops this backend's xmin until its next snapshot (only when snapshot_only_ours).
void drop_xmin();

}  // namespace pgqrs
