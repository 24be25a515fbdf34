#include "results.hpp"

namespace pgqrs {

void begin_rows(FunctionCallInfo fcinfo)
{
    InitMaterializedSRF(fcinfo, MAT_SRF_USE_EXPECTED_DESC);
}

void append_row(FunctionCallInfo fcinfo, uint64 row)
{
    auto *rsinfo = reinterpret_cast<ReturnSetInfo *>(fcinfo->resultinfo);
    tuplestore_puttuple(rsinfo->setResult, SPI_tuptable->vals[row]);
}

void append_all_rows(FunctionCallInfo fcinfo)
{
    for (uint64 row = 0; row < SPI_processed; row++)
        append_row(fcinfo, row);
}

Datum first_row_composite(FunctionCallInfo fcinfo)
{
    TupleDesc result_type;
    if (get_call_result_type(fcinfo, nullptr, &result_type) != TYPEFUNC_COMPOSITE)
        elog(ERROR, "pgqrs: function does not return a composite type");
    return PointerGetDatum(SPI_returntuple(SPI_tuptable->vals[0], result_type));
}

}  // namespace pgqrs
