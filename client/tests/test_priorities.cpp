// Priorities: enqueue forms with a priority, delivery order (higher first, FIFO
// within one), Producer::set_priority, bad input, and the per-priority metrics.
#include <map>
#include <string>
#include <vector>

#include "pgqrs/pgqrs.hpp"
#include "test_env.hpp"

namespace pgqrs::test {
namespace {

class PrioritiesTest : public Installed {
protected:
    void SetUp() override {
        queue = unique("q_prio");
        admin.create_queue(queue);
    }
    // Dequeues one message at a time until none is visible; their ids in delivery order.
    static std::vector<std::int64_t> drain(Consumer& c) {
        std::vector<std::int64_t> order;
        for (auto got = c.dequeue(1, 60); !got.empty(); got = c.dequeue(1, 60)) {
            order.push_back(got[0].id);
            EXPECT_TRUE(c.archive(got[0].id));
        }
        return order;
    }
    Admin admin{dsn()};
    std::string queue;
};

TEST_F(PrioritiesTest, BatchIsDeliveredHigherFirstAndFifoWithinAPriority) {
    Producer p(dsn(), queue, "prio-host", 31001);
    auto ids = p.enqueue_batch({R"({"i":0})", R"({"i":1})", R"({"i":2})", R"({"i":3})", R"({"i":4})", R"({"i":5})"},
                               0, {0, 5, 9, 5, 0, 9});
    ASSERT_EQ(ids.size(), 6u);
    EXPECT_EQ(admin.get_messages().get(ids[2])->priority, 9);
    EXPECT_EQ(admin.get_messages().get(ids[0])->priority, 0);
    Consumer c(dsn(), queue, "prio-host", 31002);
    EXPECT_EQ(drain(c), (std::vector<std::int64_t>{ids[2], ids[5], ids[1], ids[3], ids[0], ids[4]}));
}

TEST_F(PrioritiesTest, SingleEnqueuesCarryTheirPriority) {
    Producer p(dsn(), queue, "prio-host", 31003);
    const std::int64_t low = p.enqueue(R"({"low":true})");
    const std::int64_t high = p.enqueue(R"({"high":true})", 0, 7);
    const std::int64_t keyed = p.enqueue(R"({"keyed":true})", 0, "key-1", 3);
    const Enqueued dedup = p.enqueue_dedup(R"({"dedup":true})", "key-2", 0, 8);
    EXPECT_TRUE(dedup.inserted);
    EXPECT_EQ(admin.get_messages().get(keyed)->dedup_key, std::optional<std::string>("key-1"));
    EXPECT_EQ(p.enqueue_dedup("{}", "key-2", 0, 1).msg_id, dedup.msg_id);  // the key's holder, unchanged
    EXPECT_EQ(admin.get_messages().get(dedup.msg_id)->priority, 8);
    Consumer c(dsn(), queue, "prio-host", 31004);
    auto got = c.dequeue(1, 60);
    ASSERT_EQ(got.size(), 1u);
    EXPECT_EQ(got[0].id, dedup.msg_id);
    EXPECT_EQ(got[0].priority, 8);  // dequeued rows carry the priority
    EXPECT_TRUE(c.archive(got[0].id));
    EXPECT_EQ(drain(c), (std::vector<std::int64_t>{high, keyed, low}));
}

TEST_F(PrioritiesTest, BatchDedupTakesPrioritiesPerElement) {
    Producer p(dsn(), queue, "prio-host", 31005);
    auto rows = p.enqueue_batch_dedup({R"({"d":0})", R"({"d":1})", R"({"d":2})"}, {"k0", std::nullopt, "k2"}, 0,
                                      {1, 0, 6});
    ASSERT_EQ(rows.size(), 3u);
    EXPECT_EQ(admin.get_messages().get(rows[2].msg_id)->priority, 6);
    Consumer c(dsn(), queue, "prio-host", 31006);
    EXPECT_EQ(drain(c), (std::vector<std::int64_t>{rows[2].msg_id, rows[0].msg_id, rows[1].msg_id}));
}

TEST_F(PrioritiesTest, SetPriorityChangesTheDeliveryOrder) {
    Producer p(dsn(), queue, "prio-host", 31007);
    const std::int64_t first = p.enqueue(R"({"n":1})");
    const std::int64_t second = p.enqueue(R"({"n":2})");
    const std::int64_t third = p.enqueue(R"({"n":3})");
    EXPECT_TRUE(p.set_priority(third, 9));
    EXPECT_EQ(admin.get_messages().get(third)->priority, 9);
    Consumer c(dsn(), queue, "prio-host", 31008);
    auto got = c.dequeue(1, 60);
    ASSERT_EQ(got.size(), 1u);
    EXPECT_EQ(got[0].id, third);
    // a leased message keeps its priority
    EXPECT_FALSE(p.set_priority(third, 0));
    EXPECT_EQ(admin.get_messages().get(third)->priority, 9);
    EXPECT_FALSE(p.set_priority(987654321, 5));  // no such message
    EXPECT_TRUE(p.set_priority(second, 1));
    EXPECT_EQ(drain(c), (std::vector<std::int64_t>{second, first}));
    EXPECT_FALSE(p.set_priority(first, 5));  // archived
    // the same from an Admin, for a message delayed or waiting behind its group's head
    const std::int64_t delayed = p.enqueue("{}", 3600);
    p.enqueue("{}", 0, 0, "g");
    const std::int64_t held = p.enqueue("{}", 0, 0, "g");
    EXPECT_TRUE(admin.set_priority(delayed, 2));
    EXPECT_TRUE(admin.set_priority(held, 3));
    EXPECT_EQ(admin.get_messages().get(delayed)->priority, 2);
    EXPECT_EQ(admin.get_messages().get(held)->priority, 3);
    EXPECT_THROW(admin.set_priority(held, -1), InvalidInputError);
}

TEST_F(PrioritiesTest, PrioritiesOutOfRangeAreRefusedAndChangeNothing) {
    Producer p(dsn(), queue, "prio-host", 31009);
    const std::int64_t id = p.enqueue("{}", 0, 4);
    for (int bad : {10, -1}) {
        try {
            p.enqueue("{}", 0, bad);
            ADD_FAILURE() << "priority " << bad << " was accepted";
        } catch (const InvalidInputError& e) {
            EXPECT_EQ(e.sqlstate(), "22023");
            EXPECT_NE(std::string(e.what()).find("priority must be between 0 and 9"), std::string::npos) << e.what();
        }
    }
    EXPECT_THROW(p.enqueue_batch({"{}", "{}"}, 0, {0, 10}), InvalidInputError);
    EXPECT_THROW(p.enqueue_batch({"{}", "{}"}, 0, {0}), InvalidInputError);  // one per payload
    EXPECT_THROW(p.enqueue_dedup("{}", "key", 0, 10), InvalidInputError);
    EXPECT_THROW(p.enqueue_batch_dedup({"{}"}, {"key"}, 0, {-1}), InvalidInputError);
    EXPECT_THROW(p.set_priority(id, 10), InvalidInputError);
    EXPECT_EQ(admin.get_messages().count(queue), 1);
    EXPECT_EQ(admin.get_messages().get(id)->priority, 4);
}

TEST_F(PrioritiesTest, MetricsCountPendingMessagesPerPriority) {
    EXPECT_TRUE(admin.queue_metrics(queue).pending_by_priority.empty());
    Producer p(dsn(), queue, "prio-host", 31010);
    p.enqueue_batch({"{}", "{}", "{}"}, 0, {0, 0, 9});
    p.enqueue("{}", 3600, 5);  // delayed: not pending
    QueueMetrics m = admin.queue_metrics(queue);
    EXPECT_EQ(m.pending_by_priority, (std::map<int, std::int64_t>{{0, 2}, {9, 1}}));
    EXPECT_EQ(m.delayed_messages, 1);
    Consumer c(dsn(), queue, "prio-host", 31011);
    ASSERT_EQ(c.dequeue(1, 60).size(), 1u);  // the one of priority 9, now leased
    EXPECT_EQ(admin.queue_metrics(queue).pending_by_priority, (std::map<int, std::int64_t>{{0, 2}}));
    bool listed = false;
    for (const auto& q : admin.all_queues_metrics())
        if (q.queue_name == queue) {
            listed = true;
            EXPECT_EQ(q.pending_by_priority, (std::map<int, std::int64_t>{{0, 2}}));
        }
    EXPECT_TRUE(listed);
}

}  // namespace
}  // namespace pgqrs::test
