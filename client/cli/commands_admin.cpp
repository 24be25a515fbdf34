// CLI: install, uninstall, verify, stats, and the queue, archive and dlq commands.
#include <optional>

#include "context.hpp"

namespace pgqrs::cli {

namespace {

void add_queue_commands(CLI::App& app, Context& ctx) {
    auto* queue = app.add_subcommand("queue", "create, list and inspect queues");
    queue->require_subcommand(1);

    auto* create = queue->add_subcommand("create", "create a queue");
    static std::string name;
    static int max_attempts = 5;
    create->add_option("name", name, "queue name")->required();
    create->add_option("--max-attempts", max_attempts, "deliveries before dead-lettering")->capture_default_str();
    create->callback([&ctx] { ctx.out().object(to_json(ctx.admin().create_queue(name, max_attempts))); });

    queue->add_subcommand("list", "list queues")->callback([&ctx] {
        ctx.out().list(to_rows(ctx.admin().list_queues()));
    });

    auto* get = queue->add_subcommand("get", "show a queue");
    get->add_option("name", name, "queue name")->required();
    get->callback([&ctx] { ctx.out().object(to_json(ctx.admin().get_queue(name))); });

    auto* del = queue->add_subcommand("delete", "delete a queue with its messages and archive");
    static bool force = false;
    del->add_option("name", name, "queue name")->required();
    del->add_flag("--force", force, "delete even while workers hold leases");
    del->callback([&ctx] { ctx.out().object(Json{{"deleted", ctx.admin().delete_queue(name, force)}}); });

    auto* purge = queue->add_subcommand("purge", "delete every message of a queue (not its archive)");
    purge->add_option("name", name, "queue name")->required();
    purge->callback([&ctx] { ctx.out().object(Json{{"purged", ctx.admin().purge_queue(name)}}); });

    auto* metrics = queue->add_subcommand("metrics", "message counts of one queue, or of all");
    static std::optional<std::string> metrics_name;
    metrics->add_option("name", metrics_name, "queue name (all queues when omitted)");
    metrics->callback([&ctx] {
        if (metrics_name) ctx.out().object(to_json(ctx.admin().queue_metrics(*metrics_name)));
        else ctx.out().list(to_rows(ctx.admin().all_queues_metrics()));
    });

    auto* attempts = queue->add_subcommand("set-max-attempts", "set deliveries before dead-lettering");
    attempts->add_option("name", name, "queue name")->required();
    attempts->add_option("max_attempts", max_attempts, "deliveries")->required();
    attempts->callback([&ctx] { ctx.out().object(to_json(ctx.admin().set_max_attempts(name, max_attempts))); });

    auto* window = queue->add_subcommand("set-dedup-window", "set how long archived messages hold their dedup key");
    static int window_seconds = 0;
    window->add_option("name", name, "queue name")->required();
    window->add_option("seconds", window_seconds, "seconds (0: only while in the queue)")->required();
    window->callback([&ctx] { ctx.out().object(to_json(ctx.admin().set_dedup_window(name, window_seconds))); });

    auto* retry = queue->add_subcommand("set-retry-policy",
                                        "set how long a failed message waits before its next attempt");
    static RetryPolicy policy;
    retry->add_option("name", name, "queue name")->required();
    retry->add_option("backoff", policy.backoff, "none, fixed or exponential")->required();
    retry->add_option("--delay", policy.delay_seconds, "seconds (exponential: after the first attempt)");
    retry->add_option("--max-delay", policy.max_delay_seconds, "cap in seconds (exponential)");
    retry->add_option("--jitter", policy.jitter, "shortens each delay by up to this fraction (0 to 1)")
        ->capture_default_str();
    retry->callback([&ctx] { ctx.out().object(to_json(ctx.admin().set_retry_policy(name, policy))); });
}

void add_archive_commands(CLI::App& app, Context& ctx) {
    auto* archive = app.add_subcommand("archive", "inspect and purge archived messages");
    archive->require_subcommand(1);
    static std::optional<std::string> queue;
    static std::int64_t limit = 100;
    static std::string name;
    static std::optional<std::string> older_than;

    auto* list = archive->add_subcommand("list", "list archived messages");
    list->add_option("queue", queue, "queue name (all queues when omitted)");
    list->add_option("--limit", limit, "at most this many")->capture_default_str();
    list->callback([&ctx] { ctx.out().list(to_rows(ctx.admin().get_archive().list(queue, limit))); });

    auto* count = archive->add_subcommand("count", "count archived messages");
    count->add_option("queue", queue, "queue name (all queues when omitted)");
    count->callback([&ctx] {
        if (queue) ctx.admin().get_queue(*queue);  // unknown queue: an error, not 0
        ctx.out().object(Json{{"count", ctx.admin().get_archive().count(queue)}});
    });

    auto* purge = archive->add_subcommand("purge", "delete archived messages of a queue");
    purge->add_option("queue", name, "queue name")->required();
    purge->add_option("--older-than", older_than, "only those archived longer ago (e.g. '7 days')");
    purge->callback([&ctx] { ctx.out().object(Json{{"purged", ctx.admin().purge_archive(name, older_than)}}); });
}

void add_dlq_commands(CLI::App& app, Context& ctx) {
    auto* dlq = app.add_subcommand("dlq", "dead-lettered messages");
    dlq->require_subcommand(1);
    static std::string queue;
    static std::vector<std::int64_t> ids;

    auto* list = dlq->add_subcommand("list", "list dead-lettered messages of a queue");
    list->add_option("queue", queue, "queue name")->required();
    list->callback([&ctx] { ctx.out().list(to_rows(ctx.admin().dlq(queue))); });

    auto* replay = dlq->add_subcommand("replay", "put dead-lettered messages back in the queue");
    replay->add_option("queue", queue, "queue name")->required();
    replay->add_option("ids", ids, "message ids (all when omitted)");
    replay->callback([&ctx] {
        std::optional<std::vector<std::int64_t>> which;
        if (!ids.empty()) which = ids;
        ctx.out().object(Json{{"replayed", ctx.admin().replay_dlq(queue, which)}});
    });
}

}  // namespace

void add_admin_commands(CLI::App& app, Context& ctx) {
    app.add_subcommand("install", "install the pgqrs extension in the schema")->callback([&ctx] {
        ctx.admin().install();
        ctx.out().message("installed pgqrs in schema " + ctx.schema);
    });
    app.add_subcommand("uninstall", "drop the pgqrs extension and all its data")->callback([&ctx] {
        ctx.admin().uninstall();
        ctx.out().message("uninstalled pgqrs");
    });
    app.add_subcommand("verify", "check that every pgqrs object is present and intact")->callback([&ctx] {
        ctx.admin().verify();
        ctx.out().message("pgqrs " + ctx.admin().version() + " in schema " + ctx.schema + ": ok");
    });
    app.add_subcommand("stats", "counts over all queues and workers")->callback([&ctx] {
        ctx.out().object(to_json(ctx.admin().system_stats()));
    });
    auto* frontier = app.add_subcommand("frontier", "the claim frontier of each queue (docs/claim-frontier.md)");
    frontier->callback([&ctx, frontier] {
        if (frontier->get_subcommands().empty()) ctx.out().list(to_rows(ctx.admin().claim_frontier_stats()));
    });
    auto* reset = frontier->add_subcommand("reset", "make the next claims scan from the start (after changing messages by hand)");
    static std::optional<std::string> reset_queue;
    reset->add_option("queue", reset_queue, "queue name (all queues when omitted)");
    reset->callback([&ctx] {
        int n = ctx.admin().reset_claim_frontier(reset_queue);
        ctx.out().message("reset " + std::to_string(n) + " claim frontier" + (n == 1 ? "" : "s"));
    });
    auto* grant = app.add_subcommand("grant", "let a role use pgqrs (producer, consumer, monitor or admin)");
    static std::string role, access;
    grant->add_option("role", role, "role name")->required();
    grant->add_option("access", access, "producer, consumer, monitor or admin")->required();
    grant->callback([&ctx] {
        ctx.admin().grant_access(role, access);
        ctx.out().message("granted " + access + " access to " + role);
    });
    add_queue_commands(app, ctx);
    add_archive_commands(app, ctx);
    add_dlq_commands(app, ctx);
}

}  // namespace pgqrs::cli
