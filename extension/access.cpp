#include "access.hpp"

#include "lookup.hpp"

extern "C" {
#include "utils/acl.h"
}

namespace pgqrs {

// The grant rows of kinds $2 (text[]) that apply to role $1 (directly, through
// membership, or to PUBLIC, role_id 0); a dropped role's rows match nobody.
#define GRANTS_OF_CALLER                                                              \
    "FROM @.grants g WHERE g.access = ANY ($2) AND CASE WHEN g.role_id::oid = 0 THEN true " \
    "  WHEN NOT EXISTS (SELECT FROM pg_roles r WHERE r.oid = g.role_id::oid) THEN false "  \
    "  ELSE pg_has_role($1, g.role_id::oid, 'USAGE') END"

static Statement select_queue_grants = {
    "SELECT count(*) FILTER (WHERE g.queue_id IS NULL OR g.queue_id = q.id) AS allowed "
    "FROM (SELECT (SELECT id FROM @.queues WHERE queue_name = $3) AS id) q, LATERAL (SELECT g.queue_id "
    GRANTS_OF_CALLER ") g",
    3, {OIDOID, TEXTARRAYOID, TEXTOID}};

static Statement select_allowed_queues = {
    "SELECT count(*) AS grants, coalesce(bool_or(g.queue_id IS NULL), false) AS every_queue, "
    "  coalesce(array_agg(g.queue_id) FILTER (WHERE g.queue_id IS NOT NULL), '{}') AS queues "
    GRANTS_OF_CALLER,
    2, {OIDOID, TEXTARRAYOID}};

static Statement select_worker_role = {
    "SELECT registered_by::oid AS role_id FROM @.workers WHERE id = $1", 1, {INT8OID}};

static const char *access_name(Access access)
{
    switch (access) {
    case Access::producer: return "producer";
    case Access::consumer: return "consumer";
    case Access::monitor: return "monitor";
    case Access::admin: return "admin";
    case Access::any: return "any";
    }
    return "any";
}

// The grant kinds that give `access`: itself and admin (any: every kind).
static Datum kinds_giving(Access access)
{
    Datum kinds[4];
    int n = 0;
    if (access == Access::any) {
        static const Access every_kind[] = {Access::producer, Access::consumer, Access::monitor,
                                            Access::admin};
        for (Access a : every_kind)
            kinds[n++] = CStringGetTextDatum(access_name(a));
    } else {
        kinds[n++] = CStringGetTextDatum(access_name(access));
        if (access != Access::admin)
            kinds[n++] = CStringGetTextDatum("admin");
    }
    return PointerGetDatum(construct_array(kinds, n, TEXTOID, -1, false, TYPALIGN_INT));
}

Oid caller_role()
{
    return caller();
}

// Superusers and the owner's role pass every check without a lookup.
static bool caller_is_owner(FunctionCallInfo)
{
    return caller_has_owner_privileges();
}

static pg_attribute_noreturn() void raise_denied(Access access, Datum queue_name)
{
    const char *role = GetUserNameFromId(caller_role(), true);
    const char *kind = access == Access::any ? "" : psprintf("%s ", access_name(access));
    if (queue_name != (Datum) 0)
        ereport(ERROR, (errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
                        errmsg("permission denied: role \"%s\" has no %saccess to queue \"%s\"",
                               role ? role : "?", kind, TextDatumGetCString(queue_name))));
    ereport(ERROR, (errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
                    errmsg("permission denied: role \"%s\" has no %saccess to every queue",
                           role ? role : "?", kind),
                    errhint("The owner of the extension grants it: pgqrs.grant_access(role, access).")));
}

bool caller_is_admin(FunctionCallInfo fcinfo)
{
    if (caller_is_owner(fcinfo))
        return true;
    Datum args[2] = {ObjectIdGetDatum(caller_role()), kinds_giving(Access::admin)};
    Rows rows = exec(select_allowed_queues, args, "  ");
    return DatumGetBool(value(rows, 0, "every_queue", BOOLOID));
}

void require_queue_access(FunctionCallInfo fcinfo, Access access, Datum queue_name)
{
    if (caller_is_owner(fcinfo))
        return;
    Datum args[3] = {ObjectIdGetDatum(caller_role()), kinds_giving(access), queue_name};
    Rows rows = exec(select_queue_grants, args, "   ");
    if (DatumGetInt64(value(rows, 0, "allowed", INT8OID)) == 0)
        raise_denied(access, queue_name);
}

Datum allowed_queues(FunctionCallInfo fcinfo, Access access, bool *all)
{
    *all = true;
    if (caller_is_owner(fcinfo))
        return (Datum) 0;
    Datum args[2] = {ObjectIdGetDatum(caller_role()), kinds_giving(access)};
    Rows rows = exec(select_allowed_queues, args, "  ");
    if (DatumGetInt64(value(rows, 0, "grants", INT8OID)) == 0)
        raise_denied(access, (Datum) 0);
    *all = DatumGetBool(value(rows, 0, "every_queue", BOOLOID));
    return value(rows, 0, "queues", INT8ARRAYOID);
}

void require_all_queues(FunctionCallInfo fcinfo, Access access)
{
    bool all;
    allowed_queues(fcinfo, access, &all);
    if (!all)
        raise_denied(access, (Datum) 0);
}

void require_admin(FunctionCallInfo fcinfo)
{
    if (!caller_is_admin(fcinfo))
        raise_denied(Access::admin, (Datum) 0);
}

void require_worker_owner(FunctionCallInfo fcinfo, int64 worker_id)
{
    if (caller_is_owner(fcinfo))
        return;
    Datum id = Int64GetDatum(worker_id);
    Rows rows = exec(select_worker_role, &id, " ");
    if (rows.count == 0)
        ereport(ERROR, (errcode(ERRCODE_NO_DATA_FOUND),
                        errmsg("worker %lld does not exist", static_cast<long long>(worker_id))));
    bool unknown;
    Oid role = DatumGetObjectId(value(rows, 0, "role_id", OIDOID, &unknown));
    // rows registered before roles were recorded belong to no one in particular
    if (unknown || has_privs_of_role(caller_role(), role) || caller_is_admin(fcinfo))
        return;
    ereport(ERROR, (errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
                    errmsg("permission denied: worker %lld was registered by another role",
                           static_cast<long long>(worker_id)),
                    errhint("Only that role or an admin may use or change it.")));
}

}  // namespace pgqrs
