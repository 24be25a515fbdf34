#include "guard.hpp"

#include <cstring>

namespace pgqrs {

Datum run_entry(FunctionCallInfo fcinfo, Datum (*body)(FunctionCallInfo))
{
    // Plain C data only: these outlive the catch blocks and are used to raise
    // the error once no C++ object is alive any more.
    ErrorData *pg_error = nullptr;
    bool cxx_failed = false;
    char cxx_message[256];
    Datum result = (Datum) 0;

    try {
        result = pg_call([&] { return body(fcinfo); });
    } catch (const PgError &e) {
        pg_error = e.data;
    } catch (const std::exception &e) {
        strlcpy(cxx_message, e.what(), sizeof cxx_message);
        cxx_failed = true;
    } catch (...) {
        strlcpy(cxx_message, "unknown C++ exception", sizeof cxx_message);
        cxx_failed = true;
    }

    if (pg_error != nullptr)
        ReThrowError(pg_error);
    if (cxx_failed)
        ereport(ERROR, (errcode(ERRCODE_INTERNAL_ERROR),
                        errmsg("pgqrs internal error: %s", cxx_message)));
    return result;
}

}  // namespace pgqrs
