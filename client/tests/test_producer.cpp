// Producer: lazy registration, enqueue forms, close.
#include "pgqrs/pgqrs.hpp"
#include "test_env.hpp"

namespace pgqrs::test {
namespace {

class ProducerTest : public Installed {
protected:
    void SetUp() override {
        queue = unique("q_prod");
        admin.create_queue(queue);
    }
    Admin admin{dsn()};
    std::string queue;
};

TEST_F(ProducerTest, RegistersLazilyAndEnqueues) {
    Producer p(dsn(), queue, "prod-host", 22001);
    EXPECT_FALSE(p.registered_id().has_value());  // nothing happens before the first call
    EXPECT_EQ(admin.get_workers().count(queue), 0);
    std::int64_t a = p.enqueue(R"({"task":"process","data":123})");
    std::int64_t b = p.enqueue(R"({"task":"other"})");
    EXPECT_GT(b, a);
    ASSERT_TRUE(p.registered_id().has_value());
    WorkerInfo w = admin.get_worker(*p.registered_id());
    EXPECT_EQ(w.hostname, "prod-host");
    EXPECT_EQ(w.port, 22001);
    EXPECT_EQ(w.status, "ready");
    auto m = admin.get_messages().get(a);
    ASSERT_TRUE(m.has_value());
    EXPECT_EQ(m->payload, R"({"data": 123, "task": "process"})");
    EXPECT_EQ(m->producer_worker_id, p.registered_id());
    EXPECT_EQ(m->read_ct, 0);
}

TEST_F(ProducerTest, BatchKeepsInputOrder) {
    Producer p(dsn(), queue, "prod-host", 22002);
    std::vector<std::string> payloads;
    for (int i = 0; i < 50; ++i) payloads.push_back(R"({"i":)" + std::to_string(i) + "}");
    auto ids = p.enqueue_batch(payloads);
    ASSERT_EQ(ids.size(), 50u);
    for (int i = 0; i < 50; ++i) {
        auto m = admin.get_messages().get(ids[i]);
        ASSERT_TRUE(m.has_value());
        EXPECT_EQ(m->payload, R"({"i": )" + std::to_string(i) + "}");
    }
    EXPECT_TRUE(p.enqueue_batch({}).empty());
}

TEST_F(ProducerTest, DelayedMessagesAreNotVisible) {
    Producer p(dsn(), queue, "prod-host", 22003);
    p.enqueue_delayed(R"({"later":true})", 3600);
    p.enqueue_batch({R"({"b":1})", R"({"b":2})"}, 3600);
    EXPECT_EQ(admin.queue_metrics(queue).delayed_messages, 3);
    Consumer c(dsn(), queue, "prod-host", 22004);
    EXPECT_TRUE(c.dequeue(10).empty());
}

TEST_F(ProducerTest, PipelinedEnqueuesReturnIdsInOrder) {
    Producer p(dsn(), queue, "prod-host", 22005);
    std::vector<std::string> payloads;
    for (int i = 0; i < 300; ++i) payloads.push_back(R"({"p":)" + std::to_string(i) + "}");
    auto ids = p.enqueue_pipelined(payloads);
    ASSERT_EQ(ids.size(), 300u);
    for (std::size_t i = 1; i < ids.size(); ++i) EXPECT_GT(ids[i], ids[i - 1]);
    EXPECT_EQ(admin.get_messages().get(ids[7])->payload, R"({"p": 7})");
    EXPECT_EQ(admin.get_messages().count(queue), 300);
    // one bad payload in the middle: the others still go in, then the error is raised
    EXPECT_THROW(p.enqueue_pipelined({R"({"ok":1})", "[1]", R"({"ok":2})"}), InvalidInputError);
    EXPECT_EQ(admin.get_messages().count(queue), 302);
}

TEST_F(ProducerTest, CloseStopsTheWorker) {
    auto p = std::make_unique<Producer>(dsn(), queue, "prod-host", 22006);
    p->enqueue("{}");
    const std::int64_t id = *p->registered_id();
    p->close();
    EXPECT_EQ(admin.worker_status(id), "stopped");
    EXPECT_THROW(p->enqueue("{}"), WorkerError);
    p.reset();
    // the same (hostname, port) registers again and takes the row over
    Producer again(dsn(), queue, "prod-host", 22006);
    again.enqueue("{}");
    EXPECT_EQ(again.registered_id(), id);
    EXPECT_EQ(again.status(), "ready");
}

TEST_F(ProducerTest, DestructorStopsTheWorker) {
    std::int64_t id = 0;
    {
        Producer p(dsn(), queue, "prod-host", 22007);
        p.enqueue("{}");
        id = *p.registered_id();
    }
    EXPECT_EQ(admin.worker_status(id), "stopped");
}

}  // namespace
}  // namespace pgqrs::test
