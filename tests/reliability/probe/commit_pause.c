/*
 * commit_pause: a test-only module that sleeps in a transaction's commit
 * callback for commit_pause.ms milliseconds (0: never). Preloaded after pgqrs,
 * its callback runs before pgqrs's (callbacks run newest first), so a session
 * that sets it holds its commit visible while pgqrs has not yet lowered the
 * claim frontier: the window invariant I1 allows (docs/claim-frontier.md).
 */
#include "postgres.h"

#include "access/xact.h"
#include "fmgr.h"
#include "miscadmin.h"
#include "utils/guc.h"

PG_MODULE_MAGIC;

void _PG_init(void);

static int pause_ms = 0;

static void
pause_after_commit(XactEvent event, void *arg)
{
	if (event == XACT_EVENT_COMMIT && pause_ms > 0)
		pg_usleep((long) pause_ms * 1000L);
}

void
_PG_init(void)
{
	DefineCustomIntVariable("commit_pause.ms",
							"Sleep this long after each commit, before later callbacks.",
							NULL, &pause_ms, 0, 0, 60000, PGC_USERSET, GUC_UNIT_MS,
							NULL, NULL, NULL);
	RegisterXactCallback(pause_after_commit, NULL);
}
