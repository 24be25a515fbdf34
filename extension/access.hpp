// Who may do what, checked inside the functions (EXECUTE on a function is the
// first gate, given by grant_access; these checks are the second): queue-level
// grants, and worker rows that only the role that registered them may drive.
//
// The caller is the role that called the function, the one PostgreSQL checked
// EXECUTE against (spi.hpp, begin_call), not the owner the function runs as.
// Superusers and members of the extension owner's role pass every check
// without a lookup; other roles are looked up in the grants table (one
// indexed query per call).
#pragma once

#include "spi.hpp"

namespace pgqrs {

enum class Access { producer, consumer, monitor, admin, any };

// The role calling the pgqrs function.
Oid caller_role();

// True when the caller is a superuser, a member of the extension owner's role,
// or holds an admin grant.
bool caller_is_admin(FunctionCallInfo fcinfo);

// Raises 42501 unless the caller may act as `access` on the queue of that
// name. An unknown queue passes only an every-queue grant (P0002 follows
// later); a role granted some queues learns nothing of the others.
void require_queue_access(FunctionCallInfo fcinfo, Access access, Datum queue_name);

// Raises 42501 unless the caller may act as `access` on every queue.
void require_all_queues(FunctionCallInfo fcinfo, Access access);

// Raises 42501 unless the caller is an admin (see caller_is_admin).
void require_admin(FunctionCallInfo fcinfo);

// The queues the caller may act on as `access`, as a bigint[] for a statement
// parameter: *all is set (and the Datum unused) when every queue is allowed.
// Raises 42501 when the caller has no such grant at all.
Datum allowed_queues(FunctionCallInfo fcinfo, Access access, bool *all);

// Raises 42501 unless the caller may drive worker_id: it registered it, or is
// an admin. An unknown worker raises P0002, except for the owner's roles,
// which are not looked up (the caller's own statement then finds no worker).
void require_worker_owner(FunctionCallInfo fcinfo, int64 worker_id);

}  // namespace pgqrs
