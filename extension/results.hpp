// Handing the rows of a statement back to the caller of a pgqrs function.
#pragma once

#include "pg.hpp"

namespace pgqrs {

// Prepares a set-returning function's materialized result; call before begin_call.
void begin_rows(FunctionCallInfo fcinfo);

// Appends row `row` of the last SPI result to the materialized result.
void append_row(FunctionCallInfo fcinfo, uint64 row);

// Appends every row of the last SPI result.
void append_all_rows(FunctionCallInfo fcinfo);

// Row 0 of the last SPI result as the function's composite result type, in the
// caller's memory.
Datum first_row_composite(FunctionCallInfo fcinfo);

}  // namespace pgqrs
