// Retries with backoff: the queue's retry policy, Consumer::run releasing a
// failed message after it with the handler's error, dead letters keeping it.
#include <atomic>
#include <chrono>
#include <stdexcept>
#include <string>

#include "pgqrs/pgqrs.hpp"
#include "test_env.hpp"

namespace pgqrs::test {
namespace {

using namespace std::chrono_literals;

class RetriesTest : public Installed {
protected:
    void SetUp() override {
        queue = unique("q_retries");
        admin.create_queue(queue, 2);
    }
    RetryPolicy fixed(double seconds) {
        RetryPolicy p;
        p.backoff = "fixed";
        p.delay_seconds = seconds;
        return p;
    }
    // Seconds from now until the message's next attempt (retry_at), as the server sees it.
    static double seconds_until_retry(std::int64_t id) {
        return std::stod(sql("SELECT extract(epoch FROM retry_at - clock_timestamp()) FROM pgqrs.messages WHERE id = " +
                             std::to_string(id)));
    }
    Admin admin{dsn()};
    std::string queue;
};

TEST_F(RetriesTest, SetRetryPolicyShowsTheQueuesPolicy) {
    RetryPolicy p;
    p.backoff = "exponential";
    p.delay_seconds = 1.5;
    p.max_delay_seconds = 60;
    p.jitter = 0.25;
    QueueInfo q = admin.set_retry_policy(queue, p);
    EXPECT_EQ(q.retry_backoff, "exponential");
    EXPECT_DOUBLE_EQ(q.retry_delay_seconds, 1.5);
    EXPECT_DOUBLE_EQ(q.retry_max_delay_seconds, 60);
    EXPECT_DOUBLE_EQ(q.retry_jitter, 0.25);
    EXPECT_EQ(admin.get_queue(queue).retry_backoff, "exponential");
    EXPECT_EQ(admin.set_retry_policy(queue, RetryPolicy{}).retry_backoff, "none");
}

TEST_F(RetriesTest, BadPoliciesAreRefusedAndChangeNothing) {
    admin.set_retry_policy(queue, fixed(5));
    RetryPolicy cap_below;
    cap_below.backoff = "exponential";
    cap_below.delay_seconds = 10;
    cap_below.max_delay_seconds = 5;
    EXPECT_THROW(admin.set_retry_policy(queue, cap_below), InvalidInputError);
    RetryPolicy jitter = fixed(5);
    jitter.jitter = 1.5;
    EXPECT_THROW(admin.set_retry_policy(queue, jitter), InvalidInputError);
    EXPECT_THROW(admin.set_retry_policy(queue, fixed(-1)), InvalidInputError);
    EXPECT_THROW(admin.set_retry_policy(unique("q_none"), fixed(1)), QueueNotFoundError);
    QueueInfo q = admin.get_queue(queue);
    EXPECT_EQ(q.retry_backoff, "fixed");
    EXPECT_DOUBLE_EQ(q.retry_delay_seconds, 5);
}

TEST_F(RetriesTest, RunReleasesAFailedMessageAfterThePolicyWithTheError) {
    admin.set_retry_policy(queue, fixed(30));
    std::int64_t id = Producer(dsn(), queue, "retries-host", 29001).enqueue("{\"job\": 1}");
    Consumer c(dsn(), queue, "retries-host", 29002);
    RunOptions o;
    o.lock_seconds = 300;
    o.wait = 1s;
    o.max_messages = 1;
    RunStats st = c.run([](const QueueMessage&) { throw std::runtime_error("disk full"); }, o);
    EXPECT_EQ(st.failed, 1u);
    EXPECT_EQ(st.archived, 0u);
    // back in 30 s, not now: the next dequeue finds nothing
    double wait = seconds_until_retry(id);
    EXPECT_GT(wait, 25);
    EXPECT_LE(wait, 30);
    EXPECT_TRUE(c.dequeue(1, 300).empty());
    auto m = admin.get_messages().get(id);
    ASSERT_TRUE(m.has_value());
    EXPECT_EQ(m->last_error, std::optional<std::string>("disk full"));
    EXPECT_TRUE(m->retry_at.has_value());
    EXPECT_EQ(m->retry_at, std::optional<std::string>(m->vt));
    QueueMetrics metrics = admin.queue_metrics(queue);
    EXPECT_EQ(metrics.retrying_messages, 1);
    EXPECT_EQ(metrics.locked_messages, 0);
    EXPECT_EQ(metrics.next_retry_at, m->retry_at);
}

TEST_F(RetriesTest, TheLastFailedAttemptIsDeadLetteredWithItsError) {
    admin.set_retry_policy(queue, fixed(0.2));
    std::int64_t id = Producer(dsn(), queue, "retries-host", 29003).enqueue("{\"job\": 2}");
    Consumer c(dsn(), queue, "retries-host", 29004);
    RunOptions o;
    o.lock_seconds = 300;
    o.wait = 2s;
    o.max_messages = 2;  // max_attempts
    std::vector<int> attempts;
    RunStats st = c.run(
        [&](const QueueMessage& m) {
            attempts.push_back(m.read_ct);
            throw std::runtime_error("attempt " + std::to_string(m.read_ct) + " failed");
        },
        o);
    EXPECT_EQ(st.failed, 2u);
    EXPECT_EQ(attempts, (std::vector<int>{1, 2}));
    // the next dequeue buries it
    EXPECT_TRUE(c.dequeue(1, 300).empty());
    auto dead = admin.dlq(queue);
    ASSERT_EQ(dead.size(), 1u);
    EXPECT_EQ(dead[0].id, id);
    EXPECT_TRUE(dead[0].dead_letter);
    EXPECT_EQ(dead[0].last_error, std::optional<std::string>("attempt 2 failed"));
}

TEST_F(RetriesTest, AnExplicitDelayOverridesThePolicyAndLongErrorsAreCut) {
    admin.set_retry_policy(queue, fixed(600));
    std::int64_t id = Producer(dsn(), queue, "retries-host", 29005).enqueue("{}");
    Consumer c(dsn(), queue, "retries-host", 29006);
    ASSERT_EQ(c.dequeue(1, 300).size(), 1u);
    EXPECT_EQ(c.release({id}, 0, std::string(5000, 'x')), 1);
    auto m = c.dequeue(1, 300);
    ASSERT_EQ(m.size(), 1u);  // visible at once
    EXPECT_EQ(m[0].last_error->size(), 4096u);
}

TEST_F(RetriesTest, MessagesNotHandedToTheHandlerComeBackAtOnce) {
    admin.set_retry_policy(queue, fixed(600));
    Producer(dsn(), queue, "retries-host", 29007).enqueue_batch({"{}", "{}"});
    Consumer c(dsn(), queue, "retries-host", 29008);
    RunOptions o;
    o.batch_size = 2;
    o.lock_seconds = 300;
    o.wait = 1s;
    std::atomic<bool> stop{false};
    o.stop = &stop;  // set by the first message: the second one of the batch is released untried
    RunStats st = c.run([&](const QueueMessage&) { stop = true; }, o);
    EXPECT_EQ(st.archived, 1u);
    EXPECT_EQ(st.released, 1u);
    EXPECT_EQ(c.dequeue(1, 300).size(), 1u);
}

}  // namespace
}  // namespace pgqrs::test
