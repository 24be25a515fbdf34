// Ordered message groups: one message of a group at a time, in enqueue order;
// the next after the head is archived or dead-lettered, the same head again
// after its lease ends; bad group keys; the group metrics.
#include <algorithm>
#include <map>
#include <string>
#include <vector>

#include "pgqrs/pgqrs.hpp"
#include "test_env.hpp"

namespace pgqrs::test {
namespace {

class GroupsTest : public Installed {
protected:
    void SetUp() override {
        queue = unique("q_groups");
        admin.create_queue(queue);
    }
    static std::vector<std::int64_t> ids_of(const std::vector<QueueMessage>& msgs) {
        std::vector<std::int64_t> ids;
        for (const auto& m : msgs) ids.push_back(m.id);
        std::sort(ids.begin(), ids.end());
        return ids;
    }
    Admin admin{dsn()};
    std::string queue;
};

TEST_F(GroupsTest, OneMessageOfAGroupAtATimeInEnqueueOrder) {
    Producer p(dsn(), queue, "group-host", 31101);
    const std::int64_t a1 = p.enqueue(R"({"a":1})", 0, 0, "customer-a");
    const std::int64_t a2 = p.enqueue(R"({"a":2})", 0, 0, "customer-a");
    const std::int64_t b1 = p.enqueue(R"({"b":1})", 0, 0, "customer-b");
    const std::int64_t free_msg = p.enqueue(R"({"free":1})");
    auto held = admin.get_messages().get(a2);
    ASSERT_TRUE(held.has_value());
    EXPECT_EQ(held->group_key, std::optional<std::string>("customer-a"));
    EXPECT_TRUE(held->held_vt.has_value());  // waits behind a1
    EXPECT_FALSE(admin.get_messages().get(a1)->held_vt.has_value());

    Consumer c(dsn(), queue, "group-host", 31102);
    auto got = c.dequeue(10, 60);
    // the heads of both groups and the message without one, in parallel; not a2
    EXPECT_EQ(ids_of(got), (std::vector<std::int64_t>{a1, b1, free_msg}));
    for (const auto& m : got)
        if (m.id == a1) EXPECT_EQ(m.group_key, std::optional<std::string>("customer-a"));
    Consumer other(dsn(), queue, "group-host", 31103);
    EXPECT_TRUE(other.dequeue(10, 60).empty());

    EXPECT_TRUE(c.archive(a1));
    auto next = other.dequeue(10, 60);
    ASSERT_EQ(next.size(), 1u);
    EXPECT_EQ(next[0].id, a2);
    EXPECT_FALSE(next[0].held_vt.has_value());
}

TEST_F(GroupsTest, AHeadWhoseLeaseEndsIsDeliveredAgainFirst) {
    Producer p(dsn(), queue, "group-host", 31104);
    auto ids = p.enqueue_batch({R"({"n":1})", R"({"n":2})", R"({"n":3})"}, 0, {},
                               {"g", "g", std::nullopt});
    ASSERT_EQ(ids.size(), 3u);
    Consumer c(dsn(), queue, "group-host", 31105);
    EXPECT_EQ(ids_of(c.dequeue(10, 60)), (std::vector<std::int64_t>{ids[0], ids[2]}));
    EXPECT_EQ(c.release({ids[0]}, 0), 1);
    auto again = c.dequeue(10, 60);
    ASSERT_EQ(again.size(), 1u);
    EXPECT_EQ(again[0].id, ids[0]);  // still the head, not ids[1]
    EXPECT_EQ(again[0].read_ct, 2);
    EXPECT_TRUE(c.delete_message(ids[0]));  // a deleted head also lets the next go
    auto next = c.dequeue(10, 60);
    ASSERT_EQ(next.size(), 1u);
    EXPECT_EQ(next[0].id, ids[1]);
}

TEST_F(GroupsTest, ADeadLetteredHeadLetsTheNextGo) {
    const std::string q = unique("q_groups_dlq");
    admin.create_queue(q, 1);
    Producer p(dsn(), q, "group-host", 31106);
    auto rows = p.enqueue_batch_dedup({R"({"n":1})", R"({"n":2})"}, {"d1", "d2"}, 0, {7, 0}, {"g", "g"});
    ASSERT_EQ(rows.size(), 2u);
    Consumer c(dsn(), q, "group-host", 31107);
    auto got = c.dequeue(10, 60);
    ASSERT_EQ(got.size(), 1u);
    EXPECT_EQ(got[0].id, rows[0].msg_id);
    EXPECT_EQ(c.release({rows[0].msg_id}, 0), 1);  // its only attempt failed: dead-lettered
    std::vector<QueueMessage> next;
    for (int i = 0; i < 2 && next.empty(); ++i) next = c.dequeue(10, 60);
    ASSERT_EQ(next.size(), 1u);
    EXPECT_EQ(next[0].id, rows[1].msg_id);
    auto dead = admin.dlq(q);
    ASSERT_EQ(dead.size(), 1u);
    EXPECT_EQ(dead[0].priority, 7);  // dead letters keep their priority and group
    EXPECT_EQ(dead[0].group_key, std::optional<std::string>("g"));
    EXPECT_FALSE(dead[0].held_vt.has_value());
}

TEST_F(GroupsTest, BadGroupKeysAreRefusedAndChangeNothing) {
    Producer p(dsn(), queue, "group-host", 31108);
    for (const std::string& bad : {std::string(), std::string(257, 'k')}) {
        try {
            p.enqueue("{}", 0, 0, bad);
            ADD_FAILURE() << "group key of " << bad.size() << " bytes was accepted";
        } catch (const InvalidInputError& e) {
            EXPECT_EQ(e.sqlstate(), "22023");
            EXPECT_NE(std::string(e.what()).find("group"), std::string::npos) << e.what();
        }
    }
    EXPECT_NO_THROW(p.enqueue("{}", 0, 0, std::string(256, 'k')));
    EXPECT_THROW(p.enqueue_batch({"{}", "{}"}, 0, {}, {"ok", ""}), InvalidInputError);
    EXPECT_THROW(p.enqueue_batch({"{}", "{}"}, 0, {}, {"ok"}), InvalidInputError);  // one per payload
    EXPECT_THROW(p.enqueue_dedup("{}", "key", 0, 0, ""), InvalidInputError);
    EXPECT_EQ(admin.get_messages().count(queue), 1);
}

TEST_F(GroupsTest, MetricsCountHeldMessagesAndGroups) {
    Producer p(dsn(), queue, "group-host", 31109);
    p.enqueue_batch({"{}", "{}", "{}", "{}"}, 0, {}, {"x", "x", "x", "y"});
    p.enqueue("{}", 3600);  // delayed, in no group
    QueueMetrics m = admin.queue_metrics(queue);
    EXPECT_EQ(m.held_messages, 2);
    EXPECT_EQ(m.groups, 2);
    EXPECT_EQ(m.delayed_messages, 1);  // held messages are not counted as delayed
    EXPECT_EQ(m.pending_by_priority, (std::map<int, std::int64_t>{{0, 2}}));  // the two heads
    Consumer c(dsn(), queue, "group-host", 31110);
    for (const auto& msg : c.dequeue(10, 60)) EXPECT_TRUE(c.archive(msg.id));
    m = admin.queue_metrics(queue);
    EXPECT_EQ(m.held_messages, 1);
    EXPECT_EQ(m.groups, 1);
}

}  // namespace
}  // namespace pgqrs::test
