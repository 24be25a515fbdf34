// Table and JSON rendering for the CLI.
#include "output.hpp"

#include <algorithm>
#include <ostream>

namespace pgqrs::cli {

namespace {

template <typename T>
Json opt(const std::optional<T>& v) {
    return v ? Json(*v) : Json(nullptr);
}

// A payload as JSON, or as a string when it is not valid JSON.
Json payload_json(const std::string& text) {
    Json j = Json::parse(text, nullptr, false);
    return j.is_discarded() ? Json(text) : j;
}

// Counts per priority as a JSON object keyed by the priority ({"0": 12, "9": 3}).
Json by_priority(const std::map<int, std::int64_t>& counts) {
    Json j = Json::object();
    for (const auto& [priority, n] : counts) j[std::to_string(priority)] = n;
    return j;
}

// A cell of a table: strings unquoted, null empty, the rest as compact JSON.
std::string cell(const Json& v) {
    if (v.is_null()) return "";
    if (v.is_string()) return v.get<std::string>();
    return v.dump();
}

}  // namespace

Json to_json(const QueueInfo& q) {
    return Json{{"id", q.id}, {"queue_name", q.queue_name}, {"created_at", q.created_at},
                {"max_attempts", q.max_attempts}, {"dedup_window_seconds", q.dedup_window_seconds},
                {"retry_backoff", q.retry_backoff}, {"retry_delay_seconds", q.retry_delay_seconds},
                {"retry_max_delay_seconds", q.retry_max_delay_seconds}, {"retry_jitter", q.retry_jitter}};
}

Json to_json(const TopicInfo& t) {
    return Json{{"topic_name", t.topic_name}, {"created_at", t.created_at}, {"queue_names", t.queue_names}};
}

Json to_json(const Published& p) { return Json{{"queue_name", p.queue_name}, {"msg_id", p.msg_id}}; }

Json to_json(const ScheduleInfo& s) {
    return Json{{"id", s.id}, {"schedule_name", s.schedule_name}, {"cron_expression", s.cron_expression},
                {"time_zone", s.time_zone}, {"queue_name", s.queue_name}, {"payload", payload_json(s.payload)},
                {"catch_up", s.catch_up}, {"paused", s.paused}, {"next_run_at", s.next_run_at},
                {"last_run_at", opt(s.last_run_at)}, {"last_message_id", opt(s.last_message_id)},
                {"runs", s.runs}, {"skipped_runs", s.skipped_runs}, {"last_error", opt(s.last_error)}};
}

Json to_json(const QueueMessage& m) {
    return Json{{"id", m.id}, {"queue_id", m.queue_id}, {"payload", payload_json(m.payload)},
                {"vt", m.vt}, {"enqueued_at", m.enqueued_at}, {"read_ct", m.read_ct},
                {"dequeued_at", opt(m.dequeued_at)}, {"producer_worker_id", opt(m.producer_worker_id)},
                {"consumer_worker_id", opt(m.consumer_worker_id)}, {"dedup_key", opt(m.dedup_key)},
                {"retry_at", opt(m.retry_at)},
                {"last_error", opt(m.last_error)}, {"priority", m.priority}, {"group_key", opt(m.group_key)},
                {"held_vt", opt(m.held_vt)}};
}

Json to_json(const ArchivedMessage& m) {
    Json j = to_json(static_cast<const QueueMessage&>(m));
    j["archived_at"] = m.archived_at;
    j["dead_letter"] = m.dead_letter;
    return j;
}

Json to_json(const WorkerInfo& w) {
    return Json{{"id", w.id}, {"hostname", w.hostname}, {"port", w.port}, {"queue_id", opt(w.queue_id)},
                {"status", w.status}, {"started_at", w.started_at}, {"heartbeat_at", w.heartbeat_at},
                {"shutdown_at", opt(w.shutdown_at)}};
}

Json to_json(const QueueMetrics& m) {
    return Json{{"queue_name", m.queue_name}, {"total_messages", m.total_messages},
                {"pending_messages", m.pending_messages}, {"locked_messages", m.locked_messages},
                {"delayed_messages", m.delayed_messages}, {"archived_messages", m.archived_messages},
                {"dead_messages", m.dead_messages}, {"oldest_pending_at", opt(m.oldest_pending_at)},
                {"newest_enqueued_at", opt(m.newest_enqueued_at)}, {"retrying_messages", m.retrying_messages},
                {"next_retry_at", opt(m.next_retry_at)}, {"held_messages", m.held_messages},
                {"groups", m.groups}, {"pending_by_priority", by_priority(m.pending_by_priority)}};
}

Json to_json(const SystemStats& s) {
    return Json{{"total_queues", s.total_queues}, {"total_workers", s.total_workers},
                {"ready_workers", s.ready_workers}, {"suspended_workers", s.suspended_workers},
                {"stopped_workers", s.stopped_workers}, {"total_messages", s.total_messages},
                {"locked_messages", s.locked_messages}, {"archived_messages", s.archived_messages},
                {"dead_messages", s.dead_messages}, {"schema_version", s.schema_version}};
}

Json to_json(const WorkerStats& s) {
    return Json{{"queue_name", s.queue_name}, {"total_workers", s.total_workers},
                {"ready_workers", s.ready_workers}, {"suspended_workers", s.suspended_workers},
                {"stopped_workers", s.stopped_workers}, {"messages_held", s.messages_held},
                {"oldest_heartbeat_at", opt(s.oldest_heartbeat_at)},
                {"newest_heartbeat_at", opt(s.newest_heartbeat_at)}};
}

Json to_json(const WorkerHealth& h) {
    return Json{{"worker_id", h.worker_id}, {"hostname", h.hostname}, {"port", h.port},
                {"queue_name", opt(h.queue_name)}, {"status", h.status}, {"heartbeat_at", h.heartbeat_at},
                {"healthy", h.healthy}, {"messages_held", h.messages_held}};
}

Json to_json(const ClaimFrontier& f) {
    return Json{{"queue_name", f.queue_name}, {"frontier_vt", opt(f.frontier_vt)},
                {"frontier_id", opt(f.frontier_id)},
                {"lag_seconds", opt(f.lag_seconds)},
                {"raises", f.raises}, {"refused_raises", f.refused_raises}, {"lowerings", f.lowerings},
                {"resets", f.resets}, {"found_below", f.found_below},
                {"last_audit_seconds", opt(f.last_audit_seconds)}, {"next_audit_at", opt(f.next_audit_at)}};
}

void Output::list(const std::vector<Json>& rows) const {
    if (json()) {
        os_ << Json(rows).dump() << '\n';
        return;
    }
    if (rows.empty()) {
        os_ << "(no rows)\n";
        return;
    }
    std::vector<std::string> headers;
    for (auto it = rows.front().begin(); it != rows.front().end(); ++it) headers.push_back(it.key());
    std::vector<std::size_t> width(headers.size());
    std::vector<std::vector<std::string>> cells;
    for (std::size_t c = 0; c < headers.size(); ++c) width[c] = headers[c].size();
    for (const auto& r : rows) {
        std::vector<std::string> line;
        for (std::size_t c = 0; c < headers.size(); ++c) {
            line.push_back(cell(r.contains(headers[c]) ? r.at(headers[c]) : Json(nullptr)));
            width[c] = std::max(width[c], line.back().size());
        }
        cells.push_back(std::move(line));
    }
    auto print_line = [&](const std::vector<std::string>& line) {
        std::string out;
        for (std::size_t c = 0; c < line.size(); ++c) {
            out += line[c];
            if (c + 1 < line.size()) out += std::string(width[c] - line[c].size() + 2, ' ');
        }
        os_ << out << '\n';
    };
    print_line(headers);
    std::vector<std::string> rule;
    for (auto w : width) rule.push_back(std::string(w, '-'));
    print_line(rule);
    for (const auto& line : cells) print_line(line);
}

void Output::object(const Json& obj) const {
    if (json()) {
        os_ << obj.dump() << '\n';
        return;
    }
    std::size_t width = 0;
    for (auto it = obj.begin(); it != obj.end(); ++it) width = std::max(width, it.key().size());
    for (auto it = obj.begin(); it != obj.end(); ++it)
        os_ << it.key() << std::string(width - it.key().size() + 2, ' ') << cell(it.value()) << '\n';
}

void Output::message(const std::string& text) const {
    if (json()) os_ << Json{{"result", text}}.dump() << '\n';
    else os_ << text << '\n';
}

}  // namespace pgqrs::cli
