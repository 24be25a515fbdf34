// Bad input: every call answers with the matching exception and changes nothing.
#include "pgqrs/pgqrs.hpp"
#include "test_env.hpp"

namespace pgqrs::test {
namespace {

class ErrorTest : public Installed {
protected:
    Admin admin{dsn()};
};

TEST_F(ErrorTest, UnknownQueue) {
    const std::string missing = unique("q_missing");
    try {
        admin.get_queue(missing);
        FAIL() << "no error";
    } catch (const QueueNotFoundError& e) {
        EXPECT_NE(std::string(e.what()).find(missing), std::string::npos);
        EXPECT_TRUE(e.sqlstate() == "P0002" || e.sqlstate() == "42704");
    }
    Producer p(dsn(), missing, "err-host", 25001);
    EXPECT_THROW(p.enqueue("{}"), Error);  // registering for an unknown queue
    EXPECT_THROW(admin.queue_metrics(missing), QueueNotFoundError);
    EXPECT_THROW(admin.purge_queue(missing), QueueNotFoundError);
    EXPECT_THROW(admin.dlq(missing), QueueNotFoundError);
    EXPECT_THROW(admin.delete_queue(missing), QueueNotFoundError);
}

TEST_F(ErrorTest, DuplicateQueue) {
    const std::string name = unique("q_dup");
    admin.create_queue(name);
    try {
        admin.create_queue(name);
        FAIL() << "no error";
    } catch (const QueueExistsError& e) {
        EXPECT_EQ(e.sqlstate(), "42710");
        EXPECT_NE(std::string(e.what()).find("already exists"), std::string::npos);
    }
    EXPECT_THROW(admin.create_queue(name), std::runtime_error);
}

TEST_F(ErrorTest, InvalidQueueNamesAreRejectedNotInterpolated) {
    const auto before = admin.get_queues().count();
    for (std::string bad : {std::string("bad name"), std::string(""), std::string(129, 'a'),
                            std::string("x'); DROP TABLE pgqrs.queues; --"), std::string("q\"q")}) {
        EXPECT_THROW(admin.create_queue(bad), InvalidInputError) << bad;
    }
    EXPECT_EQ(admin.get_queues().count(), before);
    EXPECT_NO_THROW(admin.create_queue(unique("ok.name-1")));
}

TEST_F(ErrorTest, BadPayloadsAndNumbers) {
    const std::string name = unique("q_bad");
    admin.create_queue(name);
    Producer p(dsn(), name, "err-host", 25002);
    EXPECT_THROW(p.enqueue("not json"), InvalidInputError);
    EXPECT_THROW(p.enqueue("[1,2]"), InvalidInputError);
    EXPECT_THROW(p.enqueue("42"), InvalidInputError);
    EXPECT_THROW(p.enqueue("{}", -5), InvalidInputError);
    EXPECT_THROW(p.enqueue_batch({"{}", "{nope"}), InvalidInputError);
    EXPECT_THROW(p.enqueue_batch({"{}", "[1]"}), InvalidInputError);
    EXPECT_EQ(admin.get_messages().count(name), 0);  // nothing went in
    Consumer c(dsn(), name, "err-host", 25003);
    EXPECT_THROW(c.dequeue(0), InvalidInputError);
    EXPECT_THROW(c.dequeue(1, -1), InvalidInputError);
    EXPECT_THROW(admin.purge_archive(name, std::string("not an interval")), InvalidInputError);
}

TEST_F(ErrorTest, UnknownWorker) {
    EXPECT_THROW(admin.get_worker(987654321), WorkerNotFoundError);
    EXPECT_THROW(admin.shutdown_worker(987654321), WorkerNotFoundError);
    EXPECT_THROW(admin.worker_messages(987654321), WorkerNotFoundError);
}

TEST_F(ErrorTest, MissingSchema) {
    Options o;
    o.schema = "no_such\"schema";
    Admin other(dsn(), o);
    EXPECT_THROW(other.list_queues(), NotInstalledError);
    EXPECT_THROW(other.verify(), NotInstalledError);
}

TEST_F(ErrorTest, UnreachableServer) {
    Admin nowhere("host=127.0.0.1 port=1 connect_timeout=2");
    try {
        nowhere.list_queues();
        FAIL() << "no error";
    } catch (const ConnectionError& e) {
        EXPECT_FALSE(std::string(e.what()).empty());
    }
}

}  // namespace
}  // namespace pgqrs::test
