// Admin: recurring schedules (create, list, pause, resume, delete, run, cron_times).
#include "pgqrs/pgqrs.hpp"
#include "test_env.hpp"

namespace pgqrs::test {
namespace {

class ScheduleTest : public Installed {};

TEST_F(ScheduleTest, Lifecycle) {
    Admin admin(dsn());
    const std::string queue = unique("sq");
    const std::string name = unique("sched");
    admin.create_queue(queue);
    ScheduleInfo s = admin.create_schedule(name, "30 8 * * mon-fri", queue, R"({"job":"open"})", "Europe/Paris");
    EXPECT_GT(s.id, 0);
    EXPECT_EQ(s.schedule_name, name);
    EXPECT_EQ(s.cron_expression, "30 8 * * mon-fri");
    EXPECT_EQ(s.time_zone, "Europe/Paris");
    EXPECT_EQ(s.queue_name, queue);
    EXPECT_EQ(s.payload, R"({"job": "open"})");
    EXPECT_TRUE(s.catch_up);
    EXPECT_FALSE(s.paused);
    EXPECT_FALSE(s.next_run_at.empty());
    EXPECT_FALSE(s.last_run_at.has_value());
    EXPECT_EQ(s.runs, 0);

    bool listed = false;
    for (const auto& x : admin.list_schedules()) listed = listed || x.id == s.id;
    EXPECT_TRUE(listed);
    EXPECT_TRUE(admin.pause_schedule(name).paused);
    EXPECT_FALSE(admin.resume_schedule(name).paused);
    EXPECT_TRUE(admin.delete_schedule(name));
    EXPECT_THROW(admin.delete_schedule(name), ScheduleNotFoundError);
    EXPECT_THROW(admin.pause_schedule(name), NotFoundError);
    admin.delete_queue(queue, true);
}

TEST_F(ScheduleTest, BadInputIsRefusedAndCreatesNothing) {
    Admin admin(dsn());
    const std::string queue = unique("sq_bad");
    const std::string name = unique("sched_bad");
    admin.create_queue(queue);
    admin.create_schedule(name, "@daily", queue, "{}");
    EXPECT_THROW(admin.create_schedule(name, "@daily", queue, "{}"), ScheduleExistsError);
    EXPECT_THROW(admin.create_schedule(name + "x", "61 * * * *", queue, "{}"), InvalidInputError);
    EXPECT_THROW(admin.create_schedule(name + "x", "@daily", queue, "{}", "Nowhere/City"), InvalidInputError);
    EXPECT_THROW(admin.create_schedule(name + "x", "@daily", queue + "_missing", "{}"), QueueNotFoundError);
    int mine = 0;
    for (const auto& x : admin.list_schedules()) mine += x.schedule_name.rfind(name, 0) == 0 ? 1 : 0;
    EXPECT_EQ(mine, 1);
    admin.delete_schedule(name);
    admin.delete_queue(queue, true);
}

TEST_F(ScheduleTest, DueTimeIsEnqueuedOnce) {
    Admin admin(dsn());
    const std::string queue = unique("sq_run");
    const std::string name = unique("sched_run");
    admin.create_queue(queue);
    admin.create_schedule(name, "* * * * *", queue, R"({"tick":true})", "UTC", false);
    // as if the server had been down for three minutes (the background worker,
    // when it runs, may take the schedule first: still one message)
    sql("UPDATE pgqrs.schedules SET next_run_at = date_trunc('minute', now()) - interval '3 minutes' "
        "WHERE schedule_name = '" + name + "'");
    admin.run_due_schedules();
    admin.run_due_schedules();
    EXPECT_EQ(admin.queue_metrics(queue).total_messages, 1);
    for (const auto& x : admin.list_schedules()) {
        if (x.schedule_name != name) continue;
        EXPECT_EQ(x.runs, 1);
        EXPECT_GE(x.skipped_runs, 3);
        EXPECT_TRUE(x.last_run_at.has_value());
        EXPECT_TRUE(x.last_message_id.has_value());
    }
    admin.delete_schedule(name);
    admin.delete_queue(queue, true);
}

TEST_F(ScheduleTest, CronTimes) {
    Admin admin(dsn());
    auto times = admin.cron_times("0 12 * * sun", "UTC", "2026-01-01 00:00+00", 2);
    ASSERT_EQ(times.size(), 2u);
    EXPECT_EQ(sql("SELECT '" + times[0] + "'::timestamptz = '2026-01-04 12:00Z'"), "t");
    EXPECT_EQ(sql("SELECT '" + times[1] + "'::timestamptz = '2026-01-11 12:00Z'"), "t");
    EXPECT_THROW(admin.cron_times("* * *"), InvalidInputError);
}

}  // namespace
}  // namespace pgqrs::test
