// Admin: one blocking call per SQL function.
#include "pgqrs/admin.hpp"

#include "pgqrs/errors.hpp"
#include "pgqrs/parse.hpp"

namespace pgqrs {

namespace {

std::string num(std::int64_t n) { return std::to_string(n); }

}  // namespace

Admin::Admin(std::string dsn, Options options) : c_(std::make_shared<Client>(std::move(dsn), options)) {}

void Admin::install() {
    const Statements& s = c_->sql;
    try {
        if (is_installed()) return;
        c_->conn.exec(s.create_schema);
        c_->conn.exec(s.create_extension);
    } catch (const Error& e) {
        if (e.sqlstate() == "0A000" || e.sqlstate() == "58P01")
            throw ExtensionNotAvailableError(
                e.sqlstate(), std::string("the pgqrs extension is not installed on the server (") + e.what() +
                                  "); run `make install` on the database host");
        throw;
    }
}

void Admin::uninstall() {
    c_->conn.exec(c_->sql.drop_extension);
    if (c_->sql.schema == "public" || c_->sql.schema == "pg_catalog") return;
    try {
        c_->conn.exec(c_->sql.drop_schema);
    } catch (const Error& e) {
        if (e.sqlstate() != "2BP01") throw;  // other objects live there: keep the schema
    }
}

void Admin::verify() {
    Result r = c_->conn.exec(c_->sql.extension_info);
    if (r.empty()) throw NotInstalledError("42704", "extension \"pgqrs\" is not installed in this database");
    if (r.rows[0][1].value_or("") != c_->sql.schema)
        throw NotInstalledError("3F000", "extension \"pgqrs\" is installed in schema \"" +
                                             r.rows[0][1].value_or("") + "\", not \"" + c_->sql.schema + "\"");
    c_->conn.exec(c_->sql.verify);
}

bool Admin::is_installed() { return !c_->conn.exec(c_->sql.extension_info).empty(); }

std::string Admin::version() { return scalar(c_->conn.exec(c_->sql.version)).value_or(""); }

void Admin::grant_access(const std::string& role, const std::string& access) {
    c_->conn.exec(c_->sql.grant_access, {role, access});
}

QueueInfo Admin::create_queue(const std::string& name, int max_attempts) {
    return parse_queue(c_->conn.exec(c_->sql.create_queue, {name, num(max_attempts)}));
}
QueueInfo Admin::get_queue(const std::string& name) { return parse_queue(c_->conn.exec(c_->sql.get_queue, {name})); }
std::vector<QueueInfo> Admin::list_queues() { return parse_queues(c_->conn.exec(c_->sql.list_queues)); }
QueueInfo Admin::set_max_attempts(const std::string& name, int max_attempts) {
    return parse_queue(c_->conn.exec(c_->sql.set_max_attempts, {name, num(max_attempts)}));
}

QueueInfo Admin::set_dedup_window(const std::string& name, int seconds) {
    return parse_queue(c_->conn.exec(c_->sql.set_dedup_window, {name, num(seconds)}));
}

TopicInfo Admin::create_topic(const std::string& name) {
    auto topics = parse_topics(c_->conn.exec(c_->sql.create_topic, {name}));
    if (topics.empty()) throw Error("", "create_topic returned no row");
    return topics.front();
}
bool Admin::delete_topic(const std::string& name) {
    return scalar_bool(c_->conn.exec(c_->sql.delete_topic, {name}));
}
std::vector<TopicInfo> Admin::list_topics() { return parse_topics(c_->conn.exec(c_->sql.list_topics)); }
bool Admin::subscribe(const std::string& topic, const std::string& queue) {
    return scalar_bool(c_->conn.exec(c_->sql.subscribe, {topic, queue}));
}
bool Admin::unsubscribe(const std::string& topic, const std::string& queue) {
    return scalar_bool(c_->conn.exec(c_->sql.unsubscribe, {topic, queue}));
}

QueueInfo Admin::set_retry_policy(const std::string& name, const RetryPolicy& policy) {
    auto seconds = [](const std::optional<double>& s) { return s ? Value(std::to_string(*s)) : std::nullopt; };
    return parse_queue(c_->conn.exec(c_->sql.set_retry_policy,
                                     {name, policy.backoff, seconds(policy.delay_seconds),
                                      seconds(policy.max_delay_seconds), std::to_string(policy.jitter)}));
}
bool Admin::delete_queue(const std::string& name, bool force) {
    return scalar_bool(c_->conn.exec(c_->sql.delete_queue, {name, std::string(force ? "true" : "false")}));
}
std::int64_t Admin::purge_queue(const std::string& name) { return scalar_int(c_->conn.exec(c_->sql.purge_queue, {name})); }
std::int64_t Admin::purge_archive(const std::string& name, const std::optional<std::string>& older_than) {
    return scalar_int(c_->conn.exec(c_->sql.purge_archive, {name, older_than}));
}

ScheduleInfo Admin::create_schedule(const std::string& name, const std::string& cron_expression,
                                    const std::string& queue, const std::string& payload,
                                    const std::string& time_zone, bool catch_up) {
    return parse_schedule(c_->conn.exec(c_->sql.create_schedule, {name, cron_expression, queue, payload, time_zone,
                                                                  std::string(catch_up ? "true" : "false")}));
}
std::vector<ScheduleInfo> Admin::list_schedules() { return parse_schedules(c_->conn.exec(c_->sql.list_schedules)); }
ScheduleInfo Admin::pause_schedule(const std::string& name) {
    return parse_schedule(c_->conn.exec(c_->sql.pause_schedule, {name}));
}
ScheduleInfo Admin::resume_schedule(const std::string& name) {
    return parse_schedule(c_->conn.exec(c_->sql.resume_schedule, {name}));
}
bool Admin::delete_schedule(const std::string& name) {
    return scalar_bool(c_->conn.exec(c_->sql.delete_schedule, {name}));
}
std::int64_t Admin::run_due_schedules() { return scalar_int(c_->conn.exec(c_->sql.run_due_schedules)); }
std::vector<std::string> Admin::cron_times(const std::string& cron_expression, const std::string& time_zone,
                                           const std::string& after, int count) {
    Result r = c_->conn.exec(c_->sql.cron_times, {cron_expression, time_zone, after, num(count)});
    std::vector<std::string> times;
    for (std::size_t i = 0; i < r.rows.size(); ++i) times.push_back(r.at(i, "t").value_or(""));
    return times;
}

bool Admin::set_priority(std::int64_t msg_id, int priority) {
    return scalar_bool(c_->conn.exec(c_->sql.set_priority, {num(msg_id), num(priority)}));
}

std::vector<ArchivedMessage> Admin::dlq(const std::string& queue) {
    return parse_archived(c_->conn.exec(c_->sql.dlq, {queue}));
}
std::int64_t Admin::replay_dlq(const std::string& queue, const std::optional<std::vector<std::int64_t>>& ids) {
    Value arr = ids ? Value(array_literal(*ids)) : std::nullopt;
    return scalar_int(c_->conn.exec(c_->sql.replay_dlq, {queue, arr}));
}

std::vector<WorkerInfo> Admin::list_workers(const std::optional<std::string>& queue) {
    return parse_workers(c_->conn.exec(c_->sql.list_workers, {queue}));
}
WorkerInfo Admin::get_worker(std::int64_t id) { return parse_worker(c_->conn.exec(c_->sql.get_worker, {num(id)})); }
WorkerInfo Admin::suspend_worker(std::int64_t id) { return parse_worker(c_->conn.exec(c_->sql.suspend_worker, {num(id)})); }
WorkerInfo Admin::resume_worker(std::int64_t id) { return parse_worker(c_->conn.exec(c_->sql.resume_worker, {num(id)})); }
WorkerInfo Admin::shutdown_worker(std::int64_t id) { return parse_worker(c_->conn.exec(c_->sql.shutdown_worker, {num(id)})); }
std::string Admin::worker_status(std::int64_t id) {
    return scalar(c_->conn.exec(c_->sql.worker_status, {num(id)})).value_or("");
}
std::vector<QueueMessage> Admin::worker_messages(std::int64_t id) {
    return parse_messages(c_->conn.exec(c_->sql.worker_messages, {num(id)}));
}
std::int64_t Admin::release_worker_messages(std::int64_t id) {
    return scalar_int(c_->conn.exec(c_->sql.release_worker_messages, {num(id)}));
}
bool Admin::delete_worker(std::int64_t id) { return scalar_bool(c_->conn.exec(c_->sql.delete_worker, {num(id)})); }
std::int64_t Admin::purge_old_workers(const std::string& older_than) {
    return scalar_int(c_->conn.exec(c_->sql.purge_old_workers, {older_than}));
}
std::int64_t Admin::reclaim_messages(const std::optional<std::string>& queue, const std::string& older_than) {
    return scalar_int(c_->conn.exec(c_->sql.reclaim_messages, {queue, older_than}));
}

QueueMetrics Admin::queue_metrics(const std::string& queue) {
    return parse_one_metrics(c_->conn.exec(c_->sql.queue_metrics, {queue}));
}
std::vector<QueueMetrics> Admin::all_queues_metrics() { return parse_metrics(c_->conn.exec(c_->sql.all_queues_metrics)); }
SystemStats Admin::system_stats() { return parse_system_stats(c_->conn.exec(c_->sql.system_stats)); }
WorkerStats Admin::worker_stats(const std::string& queue) {
    return parse_worker_stats(c_->conn.exec(c_->sql.worker_stats, {queue}));
}
std::vector<ClaimFrontier> Admin::claim_frontier_stats() {
    return parse_frontiers(c_->conn.exec(c_->sql.claim_frontier_stats));
}
int Admin::reset_claim_frontier(const std::optional<std::string>& queue) {
    return static_cast<int>(scalar_int(c_->conn.exec(c_->sql.reset_claim_frontier, {queue})));
}
std::vector<WorkerHealth> Admin::worker_health(const std::optional<std::string>& queue, const std::string& max_age) {
    return parse_health(c_->conn.exec(c_->sql.worker_health, {queue, max_age}));
}

}  // namespace pgqrs
