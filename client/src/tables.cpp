// Table accessors: plain reads of the pgqrs tables.
#include "pgqrs/tables.hpp"

#include "pgqrs/parse.hpp"

namespace pgqrs {

namespace {

Value opt_text(const std::optional<std::string>& s) { return s; }

Value opt_int(std::optional<std::int64_t> n) {
    return n ? Value(std::to_string(*n)) : std::nullopt;
}

template <typename T>
std::optional<T> first(std::vector<T> v) {
    if (v.empty()) return std::nullopt;
    return std::move(v.front());
}

}  // namespace

std::int64_t Queues::count() { return scalar_int(c_->conn.exec(c_->sql.queues_count, {std::nullopt})); }
std::vector<QueueInfo> Queues::list() { return parse_queues(c_->conn.exec(c_->sql.queues_list, {std::nullopt})); }
std::optional<QueueInfo> Queues::get(std::int64_t id) {
    return first(parse_queues(c_->conn.exec(c_->sql.queues_get, {std::to_string(id)})));
}

std::int64_t Workers::count(const std::optional<std::string>& q) {
    return scalar_int(c_->conn.exec(c_->sql.workers_count, {opt_text(q)}));
}
std::vector<WorkerInfo> Workers::list(const std::optional<std::string>& q) {
    return parse_workers(c_->conn.exec(c_->sql.workers_list, {opt_text(q)}));
}
std::optional<WorkerInfo> Workers::get(std::int64_t id) {
    return first(parse_workers(c_->conn.exec(c_->sql.workers_get, {std::to_string(id)})));
}

std::int64_t Messages::count(const std::optional<std::string>& q) {
    return scalar_int(c_->conn.exec(c_->sql.messages_count, {opt_text(q)}));
}
std::vector<QueueMessage> Messages::list(const std::optional<std::string>& q, std::optional<std::int64_t> limit) {
    return parse_messages(c_->conn.exec(c_->sql.messages_list, {opt_text(q), opt_int(limit)}));
}
std::optional<QueueMessage> Messages::get(std::int64_t id) {
    return first(parse_messages(c_->conn.exec(c_->sql.messages_get, {std::to_string(id)})));
}

std::int64_t Archive::count(const std::optional<std::string>& q) {
    return scalar_int(c_->conn.exec(c_->sql.archive_count, {opt_text(q)}));
}
std::vector<ArchivedMessage> Archive::list(const std::optional<std::string>& q, std::optional<std::int64_t> limit) {
    return parse_archived(c_->conn.exec(c_->sql.archive_list, {opt_text(q), opt_int(limit)}));
}
std::optional<ArchivedMessage> Archive::get(std::int64_t id) {
    return first(parse_archived(c_->conn.exec(c_->sql.archive_get, {std::to_string(id)})));
}

}  // namespace pgqrs
