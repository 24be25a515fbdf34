// grant_access and revoke_access: what each kind of role may call (EXECUTE on
// the functions, the first gate) and on which queues (rows of the grants
// table, checked inside the functions by access.cpp). Both run as their
// caller, who must be the owner of the extension.
#include "args.hpp"
#include "guard.hpp"
#include "spi.hpp"

extern "C" {
#include "utils/acl.h"
}

using namespace pgqrs;

static const char *const producer_functions[] = {"enqueue", "enqueue_batch", "enqueue_dedup",
                                                 "enqueue_batch_dedup", "publish", "set_priority",
                                                 nullptr};

static const char *const consumer_functions[] = {
    "dequeue", "dequeue_wait", "archive", "archive_batch", "delete", "delete_batch",
    "extend_visibility", "release", nullptr};

// Producers and consumers are workers.
static const char *const worker_functions[] = {
    "register_worker", "get_worker", "heartbeat", "suspend_worker", "resume_worker",
    "shutdown_worker", "worker_status", nullptr};

static const char *const monitor_functions[] = {
    "queue_metrics", "all_queues_metrics", "system_stats", "worker_stats", "worker_health",
    "list_workers", "get_worker", "worker_status", "verify", "claim_frontier_stats", nullptr};

static const char *const everyone_functions[] = {"get_queue", "list_queues", "list_topics", "version",
                                                 nullptr};

static const char *const access_kinds[] = {"producer", "consumer", "monitor", "admin", nullptr};

static Statement insert_grant = {
    "INSERT INTO @.grants (role_id, access, queue_id) "
    "SELECT $1::regrole, $2, (SELECT id FROM @.queues WHERE queue_name = $3) "
    "ON CONFLICT DO NOTHING",
    3, {OIDOID, TEXTOID, TEXTOID}};

static Statement delete_grants = {
    "DELETE FROM @.grants WHERE role_id::oid = $1 AND access = $2 "
    "  AND ($3::text IS NULL OR queue_id = (SELECT id FROM @.queues WHERE queue_name = $3))",
    3, {OIDOID, TEXTOID, TEXTOID}};

static Statement select_role_kinds = {
    "SELECT DISTINCT access FROM @.grants WHERE role_id::oid = $1", 1, {OIDOID}};

static Statement select_functions = {
    "SELECT string_agg(p.oid::regprocedure::text, ', ') AS functions FROM pg_proc p "
    "JOIN pg_depend d ON d.classid = 'pg_proc'::regclass AND d.objid = p.oid AND d.deptype = 'e' "
    "JOIN pg_extension e ON e.oid = d.refobjid AND e.extname = 'pgqrs' "
    "WHERE $1::text[] IS NULL OR p.proname = ANY ($1)",
    1, {TEXTARRAYOID}};

static Statement select_queue_exists = {
    "SELECT EXISTS (SELECT FROM @.queues WHERE queue_name = $1) AS found", 1, {TEXTOID}};

// The arguments both functions share, checked: the role (0 for PUBLIC), its
// name quoted for GRANT, and the access kind.
struct GrantArgs {
    Oid role;
    const char *role_sql;
    const char *access;
};

static GrantArgs grant_args(FunctionCallInfo fcinfo, bool allow_public)
{
    const char *name = NameStr(*DatumGetName(required(fcinfo, 0, "role_name")));
    const char *access = TextDatumGetCString(required(fcinfo, 1, "access"));
    bool known = false;
    for (const char *const *kind = access_kinds; *kind != nullptr; kind++)
        known = known || strcmp(access, *kind) == 0;
    if (!known)
        ereport(ERROR, (errcode(ERRCODE_INVALID_PARAMETER_VALUE),
                        errmsg("unknown access \"%s\"", access),
                        errhint("Use producer, consumer, monitor or admin.")));
    if (strcmp(name, "public") == 0) {  // PUBLIC; a role named "Public" is a role
        if (!allow_public)
            ereport(ERROR, (errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
                            errmsg("pgqrs access is not granted to PUBLIC without force => true"),
                            errdetail("Every role of the database, present and future, would get it.")));
        return {InvalidOid, "PUBLIC", access};
    }
    Oid role = get_role_oid(name, true);
    if (!OidIsValid(role))
        ereport(ERROR, (errcode(ERRCODE_UNDEFINED_OBJECT),
                        errmsg("role \"%s\" does not exist", name)));
    return {role, quote_identifier(name), access};
}

static void require_extension_owner(FunctionCallInfo fcinfo)
{
    if (!pg_proc_ownercheck(fcinfo->flinfo->fn_oid, GetUserId()))
        ereport(ERROR, (errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
                        errmsg("only the owner of the pgqrs extension may grant or revoke access")));
}

// Names as a text[] argument.
static Datum name_array(const char *const *names)
{
    int n = 0;
    while (names[n] != nullptr)
        n++;
    Datum *items = static_cast<Datum *>(palloc(sizeof(Datum) * (n + 1)));
    for (int i = 0; i < n; i++)
        items[i] = CStringGetTextDatum(names[i]);
    return PointerGetDatum(construct_array(items, n, TEXTOID, -1, false, TYPALIGN_INT));
}

