// The shared library: module magic, the settings of pgqrs, and, when the
// library is preloaded, the shared memory of waiting consumers and of the claim
// frontier, the hook for finished prepared transactions and the schedule launcher;
// always, the planner hook that finds messages by id through the primary key.
#include "args.hpp"
#include "by_id_plans.hpp"
#include "frontier.hpp"
#include "prepared.hpp"
#include "schedule_worker.hpp"
#include "wake.hpp"

extern "C" {
PG_MODULE_MAGIC;

void _PG_init(void);

void _PG_init(void)
{
    // The library of another version runs in this process already (a new
    // version was installed without a restart): say so, not "redefine parameter".
    int flags = GetConfigOptionFlags("pgqrs.max_payload_bytes", true);
    if (flags != 0 && (flags & GUC_CUSTOM_PLACEHOLDER) == 0)
        ereport(ERROR, (errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
                        errmsg("pgqrs library %s cannot load: another version of pgqrs is loaded in this process",
                               PGQRS_VERSION),
                        errhint("Restart the server after installing a new version of pgqrs "
                                "(reconnecting is enough when pgqrs is not preloaded).")));
    DefineCustomIntVariable("pgqrs.max_payload_bytes",
                            "Largest message payload pgqrs accepts, in bytes.",
                            "Measured as the size of the jsonb value.",
                            &pgqrs::max_payload_bytes, 1024 * 1024, 1, MaxAllocSize - 1,
                            PGC_SUSET, GUC_UNIT_BYTE, nullptr, nullptr, nullptr);
    DefineCustomIntVariable("pgqrs.max_wait_seconds",
                            "Longest a dequeue_wait call that keeps its snapshot sleeps, in seconds.",
                            "Such a call (any statement but SELECT columns FROM dequeue_wait(...)) "
                            "holds back vacuum while it sleeps; a longer wait_seconds returns no "
                            "rows after this.",
                            &pgqrs::max_wait_seconds_setting, 60, 1, 3600, PGC_SUSET,
                            GUC_UNIT_S, nullptr, nullptr, nullptr);
    // sized at server start: only a preloading postmaster may define it
    if (process_shared_preload_libraries_in_progress)
        DefineCustomIntVariable("pgqrs.frontier_queues",
                                "Queues that keep a claim frontier in shared memory (0: none).",
                                "Claims of a queue without one scan from the start of the queue.",
                                &pgqrs::frontier_queues_setting, 1024, 0, 1000000, PGC_POSTMASTER,
                                0, nullptr, nullptr, nullptr);
    DefineCustomIntVariable("pgqrs.frontier_reset_seconds",
                            "How often one claim of a queue audits its claim frontier.",
                            "That claim scans from the start of the queue and counts the claimable "
                            "rows it finds below the frontier (claim_frontier_stats().found_below); "
                            "none while another runs, and the next waits 20 times as long as the last "
                            "one took (at most 20 intervals); 0: never.",
                            &pgqrs::frontier_reset_seconds_setting, 60, 0, 86400, PGC_SUSET,
                            GUC_UNIT_S, nullptr, nullptr, nullptr);
    pgqrs::schedule_init();
    MarkGUCPrefixReserved("pgqrs");
    pgqrs::wake_init();
    pgqrs::frontier_init();
    pgqrs::prepared_init();
    pgqrs::by_id_plans_init();
}
}
