// A lost connection is reported once and the next call reconnects.
#include <chrono>
#include <cstdlib>
#include <thread>

#include "pgqrs/pgqrs.hpp"
#include "test_env.hpp"

namespace pgqrs::test {
namespace {

class ReconnectTest : public Installed {};

// Waits until the backend with that pid is gone.
void wait_gone(const std::string& pid) {
    for (int i = 0; i < 100; ++i) {
        if (sql("SELECT count(*) FROM pg_stat_activity WHERE pid = " + pid) == "0") return;
        std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
}

// Runs call; when it reports the lost connection, the next call must succeed.
template <typename F>
void expect_reconnects(F call) {
    try {
        call();
        return;
    } catch (const ConnectionError&) {
        // reported once; the next call reconnects
    }
    EXPECT_NO_THROW(call());
}

TEST_F(ReconnectTest, AfterTheBackendIsTerminated) {
    Admin admin(dsn());
    const std::string q = unique("q_reconn");
    admin.create_queue(q);
    Producer p(dsn(), q, "reconn-host", 26001);
    p.enqueue("{}");
    const std::string pid = *p.client()->conn.exec("SELECT pg_catalog.pg_backend_pid()").rows[0][0];
    sql("SELECT pg_catalog.pg_terminate_backend(" + pid + ")");
    wait_gone(pid);
    EXPECT_THROW(p.enqueue("{}"), ConnectionError);
    EXPECT_NO_THROW(p.enqueue("{}"));
    EXPECT_EQ(admin.get_messages().count(q), 2);  // the failed call did nothing
    const std::string pid2 = *admin.client()->conn.exec("SELECT pg_catalog.pg_backend_pid()").rows[0][0];
    sql("SELECT pg_catalog.pg_terminate_backend(" + pid2 + ")");
    wait_gone(pid2);
    expect_reconnects([&] { admin.list_queues(); });
}

TEST_F(ReconnectTest, AfterTheServerRestarts) {
    const char* cmd = std::getenv("PGQRS_TEST_RESTART_CMD");
    ASSERT_TRUE(cmd && *cmd) << "set PGQRS_TEST_RESTART_CMD to a command that restarts the "
                                "test server (make test sets it)";
    Admin admin(dsn());
    const std::string q = unique("q_restart");
    admin.create_queue(q);
    Producer p(dsn(), q, "reconn-host", 26002);
    Consumer c(dsn(), q, "reconn-host", 26003);
    p.enqueue(R"({"before":1})");
    ASSERT_EQ(std::system(cmd), 0) << cmd;
    expect_reconnects([&] { p.enqueue(R"({"after":1})"); });
    expect_reconnects([&] { admin.get_queue(q); });
    std::vector<QueueMessage> got;
    expect_reconnects([&] { got = c.dequeue(10); });
    EXPECT_GE(got.size(), 2u);  // acknowledged enqueues survived the restart
}

}  // namespace
}  // namespace pgqrs::test
