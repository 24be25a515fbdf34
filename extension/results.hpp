// Handing rows of a statement back to the caller of a pgqrs function. Every
// result is formed from the function's declared result type, column by
// column by name: a column of another type is a clear error (see
// raise_altered), a result column the statement does not produce is NULL.
#pragma once

#include "spi.hpp"

namespace pgqrs {

// Prepares a set-returning function's materialized result; call before begin_call.
void begin_rows(FunctionCallInfo fcinfo);

// Where each column of a set-returning function's result comes from in one
// statement's rows (matched by name, types checked), found once for all of them.
struct RowShape {
    int *source;  // per result column: the statement's column, 1-based (0: NULL)
};
RowShape row_shape(FunctionCallInfo fcinfo, const Rows &rows);

// Appends row `row` of rows to the materialized result.
void append_row(FunctionCallInfo fcinfo, const Rows &rows, uint64 row, const RowShape &shape);

// Appends every row of rows.
void append_all_rows(FunctionCallInfo fcinfo, const Rows &rows);

// Row `row` of rows as the function's composite result, in the caller's memory.
Datum composite_result(FunctionCallInfo fcinfo, const Rows &rows, uint64 row);

// A result computed by the function rather than read from a statement: one
// value per column of the declared result, in its order (types as declared).
void append_values(FunctionCallInfo fcinfo, const Datum *values, const bool *nulls);
Datum composite_from_values(FunctionCallInfo fcinfo, const Datum *values, const bool *nulls);

}  // namespace pgqrs
