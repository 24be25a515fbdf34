// Running our SQL from C++: each statement is prepared once per backend and
// kept (SPI_keepplan), and runs with search_path = pg_catalog, <our schema>,
// so neither the caller's search_path nor planted objects change what it does.
#pragma once

#include "pg.hpp"

namespace pgqrs {

constexpr int max_statement_args = 6;

// A SQL statement of ours; tables are named unqualified and resolve to the
// schema of the extension. plan starts null and is prepared on first use.
struct Statement {
    const char *sql;
    int nargs;
    Oid argtypes[max_statement_args];
    SPIPlanPtr plan;
};

// Opens the SPI scope of one call of a pgqrs function (found through fcinfo).
void begin_call(FunctionCallInfo fcinfo);

// Closes it; results must have been copied out of SPI memory before.
void end_call();

// Executes st (count = row limit, 0 for all); returns the rows processed, the
// rows themselves are in SPI_tuptable. nulls: ' ' for a value, 'n' for NULL.
uint64 exec(Statement &st, const Datum *values, const char *nulls, long count = 0);

// Column col (1-based) of row row of the last result; isnull may be nullptr
// when the column is declared NOT NULL.
Datum column(uint64 row, int col, bool *isnull = nullptr);

}  // namespace pgqrs
