/*
 * commit_pause: a test-only module that stretches two moments of a session.
 *
 * commit_pause.ms: sleep in the transaction's commit callback (0: never).
 * Preloaded after pgqrs, its callback runs before pgqrs's (callbacks run
 * newest first), so a session that sets it holds its commit visible while
 * pgqrs has not yet lowered the claim frontier: the window invariant I1
 * allows (docs/claim-frontier.md).
 *
 * commit_pause.statement_ms: sleep at the end of every statement, nested ones
 * (pgqrs's own) included (0: never), so that a claim takes as long as a test
 * needs without a pile of that size.
 */
#include "postgres.h"

#include "access/xact.h"
#include "executor/executor.h"
#include "fmgr.h"
#include "miscadmin.h"
#include "utils/guc.h"

PG_MODULE_MAGIC;

void _PG_init(void);

static int pause_ms = 0;
static int statement_ms = 0;
static ExecutorEnd_hook_type prev_executor_end = NULL;

static void
pause_after_commit(XactEvent event, void *arg)
{
	if (event == XACT_EVENT_COMMIT && pause_ms > 0)
		pg_usleep((long) pause_ms * 1000L);
}

static void
pause_after_statement(QueryDesc *desc)
{
	if (statement_ms > 0)
		pg_usleep((long) statement_ms * 1000L);
	if (prev_executor_end)
		prev_executor_end(desc);
	else
		standard_ExecutorEnd(desc);
}

void
_PG_init(void)
{
	DefineCustomIntVariable("commit_pause.ms",
							"Sleep this long after each commit, before later callbacks.",
							NULL, &pause_ms, 0, 0, 60000, PGC_USERSET, GUC_UNIT_MS,
							NULL, NULL, NULL);
	DefineCustomIntVariable("commit_pause.statement_ms",
							"Sleep this long at the end of each statement.",
							NULL, &statement_ms, 0, 0, 60000, PGC_USERSET, GUC_UNIT_MS,
							NULL, NULL, NULL);
	RegisterXactCallback(pause_after_commit, NULL);
	prev_executor_end = ExecutorEnd_hook;
	ExecutorEnd_hook = pause_after_statement;
}
