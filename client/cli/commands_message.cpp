// CLI: message commands. They act without a worker identity (worker_id NULL).
#include <fstream>
#include <iostream>
#include <optional>

#include "context.hpp"
#include "pgqrs/errors.hpp"
#include "pgqrs/parse.hpp"

namespace pgqrs::cli {

namespace {

// Reads JSON lines (blank lines skipped) into one JSON array text.
std::string read_json_lines(std::istream& in, std::size_t& count) {
    std::string array = "[", line;
    count = 0;
    std::size_t lineno = 0;
    while (std::getline(in, line)) {
        ++lineno;
        if (line.find_first_not_of(" \t\r") == std::string::npos) continue;
        if (!nlohmann::json::accept(line))
            throw InvalidInputError("22P02", "line " + std::to_string(lineno) + " is not valid JSON");
        if (count++) array += ',';
        array += line;
    }
    return array + "]";
}

}  // namespace

void add_message_commands(CLI::App& app, Context& ctx) {
    auto* msg = app.add_subcommand("message", "enqueue, dequeue and inspect messages");
    msg->require_subcommand(1);
    static std::string queue, payload, file;
    static int delay = 0, batch = 1;
    static std::optional<int> lock;
    static std::int64_t id = 0;
    static std::optional<std::string> count_queue, dedup_key, group_key;
    static int priority = 0;
    // the priority and group key of the enqueue commands: the plain statements when unused
    auto ordered = [] { return priority != 0 || group_key.has_value(); };
    const char* priority_help = "0 - 9: higher is delivered first";
    const char* group_help = "messages of one group are delivered one at a time, in enqueue order";

    auto* enq = msg->add_subcommand("enqueue", "add a message (a JSON object)");
    enq->add_option("queue", queue, "queue name")->required();
    enq->add_option("payload", payload, "JSON payload")->required();
    enq->add_option("--delay", delay, "seconds before the message is visible")->capture_default_str();
    enq->add_option("--dedup-key", dedup_key,
                    "insert nothing while a message of the queue holds this key; prints whether it inserted");
    enq->add_option("--priority", priority, priority_help)->capture_default_str();
    enq->add_option("--group-key", group_key, group_help);
    enq->callback([&ctx, ordered] {
        auto& c = *ctx.admin().client();
        const std::string d = std::to_string(delay), p = std::to_string(priority);
        if (dedup_key) {
            auto r = parse_enqueued(ordered() ? c.conn.exec(c.sql.enqueue_dedup_ordered,
                                                            {queue, payload, *dedup_key, d, std::nullopt, p, group_key})
                                              : c.conn.exec(c.sql.enqueue_dedup,
                                                            {queue, payload, *dedup_key, d, std::nullopt}));
            ctx.out().object(Json{{"id", r.at(0).msg_id}, {"inserted", r.at(0).inserted}});
            return;
        }
        std::int64_t n = scalar_int(
            ordered() ? c.conn.exec(c.sql.enqueue_ordered, {queue, payload, d, std::nullopt, p, group_key})
                      : c.conn.exec(c.sql.enqueue, {queue, payload, d, std::nullopt}));
        ctx.out().object(Json{{"id", n}});
    });

    auto* batch_cmd = msg->add_subcommand("enqueue-batch", "add messages from JSON lines (a file or stdin)");
    batch_cmd->add_option("queue", queue, "queue name")->required();
    batch_cmd->add_option("--file", file, "file of JSON lines (stdin when omitted or '-')");
    batch_cmd->add_option("--delay", delay, "seconds before the messages are visible")->capture_default_str();
    batch_cmd->add_option("--priority", priority, "of every message: 0 - 9, higher is delivered first")
        ->capture_default_str();
    batch_cmd->add_option("--group-key", group_key, "one group for all the messages, in line order");
    batch_cmd->callback([&ctx, ordered] {
        std::size_t n = 0;
        std::string array;
        if (file.empty() || file == "-") {
            array = read_json_lines(std::cin, n);
        } else {
            std::ifstream in(file);
            if (!in) throw std::runtime_error("cannot open " + file);
            array = read_json_lines(in, n);
        }
        std::vector<std::int64_t> ids;
        if (n > 0) {
            auto& c = *ctx.admin().client();
            const std::string d = std::to_string(delay);
            if (ordered()) {
                const std::vector<std::int64_t> priorities(n, priority);
                const Value groups =
                    group_key ? Value(Json(std::vector<std::string>(n, *group_key)).dump()) : std::nullopt;
                ids = int_column(c.conn.exec(c.sql.enqueue_batch_ordered,
                                             {queue, array, d, std::nullopt, array_literal(priorities), groups}));
            } else {
                ids = int_column(c.conn.exec(c.sql.enqueue_batch, {queue, array, d, std::nullopt}));
            }
        }
        if (ctx.out().json()) ctx.out().object(Json{{"ids", ids}});
        else ctx.out().list([&] { std::vector<Json> rows; for (auto i : ids) rows.push_back(Json{{"id", i}}); return rows; }());
    });

    auto* deq = msg->add_subcommand("dequeue", "lease visible messages");
    deq->add_option("queue", queue, "queue name")->required();
    deq->add_option("--batch", batch, "at most this many")->capture_default_str();
    deq->add_option("--lock", lock, "lease seconds (server default when omitted)");
    deq->callback([&ctx] {
        auto& c = *ctx.admin().client();
        Result r = lock ? c.conn.exec(c.sql.dequeue, {queue, std::to_string(batch), std::to_string(*lock), std::nullopt})
                        : c.conn.exec(c.sql.dequeue_default_lock, {queue, std::to_string(batch), std::nullopt});
        ctx.out().list(to_rows(parse_messages(r)));
    });

    static int new_priority = 0;
    auto* prio = msg->add_subcommand("set-priority", "give a waiting (not leased) message another priority");
    prio->add_option("id", id, "message id")->required();
    prio->add_option("priority", new_priority, "0 - 9: higher is delivered first")->required();
    prio->callback([&ctx] {
        auto& c = *ctx.admin().client();
        bool ok = scalar_bool(c.conn.exec(c.sql.set_priority, {std::to_string(id), std::to_string(new_priority)}));
        ctx.out().object(Json{{"updated", ok}});
    });

    auto* arch = msg->add_subcommand("archive", "move a message to the archive");
    arch->add_option("id", id, "message id")->required();
    arch->callback([&ctx] {
        auto& c = *ctx.admin().client();
        bool ok = scalar_bool(c.conn.exec(c.sql.archive, {std::to_string(id), std::nullopt, std::nullopt}));
        ctx.out().object(Json{{"archived", ok}});
    });

    auto* rel = msg->add_subcommand("release", "end a message's lease: visible again after a delay");
    static std::optional<int> release_delay;
    static std::optional<std::string> error;
    rel->add_option("id", id, "message id")->required();
    rel->add_option("--delay", release_delay, "seconds (the queue's retry policy when omitted)");
    rel->add_option("--error", error, "error text kept with the message");
    rel->callback([&ctx] {
        auto& c = *ctx.admin().client();
        Value delay_param = release_delay ? Value(std::to_string(*release_delay)) : std::nullopt;
        std::int64_t n = scalar_int(c.conn.exec(
            c.sql.release, {array_literal({id}), std::nullopt, std::nullopt, delay_param, error}));
        ctx.out().object(Json{{"released", n == 1}});
    });

    auto* del = msg->add_subcommand("delete", "delete a message for good");
    del->add_option("id", id, "message id")->required();
    del->callback([&ctx] {
        auto& c = *ctx.admin().client();
        bool ok = scalar_bool(c.conn.exec(c.sql.delete_message, {std::to_string(id), std::nullopt, std::nullopt}));
        ctx.out().object(Json{{"deleted", ok}});
    });

    auto* get = msg->add_subcommand("get", "show a message (waiting or archived)");
    get->add_option("id", id, "message id")->required();
    get->callback([&ctx] {
        if (auto m = ctx.admin().get_messages().get(id)) return ctx.out().object(to_json(*m));
        if (auto a = ctx.admin().get_archive().get(id)) return ctx.out().object(to_json(*a));
        throw NotFoundError("P0002", "message " + std::to_string(id) + " does not exist");
    });

    auto* count = msg->add_subcommand("count", "count messages waiting, delayed or leased");
    count->add_option("queue", count_queue, "queue name (all queues when omitted)");
    count->callback([&ctx] {
        if (count_queue) ctx.admin().get_queue(*count_queue);  // unknown queue: an error, not 0
        ctx.out().object(Json{{"count", ctx.admin().get_messages().count(count_queue)}});
    });

    static std::int64_t limit = 100;
    auto* list = msg->add_subcommand("list", "list messages waiting, delayed or leased");
    list->add_option("queue", count_queue, "queue name (all queues when omitted)");
    list->add_option("--limit", limit, "at most this many")->capture_default_str();
    list->callback([&ctx] { ctx.out().list(to_rows(ctx.admin().get_messages().list(count_queue, limit))); });
}

}  // namespace pgqrs::cli
