#include "results.hpp"

namespace pgqrs {

// Kept in fn_extra: whether the set is of a scalar (SETOF bigint), whose one
// column is taken by position, or of a composite type, whose columns go by name.
struct SetShape {
    bool scalar;
};

void begin_rows(FunctionCallInfo fcinfo)
{
    InitMaterializedSRF(fcinfo, MAT_SRF_USE_EXPECTED_DESC);
    if (fcinfo->flinfo->fn_extra == nullptr) {
        auto *shape = static_cast<SetShape *>(MemoryContextAlloc(fcinfo->flinfo->fn_mcxt, sizeof(SetShape)));
        shape->scalar = get_call_result_type(fcinfo, nullptr, nullptr) == TYPEFUNC_SCALAR;
        fcinfo->flinfo->fn_extra = shape;
    }
}

// Fills values/nulls (one per attribute of result) from row `row` of rows,
// matching columns by name and checking their types.
static void form_values(TupleDesc result, const Rows &rows, uint64 row, Datum *values, bool *nulls,
                        bool scalar = false)
{
    if (rows.table == nullptr || row >= rows.count)
        elog(ERROR, "pgqrs: row %llu of a result of %llu rows read (%s)",
             static_cast<unsigned long long>(row), static_cast<unsigned long long>(rows.count),
             rows.statement);
    TupleDesc source = rows.table->tupdesc;
    for (int i = 0; i < result->natts; i++) {
        Form_pg_attribute attr = TupleDescAttr(result, i);
        values[i] = (Datum) 0;
        nulls[i] = true;
        if (attr->attisdropped)
            continue;
        int col = scalar ? 1 : SPI_fnumber(source, NameStr(attr->attname));
        if (col <= 0)
            continue;  // a column added to the table after install: NULL
        Oid found = SPI_gettypeid(source, col);
        if (found != attr->atttypid)
            raise_altered(format_type_be(result->tdtypeid), NameStr(attr->attname), found,
                          attr->atttypid);
        values[i] = SPI_getbinval(rows.table->vals[row], source, col, &nulls[i]);
    }
}

void append_row(FunctionCallInfo fcinfo, const Rows &rows, uint64 row)
{
    auto *rsinfo = reinterpret_cast<ReturnSetInfo *>(fcinfo->resultinfo);
    TupleDesc result = rsinfo->setDesc;
    Datum *values = static_cast<Datum *>(palloc(sizeof(Datum) * (result->natts + 1)));
    bool *nulls = static_cast<bool *>(palloc(sizeof(bool) * (result->natts + 1)));
    form_values(result, rows, row, values, nulls,
                static_cast<SetShape *>(fcinfo->flinfo->fn_extra)->scalar);
    tuplestore_putvalues(rsinfo->setResult, result, values, nulls);  // copies into its own memory
}

void append_all_rows(FunctionCallInfo fcinfo, const Rows &rows)
{
    for (uint64 row = 0; row < rows.count; row++)
        append_row(fcinfo, rows, row);
}

Datum composite_result(FunctionCallInfo fcinfo, const Rows &rows, uint64 row)
{
    TupleDesc result;
    if (get_call_result_type(fcinfo, nullptr, &result) != TYPEFUNC_COMPOSITE)
        elog(ERROR, "pgqrs: function does not return a composite type");
    result = BlessTupleDesc(result);
    Datum *values = static_cast<Datum *>(palloc(sizeof(Datum) * (result->natts + 1)));
    bool *nulls = static_cast<bool *>(palloc(sizeof(bool) * (result->natts + 1)));
    form_values(result, rows, row, values, nulls);
    // SPI_returntuple copies the tuple into the caller's memory, out of SPI's
    return PointerGetDatum(SPI_returntuple(heap_form_tuple(result, values, nulls), result));
}

void append_values(FunctionCallInfo fcinfo, const Datum *values, const bool *nulls)
{
    auto *rsinfo = reinterpret_cast<ReturnSetInfo *>(fcinfo->resultinfo);
    tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, const_cast<Datum *>(values),
                         const_cast<bool *>(nulls));
}

Datum composite_from_values(FunctionCallInfo fcinfo, const Datum *values, const bool *nulls)
{
    TupleDesc result;
    if (get_call_result_type(fcinfo, nullptr, &result) != TYPEFUNC_COMPOSITE)
        elog(ERROR, "pgqrs: function does not return a composite type");
    result = BlessTupleDesc(result);
    HeapTuple tuple = heap_form_tuple(result, const_cast<Datum *>(values), const_cast<bool *>(nulls));
    return PointerGetDatum(SPI_returntuple(tuple, result));
}

}  // namespace pgqrs
