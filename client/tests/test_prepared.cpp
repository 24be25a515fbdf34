// Prepared statements: a connection keeps one per SQL text, however many calls fail.
#include "pgqrs/pgqrs.hpp"
#include "test_env.hpp"

namespace pgqrs::test {
namespace {

class PreparedTest : public Installed {};

constexpr int kFailures = 10000;

// The statements prepared in the session of that connection (its backend).
long prepared_count(Connection& conn) {
    return std::stol(*conn.exec("SELECT pg_catalog.count(*) FROM pg_catalog.pg_prepared_statements").rows[0][0]);
}

TEST_F(PreparedTest, FailedExecutesDoNotLeakStatements) {
    Connection conn(dsn());
    const long before = prepared_count(conn);
    // prepared fine, fails when it runs: the statement stays and is reused
    const std::string divide = "SELECT 1 / $1::int";
    for (int i = 0; i < kFailures; ++i) EXPECT_THROW(conn.exec(divide, {"0"}), Error);
    EXPECT_EQ(prepared_count(conn), before + 1);
    EXPECT_EQ(*conn.exec(divide, {"1"}).rows[0][0], "1");
    EXPECT_EQ(prepared_count(conn), before + 1);
}

TEST_F(PreparedTest, FailedPreparesAreNotKept) {
    Connection conn(dsn());
    const std::string table = unique("t_later");
    const std::string select = "SELECT count(*) FROM " + table;
    const long before = prepared_count(conn);
    for (int i = 0; i < kFailures; ++i) EXPECT_THROW(conn.exec(select), Error);
    EXPECT_EQ(prepared_count(conn), before);
    // the prepare failed, so nothing was cached: it is prepared anew once it can be
    conn.exec("CREATE TABLE " + table + " (x int)");
    EXPECT_EQ(*conn.exec(select).rows[0][0], "0");
    EXPECT_EQ(prepared_count(conn), before + 2);  // the CREATE TABLE and the select
}

TEST_F(PreparedTest, AFailedPrepareDoesNotDropTheOtherStatements) {
    Connection conn(dsn());
    const std::string add = "SELECT 1 + $1::int";
    conn.exec(add, {"1"});
    const long before = prepared_count(conn);
    // the second request runs the name the first one failed to prepare
    const std::string missing = "SELECT count(*) FROM " + unique("t_never");
    for (int i = 0; i < kFailures; ++i) {
        for (const auto& c : conn.exec_pipeline({{missing, {}}, {missing, {}}})) EXPECT_FALSE(c.ok());
        EXPECT_EQ(*conn.exec(add, {"1"}).rows[0][0], "2");
    }
    EXPECT_EQ(prepared_count(conn), before);
}

TEST_F(PreparedTest, ASessionThatLostItsStatementsPreparesThemAgain) {
    Connection conn(dsn());
    const std::string add = "SELECT 1 + $1::int";
    conn.exec(add, {"1"});
    conn.exec("DEALLOCATE ALL");  // as a pooler's reset query would
    EXPECT_THROW(conn.exec(add, {"1"}), Error);  // once
    EXPECT_EQ(*conn.exec(add, {"1"}).rows[0][0], "2");
    EXPECT_EQ(prepared_count(conn), 2);  // the sum and the count
}

TEST_F(PreparedTest, FailedCallsOfTheClientsDoNotLeakStatements) {
    const std::string missing = unique("q_never");
    Producer producer(dsn(), missing, "prepared-host", 27001);
    Admin admin(dsn());
    Connection& producer_conn = producer.client()->conn;
    Connection& admin_conn = admin.client()->conn;
    admin.list_queues();  // connected, its statement prepared
    const long producer_before = prepared_count(producer_conn);
    const long admin_before = prepared_count(admin_conn);
    for (int i = 0; i < kFailures; ++i) {
        EXPECT_THROW(producer.enqueue("{}"), Error);  // registering on a missing queue
        EXPECT_THROW(admin.queue_metrics(missing), QueueNotFoundError);
    }
    EXPECT_EQ(prepared_count(producer_conn), producer_before + 1);
    EXPECT_EQ(prepared_count(admin_conn), admin_before + 1);
    // the kept statements work once the queue exists
    admin.create_queue(missing);
    EXPECT_GT(producer.enqueue("{}"), 0);
    EXPECT_EQ(admin.queue_metrics(missing).total_messages, 1);
}

}  // namespace
}  // namespace pgqrs::test
