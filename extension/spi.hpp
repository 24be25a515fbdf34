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

constexpr int max_statement_args = 8;

// A SQL statement of ours; plan starts null and is prepared on first use, and
// again when the extension's schema is not the one it was prepared for, by oid
// or by name (a kept plan is re-planned from its text, so a schema renamed and
// replaced by another of the old name must not be used).
struct Statement {
    const char *sql;
    int nargs;
    Oid argtypes[max_statement_args];
    SPIPlanPtr plan;
    Oid schema;
    char schema_name[NAMEDATALEN];
};

// The rows one execution of one statement produced: the only rows a caller
// may read, through value() and the result builders of results.hpp.
struct Rows {
    SPITupleTable *table;
    uint64 count;
    const char *statement;
};

// One call of a pgqrs function, between begin_call and end_call: the user
// to switch back to when it ends.
struct CallScope {
    Oid saved_user;
    int saved_context;
};

// Opens the SPI scope of one call of a pgqrs function (found through fcinfo)
// and, as SECURITY DEFINER would, runs the rest of it as the function's owner,
// remembering the role that called it (caller()). The functions are declared
// SECURITY INVOKER so that this caller is the role PostgreSQL checked EXECUTE
// against: a SECURITY DEFINER function of someone else, or an index
// expression run by maintenance, calls as its owner, not as the session.
CallScope begin_call(FunctionCallInfo fcinfo);

// Closes it and switches back to the caller; results must have been copied
// out with the builders before. An error ends the transaction or
// subtransaction, which switches back by itself.
void end_call(const CallScope &scope);

// A nested SPI scope inside a call: the results of the statements run
// between begin_pass and end_pass are freed at end_pass (a long wait runs
// many passes in one call).
void begin_pass();
void end_pass();

// The role that called the pgqrs function now running.
Oid caller();

// True when that caller is a superuser or has the privileges of the
// function's owner (asked once per call).
bool caller_has_owner_privileges();

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
