// Consumer::run leaves no message leased to nobody: what it does not settle, it releases.
#include <atomic>
#include <chrono>
#include <stdexcept>
#include <thread>

#include "pgqrs/pgqrs.hpp"
#include "test_env.hpp"

namespace pgqrs::test {
namespace {

using namespace std::chrono_literals;

class RunLeasesTest : public Installed {
protected:
    void SetUp() override {
        queue = unique("q_run_leases");
        admin.create_queue(queue);
        Producer(dsn(), queue, "leases-host", 28001).enqueue_batch({"{}", "{}", "{}"});
    }
    // Ends the backend of the consumer's connection and waits until it is gone.
    static void terminate_backend_of(Consumer& c) {
        const std::string pid = *c.client()->conn.exec("SELECT pg_catalog.pg_backend_pid()").rows[0][0];
        sql("SELECT pg_catalog.pg_terminate_backend(" + pid + ")");
        for (int i = 0; i < 100 && sql("SELECT count(*) FROM pg_stat_activity WHERE pid = " + pid) != "0"; ++i)
            std::this_thread::sleep_for(50ms);
    }
    Admin admin{dsn()};
    std::string queue;
};

TEST_F(RunLeasesTest, TheRestOfABatchIsReleasedWhenTheConnectionIsLost) {
    Consumer c(dsn(), queue, "leases-host", 28002);
    c.worker_id();
    RunOptions o;
    o.batch_size = 3;
    o.lock_seconds = 300;  // a message left leased would not come back during the test
    o.wait = 1s;
    o.max_messages = 3;
    std::atomic<bool> give_up{false};
    o.stop = &give_up;
    std::thread deadline([&] {
        for (int i = 0; i < 150 && !give_up; ++i) std::this_thread::sleep_for(100ms);
        give_up = true;
    });
    std::vector<int> attempts;
    RunStats st = c.run(
        [&](const QueueMessage& m) {
            if (attempts.empty()) terminate_backend_of(c);  // its archive fails
            attempts.push_back(m.read_ct);
        },
        o);
    give_up = true;
    deadline.join();
    // the two not yet handled were released on a new connection and delivered again
    EXPECT_EQ(st.handled, 3u);
    EXPECT_EQ(st.released, 2u);
    EXPECT_EQ(st.archived, 2u);
    EXPECT_EQ(attempts, (std::vector<int>{1, 2, 2}));
    // only the first stays leased: its archive failed with the connection, it may have run
    EXPECT_EQ(admin.queue_metrics(queue).locked_messages, 1);
}

TEST_F(RunLeasesTest, WhatItHadNotSettledIsReleasedWhenItThrows) {
    Consumer c(dsn(), queue, "leases-host", 28003);
    RunOptions o;
    o.batch_size = 3;
    o.lock_seconds = 300;
    o.wait = 1s;
    o.on_error = [](const QueueMessage&, std::exception_ptr e) { std::rethrow_exception(e); };
    EXPECT_THROW(c.run([](const QueueMessage&) { throw std::runtime_error("handler failed"); }, o),
                 std::runtime_error);
    EXPECT_EQ(admin.queue_metrics(queue).locked_messages, 0);
    EXPECT_EQ(c.dequeue(3, 30).size(), 3u);  // at once, not after their 300 s lease
}

}  // namespace
}  // namespace pgqrs::test
