// The non-blocking core, driven the way an event loop drives it.
#include <poll.h>

#include <map>

#include "pgqrs/async_connection.hpp"
#include "pgqrs/connection.hpp"
#include "pgqrs/errors.hpp"
#include "test_env.hpp"

namespace pgqrs::test {
namespace {

void wait_fd(int fd, bool read, bool write) {
    pollfd p{fd, static_cast<short>((read ? POLLIN : 0) | (write ? POLLOUT : 0)), 0};
    ASSERT_GE(::poll(&p, 1, 10000), 1) << "timed out waiting on the socket";
}

void connect(AsyncConnection& c) {
    c.start_connect();
    for (;;) {
        PollStatus s = c.poll_connect();
        if (s == PollStatus::Ok) return;
        ASSERT_NE(s, PollStatus::Failed) << c.error_message();
        wait_fd(c.socket(), s == PollStatus::Reading, s == PollStatus::Writing);
    }
}

// Runs the loop until every pending request has completed.
std::vector<Completed> drain(AsyncConnection& c) {
    std::vector<Completed> out;
    while (c.pending() > 0) {
        while (auto done = c.next_completed()) out.push_back(std::move(*done));
        if (c.pending() == 0) break;
        bool flushed = c.flush();
        if (c.is_broken()) continue;
        wait_fd(c.socket(), true, !flushed);
        c.consume_input();
    }
    return out;
}

TEST(AsyncConnection, ConnectsAndRunsOneRequest) {
    AsyncConnection c(dsn());
    connect(c);
    EXPECT_TRUE(c.is_ready());
    EXPECT_GE(c.socket(), 0);
    auto id = c.send("SELECT $1::int + 1 AS n, $2::text AS t", {"41", std::nullopt});
    auto done = drain(c);
    ASSERT_EQ(done.size(), 1u);
    EXPECT_EQ(done[0].id, id);
    ASSERT_TRUE(done[0].ok());
    const Result& r = done[0].result();
    EXPECT_EQ(r.columns, (std::vector<std::string>{"n", "t"}));
    ASSERT_EQ(r.size(), 1u);
    EXPECT_EQ(r.at(0, "n"), Value("42"));
    EXPECT_EQ(r.at(0, "t"), std::nullopt);
    EXPECT_FALSE(c.next_completed().has_value());
}

TEST(AsyncConnection, ManyRequestsInFlightMatchTheirIds) {
    AsyncConnection c(dsn());
    connect(c);
    std::map<std::uint64_t, int> expected;
    for (int i = 0; i < 2000; ++i) expected[c.send("SELECT $1::int * 2", {std::to_string(i)})] = i * 2;
    EXPECT_EQ(c.pending(), 2000u);
    auto done = drain(c);
    ASSERT_EQ(done.size(), 2000u);
    std::uint64_t last = 0;
    for (const auto& d : done) {
        ASSERT_TRUE(d.ok());
        EXPECT_GT(d.id, last);  // in send order
        last = d.id;
        EXPECT_EQ(d.result().rows[0][0], Value(std::to_string(expected.at(d.id))));
    }
}

TEST(AsyncConnection, ErrorInTheMiddleDoesNotPoisonThePipeline) {
    AsyncConnection c(dsn());
    connect(c);
    auto a = c.send("SELECT 1");
    auto b = c.send("SELECT 1 / $1::int", {"0"});
    auto d = c.send("SELECT no_such_column");
    auto e = c.send("SELECT 3");
    auto done = drain(c);
    ASSERT_EQ(done.size(), 4u);
    EXPECT_EQ(done[0].id, a);
    EXPECT_TRUE(done[0].ok());
    EXPECT_EQ(done[1].id, b);
    ASSERT_FALSE(done[1].ok());
    EXPECT_EQ(done[1].error().sqlstate, "22012");
    EXPECT_NE(done[1].error().message.find("division by zero"), std::string::npos);
    EXPECT_EQ(done[2].id, d);
    ASSERT_FALSE(done[2].ok());
    EXPECT_EQ(done[2].error().sqlstate, "42703");
    EXPECT_EQ(done[3].id, e);
    ASSERT_TRUE(done[3].ok());
    EXPECT_EQ(done[3].result().rows[0][0], Value("3"));
}

TEST(AsyncConnection, SendBeforeConnectThrows) {
    AsyncConnection c(dsn());
    EXPECT_THROW(c.send("SELECT 1"), ConnectionError);
    EXPECT_EQ(c.socket(), -1);
}

TEST(AsyncConnection, BadServerFailsToConnect) {
    AsyncConnection c("host=127.0.0.1 port=1 connect_timeout=2");
    bool failed = false;
    try {
        c.start_connect();
        for (int i = 0; i < 100; ++i) {
            PollStatus s = c.poll_connect();
            if (s == PollStatus::Failed) { failed = true; break; }
            ASSERT_NE(s, PollStatus::Ok);
            pollfd p{c.socket(), static_cast<short>(s == PollStatus::Reading ? POLLIN : POLLOUT), 0};
            ::poll(&p, 1, 2000);
        }
    } catch (const ConnectionError&) {
        failed = true;
    }
    EXPECT_TRUE(failed);
    EXPECT_FALSE(c.error_message().empty());
}

TEST(AsyncConnection, LostConnectionFailsEveryPendingRequest) {
    AsyncConnection c(dsn());
    connect(c);
    c.send("SELECT pg_catalog.pg_terminate_backend(pg_catalog.pg_backend_pid())");
    c.send("SELECT 1");
    c.send("SELECT 2");
    auto done = drain(c);
    ASSERT_EQ(done.size(), 3u);
    for (const auto& d : done) EXPECT_FALSE(d.ok());
    EXPECT_TRUE(c.is_broken());
    EXPECT_THROW(c.send("SELECT 1"), ConnectionError);
    connect(c);  // a new connection works again
    c.send("SELECT 7");
    auto again = drain(c);
    ASSERT_EQ(again.size(), 1u);
    ASSERT_TRUE(again[0].ok());
}

TEST(Connection, ExecPipelineReturnsEachOutcome) {
    Connection c(dsn());
    auto done = c.exec_pipeline({{"SELECT 1", {}}, {"SELECT 'x'::int", {}}, {"SELECT $1::text", {"ok"}}});
    ASSERT_EQ(done.size(), 3u);
    EXPECT_TRUE(done[0].ok());
    ASSERT_FALSE(done[1].ok());
    EXPECT_EQ(done[1].error().sqlstate, "22P02");
    ASSERT_TRUE(done[2].ok());
    EXPECT_EQ(done[2].result().rows[0][0], Value("ok"));
    EXPECT_THROW(c.exec("SELECT 'x'::int"), InvalidInputError);
    EXPECT_EQ(c.exec("SELECT 5").rows[0][0], Value("5"));  // the connection is still fine
}

}  // namespace
}  // namespace pgqrs::test
