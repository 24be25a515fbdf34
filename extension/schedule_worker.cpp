#include "schedule_worker.hpp"

#include "pg.hpp"

extern "C" {
#include "access/heapam.h"
#include "access/table.h"
#include "access/tableam.h"
#include "access/xact.h"
#include "catalog/dependency.h"
#include "catalog/pg_database.h"
#include "catalog/pg_proc.h"
#include "commands/extension.h"
#include "pgstat.h"
#include "postmaster/bgworker.h"
#include "postmaster/interrupt.h"
#include "storage/ipc.h"
#include "storage/latch.h"
#include "tcop/tcopprot.h"
#include "utils/memutils.h"
#include "utils/snapmgr.h"
#include "utils/catcache.h"
#include "utils/syscache.h"

PGDLLEXPORT void pgqrs_schedule_launcher(Datum arg);
PGDLLEXPORT void pgqrs_schedule_runner(Datum arg);
}

namespace pgqrs {

// pgqrs.schedule_interval (ms; 0: the launcher runs nothing) and
// pgqrs.run_schedules (off in a database: its runner does nothing there).
static int schedule_interval_ms = 60000;
static bool run_schedules = true;

// Calls of run_due_schedules one runner makes at most (while they enqueue).
constexpr int max_runner_passes = 100;

static const char *library_name = "pgqrs-" PGQRS_VERSION;

void schedule_init()
{
    DefineCustomIntVariable("pgqrs.schedule_interval",
                            "How often the schedule launcher runs the schedules of every database.",
                            "It also runs them at each whole minute. 0 stops it.",
                            &schedule_interval_ms, 60000, 0, 3600 * 1000, PGC_SIGHUP, GUC_UNIT_MS,
                            nullptr, nullptr, nullptr);
    DefineCustomBoolVariable("pgqrs.run_schedules",
                             "Whether the background worker runs the schedules of a database.",
                             "Set per database (ALTER DATABASE ... SET); off leaves them to "
                             "clients calling run_due_schedules().",
                             &run_schedules, true, PGC_SUSET, 0, nullptr, nullptr, nullptr);
    if (!process_shared_preload_libraries_in_progress)
        return;
    BackgroundWorker worker = {};
    strlcpy(worker.bgw_name, "pgqrs schedule launcher", BGW_MAXLEN);
    strlcpy(worker.bgw_type, "pgqrs schedule launcher", BGW_MAXLEN);
    worker.bgw_flags = BGWORKER_SHMEM_ACCESS | BGWORKER_BACKEND_DATABASE_CONNECTION;
    worker.bgw_start_time = BgWorkerStart_RecoveryFinished;
    worker.bgw_restart_time = 10;
    strlcpy(worker.bgw_library_name, library_name, BGW_MAXLEN);
    strlcpy(worker.bgw_function_name, "pgqrs_schedule_launcher", BGW_MAXLEN);
    RegisterBackgroundWorker(&worker);
}

// The databases a runner may connect to (not templates: a connection to one
// would make CREATE DATABASE from it fail), in TopMemoryContext.
static List *list_databases()
{
    List *databases = NIL;
    StartTransactionCommand();
    (void) GetTransactionSnapshot();
    Relation rel = table_open(DatabaseRelationId, AccessShareLock);
    TableScanDesc scan = table_beginscan_catalog(rel, 0, nullptr);
    HeapTuple tuple;
    while ((tuple = heap_getnext(scan, ForwardScanDirection)) != nullptr) {
        auto *db = reinterpret_cast<Form_pg_database>(GETSTRUCT(tuple));
        if (!db->datallowconn || db->datistemplate || database_is_invalid_form(db))
            continue;
        MemoryContext old = MemoryContextSwitchTo(TopMemoryContext);
        databases = lappend_oid(databases, db->oid);
        MemoryContextSwitchTo(old);
    }
    table_endscan(scan);
    table_close(rel, AccessShareLock);
    CommitTransactionCommand();
    return databases;
}

static void reload_if_asked()
{
    if (ConfigReloadPending) {
        ConfigReloadPending = false;
        ProcessConfigFile(PGC_SIGHUP);
    }
}

// Starts the runner of one database and waits until it has exited.
static void run_database(Oid database)
{
    static bool slots_warned = false;
    BackgroundWorker worker = {};
    snprintf(worker.bgw_name, BGW_MAXLEN, "pgqrs schedule runner of database %u", database);
    strlcpy(worker.bgw_type, "pgqrs schedule runner", BGW_MAXLEN);
    worker.bgw_flags = BGWORKER_SHMEM_ACCESS | BGWORKER_BACKEND_DATABASE_CONNECTION;
    worker.bgw_start_time = BgWorkerStart_RecoveryFinished;
    worker.bgw_restart_time = BGW_NEVER_RESTART;
    strlcpy(worker.bgw_library_name, library_name, BGW_MAXLEN);
    strlcpy(worker.bgw_function_name, "pgqrs_schedule_runner", BGW_MAXLEN);
    worker.bgw_main_arg = ObjectIdGetDatum(database);
    worker.bgw_notify_pid = MyProcPid;

    BackgroundWorkerHandle *handle;
    if (!RegisterDynamicBackgroundWorker(&worker, &handle)) {
        if (!slots_warned)
            ereport(LOG, (errmsg("pgqrs: no free background worker slot to run schedules"),
                          errhint("Raise max_worker_processes.")));
        slots_warned = true;
        return;
    }
    slots_warned = false;
    for (;;) {
        pid_t pid;
        BgwHandleStatus status = GetBackgroundWorkerPid(handle, &pid);
        if (status == BGWH_STOPPED || status == BGWH_POSTMASTER_DIED || ShutdownRequestPending)
            break;
        (void) WaitLatch(MyLatch, WL_LATCH_SET | WL_TIMEOUT | WL_EXIT_ON_PM_DEATH, 1000,
                         PG_WAIT_EXTENSION);
        ResetLatch(MyLatch);
        CHECK_FOR_INTERRUPTS();
        reload_if_asked();
    }
    pfree(handle);
}

// Milliseconds from now to the next round: the earlier of the interval after
// the last round and the next whole minute after it; -1 when stopped.
static long until_next_round(TimestampTz now, TimestampTz last_round)
{
    if (schedule_interval_ms == 0)
        return -1;
    if (last_round == 0)
        return 0;
    TimestampTz minute = (last_round / USECS_PER_MINUTE + 1) * USECS_PER_MINUTE;
    TimestampTz next = Min(last_round + static_cast<int64>(schedule_interval_ms) * 1000, minute);
    return next <= now ? 0 : static_cast<long>((next - now + 999) / 1000);
}

}  // namespace pgqrs

