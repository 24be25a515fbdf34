// The boundary between PostgreSQL's C world and our C++: no C++ exception ever
// reaches a PostgreSQL frame, and no PostgreSQL error (longjmp) ever unwinds a
// frame that holds C++ objects with destructors.
#pragma once

#include "pg.hpp"

#include <exception>

namespace pgqrs {

// A PostgreSQL error caught by pg_call, carried through C++ frames as an exception.
struct PgError {
    ErrorData *data;
};

// Runs body (plain code that may ereport) under PG_TRY; a PostgreSQL error comes
// out as a PgError exception, a C++ exception escaping body is rethrown after
// the PG_TRY frame is gone. Body must not hold objects with destructors.
template <typename Body>
Datum pg_call(Body &&body)
{
    MemoryContext caller_context = CurrentMemoryContext;
    ErrorData *volatile error = nullptr;
    std::exception_ptr cxx_error;
    Datum result = (Datum) 0;

    PG_TRY();
    {
        try {
            result = body();
        } catch (...) {
            cxx_error = std::current_exception();
        }
    }
    PG_CATCH();
    {
        MemoryContextSwitchTo(caller_context);
        error = CopyErrorData();
        FlushErrorState();
    }
    PG_END_TRY();

    if (error != nullptr)
        throw PgError{error};
    if (cxx_error)
        std::rethrow_exception(cxx_error);
    return result;
}

// The one wrapper of every SQL-callable function: runs the body, turns any
// failure into a PostgreSQL ERROR raised after every C++ scope has ended.
Datum run_entry(FunctionCallInfo fcinfo, Datum (*body)(FunctionCallInfo));

}  // namespace pgqrs

// Defines the SQL-callable C symbol pgqrs_<name> and opens the body of its
// implementation: PGQRS_FUNCTION(enqueue) { ... return ...; }
#define PGQRS_FUNCTION(name)                                             \
    static Datum name##_body(FunctionCallInfo fcinfo);                    \
    extern "C" {                                                          \
    PG_FUNCTION_INFO_V1(pgqrs_##name);                                    \
    Datum pgqrs_##name(PG_FUNCTION_ARGS)                                  \
    {                                                                     \
        return pgqrs::run_entry(fcinfo, name##_body);                     \
    }                                                                     \
    }                                                                     \
    static Datum name##_body(FunctionCallInfo fcinfo)
