// Running our SQL from C++, the only way the extension runs a statement or
// reads a result (scripts/check-extension-rules.sh enforces it).
//
// Each statement is prepared once per backend and kept (SPI_keepplan). Its
// text names our tables as "@.table": the "@." becomes the quoted schema of the
// extension when it is prepared, and it runs with search_path = pg_catalog
// alone, so no function, operator or table that another role creates can
// take the place of the ones the statement means.
#pragma once

#include "pg.hpp"

namespace pgqrs {

constexpr int max_statement_args = 7;

// A SQL statement of ours; plan starts null and is prepared on first use
// (again when the extension's schema is not the one it was prepared for).
struct Statement {
    const char *sql;
    int nargs;
    Oid argtypes[max_statement_args];
    SPIPlanPtr plan;
    Oid schema;
};

// The rows one execution of one statement produced: the only rows a caller
// may read, through value() and the result builders of results.hpp.
struct Rows {
    SPITupleTable *table;
    uint64 count;
    const char *statement;
};

// Opens the SPI scope of one call of a pgqrs function (found through fcinfo).
void begin_call(FunctionCallInfo fcinfo);

// Closes it; results must have been copied out with the builders before.
void end_call();

// Executes st (count = row limit, 0 for all). nulls: ' ' for a value, 'n' for NULL.
Rows exec(Statement &st, const Datum *values, const char *nulls, long count = 0);

// Column `name` of row `row` of rows, which must have type `type`; a NULL is
// an error unless isnull is given. A missing row or column, or another type,
// is a clear error, never a read of memory the statement did not produce.
Datum value(const Rows &rows, uint64 row, const char *name, Oid type, bool *isnull = nullptr);

// Runs a utility command built by us (GRANT, REVOKE) inside the current call.
void run_utility(const char *sql);

// Raises the error for a result whose column has another type than the one
// the extension was built for (a table altered after install).
void raise_altered(const char *what, const char *column, Oid found, Oid expected);

}  // namespace pgqrs
