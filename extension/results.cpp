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

// For each attribute of result, the column of rows it comes from (1-based, 0:
// none, NULL), matched by name (the first column for a scalar set) with its
// type checked.
static int *match_columns(TupleDesc result, const Rows &rows, bool scalar)
{
    int *source_of = static_cast<int *>(palloc0(sizeof(int) * (result->natts + 1)));
    TupleDesc source = rows.table->tupdesc;
    for (int i = 0; i < result->natts; i++) {
        Form_pg_attribute attr = TupleDescAttr(result, i);
        if (attr->attisdropped)
            continue;
        int col = scalar ? 1 : SPI_fnumber(source, NameStr(attr->attname));
        if (col <= 0)
            continue;  // a column added to the table after install: NULL
        Oid found = SPI_gettypeid(source, col);
        if (found != attr->atttypid)
            raise_altered(format_type_be(result->tdtypeid), NameStr(attr->attname), found,
                          attr->atttypid);
        source_of[i] = col;
    }
    return source_of;
}

static void check_row(const Rows &rows, uint64 row)
{
    if (rows.table == nullptr || row >= rows.count)
        elog(ERROR, "pgqrs: row %llu of a result of %llu rows read (%s)",
             static_cast<unsigned long long>(row), static_cast<unsigned long long>(rows.count),
             rows.statement);
}

// Fills values/nulls (one per attribute of result) from row `row` of rows.
static void form_values(TupleDesc result, const Rows &rows, uint64 row, Datum *values, bool *nulls)
{
    check_row(rows, row);
    int *source_of = match_columns(result, rows, false);
    for (int i = 0; i < result->natts; i++) {
        values[i] = (Datum) 0;
        nulls[i] = true;
        if (source_of[i] > 0)
            values[i] = SPI_getbinval(rows.table->vals[row], rows.table->tupdesc, source_of[i], &nulls[i]);
    }
}

RowShape row_shape(FunctionCallInfo fcinfo, const Rows &rows)
{
    auto *rsinfo = reinterpret_cast<ReturnSetInfo *>(fcinfo->resultinfo);
    TupleDesc result = rsinfo->setDesc;
    if (rows.table == nullptr || rows.count == 0)  // nothing to read (and nothing to check)
        return {static_cast<int *>(palloc0(sizeof(int) * (result->natts + 1)))};
    return {match_columns(result, rows, static_cast<SetShape *>(fcinfo->flinfo->fn_extra)->scalar)};
}

void append_row(FunctionCallInfo fcinfo, const Rows &rows, uint64 row, const RowShape &shape)
{
    check_row(rows, row);
    auto *rsinfo = reinterpret_cast<ReturnSetInfo *>(fcinfo->resultinfo);
    TupleDesc result = rsinfo->setDesc;
    TupleDesc source = rows.table->tupdesc;
    // the row's columns once, then each result column from its match
    Datum *columns = static_cast<Datum *>(palloc(sizeof(Datum) * (source->natts + 1)));
    bool *column_nulls = static_cast<bool *>(palloc(sizeof(bool) * (source->natts + 1)));
    heap_deform_tuple(rows.table->vals[row], source, columns, column_nulls);
    Datum *values = static_cast<Datum *>(palloc(sizeof(Datum) * (result->natts + 1)));
    bool *nulls = static_cast<bool *>(palloc(sizeof(bool) * (result->natts + 1)));
    for (int i = 0; i < result->natts; i++) {
        int col = shape.source[i];
        values[i] = col > 0 ? columns[col - 1] : (Datum) 0;
        nulls[i] = col > 0 ? column_nulls[col - 1] : true;
    }
    tuplestore_putvalues(rsinfo->setResult, result, values, nulls);  // copies into its own memory
    pfree(columns);
    pfree(column_nulls);
    pfree(values);
    pfree(nulls);
}

void append_all_rows(FunctionCallInfo fcinfo, const Rows &rows)
{
    RowShape shape = row_shape(fcinfo, rows);
    for (uint64 row = 0; row < rows.count; row++)
        append_row(fcinfo, rows, row, shape);
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
