#include "spi.hpp"

extern "C" {
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

// The role that called the function now running, its owner, and whether the
// caller has the owner's privileges (0 unknown, 1 yes, 2 no: asked once a call).
static Oid current_caller = InvalidOid;
static Oid current_owner = InvalidOid;
static int caller_is_owner_state = 0;

static void forget_schema_name(Datum, int, uint32)
{
    schema_name_valid = false;
}

Oid caller()
{
    return current_caller;
}

bool caller_has_owner_privileges()
{
    if (caller_is_owner_state == 0)
        caller_is_owner_state = superuser_arg(current_caller) ||
                                        has_privs_of_role(current_caller, current_owner)
                                    ? 1 : 2;
    return caller_is_owner_state == 1;
}

CallScope begin_call(FunctionCallInfo fcinfo)
{
    static bool callback_registered = false;
    if (!callback_registered) {
        CacheRegisterSyscacheCallback(NAMESPACEOID, forget_schema_name, (Datum) 0);
        callback_registered = true;
    }

    CallScope scope = {current_caller, current_owner, caller_is_owner_state, InvalidOid, 0};
    HeapTuple proc = SearchSysCache1(PROCOID, ObjectIdGetDatum(fcinfo->flinfo->fn_oid));
    if (!HeapTupleIsValid(proc))
        elog(ERROR, "pgqrs: function %u not found", fcinfo->flinfo->fn_oid);
    Oid schema = reinterpret_cast<Form_pg_proc>(GETSTRUCT(proc))->pronamespace;
    current_owner = reinterpret_cast<Form_pg_proc>(GETSTRUCT(proc))->proowner;
    ReleaseSysCache(proc);

    if (!schema_name_valid || schema != call_schema) {
        char *name = get_namespace_name(schema);
        if (name == nullptr)
            elog(ERROR, "pgqrs: schema %u of the extension does not exist", schema);
        strlcpy(call_schema_name, name, sizeof call_schema_name);
        call_schema = schema;
        schema_name_valid = true;
    }

    current_caller = GetUserId();
    caller_is_owner_state = 0;
    GetUserIdAndSecContext(&scope.saved_user, &scope.saved_context);
    SetUserIdAndSecContext(current_owner, scope.saved_context | SECURITY_LOCAL_USERID_CHANGE);

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
    current_caller = scope.previous_caller;
    current_owner = scope.previous_owner;
    caller_is_owner_state = scope.previous_owner_state;
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

static void prepare(Statement &st)
{
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

Rows exec(Statement &st, const Datum *values, const char *nulls, long count)
{
    if (st.plan == nullptr || st.schema != call_schema || strcmp(st.schema_name, call_schema_name) != 0)
        prepare(st);

    int rc = SPI_execute_plan(st.plan, const_cast<Datum *>(values), nulls, false, count);
    if (rc < 0)
        elog(ERROR, "pgqrs: statement failed: %s", SPI_result_code_string(rc));
    return {SPI_tuptable, SPI_processed, st.sql};
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
