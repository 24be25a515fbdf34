// Result rows to value types.
#include "pgqrs/parse.hpp"

#include <string>

#include <nlohmann/json.hpp>

#include "pgqrs/errors.hpp"

namespace pgqrs {

namespace {

// Reads the columns of one row by name.
class Row {
public:
    Row(const Result& r, std::size_t i) : r_(r), i_(i) {}
    const Value& v(const char* name) const { return r_.at(i_, name); }
    std::string str(const char* name) const { return v(name).value_or(""); }
    std::optional<std::string> opt(const char* name) const { return v(name); }
    std::int64_t i64(const char* name) const { auto& x = v(name); return x ? std::stoll(*x) : 0; }
    double f64(const char* name) const { auto& x = v(name); return x ? std::stod(*x) : 0; }
    std::optional<std::int64_t> opt_i64(const char* name) const {
        auto& x = v(name);
        return x ? std::optional<std::int64_t>(std::stoll(*x)) : std::nullopt;
    }
    std::optional<double> opt_f64(const char* name) const {
        auto& x = v(name);
        return x ? std::optional<double>(std::stod(*x)) : std::nullopt;
    }
    bool boolean(const char* name) const { auto& x = v(name); return x && *x == "t"; }

private:
    const Result& r_;
    std::size_t i_;
};

QueueInfo queue_row(const Row& w) {
    return QueueInfo{w.i64("id"), w.str("queue_name"), w.str("created_at"),
                     static_cast<int>(w.i64("max_attempts")),
                     static_cast<int>(w.i64("dedup_window_seconds")),
                     w.str("retry_backoff"),
                     w.f64("retry_delay_seconds"), w.f64("retry_max_delay_seconds"), w.f64("retry_jitter")};
}

ScheduleInfo schedule_row(const Row& w) {
    ScheduleInfo s;
    s.id = w.i64("id");
    s.schedule_name = w.str("schedule_name");
    s.cron_expression = w.str("cron_expression");
    s.time_zone = w.str("time_zone");
    s.queue_name = w.str("queue_name");
    s.payload = w.str("payload");
    s.catch_up = w.boolean("catch_up");
    s.paused = w.boolean("paused");
    s.next_run_at = w.str("next_run_at");
    s.last_run_at = w.opt("last_run_at");
    s.last_message_id = w.opt_i64("last_message_id");
    s.runs = w.i64("runs");
    s.skipped_runs = w.i64("skipped_runs");
    s.last_error = w.opt("last_error");
    s.created_by = w.opt("created_by");
    s.created_at = w.str("created_at");
    return s;
}

void fill_message(const Row& w, QueueMessage& m) {
    m.id = w.i64("id");
    m.queue_id = w.i64("queue_id");
    m.payload = w.str("payload");
    m.vt = w.str("vt");
    m.enqueued_at = w.str("enqueued_at");
    m.read_ct = static_cast<int>(w.i64("read_ct"));
    m.dequeued_at = w.opt("dequeued_at");
    m.producer_worker_id = w.opt_i64("producer_worker_id");
    m.consumer_worker_id = w.opt_i64("consumer_worker_id");
    m.dedup_key = w.opt("dedup_key");
    m.retry_at = w.opt("retry_at");
    m.last_error = w.opt("last_error");
    m.priority = static_cast<int>(w.i64("priority"));
    m.group_key = w.opt("group_key");
    m.held_vt = w.opt("held_vt");
}

WorkerInfo worker_row(const Row& w) {
    WorkerInfo x;
    x.id = w.i64("id");
    x.hostname = w.str("hostname");
    x.port = static_cast<int>(w.i64("port"));
    x.queue_id = w.opt_i64("queue_id");
    x.started_at = w.str("started_at");
    x.heartbeat_at = w.str("heartbeat_at");
    x.shutdown_at = w.opt("shutdown_at");
    x.status = w.str("status");
    return x;
}

QueueMetrics metrics_row(const Row& w) {
    QueueMetrics m;
    m.queue_name = w.str("queue_name");
    m.total_messages = w.i64("total_messages");
    m.pending_messages = w.i64("pending_messages");
    m.locked_messages = w.i64("locked_messages");
    m.delayed_messages = w.i64("delayed_messages");
    m.archived_messages = w.i64("archived_messages");
    m.dead_messages = w.i64("dead_messages");
    m.oldest_pending_at = w.opt("oldest_pending_at");
    m.newest_enqueued_at = w.opt("newest_enqueued_at");
    m.retrying_messages = w.i64("retrying_messages");
    m.next_retry_at = w.opt("next_retry_at");
    m.held_messages = w.i64("held_messages");
    m.groups = w.i64("groups");
    // a JSON object of counts keyed by the priority's digits ({"0": 12, "9": 3})
    if (auto text = w.opt("pending_by_priority")) {
        const nlohmann::json counts = nlohmann::json::parse(*text);
        for (auto it = counts.begin(); it != counts.end(); ++it)
            m.pending_by_priority[std::stoi(it.key())] = it.value().get<std::int64_t>();
    }
    return m;
}

// True when the result has a first row whose "id"-like first column is not NULL.
bool has_row(const Result& r) { return !r.rows.empty() && !r.columns.empty() && r.rows[0][0].has_value(); }

template <typename T, typename F>
std::vector<T> each(const Result& r, F f) {
    std::vector<T> out;
    out.reserve(r.size());
    for (std::size_t i = 0; i < r.size(); ++i) out.push_back(f(Row(r, i)));
    return out;
}

}  // namespace

Value scalar(const Result& r) {
    if (r.rows.empty() || r.rows[0].empty()) return std::nullopt;
    return r.rows[0][0];
}

std::int64_t scalar_int(const Result& r) {
    auto v = scalar(r);
    if (!v) throw Error("", "expected a number from the server, got NULL");
    return std::stoll(*v);
}

bool scalar_bool(const Result& r) {
    auto v = scalar(r);
    return v && *v == "t";
}

std::vector<std::int64_t> int_column(const Result& r) {
    std::vector<std::int64_t> out;
    out.reserve(r.size());
    for (const auto& row : r.rows)
        if (!row.empty() && row[0]) out.push_back(std::stoll(*row[0]));
    return out;
}

std::vector<QueueInfo> parse_queues(const Result& r) { return each<QueueInfo>(r, queue_row); }

std::vector<QueueMessage> parse_messages(const Result& r) {
    return each<QueueMessage>(r, [](const Row& w) { QueueMessage m; fill_message(w, m); return m; });
}

std::vector<ArchivedMessage> parse_archived(const Result& r) {
    return each<ArchivedMessage>(r, [](const Row& w) {
        ArchivedMessage m;
        fill_message(w, m);
        m.archived_at = w.str("archived_at");
        m.dead_letter = w.boolean("dead_letter");
        return m;
    });
}

std::vector<WorkerInfo> parse_workers(const Result& r) { return each<WorkerInfo>(r, worker_row); }

std::vector<QueueMetrics> parse_metrics(const Result& r) { return each<QueueMetrics>(r, metrics_row); }

std::vector<WorkerHealth> parse_health(const Result& r) {
    return each<WorkerHealth>(r, [](const Row& w) {
        WorkerHealth h;
        h.worker_id = w.i64("worker_id");
        h.hostname = w.str("hostname");
        h.port = static_cast<int>(w.i64("port"));
        h.queue_name = w.opt("queue_name");
        h.status = w.str("status");
        h.heartbeat_at = w.str("heartbeat_at");
        h.healthy = w.boolean("healthy");
        h.messages_held = w.i64("messages_held");
        return h;
    });
}

std::vector<ClaimFrontier> parse_frontiers(const Result& r) {
    return each<ClaimFrontier>(r, [](const Row& w) {
        ClaimFrontier f;
        f.queue_name = w.str("queue_name");
        f.frontier_vt = w.opt("frontier_vt");
        f.frontier_id = w.opt_i64("frontier_id");
        f.lag_seconds = w.opt_f64("lag_seconds");
        f.raises = w.i64("raises");
        f.refused_raises = w.i64("refused_raises");
        f.lowerings = w.i64("lowerings");
        f.resets = w.i64("resets");
        f.found_below = w.i64("found_below");
        f.last_audit_seconds = w.opt_f64("last_audit_seconds");
        f.next_audit_at = w.opt("next_audit_at");
        return f;
    });
}

SystemStats parse_system_stats(const Result& r) {
    SystemStats s;
    if (r.empty()) return s;
    Row w(r, 0);
    s.total_queues = w.i64("total_queues");
    s.total_workers = w.i64("total_workers");
    s.ready_workers = w.i64("ready_workers");
    s.suspended_workers = w.i64("suspended_workers");
    s.stopped_workers = w.i64("stopped_workers");
    s.total_messages = w.i64("total_messages");
    s.locked_messages = w.i64("locked_messages");
    s.archived_messages = w.i64("archived_messages");
    s.dead_messages = w.i64("dead_messages");
    s.schema_version = w.str("schema_version");
    return s;
}

WorkerStats parse_worker_stats(const Result& r) {
    WorkerStats s;
    if (r.empty()) return s;
    Row w(r, 0);
    s.queue_name = w.str("queue_name");
    s.total_workers = w.i64("total_workers");
    s.ready_workers = w.i64("ready_workers");
    s.suspended_workers = w.i64("suspended_workers");
    s.stopped_workers = w.i64("stopped_workers");
    s.messages_held = w.i64("messages_held");
    s.oldest_heartbeat_at = w.opt("oldest_heartbeat_at");
    s.newest_heartbeat_at = w.opt("newest_heartbeat_at");
    return s;
}

std::vector<Enqueued> parse_enqueued(const Result& r) {
    return each<Enqueued>(r, [](const Row& w) { return Enqueued{w.i64("msg_id"), w.boolean("inserted")}; });
}

std::vector<TopicInfo> parse_topics(const Result& r) {
    return each<TopicInfo>(r, [](const Row& w) {
        TopicInfo t{w.str("topic_name"), w.str("created_at"), {}};
        for (const auto& name : nlohmann::json::parse(w.str("queue_names")))
            t.queue_names.push_back(name.get<std::string>());
        return t;
    });
}

std::vector<Published> parse_published(const Result& r) {
    return each<Published>(r, [](const Row& w) { return Published{w.str("queue_name"), w.i64("msg_id")}; });
}
ScheduleInfo parse_schedule(const Result& r) {
    if (!has_row(r)) throw ScheduleNotFoundError("P0002", "schedule not found");
    return schedule_row(Row(r, 0));
}

std::vector<ScheduleInfo> parse_schedules(const Result& r) { return each<ScheduleInfo>(r, schedule_row); }

QueueInfo parse_queue(const Result& r) {
    if (!has_row(r)) throw QueueNotFoundError("P0002", "queue not found");
    return queue_row(Row(r, 0));
}

WorkerInfo parse_worker(const Result& r) {
    if (!has_row(r)) throw WorkerNotFoundError("P0002", "worker not found");
    return worker_row(Row(r, 0));
}

QueueMetrics parse_one_metrics(const Result& r) {
    if (!has_row(r)) throw QueueNotFoundError("P0002", "queue not found");
    return metrics_row(Row(r, 0));
}

}  // namespace pgqrs
