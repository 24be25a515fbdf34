#include "spi.hpp"

#include "frontier.hpp"
#include "groups.hpp"

extern "C" {
#include "access/xact.h"
#include "catalog/pg_proc.h"
#include "utils/acl.h"
#include "utils/inval.h"
#include "utils/syscache.h"
}

namespace pgqrs {

// The schema of the pgqrs function being called, by oid and name; statements
// name their tables in it. The name is looked up again only after a change to
// pg_namespace (a rename) invalidates it.
static Oid call_schema = InvalidOid;
static char call_schema_name[NAMEDATALEN];
static bool schema_name_valid = false;

// The pgqrs calls running, innermost last: each one's caller, its owner,
// whether the caller has the owner's privileges (0 unknown, 1 yes, 2 no:
// asked once a call), and the subtransaction it began in. A call that ends in
// an error is dropped when its subtransaction aborts (a caught error in a call
// nested in another must not leave the inner call's caller to the outer one).
struct CallFrame {
    Oid caller;
    Oid owner;
    int owner_state;
    SubTransactionId subxact;
};
constexpr int max_call_depth = 64;
static CallFrame frames[max_call_depth];
static int depth = 0;

static void forget_schema_name(Datum, int, uint32)
{
    schema_name_valid = false;
}

static void drop_aborted_frames(SubXactEvent event, SubTransactionId subxact, SubTransactionId, void *)
{
    if (event == SUBXACT_EVENT_ABORT_SUB)
        while (depth > 0 && frames[depth - 1].subxact >= subxact)
            depth--;
}

static void drop_all_frames(XactEvent event, void *)
{
    if (event == XACT_EVENT_ABORT || event == XACT_EVENT_PARALLEL_ABORT)
        depth = 0;
}

static CallFrame &current_frame()
{
    if (depth == 0)
        elog(ERROR, "pgqrs: no call is running");
    return frames[depth - 1];
}

Oid caller()
{
    return current_frame().caller;
}

Oid running_call_schema()
{
    return depth > 0 ? call_schema : InvalidOid;
}

bool caller_has_owner_privileges()
{
    CallFrame &frame = current_frame();
    if (frame.owner_state == 0)
        frame.owner_state = superuser_arg(frame.caller) || has_privs_of_role(frame.caller, frame.owner)
                                ? 1 : 2;
    return frame.owner_state == 1;
}

CallScope begin_call(FunctionCallInfo fcinfo)
{
    static bool callbacks_registered = false;
    if (!callbacks_registered) {
        CacheRegisterSyscacheCallback(NAMESPACEOID, forget_schema_name, (Datum) 0);
        RegisterSubXactCallback(drop_aborted_frames, nullptr);
        RegisterXactCallback(drop_all_frames, nullptr);
        callbacks_registered = true;
    }
    if (depth == max_call_depth)
        elog(ERROR, "pgqrs: calls nested more than %d deep", max_call_depth);

    CallScope scope = {InvalidOid, 0};
    HeapTuple proc = SearchSysCache1(PROCOID, ObjectIdGetDatum(fcinfo->flinfo->fn_oid));
    if (!HeapTupleIsValid(proc))
        elog(ERROR, "pgqrs: function %u not found", fcinfo->flinfo->fn_oid);
    Oid schema = reinterpret_cast<Form_pg_proc>(GETSTRUCT(proc))->pronamespace;
    Oid owner = reinterpret_cast<Form_pg_proc>(GETSTRUCT(proc))->proowner;
    ReleaseSysCache(proc);

    if (!schema_name_valid || schema != call_schema) {
        char *name = get_namespace_name(schema);
        if (name == nullptr)
            elog(ERROR, "pgqrs: schema %u of the extension does not exist", schema);
        strlcpy(call_schema_name, name, sizeof call_schema_name);
        call_schema = schema;
        schema_name_valid = true;
    }

    frames[depth++] = {GetUserId(), owner, 0, GetCurrentSubTransactionId()};
    GetUserIdAndSecContext(&scope.saved_user, &scope.saved_context);
    SetUserIdAndSecContext(owner, scope.saved_context | SECURITY_LOCAL_USERID_CHANGE);

    if (SPI_connect() != SPI_OK_CONNECT)
        elog(ERROR, "pgqrs: SPI_connect failed");

    // pg_catalog alone, no temp schema: PushOverrideSearchPath copies the
    // list, and an error pops it at (sub)transaction abort.
    OverrideSearchPath path = {};
    path.schemas = NIL;
    path.addCatalog = true;
    path.addTemp = false;
    PushOverrideSearchPath(&path);
    return scope;
}

void end_call(const CallScope &scope)
{
    PopOverrideSearchPath();
    SPI_finish();
    SetUserIdAndSecContext(scope.saved_user, scope.saved_context);
    depth--;
}

void begin_pass()
{
    if (SPI_connect() != SPI_OK_CONNECT)
        elog(ERROR, "pgqrs: SPI_connect failed");
}

void end_pass()
{
    SPI_finish();
}

// st.sql with every "@." replaced by the quoted schema name and a dot.
static const char *qualified_sql(const char *sql)
{
    const char *prefix = quote_identifier(call_schema_name);
    StringInfoData text;
    initStringInfo(&text);
    for (const char *c = sql; *c != '\0'; c++) {
        if (c[0] == '@' && c[1] == '.') {
            appendStringInfo(&text, "%s.", prefix);
            c++;
        } else {
            appendStringInfoChar(&text, *c);
        }
    }
    return text.data;
}

// True when the text inserts, updates, deletes or locks messages.
static bool writes_messages(const char *sql)
{
    return strstr(sql, "INTO @.messages") != nullptr || strstr(sql, "UPDATE @.messages") != nullptr ||
           strstr(sql, "DELETE FROM @.messages") != nullptr ||
           (strstr(sql, "@.messages") != nullptr && strstr(sql, "FOR UPDATE") != nullptr);
}

// True when the text adds or removes messages without saying what that does
// to their groups: only a statement that deletes a queue's groups with its
// messages may.
static bool changes_groups_unsaid(const Statement &st)
{
    bool adds_or_removes = strstr(st.sql, "INTO @.messages") != nullptr ||
                           strstr(st.sql, "DELETE FROM @.messages") != nullptr;
    return adds_or_removes && st.effect.groups == GroupChange::none &&
           strstr(st.sql, "DELETE FROM @.message_groups") == nullptr;
}

static void prepare(Statement &st)
{
    if (!st.effect.declared && writes_messages(st.sql))
        elog(ERROR, "pgqrs: statement changes messages without a MessageEffect: %s", st.sql);
    if (changes_groups_unsaid(st) ||
        (st.effect.groups == GroupChange::ungrouped && strstr(st.sql, "group_key") != nullptr))
        elog(ERROR, "pgqrs: statement adds or removes messages without a GroupChange: %s", st.sql);
    if (st.plan != nullptr) {
        SPI_freeplan(st.plan);
        st.plan = nullptr;
    }
    // Always the generic plan: our statements are written for index paths that
    // do not depend on the values, and replanning per call would cost more
    // than the statement itself.
    SPIPlanPtr plan = SPI_prepare_cursor(qualified_sql(st.sql), st.nargs, st.argtypes,
                                         CURSOR_OPT_GENERIC_PLAN);
    if (plan == nullptr)
        elog(ERROR, "pgqrs: could not prepare statement: %s", SPI_result_code_string(SPI_result));
    if (SPI_keepplan(plan) != 0)
        elog(ERROR, "pgqrs: could not keep statement plan");
    st.plan = plan;
    st.schema = call_schema;
    strlcpy(st.schema_name, call_schema_name, sizeof st.schema_name);
}

// The column of a statement's result named `name`, which must be of type `type`.
static int column_of(const Rows &rows, const char *name, Oid type)
{
    int col = SPI_fnumber(rows.table->tupdesc, name);
    if (col <= 0 || SPI_gettypeid(rows.table->tupdesc, col) != type)
        elog(ERROR, "pgqrs: statement result has no %s column of type %s (%s)", name,
             format_type_be(type), rows.statement);
    return col;
}

static TimestampTz vt_at(const Rows &rows, uint64 row, int col)
{
    bool isnull;
    Datum vt = SPI_getbinval(rows.table->vals[row], rows.table->tupdesc, col, &isnull);
    return isnull ? DT_NOBEGIN : DatumGetTimestampTz(vt);
}

// Notes for the claim frontier what the statement just did (its MessageEffect).
static void note_effect(const MessageEffect &e, const Datum *values, const Rows &rows)
{
    if (!frontier_active())
        return;
    if (e.queue == nullptr) {
        if (e.queue_arg == 0)
            return;
        int64 queue_id = DatumGetInt64(values[e.queue_arg - 1]);
        if (e.deletes_queue)
            frontier_note_deleted(queue_id);
        if (rows.count > 0)
            frontier_note_abort(queue_id, DT_NOBEGIN);
        return;
    }
    if (rows.count == 0)
        return;
    int queue_col = column_of(rows, e.queue, INT8OID);
    int visible_col = e.visible != nullptr ? column_of(rows, e.visible, TIMESTAMPTZOID) : 0;
    int restored_col = e.on_abort == OnAbort::restored_vt ? column_of(rows, e.restored, TIMESTAMPTZOID) : 0;
    for (uint64 row = 0; row < rows.count; row++) {
        bool isnull;
        Datum queue = SPI_getbinval(rows.table->vals[row], rows.table->tupdesc, queue_col, &isnull);
        if (isnull)
            continue;  // a row that is not a message (a claim's evidence row)
        int64 queue_id = DatumGetInt64(queue);
        TimestampTz visible = visible_col > 0 ? vt_at(rows, row, visible_col) : DT_NOEND;
        if (visible_col > 0)
            frontier_note_commit(queue_id, visible);
        if (e.on_abort == OnAbort::restored_vt)
            frontier_note_abort(queue_id, vt_at(rows, row, restored_col));
        else if (e.on_abort == OnAbort::visible_vt)
            frontier_note_abort(queue_id, visible);
        else if (e.on_abort == OnAbort::queue_start)
            frontier_note_abort(queue_id, DT_NOBEGIN);
    }
}

// True when a row the statement returned is in a group (the column is
// looked up once: most statements move messages without one).
static bool any_grouped(const MessageEffect &e, const Rows &rows)
{
    if (rows.count == 0)
        return false;
    int col = column_of(rows, e.group, TEXTOID);
    for (uint64 row = 0; row < rows.count; row++) {
        bool isnull;
        SPI_getbinval(rows.table->vals[row], rows.table->tupdesc, col, &isnull);
        if (!isnull)
            return true;
    }
    return false;
}

Rows exec(Statement &st, const Datum *values, const char *nulls, long count)
{
    if (st.plan == nullptr || st.schema != call_schema || strcmp(st.schema_name, call_schema_name) != 0)
        prepare(st);

    // rows it locks before they are noted come back at any place if it fails
    bool locks = st.effect.declared && st.effect.on_abort != OnAbort::nothing;
    if (locks)
        frontier_statement_begins();
    int rc = SPI_execute_plan(st.plan, const_cast<Datum *>(values), nulls, false, count);
    if (rc < 0)
        elog(ERROR, "pgqrs: statement failed: %s", SPI_result_code_string(rc));
    Rows rows = {SPI_tuptable, SPI_processed, st.sql};
    note_effect(st.effect, values, rows);
    if (locks)
        frontier_statement_ends();
    if ((st.effect.groups == GroupChange::joins || st.effect.groups == GroupChange::leaves) &&
        any_grouped(st.effect, rows))
        settle_groups(st.effect, rows);
    return rows;
}

void raise_altered(const char *what, const char *column, Oid found, Oid expected)
{
    ereport(ERROR, (errcode(ERRCODE_DATA_CORRUPTED),
                    errmsg("pgqrs schema altered: %s, column %s is %s, expected %s", what, column,
                           found == InvalidOid ? "missing" : format_type_be(found),
                           format_type_be(expected)),
                    errhint("Run pgqrs.verify(); reinstall the extension to repair it.")));
}

Datum value(const Rows &rows, uint64 row, const char *name, Oid type, bool *isnull)
{
    if (rows.table == nullptr || row >= rows.count)
        elog(ERROR, "pgqrs: row %llu of a result of %llu rows read (%s)",
             static_cast<unsigned long long>(row), static_cast<unsigned long long>(rows.count),
             rows.statement);
    TupleDesc desc = rows.table->tupdesc;
    int col = SPI_fnumber(desc, name);
    if (col <= 0)
        raise_altered("a statement result", name, InvalidOid, type);
    Oid found = SPI_gettypeid(desc, col);
    if (found != type)
        raise_altered("a statement result", name, found, type);

    bool null_here = false;
    Datum result = SPI_getbinval(rows.table->vals[row], desc, col, &null_here);
    if (isnull != nullptr)
        *isnull = null_here;
    else if (null_here)
        elog(ERROR, "pgqrs: unexpected NULL in column %s", name);
    return result;
}

void run_utility(const char *sql)
{
    if (SPI_execute(sql, false, 0) < 0)
        elog(ERROR, "pgqrs: could not run \"%s\"", sql);
}

}  // namespace pgqrs
