// Test helpers: DSN from the environment, unique names, extension install.
#include "test_env.hpp"

#include <libpq-fe.h>
#include <unistd.h>

#include <atomic>
#include <cstdlib>

#include "pgqrs/admin.hpp"
#include "pgqrs/connection.hpp"

namespace pgqrs::test {

std::string dsn() {
    const char* d = std::getenv("PGQRS_TEST_DSN");
    if (!d || !*d) {
        ADD_FAILURE() << "PGQRS_TEST_DSN is not set (make test-client sets it)";
        return "host=/nonexistent";
    }
    return d;
}

std::string unique(const std::string& prefix) {
    static std::atomic<int> n{0};
    return prefix + "_" + std::to_string(::getpid()) + "_" + std::to_string(++n);
}

std::string dsn_for_database(const std::string& dbname) {
    char* err = nullptr;
    PQconninfoOption* opts = PQconninfoParse(dsn().c_str(), &err);
    if (!opts) {
        std::string m = err ? err : "bad dsn";
        PQfreemem(err);
        throw std::runtime_error(m);
    }
    std::string out;
    for (PQconninfoOption* o = opts; o->keyword; ++o) {
        if (!o->val || std::string(o->keyword) == "dbname") continue;
        std::string v = o->val, q;
        for (char c : v) {
            if (c == '\'' || c == '\\') q += '\\';
            q += c;
        }
        out += std::string(o->keyword) + "='" + q + "' ";
    }
    PQconninfoFree(opts);
    return out + "dbname='" + dbname + "'";
}

std::string sql(const std::string& statement) {
    Connection c(dsn());
    Result r = c.exec(statement);
    if (r.empty() || r.rows[0].empty() || !r.rows[0][0]) return "";
    return *r.rows[0][0];
}

void Installed::SetUpTestSuite() {
    Admin admin(dsn());
    admin.install();
}

}  // namespace pgqrs::test
