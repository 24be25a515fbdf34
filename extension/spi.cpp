#include "spi.hpp"

namespace pgqrs {

void begin_call(FunctionCallInfo fcinfo)
{
    Oid schema = get_func_namespace(fcinfo->flinfo->fn_oid);

    if (SPI_connect() != SPI_OK_CONNECT)
        elog(ERROR, "pgqrs: SPI_connect failed");

    // pg_catalog first, then our schema, no temp schema: PushOverrideSearchPath
    // copies the list, and an error pops it at transaction abort.
    OverrideSearchPath path = {};
    path.schemas = list_make1_oid(schema);
    path.addCatalog = true;
    path.addTemp = false;
    PushOverrideSearchPath(&path);
}

void end_call()
{
    PopOverrideSearchPath();
    SPI_finish();
}

uint64 exec(Statement &st, const Datum *values, const char *nulls, long count)
{
    if (st.plan == nullptr) {
        // Always the generic plan: our statements are written for index paths
        // that do not depend on the values, and replanning per call would cost
        // more than the statement itself.
        SPIPlanPtr plan = SPI_prepare_cursor(st.sql, st.nargs, st.argtypes, CURSOR_OPT_GENERIC_PLAN);
        if (plan == nullptr)
            elog(ERROR, "pgqrs: could not prepare statement: %s",
                 SPI_result_code_string(SPI_result));
        if (SPI_keepplan(plan) != 0)
            elog(ERROR, "pgqrs: could not keep statement plan");
        st.plan = plan;
    }

    int rc = SPI_execute_plan(st.plan, const_cast<Datum *>(values), nulls, false, count);
    if (rc < 0)
        elog(ERROR, "pgqrs: statement failed: %s", SPI_result_code_string(rc));
    return SPI_processed;
}

Datum column(uint64 row, int col, bool *isnull)
{
    bool null_here = false;
    Datum value = SPI_getbinval(SPI_tuptable->vals[row], SPI_tuptable->tupdesc, col, &null_here);
    if (isnull != nullptr)
        *isnull = null_here;
    else if (null_here)
        elog(ERROR, "pgqrs: unexpected NULL in column %d", col);
    return value;
}

}  // namespace pgqrs
