/*
 * pgqrs.so, the name to preload (shared_preload_libraries = 'pgqrs'). The work
 * is done by the library of one version, pgqrs-<version>.so, which the SQL
 * functions of that version call by name; preloading this file loads it.
 *
 * The functions of pgqrs 0.1.0 called this file itself. They now end here and
 * raise an error asking for ALTER EXTENSION pgqrs UPDATE, so that SQL of one
 * version never runs against a library of another.
 */
#include "postgres.h"

#include "fmgr.h"

PG_MODULE_MAGIC;

void		_PG_init(void);

void
_PG_init(void)
{
	load_file("$libdir/pgqrs-" PGQRS_VERSION, false);
}

static void
report_old_functions(void)
{
	ereport(ERROR,
			(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
			 errmsg("the pgqrs functions in this database are version 0.1.0, the installed pgqrs library is version %s",
					PGQRS_VERSION),
			 errhint("Run ALTER EXTENSION pgqrs UPDATE in this database.")));
}

/* The C symbols the SQL functions of pgqrs 0.1.0 name. */
#define OLD_FUNCTION(name) \
	PG_FUNCTION_INFO_V1(pgqrs_##name); \
	Datum pgqrs_##name(PG_FUNCTION_ARGS); \
	Datum pgqrs_##name(PG_FUNCTION_ARGS) { report_old_functions(); PG_RETURN_NULL(); }

OLD_FUNCTION(create_queue)
OLD_FUNCTION(set_max_attempts)
OLD_FUNCTION(get_queue)
OLD_FUNCTION(list_queues)
OLD_FUNCTION(delete_queue)
OLD_FUNCTION(purge_queue)
OLD_FUNCTION(purge_archive)
OLD_FUNCTION(enqueue)
OLD_FUNCTION(enqueue_batch)
OLD_FUNCTION(dequeue)
OLD_FUNCTION(dequeue_wait)
OLD_FUNCTION(archive)
OLD_FUNCTION(archive_batch)
OLD_FUNCTION(delete)
OLD_FUNCTION(delete_batch)
OLD_FUNCTION(extend_visibility)
OLD_FUNCTION(release)
OLD_FUNCTION(register_worker)
OLD_FUNCTION(get_worker)
OLD_FUNCTION(list_workers)
OLD_FUNCTION(heartbeat)
OLD_FUNCTION(suspend_worker)
OLD_FUNCTION(resume_worker)
OLD_FUNCTION(shutdown_worker)
OLD_FUNCTION(worker_status)
OLD_FUNCTION(worker_messages)
OLD_FUNCTION(delete_worker)
OLD_FUNCTION(purge_old_workers)
OLD_FUNCTION(reclaim_messages)
OLD_FUNCTION(dlq)
OLD_FUNCTION(replay_dlq)
OLD_FUNCTION(queue_metrics)
OLD_FUNCTION(all_queues_metrics)
OLD_FUNCTION(system_stats)
OLD_FUNCTION(worker_stats)
OLD_FUNCTION(worker_health)
OLD_FUNCTION(verify)
OLD_FUNCTION(version)
OLD_FUNCTION(grant_access)
