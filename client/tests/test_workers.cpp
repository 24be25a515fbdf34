// Worker lifecycle, heartbeats, reclaim and worker administration.
#include <chrono>
#include <thread>

#include "pgqrs/pgqrs.hpp"
#include "test_env.hpp"

namespace pgqrs::test {
namespace {

class WorkerTest : public Installed {
protected:
    void SetUp() override {
        queue = unique("q_work");
        admin.create_queue(queue);
    }
    Admin admin{dsn()};
    std::string queue;
};

TEST_F(WorkerTest, SuspendResumeShutdown) {
    Producer p(dsn(), queue, "work-host", 24001);
    p.enqueue("{}");
    Consumer c(dsn(), queue, "work-host", 24002);
    EXPECT_EQ(c.status(), "ready");
    EXPECT_EQ(c.suspend().status, "suspended");
    EXPECT_EQ(c.status(), "suspended");
    EXPECT_TRUE(c.dequeue(5).empty());  // a suspended worker gets nothing
    EXPECT_THROW(c.suspend(), WorkerError);      // illegal transition
    EXPECT_EQ(c.resume().status, "ready");
    EXPECT_EQ(c.dequeue(5).size(), 1u);
    WorkerInfo w = c.shutdown();
    EXPECT_EQ(w.status, "stopped");
    EXPECT_TRUE(w.shutdown_at.has_value());
    EXPECT_EQ(admin.queue_metrics(queue).pending_messages, 1);  // released on shutdown
    EXPECT_THROW(c.dequeue(), WorkerError);
}

TEST_F(WorkerTest, HeartbeatsExplicitAndPiggybacked) {
    Options o;
    o.heartbeat_interval = std::chrono::seconds(0);
    Producer p(dsn(), queue, "work-host", 24003, o);
    p.heartbeat();
    WorkerInfo before = p.info();
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
    EXPECT_TRUE(p.heartbeat_due());
    p.enqueue("{}");  // interval 0: this call carries a heartbeat
    WorkerInfo after = p.info();
    EXPECT_GT(after.heartbeat_at, before.heartbeat_at);
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
    p.heartbeat();
    EXPECT_GT(p.info().heartbeat_at, after.heartbeat_at);
}

TEST_F(WorkerTest, AdminWorkerCalls) {
    Producer p(dsn(), queue, "work-host", 24004);
    auto ids = p.enqueue_batch({"{}", "{}"});
    Consumer c(dsn(), queue, "work-host", 24005);
    ASSERT_EQ(c.dequeue(2, 300).size(), 2u);
    const std::int64_t wid = c.worker_id();

    auto listed = admin.list_workers(queue);
    EXPECT_EQ(listed.size(), 2u);
    EXPECT_EQ(admin.get_worker(wid).port, 24005);
    EXPECT_EQ(admin.worker_messages(wid).size(), 2u);
    WorkerStats s = admin.worker_stats(queue);
    EXPECT_EQ(s.total_workers, 2);
    EXPECT_EQ(s.messages_held, 2);
    auto health = admin.worker_health(queue, "1 hour");
    ASSERT_EQ(health.size(), 2u);
    for (const auto& h : health) EXPECT_TRUE(h.healthy);

    EXPECT_THROW(admin.delete_worker(wid), Error);  // still holds messages
    EXPECT_EQ(admin.release_worker_messages(wid), 2);
    EXPECT_TRUE(admin.worker_messages(wid).empty());
    EXPECT_EQ(admin.release_worker_messages(wid), 0);

    EXPECT_EQ(admin.suspend_worker(wid).status, "suspended");
    EXPECT_EQ(admin.resume_worker(wid).status, "ready");
    EXPECT_EQ(admin.shutdown_worker(wid).status, "stopped");
    EXPECT_EQ(admin.worker_status(wid), "stopped");
    EXPECT_TRUE(admin.delete_worker(wid));
    EXPECT_THROW(admin.get_worker(wid), WorkerNotFoundError);
    p.close();
    EXPECT_GE(admin.purge_old_workers("0 seconds"), 1);
    EXPECT_EQ(admin.get_workers().count(queue), 0);
}

TEST_F(WorkerTest, ReclaimReleasesSilentWorkers) {
    Producer p(dsn(), queue, "work-host", 24006);
    p.enqueue("{}");
    Consumer c(dsn(), queue, "work-host", 24007);
    ASSERT_EQ(c.dequeue(1, 600).size(), 1u);
    EXPECT_EQ(admin.reclaim_messages(queue, "1 hour"), 0);  // heartbeat is fresh
    std::this_thread::sleep_for(std::chrono::milliseconds(1100));
    EXPECT_EQ(admin.reclaim_messages(queue, "1 second"), 1);
    EXPECT_EQ(admin.queue_metrics(queue).pending_messages, 1);
    EXPECT_EQ(admin.worker_status(c.worker_id()), "stopped");
    EXPECT_EQ(admin.reclaim_messages(std::nullopt, "1 hour"), 0);
}

}  // namespace
}  // namespace pgqrs::test
