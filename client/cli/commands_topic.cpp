// CLI: topics. publish acts without a worker identity (worker_id NULL).
#include "context.hpp"
#include "pgqrs/parse.hpp"

namespace pgqrs::cli {

void add_topic_commands(CLI::App& app, Context& ctx) {
    auto* topic = app.add_subcommand("topic", "topics: publish one message to every subscribed queue");
    topic->require_subcommand(1);
    static std::string name, queue, payload;
    static int delay = 0;

    auto* create = topic->add_subcommand("create", "create a topic");
    create->add_option("name", name, "topic name")->required();
    create->callback([&ctx] { ctx.out().object(to_json(ctx.admin().create_topic(name))); });

    topic->add_subcommand("list", "list topics with their subscribed queues")->callback([&ctx] {
        ctx.out().list(to_rows(ctx.admin().list_topics()));
    });

    auto* del = topic->add_subcommand("delete", "delete a topic and its subscriptions (not the queues)");
    del->add_option("name", name, "topic name")->required();
    del->callback([&ctx] { ctx.out().object(Json{{"deleted", ctx.admin().delete_topic(name)}}); });

    auto* sub = topic->add_subcommand("subscribe", "subscribe a queue to a topic");
    sub->add_option("name", name, "topic name")->required();
    sub->add_option("queue", queue, "queue name")->required();
    sub->callback([&ctx] { ctx.out().object(Json{{"subscribed", ctx.admin().subscribe(name, queue)}}); });

    auto* unsub = topic->add_subcommand("unsubscribe", "end a subscription");
    unsub->add_option("name", name, "topic name")->required();
    unsub->add_option("queue", queue, "queue name")->required();
    unsub->callback([&ctx] { ctx.out().object(Json{{"unsubscribed", ctx.admin().unsubscribe(name, queue)}}); });

    auto* pub = topic->add_subcommand("publish", "add a message (a JSON object) to every subscribed queue");
    pub->add_option("name", name, "topic name")->required();
    pub->add_option("payload", payload, "JSON payload")->required();
    pub->add_option("--delay", delay, "seconds before the messages are visible")->capture_default_str();
    pub->callback([&ctx] {
        auto& c = *ctx.admin().client();
        auto published = parse_published(c.conn.exec(c.sql.publish, {name, payload, std::to_string(delay), std::nullopt}));
        ctx.out().list(to_rows(published));
    });
}

}  // namespace pgqrs::cli
