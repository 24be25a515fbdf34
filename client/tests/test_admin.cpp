// Admin: installation, queues, metrics and the table accessors.
#include "pgqrs/pgqrs.hpp"
#include "test_env.hpp"

namespace pgqrs::test {
namespace {

class AdminTest : public Installed {};

TEST_F(AdminTest, InstallIsIdempotentAndVerifies) {
    Admin admin(dsn());
    EXPECT_NO_THROW(admin.install());
    EXPECT_NO_THROW(admin.install());
    EXPECT_TRUE(admin.is_installed());
    EXPECT_NO_THROW(admin.verify());
    EXPECT_FALSE(admin.version().empty());
}

TEST_F(AdminTest, QueueLifecycle) {
    Admin admin(dsn());
    const std::string name = unique("q_life");
    QueueInfo q = admin.create_queue(name, 3);
    EXPECT_GT(q.id, 0);
    EXPECT_EQ(q.queue_name, name);
    EXPECT_FALSE(q.created_at.empty());
    EXPECT_EQ(q.max_attempts, 3);
    EXPECT_EQ(admin.get_queue(name).id, q.id);
    bool listed = false;
    for (const auto& x : admin.list_queues()) listed = listed || x.id == q.id;
    EXPECT_TRUE(listed);
    EXPECT_EQ(admin.set_max_attempts(name, 7).max_attempts, 7);

    Producer p(dsn(), name, "admin-test", 21001);
    p.enqueue(R"({"a":1})");
    p.enqueue(R"({"a":2})");
    p.enqueue(R"({"a":3})", 3600);
    QueueMetrics m = admin.queue_metrics(name);
    EXPECT_EQ(m.queue_name, name);
    EXPECT_EQ(m.total_messages, 3);
    EXPECT_EQ(m.pending_messages, 2);
    EXPECT_EQ(m.delayed_messages, 1);
    EXPECT_EQ(m.locked_messages, 0);
    EXPECT_TRUE(m.newest_enqueued_at.has_value());
    bool in_all = false;
    for (const auto& x : admin.all_queues_metrics()) in_all = in_all || x.queue_name == name;
    EXPECT_TRUE(in_all);

    Consumer c(dsn(), name, "admin-test", 21002);
    auto got = c.dequeue(1);
    ASSERT_EQ(got.size(), 1u);
    ASSERT_TRUE(c.archive(got[0].id));
    EXPECT_EQ(admin.queue_metrics(name).archived_messages, 1);
    EXPECT_EQ(admin.purge_queue(name), 2);
    EXPECT_EQ(admin.purge_archive(name, std::string("1 hour")), 0);
    EXPECT_EQ(admin.purge_archive(name), 1);
    p.close();
    c.close();
    EXPECT_TRUE(admin.delete_queue(name));
    EXPECT_THROW(admin.get_queue(name), QueueNotFoundError);
}

TEST_F(AdminTest, TableAccessors) {
    Admin admin(dsn());
    const std::string name = unique("q_tables");
    QueueInfo q = admin.create_queue(name);
    Queues queues = admin.get_queues();
    EXPECT_GE(queues.count(), 1);
    ASSERT_TRUE(queues.get(q.id).has_value());
    EXPECT_EQ(queues.get(q.id)->queue_name, name);
    EXPECT_FALSE(queues.get(-1).has_value());
    EXPECT_GE(queues.list().size(), 1u);

    Producer p(dsn(), name, "tables-test", 21003);
    auto ids = p.enqueue_batch({R"({"n":1})", R"({"n":2})"});
    Messages messages = admin.get_messages();
    EXPECT_EQ(messages.count(name), 2);
    EXPECT_GE(messages.count(), 2);
    auto listed = messages.list(name);
    ASSERT_EQ(listed.size(), 2u);
    EXPECT_EQ(listed[0].id, ids[0]);
    EXPECT_EQ(messages.list(name, 1).size(), 1u);
    auto m = messages.get(ids[1]);
    ASSERT_TRUE(m.has_value());
    EXPECT_EQ(m->queue_id, q.id);
    EXPECT_EQ(m->payload, R"({"n": 2})");
    EXPECT_EQ(m->producer_worker_id, p.registered_id());
    EXPECT_FALSE(messages.get(-1).has_value());

    Consumer c(dsn(), name, "tables-test", 21004);
    auto got = c.dequeue(2);
    ASSERT_EQ(got.size(), 2u);
    EXPECT_EQ(c.archive_batch({got[0].id, got[1].id}).size(), 2u);
    Archive archive = admin.get_archive();
    EXPECT_EQ(archive.count(name), 2);
    EXPECT_EQ(archive.list(name).size(), 2u);
    auto a = archive.get(ids[0]);
    ASSERT_TRUE(a.has_value());  // archived messages keep their id
    EXPECT_FALSE(a->dead_letter);
    EXPECT_FALSE(a->archived_at.empty());
    EXPECT_EQ(a->consumer_worker_id, c.registered_id());
    EXPECT_EQ(messages.count(name), 0);

    Workers workers = admin.get_workers();
    EXPECT_EQ(workers.count(name), 2);
    EXPECT_EQ(workers.list(name).size(), 2u);
    auto w = workers.get(*p.registered_id());
    ASSERT_TRUE(w.has_value());
    EXPECT_EQ(w->hostname, "tables-test");
    EXPECT_EQ(w->port, 21003);
    EXPECT_EQ(w->queue_id, q.id);
    EXPECT_GE(workers.count(), 2);
}

TEST_F(AdminTest, GrantAccess) {
    Admin admin(dsn());
    const std::string role = unique("pgqrs_role");
    sql("CREATE ROLE " + role);
    EXPECT_NO_THROW(admin.grant_access(role, "producer"));
    EXPECT_NO_THROW(admin.grant_access(role, "monitor"));
    auto may_run = [&](const std::string& function) {
        return sql("SELECT has_function_privilege('" + role + "', '" + function + "', 'EXECUTE')");
    };
    EXPECT_EQ(may_run("pgqrs.enqueue(text, jsonb, int, bigint, text, int, text)"), "t");
    EXPECT_EQ(may_run("pgqrs.set_priority(bigint, int)"), "t");
    EXPECT_THROW(admin.grant_access(role, "everything"), Error);
    EXPECT_THROW(admin.grant_access(unique("no_role"), "producer"), Error);
}

TEST_F(AdminTest, SystemStats) {
    Admin admin(dsn());
    admin.create_queue(unique("q_stats"));
    SystemStats s = admin.system_stats();
    EXPECT_GE(s.total_queues, 1);
    EXPECT_FALSE(s.schema_version.empty());
}

// The test server preloads pgqrs: a queue's second claim raises its frontier.
TEST_F(AdminTest, ClaimFrontierStatsAndReset) {
    Admin admin(dsn());
    const std::string q = unique("q_frontier");
    admin.create_queue(q);
    sql("SELECT pgqrs.dequeue('" + q + "', 1, 30)");
    sql("SELECT pgqrs.dequeue('" + q + "', 1, 30)");
    auto find = [&] {
        for (const ClaimFrontier& f : admin.claim_frontier_stats())
            if (f.queue_name == q) return std::optional<ClaimFrontier>(f);
        return std::optional<ClaimFrontier>();
    };
    std::optional<ClaimFrontier> f = find();
    ASSERT_TRUE(f.has_value());
    EXPECT_TRUE(f->frontier_vt.has_value());
    EXPECT_TRUE(f->lag_seconds.has_value());
    EXPECT_GE(f->raises, 1);
    EXPECT_EQ(f->found_below, 0);
    EXPECT_FALSE(f->last_audit_seconds.has_value());  // no audit yet
    EXPECT_TRUE(f->next_audit_at.has_value());        // audits are on (every 60 s)
    EXPECT_EQ(admin.reset_claim_frontier(q), 1);
    f = find();
    ASSERT_TRUE(f.has_value());
    EXPECT_FALSE(f->frontier_vt.has_value());
    EXPECT_FALSE(f->frontier_id.has_value());
    EXPECT_EQ(f->resets, 1);
    EXPECT_GE(admin.reset_claim_frontier(), 1);
    EXPECT_THROW(admin.reset_claim_frontier(unique("q_none")), Error);
}

// Installs into another schema of a fresh database, then uninstalls.
TEST(AdminInstall, OtherSchemaInstallVerifyUninstall) {
    const std::string db = unique("pgqrs_db");
    sql("CREATE DATABASE " + db);
    {
        Options o;
        o.schema = "pgqrs alt";  // needs quoting
        Admin admin(dsn_for_database(db), o);
        EXPECT_FALSE(admin.is_installed());
        EXPECT_THROW(admin.verify(), NotInstalledError);
        EXPECT_THROW(admin.create_queue("x"), NotInstalledError);
        admin.install();
        EXPECT_NO_THROW(admin.verify());
        EXPECT_EQ(admin.create_queue("in_alt").queue_name, "in_alt");
        EXPECT_EQ(admin.list_queues().size(), 1u);
        Admin wrong(dsn_for_database(db));  // default schema: not there
        EXPECT_THROW(wrong.verify(), NotInstalledError);
        wrong.close();
        admin.uninstall();
        EXPECT_FALSE(admin.is_installed());
        EXPECT_THROW(admin.list_queues(), NotInstalledError);
        admin.install();  // and back again, with the default schema too
        admin.uninstall();
        admin.close();
        Admin plain(dsn_for_database(db));
        plain.install();
        EXPECT_NO_THROW(plain.verify());
        plain.uninstall();
        plain.close();
    }
    sql("DROP DATABASE " + db);
}

}  // namespace
}  // namespace pgqrs::test
