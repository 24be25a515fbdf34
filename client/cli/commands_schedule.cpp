// CLI: the schedule commands (create, list, pause, resume, delete, run, times).
#include <optional>

#include "context.hpp"

namespace pgqrs::cli {

void add_schedule_commands(CLI::App& app, Context& ctx) {
    auto* schedule = app.add_subcommand("schedule", "recurring schedules the server runs");
    schedule->require_subcommand(1);
    static std::string name, cron, queue, payload, time_zone = "UTC";
    static bool no_catch_up = false;

    auto* create = schedule->add_subcommand("create", "enqueue a payload at each time of a cron expression");
    create->add_option("name", name, "schedule name")->required();
    create->add_option("cron", cron, "cron expression: five fields or @hourly, @daily, ...")->required();
    create->add_option("queue", queue, "queue name")->required();
    create->add_option("payload", payload, "JSON object enqueued at each time")->required();
    create->add_option("--time-zone", time_zone, "time zone of the fields")->capture_default_str();
    create->add_flag("--no-catch-up", no_catch_up, "enqueue only the latest of the times missed while no runner ran");
    create->callback([&ctx] {
        ctx.out().object(to_json(ctx.admin().create_schedule(name, cron, queue, payload, time_zone, !no_catch_up)));
    });

    schedule->add_subcommand("list", "list schedules")->callback([&ctx] {
        ctx.out().list(to_rows(ctx.admin().list_schedules()));
    });

    auto* pause = schedule->add_subcommand("pause", "stop a schedule until it is resumed");
    pause->add_option("name", name, "schedule name")->required();
    pause->callback([&ctx] { ctx.out().object(to_json(ctx.admin().pause_schedule(name))); });

    auto* resume = schedule->add_subcommand("resume", "restart a paused schedule from its next time");
    resume->add_option("name", name, "schedule name")->required();
    resume->callback([&ctx] { ctx.out().object(to_json(ctx.admin().resume_schedule(name))); });

    auto* del = schedule->add_subcommand("delete", "delete a schedule");
    del->add_option("name", name, "schedule name")->required();
    del->callback([&ctx] { ctx.out().object(Json{{"deleted", ctx.admin().delete_schedule(name)}}); });

    schedule->add_subcommand("run", "enqueue every scheduled time that has come (what the server does)")
        ->callback([&ctx] { ctx.out().object(Json{{"enqueued", ctx.admin().run_due_schedules()}}); });

    auto* times = schedule->add_subcommand("times", "the next times of a cron expression");
    static int count = 5;
    times->add_option("cron", cron, "cron expression")->required();
    times->add_option("--time-zone", time_zone, "time zone of the fields")->capture_default_str();
    times->add_option("--count", count, "how many")->capture_default_str();
    times->callback([&ctx] {
        std::vector<Json> rows;
        for (const auto& t : ctx.admin().cron_times(cron, time_zone, "now", count)) rows.push_back(Json{{"time", t}});
        ctx.out().list(rows);
    });
}

}  // namespace pgqrs::cli