using namespace pgqrs;

void pgqrs_schedule_launcher(Datum)
{
    pqsignal(SIGHUP, SignalHandlerForConfigReload);
    pqsignal(SIGTERM, SignalHandlerForShutdownRequest);
    BackgroundWorkerUnblockSignals();
    BackgroundWorkerInitializeConnection(nullptr, nullptr, 0);

    TimestampTz last_round = 0;
    while (!ShutdownRequestPending) {
        reload_if_asked();
        TimestampTz now = GetCurrentTimestamp();
        long wait = until_next_round(now, last_round);
        if (wait == 0) {
            last_round = now;
            List *databases = list_databases();
            ListCell *cell;
            foreach (cell, databases) {
                if (ShutdownRequestPending)
                    break;
                run_database(lfirst_oid(cell));
            }
            list_free(databases);
            continue;
        }
        (void) WaitLatch(MyLatch, WL_LATCH_SET | WL_EXIT_ON_PM_DEATH | (wait > 0 ? WL_TIMEOUT : 0),
                         wait, PG_WAIT_EXTENSION);
        ResetLatch(MyLatch);
        // absorbs signal barriers (DROP DATABASE waits for every process to)
        CHECK_FOR_INTERRUPTS();
    }
    proc_exit(0);
}

// run_due_schedules() of pgqrs installed in this database with this
// library's version, or InvalidOid (not installed, or another version: that
// one's library runs it once the server loads it).
static Oid run_function()
{
    Oid extension = get_extension_oid("pgqrs", true);
    if (!OidIsValid(extension))
        return InvalidOid;
    Oid found = InvalidOid;
    CatCList *procs = SearchSysCacheList1(PROCNAMEARGSNSP, CStringGetDatum("run_due_schedules"));
    for (int i = 0; i < procs->n_members; i++) {
        HeapTuple tuple = &procs->members[i]->tuple;
        auto *proc = reinterpret_cast<Form_pg_proc>(GETSTRUCT(tuple));
        if (proc->pronargs != 0 || getExtensionOfObject(ProcedureRelationId, proc->oid) != extension)
            continue;
        bool null;
        Datum bin = SysCacheGetAttr(PROCOID, tuple, Anum_pg_proc_probin, &null);
        if (!null && strcmp(TextDatumGetCString(bin), psprintf("$libdir/%s", library_name)) == 0)
            found = proc->oid;
    }
    ReleaseSysCacheList(procs);
    return found;
}

void pgqrs_schedule_runner(Datum arg)
{
    pqsignal(SIGTERM, die);
    BackgroundWorkerUnblockSignals();
    BackgroundWorkerInitializeConnectionByOid(DatumGetObjectId(arg), InvalidOid, 0);
    if (!run_schedules)
        proc_exit(0);
    // a runner never waits long for a lock: the launcher waits for it
    SetConfigOption("lock_timeout", "10s", PGC_SUSET, PGC_S_OVERRIDE);
    for (int pass = 0; pass < max_runner_passes; pass++) {
        SetCurrentStatementStartTimestamp();
        StartTransactionCommand();
        PushActiveSnapshot(GetTransactionSnapshot());
        pgstat_report_activity(STATE_RUNNING, "SELECT run_due_schedules()");
        Oid function = run_function();
        int64 enqueued = OidIsValid(function) ? DatumGetInt64(OidFunctionCall0(function)) : 0;
        PopActiveSnapshot();
        CommitTransactionCommand();
        pgstat_report_activity(STATE_IDLE, nullptr);
        if (enqueued == 0)
            break;
    }
    proc_exit(0);
}
