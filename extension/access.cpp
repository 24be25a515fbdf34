// grant_access: what each kind of role may call. The functions are SECURITY
// DEFINER, so EXECUTE on a function is the whole permission to use it.
#include "guard.hpp"
#include "spi.hpp"

extern "C" {
#include "utils/acl.h"
}

using namespace pgqrs;

static const char *const producer_functions[] = {"enqueue", "enqueue_batch", nullptr};

static const char *const consumer_functions[] = {
    "dequeue", "dequeue_wait", "archive", "archive_batch", "delete", "delete_batch",
    "extend_visibility", "release", nullptr};

// Producers and consumers are workers.
static const char *const worker_functions[] = {
    "register_worker", "get_worker", "heartbeat", "suspend_worker", "resume_worker",
    "shutdown_worker", "worker_status", nullptr};

static const char *const monitor_functions[] = {
    "queue_metrics", "all_queues_metrics", "system_stats", "worker_stats", "worker_health",
    "list_workers", "get_worker", "worker_status", "verify", nullptr};

static const char *const everyone_functions[] = {"get_queue", "list_queues", "version", nullptr};

static void grant_functions(StringInfo sql, const char *schema, const char *const *names)
{
    for (; *names != nullptr; names++)
        appendStringInfo(sql, "%s%s.%s", sql->data[sql->len - 1] == ' ' ? "" : ", ", schema,
                         quote_identifier(*names));
}

static void run_utility(const char *sql)
{
    if (SPI_execute(sql, false, 0) < 0)
        elog(ERROR, "pgqrs: could not run \"%s\"", sql);
}

PGQRS_FUNCTION(grant_access)
{
    const char *role = quote_identifier(NameStr(*PG_GETARG_NAME(0)));
    const char *access = text_to_cstring(PG_GETARG_TEXT_PP(1));
    Oid schema_oid = get_func_namespace(fcinfo->flinfo->fn_oid);
    const char *schema = quote_identifier(get_namespace_name(schema_oid));

    bool producer = strcmp(access, "producer") == 0, consumer = strcmp(access, "consumer") == 0;
    bool monitor = strcmp(access, "monitor") == 0, admin = strcmp(access, "admin") == 0;
    if (!producer && !consumer && !monitor && !admin)
        ereport(ERROR, (errcode(ERRCODE_INVALID_PARAMETER_VALUE),
                        errmsg("unknown access \"%s\"", access),
                        errhint("Use producer, consumer, monitor or admin.")));
    if (!pg_proc_ownercheck(fcinfo->flinfo->fn_oid, GetUserId()))
        ereport(ERROR, (errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
                        errmsg("only the owner of the pgqrs extension may grant access")));

    begin_call(fcinfo);
    run_utility(psprintf("GRANT USAGE ON SCHEMA %s TO %s", schema, role));
    if (admin) {
        run_utility(psprintf("GRANT EXECUTE ON ALL FUNCTIONS IN SCHEMA %s TO %s", schema, role));
        run_utility(psprintf("GRANT SELECT ON ALL TABLES IN SCHEMA %s TO %s", schema, role));
    } else {
        StringInfoData sql;
        initStringInfo(&sql);
        appendStringInfoString(&sql, "GRANT EXECUTE ON FUNCTION ");
        grant_functions(&sql, schema, everyone_functions);
        grant_functions(&sql, schema, producer ? producer_functions
                                      : consumer ? consumer_functions : monitor_functions);
        if (producer || consumer)
            grant_functions(&sql, schema, worker_functions);
        appendStringInfo(&sql, " TO %s", role);
        run_utility(sql.data);
        if (monitor)
            run_utility(psprintf("GRANT SELECT ON %s.queues, %s.workers TO %s", schema, schema, role));
    }
    end_call();
    PG_RETURN_VOID();
}
