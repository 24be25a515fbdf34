// Topics and dedup keys: Admin's topic calls, Producer::publish, enqueue_dedup
// and enqueue_batch_dedup.
#include <algorithm>

#include "pgqrs/errors.hpp"
#include "pgqrs/pgqrs.hpp"
#include "test_env.hpp"

namespace pgqrs::test {
namespace {

class TopicsTest : public Installed {
protected:
    void SetUp() override {
        a = unique("q_top_a");
        b = unique("q_top_b");
        topic = unique("t_top");
        admin.create_queue(a);
        admin.create_queue(b);
    }
    Admin admin{dsn()};
    std::string a, b, topic;
};

TEST_F(TopicsTest, PublishPutsOneMessageIntoEachSubscribedQueue) {
    TopicInfo t = admin.create_topic(topic);
    EXPECT_EQ(t.topic_name, topic);
    EXPECT_TRUE(t.queue_names.empty());
    Producer p(dsn(), a, "topic-host", 23001);
    EXPECT_TRUE(p.publish(topic, R"({"n":0})").empty());  // no subscriber: no message, no error

    EXPECT_TRUE(admin.subscribe(topic, b));
    EXPECT_TRUE(admin.subscribe(topic, a));
    EXPECT_FALSE(admin.subscribe(topic, a));
    auto published = p.publish(topic, R"({"n":1})");
    ASSERT_EQ(published.size(), 2u);
    EXPECT_EQ(published[0].queue_name, std::min(a, b));
    EXPECT_EQ(published[1].queue_name, std::max(a, b));
    for (const auto& m : published) {
        auto row = admin.get_messages().get(m.msg_id);
        ASSERT_TRUE(row.has_value());
        EXPECT_EQ(row->payload, R"({"n": 1})");
        EXPECT_EQ(row->queue_id, admin.get_queue(m.queue_name).id);
        EXPECT_EQ(row->producer_worker_id, p.registered_id());
    }

    auto topics = admin.list_topics();
    auto it = std::find_if(topics.begin(), topics.end(), [&](const TopicInfo& x) { return x.topic_name == topic; });
    ASSERT_NE(it, topics.end());
    EXPECT_EQ(it->queue_names, (std::vector<std::string>{std::min(a, b), std::max(a, b)}));

    EXPECT_TRUE(admin.unsubscribe(topic, a));
    EXPECT_FALSE(admin.unsubscribe(topic, a));
    published = p.publish(topic, R"({"n":2})", 3600);
    ASSERT_EQ(published.size(), 1u);
    EXPECT_EQ(published[0].queue_name, b);
    EXPECT_EQ(admin.queue_metrics(b).delayed_messages, 1);

    EXPECT_TRUE(admin.delete_topic(topic));
    EXPECT_THROW(p.publish(topic, R"({"n":3})"), NotFoundError);
    EXPECT_THROW(admin.delete_topic(topic), NotFoundError);
    EXPECT_THROW(admin.subscribe(topic, a), NotFoundError);
}

TEST_F(TopicsTest, EnqueueWithDedupKeyInsertsOnce) {
    Producer p(dsn(), a, "dedup-host", 23002);
    Enqueued first = p.enqueue_dedup(R"({"order":123})", "order-123");
    EXPECT_TRUE(first.inserted);
    Enqueued again = p.enqueue_dedup(R"({"order":123,"again":true})", "order-123");
    EXPECT_FALSE(again.inserted);
    EXPECT_EQ(again.msg_id, first.msg_id);
    EXPECT_EQ(p.enqueue(R"({"order":123})", 0, "order-123"), first.msg_id);
    EXPECT_EQ(admin.get_messages().get(first.msg_id)->dedup_key, std::optional<std::string>("order-123"));
    EXPECT_EQ(admin.queue_metrics(a).total_messages, 1);

    auto batch = p.enqueue_batch_dedup({R"({"x":1})", R"({"x":2})", R"({"x":3})"},
                                       {std::string("order-123"), std::nullopt, std::string("order-9")});
    ASSERT_EQ(batch.size(), 3u);
    EXPECT_EQ(batch[0].msg_id, first.msg_id);
    EXPECT_FALSE(batch[0].inserted);
    EXPECT_TRUE(batch[1].inserted);
    EXPECT_TRUE(batch[2].inserted);
    EXPECT_THROW(p.enqueue_batch_dedup({R"({"x":1})"}, {}), InvalidInputError);

    // with a dedup window, an archived message keeps its key
    EXPECT_EQ(admin.set_dedup_window(a, 300).dedup_window_seconds, 300);
    Consumer c(dsn(), a, "dedup-host", 23003);
    for (const auto& m : c.dequeue(10)) c.archive(m.id);
    Enqueued after = p.enqueue_dedup(R"({"order":123})", "order-123");
    EXPECT_FALSE(after.inserted);
    EXPECT_EQ(after.msg_id, first.msg_id);
    EXPECT_THROW(p.enqueue_dedup(R"({})", ""), InvalidInputError);
}

}  // namespace
}  // namespace pgqrs::test
