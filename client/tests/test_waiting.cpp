// Waiting consumers: dequeue with a wait, cancel(), the run() loop, lease memory.
#include <atomic>
#include <chrono>
#include <future>
#include <thread>

#include "pgqrs/pgqrs.hpp"
#include "test_env.hpp"

namespace pgqrs::test {
namespace {

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

double seconds_since(Clock::time_point t) {
    return std::chrono::duration<double>(Clock::now() - t).count();
}

class WaitingTest : public Installed {
protected:
    void SetUp() override {
        queue = unique("q_wait");
        admin.create_queue(queue);
    }
    // The pid of the backend running a dequeue_wait for this queue, once it runs ("" after 10 s).
    std::string waiting_backend() {
        for (int i = 0; i < 200; ++i) {
            std::string pid = sql(
                "SELECT COALESCE(max(pid)::text, '') FROM pg_stat_activity WHERE state = 'active' "
                "AND query LIKE '%dequeue_wait%' AND pid <> pg_backend_pid()");
            if (!pid.empty()) return pid;
            std::this_thread::sleep_for(50ms);
        }
        return "";
    }
    Admin admin{dsn()};
    std::string queue;
};

TEST_F(WaitingTest, WakesWhenAnotherConnectionEnqueues) {
    Producer p(dsn(), queue, "wait-host", 27001);
    Consumer c(dsn(), queue, "wait-host", 27002);
    c.worker_id();  // registered before the clock starts
    const auto start = Clock::now();
    auto waiting = std::async(std::launch::async, [&] { return c.dequeue(5, 30, 20s); });
    ASSERT_FALSE(waiting_backend().empty());
    const auto id = p.enqueue(R"({"wake":1})");
    ASSERT_EQ(waiting.wait_for(10s), std::future_status::ready);
    auto got = waiting.get();
    ASSERT_EQ(got.size(), 1u);
    EXPECT_EQ(got[0].id, id);
    EXPECT_LT(seconds_since(start), 10.0);  // well before the 20 s wait ends
    EXPECT_TRUE(c.archive(id));
}

TEST_F(WaitingTest, TimeoutReturnsNothing) {
    Consumer c(dsn(), queue, "wait-host", 27003);
    c.worker_id();
    const auto start = Clock::now();
    EXPECT_TRUE(c.dequeue(1, 30, 1s).empty());
    EXPECT_GE(seconds_since(start), 0.9);
    EXPECT_TRUE(c.dequeue_wait(1, std::nullopt, 1).empty());
}

TEST_F(WaitingTest, CancelEndsTheWaitAndTheConnectionStaysUsable) {
    Producer p(dsn(), queue, "wait-host", 27004);
    Consumer c(dsn(), queue, "wait-host", 27005);
    c.worker_id();
    const auto start = Clock::now();
    auto waiting = std::async(std::launch::async, [&] { return c.dequeue(1, 30, 60s); });
    ASSERT_FALSE(waiting_backend().empty());
    EXPECT_TRUE(c.cancel());
    ASSERT_EQ(waiting.wait_for(10s), std::future_status::ready);
    EXPECT_THROW(waiting.get(), CanceledError);
    EXPECT_LT(seconds_since(start), 10.0);
    // same connection, next call
    const auto id = p.enqueue("{}");
    auto got = c.dequeue(1, 30, 5s);
    ASSERT_EQ(got.size(), 1u);
    EXPECT_EQ(got[0].id, id);
    EXPECT_TRUE(c.archive(id));
    EXPECT_EQ(admin.queue_metrics(queue).locked_messages, 0);  // the cancelled call leased nothing
}

TEST_F(WaitingTest, CancelWithoutConnectionSaysSo) {
    Consumer c(dsn(), queue, "wait-host", 27006);
    std::string why;
    EXPECT_FALSE(c.client()->conn.cancel(&why));
    EXPECT_FALSE(why.empty());
}

TEST_F(WaitingTest, ReconnectsAfterTheBackendIsTerminatedDuringAWait) {
    Producer p(dsn(), queue, "wait-host", 27007);
    Consumer c(dsn(), queue, "wait-host", 27008);
    c.worker_id();
    auto waiting = std::async(std::launch::async, [&] { return c.dequeue(1, 30, 60s); });
    const std::string pid = waiting_backend();
    ASSERT_FALSE(pid.empty());
    sql("SELECT pg_catalog.pg_terminate_backend(" + pid + ")");
    ASSERT_EQ(waiting.wait_for(10s), std::future_status::ready);
    EXPECT_THROW(waiting.get(), ConnectionError);
    const auto id = p.enqueue("{}");
    auto got = c.dequeue(1, 30, 5s);  // reconnects
    ASSERT_EQ(got.size(), 1u);
    EXPECT_EQ(got[0].id, id);
}

TEST_F(WaitingTest, RunHandlesNMessagesAndReturns) {
    Producer p(dsn(), queue, "wait-host", 27009);
    std::vector<std::string> payloads;
    for (int i = 0; i < 10; ++i) payloads.push_back(R"({"n":)" + std::to_string(i) + "}");
    p.enqueue_batch(payloads);
    Consumer c(dsn(), queue, "wait-host", 27010);
    std::vector<std::int64_t> seen;
    RunOptions o;
    o.batch_size = 4;
    o.wait = 2s;
    o.max_messages = 10;
    RunStats st = c.run([&](const QueueMessage& m) { seen.push_back(m.id); }, o);
    EXPECT_EQ(st.handled, 10u);
    EXPECT_EQ(st.archived, 10u);
    EXPECT_EQ(st.failed, 0u);
    EXPECT_EQ(st.released, 0u);
    EXPECT_EQ(seen.size(), 10u);
    EXPECT_EQ(admin.get_archive().count(queue), 10);
    EXPECT_EQ(admin.get_messages().count(queue), 0);
}

TEST_F(WaitingTest, RunReleasesWhatTheHandlerThrowsFor) {
    Producer p(dsn(), queue, "wait-host", 27011);
    const auto bad = p.enqueue(R"({"bad":true})");
    const auto good = p.enqueue(R"({"bad":false})");
    Consumer c(dsn(), queue, "wait-host", 27012);
    std::vector<std::int64_t> errors;
    RunOptions o;
    o.batch_size = 2;
    o.lock_seconds = 60;
    o.wait = 1s;
    o.max_messages = 2;
    o.on_error = [&](const QueueMessage& m, std::exception_ptr) { errors.push_back(m.id); };
    RunStats st = c.run(
        [&](const QueueMessage& m) {
            if (m.id == bad) throw std::runtime_error("boom");
        },
        o);
    EXPECT_EQ(st.handled, 1u);
    EXPECT_EQ(st.failed, 1u);
    EXPECT_EQ(errors, std::vector<std::int64_t>{bad});
    EXPECT_TRUE(admin.get_archive().get(good).has_value());
    auto again = c.dequeue(1, 30);  // released at once, not after its 60 s lease
    ASSERT_EQ(again.size(), 1u);
    EXPECT_EQ(again[0].id, bad);
    EXPECT_EQ(again[0].read_ct, 2);
}

TEST_F(WaitingTest, StopEndsRunDuringItsWait) {
    Producer p(dsn(), queue, "wait-host", 27013);
    Consumer c(dsn(), queue, "wait-host", 27014);
    std::atomic<int> handled{0};
    RunOptions o;
    o.wait = 60s;
    auto running = std::async(std::launch::async, [&] { return c.run([&](const QueueMessage&) { ++handled; }, o); });
    p.enqueue("{}");
    for (int i = 0; i < 200 && handled < 1; ++i) std::this_thread::sleep_for(50ms);
    ASSERT_EQ(handled.load(), 1);
    ASSERT_FALSE(waiting_backend().empty());  // waiting again, 60 s
    const auto start = Clock::now();
    c.stop();
    ASSERT_EQ(running.wait_for(10s), std::future_status::ready);
    RunStats st = running.get();
    EXPECT_LT(seconds_since(start), 10.0);
    EXPECT_EQ(st.handled, 1u);
    EXPECT_EQ(st.archived, 1u);
    // the consumer is still usable, and a new run starts afresh
    const auto id = p.enqueue("{}");
    o.max_messages = 1;
    o.wait = 5s;
    EXPECT_EQ(c.run([&](const QueueMessage& m) { EXPECT_EQ(m.id, id); }, o).archived, 1u);
}

TEST_F(WaitingTest, RunStopsOnAFlagAndOnShutdown) {
    Producer p(dsn(), queue, "wait-host", 27015);
    Consumer c(dsn(), queue, "wait-host", 27016);
    std::atomic<bool> flag{false};
    RunOptions o;
    o.wait = 1s;
    o.stop = &flag;
    p.enqueue_batch({"{}", "{}", "{}"});
    RunStats st = c.run([&](const QueueMessage&) { flag = true; }, o);  // stops after the first
    EXPECT_EQ(st.handled, 1u);
    EXPECT_EQ(admin.get_messages().count(queue), 2);
    // shut down by an admin: run returns instead of throwing
    flag = false;
    admin.shutdown_worker(c.worker_id());
    EXPECT_EQ(c.run([&](const QueueMessage&) {}, o).handled, 0u);
}

TEST_F(WaitingTest, LeaseMemoryForgetsLeasesThatEndedLongAgo) {
    Producer p(dsn(), queue, "wait-host", 27017);
    Consumer c(dsn(), queue, "wait-host", 27018);
    const auto old_id = p.enqueue("{}");
    ASSERT_EQ(c.dequeue(1, 1).size(), 1u);  // a 1 s lease, never settled
    EXPECT_EQ(c.attempt_of(old_id), 1);
    std::this_thread::sleep_for(2500ms);     // ended 1.5 s ago
    const auto new_id = p.enqueue("{}");
    auto got = c.dequeue(5, 30);
    EXPECT_EQ(got.size(), 2u);  // the expired one is visible again
    EXPECT_EQ(c.attempt_of(old_id), 2);      // re-leased: remembered anew
    EXPECT_EQ(c.attempt_of(new_id), 1);
    EXPECT_EQ(c.tracked_leases(), 2u);
    EXPECT_TRUE(c.archive(old_id));
    EXPECT_TRUE(c.archive(new_id));
    EXPECT_EQ(c.tracked_leases(), 0u);
    // a lease that ended long ago is forgotten on a later dequeue
    const auto lone = p.enqueue("{}");
    ASSERT_EQ(c.dequeue(1, 1).size(), 1u);
    std::this_thread::sleep_for(2500ms);
    Consumer d(dsn(), queue, "wait-host", 27021);
    ASSERT_EQ(d.dequeue(1, 60).size(), 1u);  // another consumer took it
    EXPECT_TRUE(c.dequeue(1, 60).empty());   // sweeps
    EXPECT_FALSE(c.attempt_of(lone).has_value());
    EXPECT_EQ(c.tracked_leases(), 0u);
    EXPECT_FALSE(c.archive(lone));  // still fenced off, by the worker id
    EXPECT_TRUE(d.archive(lone));
}

TEST_F(WaitingTest, ErrorsOfWaitingAndNames) {
    try {
        admin.create_queue("bad name");
        ADD_FAILURE() << "no error";
    } catch (const InvalidInputError& e) {
        EXPECT_EQ(e.sqlstate(), "42602");
    }
    EXPECT_THROW(raise(ServerError{"57014", "canceling statement due to user request", "", ""}), CanceledError);
    Consumer c(dsn(), queue, "wait-host", 27019);
    EXPECT_THROW(c.dequeue(1, 30, 3601s), InvalidInputError);
}

TEST_F(WaitingTest, JsonStatementsGiveObjects) {
    Producer p(dsn(), queue, "wait-host", 27020);
    const auto id = p.enqueue(R"({"k":"v"})");
    Connection conn(dsn());
    const Statements& s = admin.client()->sql;
    Result r = conn.exec(s.json.messages_get, {std::to_string(id)});
    ASSERT_EQ(r.size(), 1u);
    EXPECT_NE(r.rows[0][0]->find(R"("payload":{"k": "v"})"), std::string::npos) << *r.rows[0][0];
    r = conn.exec(s.json.queues_list, {queue});
    ASSERT_EQ(r.size(), 1u);
    EXPECT_NE(r.rows[0][0]->find("\"queue_name\":\"" + queue + "\""), std::string::npos);
    EXPECT_THROW(conn.exec(s.json.messages_list, {std::string("no_such_queue"), std::nullopt}), QueueNotFoundError);
    EXPECT_THROW(admin.get_messages().count(std::string("no_such_queue")), QueueNotFoundError);
}

}  // namespace
}  // namespace pgqrs::test