// GRANTs (or REVOKEs) EXECUTE on the extension's own functions of those
// names (all of them when names is null), by signature: an overload someone
// else created beside one of them is neither touched nor an ambiguity.
static void execute_privilege(const char *verb, const char *role_sql, const char *const *names)
{
    Datum list = names == nullptr ? (Datum) 0 : name_array(names);
    Rows rows = exec(select_functions, &list, names == nullptr ? "n" : " ");
    bool none;
    Datum functions = value(rows, 0, "functions", TEXTOID, &none);
    if (!none)
        run_utility(psprintf("%s EXECUTE ON FUNCTION %s %s %s", verb, TextDatumGetCString(functions),
                             strcmp(verb, "GRANT") == 0 ? "TO" : "FROM", role_sql));
}

static void grant_functions(const char *role_sql, const char *const *names)
{
    execute_privilege("GRANT", role_sql, names);
}

// The extension's tables (only they: the schema may hold other tables).
static const char *tables_of(const char *schema)
{
    return psprintf("%s.queues, %s.workers, %s.messages, %s.archive, %s.grants, %s.topics, "
                    "%s.subscriptions, %s.schedules, %s.message_groups", schema, schema, schema, schema,
                    schema, schema, schema, schema, schema);
}

// GRANTs what one kind of access needs to role_sql.
static void grant_kind(const char *schema, const char *role_sql, const char *access)
{
    run_utility(psprintf("GRANT USAGE ON SCHEMA %s TO %s", schema, role_sql));
    if (strcmp(access, "admin") == 0) {
        grant_functions(role_sql, nullptr);
        run_utility(psprintf("GRANT SELECT ON %s TO %s", tables_of(schema), role_sql));
        return;
    }
    bool producer = strcmp(access, "producer") == 0, consumer = strcmp(access, "consumer") == 0;
    grant_functions(role_sql, everyone_functions);
    grant_functions(role_sql, producer ? producer_functions
                              : consumer ? consumer_functions : monitor_functions);
    if (producer || consumer)
        grant_functions(role_sql, worker_functions);
    if (strcmp(access, "monitor") == 0)
        run_utility(psprintf("GRANT SELECT ON %s.queues, %s.workers TO %s", schema, schema, role_sql));
}

static const char *schema_of(FunctionCallInfo fcinfo)
{
    return quote_identifier(get_namespace_name(get_func_namespace(fcinfo->flinfo->fn_oid)));
}

PGQRS_FUNCTION(grant_access)
{
    bool per_queue = !PG_ARGISNULL(2);
    Datum queue = per_queue ? queue_name(fcinfo, 2) : (Datum) 0;
    GrantArgs a = grant_args(fcinfo, DatumGetBool(required(fcinfo, 3, "force")));
    if (per_queue && strcmp(a.access, "admin") == 0)
        ereport(ERROR, (errcode(ERRCODE_INVALID_PARAMETER_VALUE),
                        errmsg("admin access is for every queue"),
                        errhint("Grant producer, consumer or monitor access to one queue.")));
    require_extension_owner(fcinfo);

    CallScope call = begin_call(fcinfo);
    if (per_queue && !DatumGetBool(value(exec(select_queue_exists, &queue, " "), 0, "found", BOOLOID)))
        ereport(ERROR, (errcode(ERRCODE_NO_DATA_FOUND),
                        errmsg("queue \"%s\" does not exist", TextDatumGetCString(queue))));
    Datum args[3] = {ObjectIdGetDatum(a.role), CStringGetTextDatum(a.access), queue};
    exec(insert_grant, args, per_queue ? "   " : "  n");
    grant_kind(schema_of(fcinfo), a.role_sql, a.access);
    end_call(call);
    PG_RETURN_VOID();
}

PGQRS_FUNCTION(revoke_access)
{
    bool per_queue = !PG_ARGISNULL(2);
    Datum queue = per_queue ? queue_name(fcinfo, 2) : (Datum) 0;
    GrantArgs a = grant_args(fcinfo, true);
    require_extension_owner(fcinfo);

    CallScope call = begin_call(fcinfo);
    const char *schema = schema_of(fcinfo);
    if (per_queue && !DatumGetBool(value(exec(select_queue_exists, &queue, " "), 0, "found", BOOLOID)))
        ereport(ERROR, (errcode(ERRCODE_NO_DATA_FOUND),
                        errmsg("queue \"%s\" does not exist", TextDatumGetCString(queue))));
    Datum args[3] = {ObjectIdGetDatum(a.role), CStringGetTextDatum(a.access), queue};
    uint64 revoked = exec(delete_grants, args, per_queue ? "   " : "  n").count;

    // The privileges are those of the kinds the role still holds.
    execute_privilege("REVOKE", a.role_sql, nullptr);
    run_utility(psprintf("REVOKE SELECT ON %s FROM %s", tables_of(schema), a.role_sql));
    Datum role = ObjectIdGetDatum(a.role);
    Rows kinds = exec(select_role_kinds, &role, " ");
    if (kinds.count == 0)
        run_utility(psprintf("REVOKE USAGE ON SCHEMA %s FROM %s", schema, a.role_sql));
    const char **remaining = static_cast<const char **>(palloc(sizeof(char *) * (kinds.count + 1)));
    for (uint64 i = 0; i < kinds.count; i++)
        remaining[i] = TextDatumGetCString(value(kinds, i, "access", TEXTOID));
    for (uint64 i = 0; i < kinds.count; i++)
        grant_kind(schema, a.role_sql, remaining[i]);
    end_call(call);
    PG_RETURN_INT64(static_cast<int64>(revoked));
}
