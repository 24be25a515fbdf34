// Consumer: leases, finishing calls, per-attempt fencing, dead letters.
#include <chrono>
#include <thread>

#include "pgqrs/pgqrs.hpp"
#include "test_env.hpp"

namespace pgqrs::test {
namespace {

class ConsumerTest : public Installed {
protected:
    void SetUp() override {
        queue = unique("q_cons");
        admin.create_queue(queue);
    }
    Admin admin{dsn()};
    std::string queue;
};

TEST_F(ConsumerTest, DequeueOldestFirstInBatches) {
    Producer p(dsn(), queue, "cons-host", 23001);
    auto ids = p.enqueue_batch({R"({"n":1})", R"({"n":2})", R"({"n":3})"});
    Consumer c(dsn(), queue, "cons-host", 23002);
    auto first = c.dequeue();
    ASSERT_EQ(first.size(), 1u);
    EXPECT_EQ(first[0].id, ids[0]);
    EXPECT_EQ(first[0].read_ct, 1);
    EXPECT_EQ(first[0].payload, R"({"n": 1})");
    EXPECT_EQ(first[0].consumer_worker_id, c.registered_id());
    EXPECT_TRUE(first[0].dequeued_at.has_value());
    auto rest = c.dequeue_batch(10, 30);
    ASSERT_EQ(rest.size(), 2u);
    EXPECT_EQ(rest[0].id, ids[1]);
    EXPECT_EQ(rest[1].id, ids[2]);
    EXPECT_TRUE(c.dequeue(10).empty());  // all leased
    EXPECT_EQ(admin.queue_metrics(queue).locked_messages, 3);
    EXPECT_EQ(c.attempt_of(ids[0]), 1);
}

TEST_F(ConsumerTest, ArchiveDeleteAndTheirBatches) {
    Producer p(dsn(), queue, "cons-host", 23003);
    auto ids = p.enqueue_batch({"{}", "{}", "{}", "{}", "{}", "{}"});
    Consumer c(dsn(), queue, "cons-host", 23004);
    ASSERT_EQ(c.dequeue(6, 60).size(), 6u);
    EXPECT_TRUE(c.archive(ids[0]));
    EXPECT_FALSE(c.archive(ids[0]));  // already done
    EXPECT_TRUE(admin.get_archive().get(ids[0]).has_value());
    EXPECT_TRUE(c.delete_message(ids[1]));
    EXPECT_FALSE(c.delete_message(ids[1]));
    EXPECT_FALSE(admin.get_archive().get(ids[1]).has_value());
    EXPECT_FALSE(admin.get_messages().get(ids[1]).has_value());
    auto archived = c.archive_batch({ids[2], ids[3]});
    EXPECT_EQ(archived.size(), 2u);
    auto deleted = c.delete_batch({ids[4], ids[5], 999999999});
    EXPECT_EQ(deleted.size(), 2u);
    EXPECT_EQ(admin.get_messages().count(queue), 0);
    EXPECT_EQ(admin.get_archive().count(queue), 3);
}

TEST_F(ConsumerTest, ExtendAndRelease) {
    Producer p(dsn(), queue, "cons-host", 23005);
    auto id = p.enqueue("{}");
    Consumer c(dsn(), queue, "cons-host", 23006);
    auto got = c.dequeue(1, 2);
    ASSERT_EQ(got.size(), 1u);
    auto vt = c.extend_visibility(id, 600);
    ASSERT_TRUE(vt.has_value());
    EXPECT_GT(*vt, got[0].vt);  // same format, later time
    EXPECT_EQ(c.release({id}), 1);
    auto again = c.dequeue(1, 60);
    ASSERT_EQ(again.size(), 1u);
    EXPECT_EQ(again[0].id, id);
    EXPECT_EQ(again[0].read_ct, 2);
    EXPECT_EQ(c.attempt_of(id), 2);
}

TEST_F(ConsumerTest, ExpiredLeaseIsFencedOff) {
    Producer p(dsn(), queue, "cons-host", 23007);
    auto id = p.enqueue(R"({"job":1})");
    Consumer a(dsn(), queue, "cons-host", 23008);
    Consumer b(dsn(), queue, "cons-host", 23009);
    ASSERT_EQ(a.dequeue(1, 1).size(), 1u);
    std::this_thread::sleep_for(std::chrono::milliseconds(1300));
    auto got = b.dequeue(1, 60);  // the lease expired: at-least-once, attempt 2
    ASSERT_EQ(got.size(), 1u);
    EXPECT_EQ(got[0].read_ct, 2);
    EXPECT_FALSE(a.archive(id));
    EXPECT_FALSE(a.delete_message(id));
    EXPECT_FALSE(a.extend_visibility(id, 60).has_value());
    EXPECT_EQ(a.release({id}), 0);
    EXPECT_TRUE(b.archive(id));
}

TEST_F(ConsumerTest, DeadLettersAndReplay) {
    const std::string q = unique("q_dlq");
    admin.create_queue(q, 1);
    Producer p(dsn(), q, "cons-host", 23010);
    auto id = p.enqueue(R"({"poison":true})");
    Consumer c(dsn(), q, "cons-host", 23011);
    ASSERT_EQ(c.dequeue(1, 1).size(), 1u);
    std::this_thread::sleep_for(std::chrono::milliseconds(1300));
    EXPECT_TRUE(c.dequeue(1, 1).empty());  // attempts used up: never handed out again
    auto dead = admin.dlq(q);
    ASSERT_EQ(dead.size(), 1u);
    EXPECT_EQ(dead[0].id, id);
    EXPECT_TRUE(dead[0].dead_letter);
    EXPECT_EQ(admin.queue_metrics(q).dead_messages, 1);
    EXPECT_EQ(admin.replay_dlq(q, std::vector<std::int64_t>{id}), 1);
    EXPECT_TRUE(admin.dlq(q).empty());
    auto back = c.dequeue(1, 60);
    ASSERT_EQ(back.size(), 1u);
    EXPECT_EQ(back[0].id, id);
    EXPECT_EQ(back[0].read_ct, 1);
    EXPECT_EQ(admin.replay_dlq(q), 0);
}

TEST_F(ConsumerTest, DequeueWaitReturnsWhenAMessageArrives) {
    Producer p(dsn(), queue, "cons-host", 23012);
    Consumer c(dsn(), queue, "cons-host", 23013);
    EXPECT_TRUE(c.dequeue_wait(1, 30, 1).empty());  // nothing within a second
    auto id = p.enqueue("{}");
    auto got = c.dequeue_wait(5, std::nullopt, 5);
    ASSERT_EQ(got.size(), 1u);
    EXPECT_EQ(got[0].id, id);
    EXPECT_TRUE(c.archive(id));
}

}  // namespace
}  // namespace pgqrs::test
