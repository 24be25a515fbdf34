#include "by_id_plans.hpp"

#include "spi.hpp"

extern "C" {
#include "access/stratnum.h"
#include "catalog/pg_am_d.h"
#include "nodes/pathnodes.h"
#include "optimizer/optimizer.h"
#include "optimizer/plancat.h"
#include "utils/lsyscache.h"
}

namespace pgqrs {

namespace {

get_relation_info_hook_type prev_get_relation_info = nullptr;

// node is column attno of range table entry relid of this query level.
bool is_column(Node *node, Index relid, AttrNumber attno)
{
    if (node != nullptr && IsA(node, RelabelType))
        node = reinterpret_cast<Node *>(reinterpret_cast<RelabelType *>(node)->arg);
    if (node == nullptr || !IsA(node, Var))
        return false;
    Var *var = reinterpret_cast<Var *>(node);
    return var->varno == static_cast<int>(relid) && var->varattno == attno && var->varlevelsup == 0;
}

// qual is `id = x` or `id = ANY (x)` with the equality of opfamily and x not
// of relid: a value, a parameter, or a column of another relation (a join).
bool equates_id(PlannerInfo *root, Node *qual, Index relid, AttrNumber id, Oid opfamily)
{
    Oid opno;
    List *args;
    bool either_side;
    if (IsA(qual, OpExpr)) {
        opno = reinterpret_cast<OpExpr *>(qual)->opno;
        args = reinterpret_cast<OpExpr *>(qual)->args;
        either_side = true;
    } else if (IsA(qual, ScalarArrayOpExpr) && reinterpret_cast<ScalarArrayOpExpr *>(qual)->useOr) {
        opno = reinterpret_cast<ScalarArrayOpExpr *>(qual)->opno;
        args = reinterpret_cast<ScalarArrayOpExpr *>(qual)->args;
        either_side = false;
    } else {
        return false;
    }
    if (list_length(args) != 2 || get_op_opfamily_strategy(opno, opfamily) != BTEqualStrategyNumber)
        return false;
    Node *left = static_cast<Node *>(linitial(args));
    Node *right = static_cast<Node *>(lsecond(args));
    if (is_column(left, relid, id) && !bms_is_member(relid, pull_varnos(root, right)))
        return true;
    return either_side && is_column(right, relid, id) && !bms_is_member(relid, pull_varnos(root, left));
}

// Some qual of the join tree that every row must pass equates id.
bool restricts_id(PlannerInfo *root, Node *tree, Index relid, AttrNumber id, Oid opfamily)
{
    Node *quals = nullptr;
    List *children = NIL;
    if (tree == nullptr)
        return false;
    if (IsA(tree, FromExpr)) {
        quals = reinterpret_cast<FromExpr *>(tree)->quals;
        children = reinterpret_cast<FromExpr *>(tree)->fromlist;
    } else if (IsA(tree, JoinExpr) && reinterpret_cast<JoinExpr *>(tree)->jointype == JOIN_INNER) {
        JoinExpr *join = reinterpret_cast<JoinExpr *>(tree);
        quals = join->quals;
        children = list_make2(join->larg, join->rarg);
    } else {
        return false;
    }
    // preprocessed quals are a list of conjuncts
    List *conjuncts = quals == nullptr ? NIL
                      : IsA(quals, List) ? reinterpret_cast<List *>(quals)
                                         : list_make1(quals);
    ListCell *lc;
    foreach (lc, conjuncts)
        if (equates_id(root, static_cast<Node *>(lfirst(lc)), relid, id, opfamily))
            return true;
    foreach (lc, children)
        if (restricts_id(root, static_cast<Node *>(lfirst(lc)), relid, id, opfamily))
            return true;
    return false;
}

// The indexes of rel whose first column is id.
List *id_indexes(RelOptInfo *rel, AttrNumber id)
{
    List *kept = NIL;
    ListCell *lc;
    foreach (lc, rel->indexlist) {
        IndexOptInfo *index = static_cast<IndexOptInfo *>(lfirst(lc));
        if (index->nkeycolumns > 0 && index->indexkeys[0] == id && index->relam == BTREE_AM_OID)
            kept = lappend(kept, index);
    }
    return kept;
}

void keep_id_indexes(PlannerInfo *root, Oid relation, bool inherited, RelOptInfo *rel)
{
    if (prev_get_relation_info != nullptr)
        prev_get_relation_info(root, relation, inherited, rel);
    Oid schema = running_call_schema();
    if (schema == InvalidOid || inherited || list_length(rel->indexlist) < 2 ||
        get_rel_namespace(relation) != schema)
        return;
    char *name = get_rel_name(relation);
    if (name == nullptr || strcmp(name, "messages") != 0)
        return;
    AttrNumber id = get_attnum(relation, "id");
    if (id == InvalidAttrNumber)
        return;
    List *kept = id_indexes(rel, id);
    if (kept == NIL)
        return;  // no index starts with id (the primary key was dropped): the planner's choice
    IndexOptInfo *first = static_cast<IndexOptInfo *>(linitial(kept));
    if (restricts_id(root, reinterpret_cast<Node *>(root->parse->jointree), rel->relid, id,
                     first->opfamily[0]))
        rel->indexlist = kept;
}

}  // namespace

void by_id_plans_init()
{
    prev_get_relation_info = get_relation_info_hook;
    get_relation_info_hook = keep_id_indexes;
}

}  // namespace pgqrs
