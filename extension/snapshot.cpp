#include "snapshot.hpp"

extern "C" {
#include "access/xact.h"
#include "nodes/plannodes.h"
#include "storage/proc.h"
#include "tcop/pquery.h"
#include "utils/portal.h"
#include "utils/snapmgr.h"
}

namespace pgqrs {

namespace {

bool only_columns(List *targetlist)
{
    ListCell *cell;
    foreach (cell, targetlist) {
        if (!IsA(static_cast<TargetEntry *>(lfirst(cell))->expr, Var))
            return false;
    }
    return true;
}

}  // namespace

bool snapshot_only_ours(FunctionCallInfo fcinfo)
{
    // The unnamed portal of the client's protocol: a cursor, or a portal that
    // PL/pgSQL opens for a FOR loop inside another statement, does not count.
    if (IsolationUsesXactSnapshot() || ActivePortal == nullptr ||
        ActivePortal->status != PORTAL_ACTIVE || ActivePortal->name == nullptr ||
        ActivePortal->name[0] != '\0' || list_length(ActivePortal->stmts) != 1)
        return false;
    PlannedStmt *stmt = linitial_node(PlannedStmt, ActivePortal->stmts);
    if (stmt->commandType != CMD_SELECT || stmt->hasModifyingCTE || stmt->subplans != NIL ||
        stmt->rowMarks != NIL || list_length(stmt->rtable) != 1 ||
        linitial_node(RangeTblEntry, stmt->rtable)->rtekind != RTE_FUNCTION)
        return false;
    Plan *plan = stmt->planTree;
    if (plan == nullptr || !IsA(plan, FunctionScan) || plan->lefttree != nullptr ||
        plan->righttree != nullptr || plan->initPlan != NIL || plan->qual != NIL ||
        !only_columns(plan->targetlist))
        return false;
    List *functions = castNode(FunctionScan, plan)->functions;
    if (list_length(functions) != 1)
        return false;
    Node *call = linitial_node(RangeTblFunction, functions)->funcexpr;
    // its arguments (no subquery: no subplans) are evaluated before the call
    if (!IsA(call, FuncExpr) || castNode(FuncExpr, call)->funcid != fcinfo->flinfo->fn_oid)
        return false;
    // Arguments that are values only: a function among them could read with the
    // statement's snapshot after a call it makes itself (this one, nested) returns.
    ListCell *arg;
    foreach (arg, castNode(FuncExpr, call)->args) {
        if (!IsA(lfirst(arg), Const) && !IsA(lfirst(arg), Param))
            return false;
    }
    // Last: ThereAreNoReadyPortals leaves its hash scan open when it finds a
    // ready portal (a cursor), which PostgreSQL reports with a warning at the
    // end of the transaction; only a top-level call of this shape gets here.
    return ThereAreNoReadyPortals();
}

void drop_xmin()
{
    // The catalog snapshot is registered too; it is taken again when needed.
    InvalidateCatalogSnapshot();
    MyProc->xmin = InvalidTransactionId;
}

}  // namespace pgqrs
