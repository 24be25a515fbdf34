// Shared helpers of the client tests: the server's DSN and unique names.
#pragma once

#include <string>

#include <gtest/gtest.h>

namespace pgqrs::test {

// The DSN of the test server (PGQRS_TEST_DSN); fails the test when unset.
std::string dsn();
// A fresh name with the given prefix, unique across runs ("prefix_<pid>_<n>").
std::string unique(const std::string& prefix);
// The DSN of another database on the same server.
std::string dsn_for_database(const std::string& dbname);
// Runs one SQL statement on the test server (for setup), returning the first value.
std::string sql(const std::string& statement);

// Installs the extension once for every test that derives from it.
class Installed : public ::testing::Test {
protected:
    static void SetUpTestSuite();
};

}  // namespace pgqrs::test
