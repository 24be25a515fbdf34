// The ProcessUtility hook that tells the claim frontier and the waiters about
// finished prepared transactions (prepared.hpp).
#include "prepared.hpp"

#include "frontier.hpp"
#include "wake.hpp"

extern "C" {
#include "miscadmin.h"
#include "nodes/parsenodes.h"
#include "tcop/utility.h"
}

namespace pgqrs {

namespace {

ProcessUtility_hook_type prev_process_utility = nullptr;

void process_utility(PlannedStmt *pstmt, const char *query, bool read_only_tree,
                     ProcessUtilityContext context, ParamListInfo params,
                     QueryEnvironment *query_env, DestReceiver *dest, QueryCompletion *qc)
{
    Node *parsetree = pstmt->utilityStmt;
    bool finishes_prepared = false;
    if (IsA(parsetree, TransactionStmt)) {
        TransactionStmtKind kind = castNode(TransactionStmt, parsetree)->kind;
        finishes_prepared =
            kind == TRANS_STMT_COMMIT_PREPARED || kind == TRANS_STMT_ROLLBACK_PREPARED;
    }
    if (finishes_prepared)
        frontier_prepared_finishing();
    if (prev_process_utility != nullptr)
        prev_process_utility(pstmt, query, read_only_tree, context, params, query_env, dest, qc);
    else
        standard_ProcessUtility(pstmt, query, read_only_tree, context, params, query_env, dest,
                                qc);
    // the prepared transaction is finished and its effects visible by now
    if (finishes_prepared) {
        frontier_prepared_finished();
        wake_prepared_finished();
    }
}

}  // namespace

void prepared_init()
{
    if (!process_shared_preload_libraries_in_progress)
        return;
    prev_process_utility = ProcessUtility_hook;
    ProcessUtility_hook = process_utility;
}

}  // namespace pgqrs
