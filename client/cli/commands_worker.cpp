// CLI: worker administration.
#include <optional>

#include "context.hpp"

namespace pgqrs::cli {

void add_worker_commands(CLI::App& app, Context& ctx) {
    auto* worker = app.add_subcommand("worker", "inspect and manage workers");
    worker->require_subcommand(1);
    static std::optional<std::string> queue;
    static std::string queue_name;
    static std::int64_t id = 0;
    static std::string older_than = "1 minute";

    auto* list = worker->add_subcommand("list", "list workers");
    list->add_option("--queue", queue, "only the workers of this queue");
    list->callback([&ctx] { ctx.out().list(to_rows(ctx.admin().list_workers(queue))); });

    auto* get = worker->add_subcommand("get", "show a worker");
    get->add_option("id", id, "worker id")->required();
    get->callback([&ctx] { ctx.out().object(to_json(ctx.admin().get_worker(id))); });

    auto* stats = worker->add_subcommand("stats", "worker counts of a queue");
    stats->add_option("queue", queue_name, "queue name")->required();
    stats->callback([&ctx] { ctx.out().object(to_json(ctx.admin().worker_stats(queue_name))); });

    auto* stop = worker->add_subcommand("stop", "stop a worker, releasing its messages");
    stop->add_option("id", id, "worker id")->required();
    stop->callback([&ctx] { ctx.out().object(to_json(ctx.admin().shutdown_worker(id))); });

    auto* suspend = worker->add_subcommand("suspend", "suspend a worker (it gets no messages)");
    suspend->add_option("id", id, "worker id")->required();
    suspend->callback([&ctx] { ctx.out().object(to_json(ctx.admin().suspend_worker(id))); });

    auto* resume = worker->add_subcommand("resume", "resume a suspended worker");
    resume->add_option("id", id, "worker id")->required();
    resume->callback([&ctx] { ctx.out().object(to_json(ctx.admin().resume_worker(id))); });

    auto* messages = worker->add_subcommand("messages", "messages a worker holds a lease on");
    messages->add_option("id", id, "worker id")->required();
    messages->callback([&ctx] { ctx.out().list(to_rows(ctx.admin().worker_messages(id))); });

    auto* release = worker->add_subcommand("release", "release every message a worker holds");
    release->add_option("id", id, "worker id")->required();
    release->callback([&ctx] {
        ctx.admin().get_worker(id);  // unknown worker: an error, not 0
        ctx.out().object(Json{{"released", ctx.admin().release_worker_messages(id)}});
    });

    auto* del = worker->add_subcommand("delete", "delete a worker that holds no messages");
    del->add_option("id", id, "worker id")->required();
    del->callback([&ctx] { ctx.out().object(Json{{"deleted", ctx.admin().delete_worker(id)}}); });

    auto* purge = worker->add_subcommand("purge", "delete stopped workers silent for a while");
    purge->add_option("--older-than", older_than, "heartbeat older than (e.g. '1 hour')")->capture_default_str();
    purge->callback([&ctx] { ctx.out().object(Json{{"purged", ctx.admin().purge_old_workers(older_than)}}); });

    auto* health = worker->add_subcommand("health", "health of the workers not stopped");
    health->add_option("--queue", queue, "only the workers of this queue");
    health->add_option("--max-age", older_than, "healthy when the heartbeat is younger")->capture_default_str();
    health->callback([&ctx] { ctx.out().list(to_rows(ctx.admin().worker_health(queue, older_than))); });

    auto* reclaim = worker->add_subcommand("reclaim", "release the leases of silent workers");
    reclaim->add_option("--queue", queue, "only this queue");
    reclaim->add_option("--older-than", older_than, "heartbeat older than")->capture_default_str();
    reclaim->callback([&ctx] { ctx.out().object(Json{{"reclaimed", ctx.admin().reclaim_messages(queue, older_than)}}); });
}

}  // namespace pgqrs::cli
