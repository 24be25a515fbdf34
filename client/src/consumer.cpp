// Consumer: dequeue and the lease-fenced calls that finish messages.
#include "pgqrs/consumer.hpp"

#include "pgqrs/errors.hpp"
#include "pgqrs/parse.hpp"

namespace pgqrs {

Consumer::Consumer(std::string dsn, std::string queue, std::string hostname, int port, Options options)
    : WorkerClient(std::move(dsn), std::move(queue), std::move(hostname), port, options) {}

std::vector<QueueMessage> Consumer::dequeue(int batch_size, std::optional<int> lock_seconds) {
    const std::string wid = std::to_string(worker_id());
    if (!lock_seconds && c_->options.default_lock_seconds > 0) lock_seconds = c_->options.default_lock_seconds;
    Result r = lock_seconds
                   ? call(c_->sql.dequeue, {queue_, std::to_string(batch_size), std::to_string(*lock_seconds), wid})
                   : call(c_->sql.dequeue_default_lock, {queue_, std::to_string(batch_size), wid});
    return remember(r);
}

std::vector<QueueMessage> Consumer::dequeue_wait(int batch_size, std::optional<int> lock_seconds, int wait_seconds) {
    const std::string wid = std::to_string(worker_id());
    if (!lock_seconds && c_->options.default_lock_seconds > 0) lock_seconds = c_->options.default_lock_seconds;
    const std::string n = std::to_string(batch_size), w = std::to_string(wait_seconds);
    Result r = lock_seconds ? call(c_->sql.dequeue_wait, {queue_, n, std::to_string(*lock_seconds), wid, w})
                            : call(c_->sql.dequeue_wait_default_lock, {queue_, n, wid, w});
    return remember(r);
}

std::vector<QueueMessage> Consumer::remember(const Result& r) {
    auto msgs = parse_messages(r);
    for (const auto& m : msgs) attempts_[m.id] = m.read_ct;
    return msgs;
}

std::optional<int> Consumer::attempt_of(std::int64_t msg_id) const {
    auto it = attempts_.find(msg_id);
    if (it == attempts_.end()) return std::nullopt;
    return it->second;
}

Value Consumer::attempt_param(std::int64_t msg_id) const {
    auto a = attempt_of(msg_id);
    return a ? Value(std::to_string(*a)) : std::nullopt;
}

std::vector<Result> Consumer::batch_call(const std::string& sql, const std::vector<std::int64_t>& msg_ids) {
    const std::string wid = std::to_string(worker_id());
    std::vector<std::int64_t> known, unknown;
    std::string attempts = "{";
    for (auto id : msg_ids) {
        if (auto a = attempt_of(id)) {
            attempts += (known.empty() ? "" : ",") + std::to_string(*a);
            known.push_back(id);
        } else {
            unknown.push_back(id);
        }
    }
    attempts += "}";
    std::vector<Request> reqs;
    if (!known.empty()) reqs.push_back({sql, {array_literal(known), wid, attempts}});
    if (!unknown.empty() || known.empty()) reqs.push_back({sql, {array_literal(unknown), wid, std::nullopt}});
    if (reqs.size() == 1) return {call(reqs[0].sql, reqs[0].params)};
    auto done = c_->conn.exec_pipeline(reqs);
    std::vector<Result> out;
    for (auto& d : done) {
        if (!d.ok()) raise(d.error());
        out.push_back(std::move(d.result()));
    }
    return out;
}

void Consumer::forget(const std::vector<std::int64_t>& msg_ids) {
    for (auto id : msg_ids) attempts_.erase(id);
}

bool Consumer::archive(std::int64_t msg_id) {
    const std::string wid = std::to_string(worker_id());
    bool ok = scalar_bool(call(c_->sql.archive, {std::to_string(msg_id), wid, attempt_param(msg_id)}));
    if (ok) forget({msg_id});
    return ok;
}

std::vector<std::int64_t> Consumer::archive_batch(const std::vector<std::int64_t>& msg_ids) {
    std::vector<std::int64_t> done;
    for (const auto& r : batch_call(c_->sql.archive_batch, msg_ids))
        for (auto id : int_column(r)) done.push_back(id);
    forget(done);
    return done;
}

bool Consumer::delete_message(std::int64_t msg_id) {
    const std::string wid = std::to_string(worker_id());
    bool ok = scalar_bool(call(c_->sql.delete_message, {std::to_string(msg_id), wid, attempt_param(msg_id)}));
    if (ok) forget({msg_id});
    return ok;
}

std::vector<std::int64_t> Consumer::delete_batch(const std::vector<std::int64_t>& msg_ids) {
    std::vector<std::int64_t> done;
    for (const auto& r : batch_call(c_->sql.delete_batch, msg_ids))
        for (auto id : int_column(r)) done.push_back(id);
    forget(done);
    return done;
}

std::optional<std::string> Consumer::extend_visibility(std::int64_t msg_id, int seconds) {
    const std::string wid = std::to_string(worker_id());
    return scalar(call(c_->sql.extend_visibility,
                       {std::to_string(msg_id), std::to_string(seconds), wid, attempt_param(msg_id)}));
}

std::int64_t Consumer::release(const std::vector<std::int64_t>& msg_ids) {
    std::int64_t n = 0;
    for (const auto& r : batch_call(c_->sql.release, msg_ids)) n += scalar_int(r);
    forget(msg_ids);
    return n;
}

}  // namespace pgqrs
