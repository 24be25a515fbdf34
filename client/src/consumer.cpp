// Consumer: dequeue and the lease-fenced calls that finish messages.
#include "pgqrs/consumer.hpp"

#include <algorithm>
#include <thread>
#include <utility>

#include "pgqrs/errors.hpp"
#include "pgqrs/parse.hpp"

namespace pgqrs {

Consumer::Consumer(std::string dsn, std::string queue, std::string hostname, int port, Options options)
    : WorkerClient(std::move(dsn), std::move(queue), std::move(hostname), port, options) {}

namespace {

// The lease length of the server's dequeue when none is given.
constexpr int kServerDefaultLockSeconds = 5;
// At most this many leases are remembered for fencing.
constexpr std::size_t kMaxTrackedLeases = 100000;

using Clock = std::chrono::steady_clock;

// When to forget a lease of that length taken now: once it ended as long ago as it lasted.
Clock::time_point forget_time(int lease_seconds) {
    return Clock::now() + 2 * std::chrono::seconds(std::max(lease_seconds, 1));
}

// The ids of msgs[from..].
std::vector<std::int64_t> ids_from(const std::vector<QueueMessage>& msgs, std::size_t from) {
    std::vector<std::int64_t> ids;
    for (std::size_t i = from; i < msgs.size(); ++i) ids.push_back(msgs[i].id);
    return ids;
}

}  // namespace

std::vector<QueueMessage> Consumer::dequeue(int batch_size, std::optional<int> lock_seconds,
                                            std::optional<std::chrono::seconds> wait) {
    const std::string wid = std::to_string(worker_id());
    if (!lock_seconds && c_->options.default_lock_seconds > 0) lock_seconds = c_->options.default_lock_seconds;
    const std::string n = std::to_string(batch_size);
    const Statements& s = c_->sql;
    Result r;
    if (wait) {
        const std::string w = std::to_string(wait->count());
        r = lock_seconds ? call(s.dequeue_wait, {queue_, n, std::to_string(*lock_seconds), wid, w})
                         : call(s.dequeue_wait_default_lock, {queue_, n, wid, w});
    } else {
        r = lock_seconds ? call(s.dequeue, {queue_, n, std::to_string(*lock_seconds), wid})
                         : call(s.dequeue_default_lock, {queue_, n, wid});
    }
    return remember(r, lock_seconds.value_or(kServerDefaultLockSeconds));
}

std::vector<QueueMessage> Consumer::remember(const Result& r, int lease_seconds) {
    auto msgs = parse_messages(r);
    const auto until = forget_time(lease_seconds);
    for (const auto& m : msgs) attempts_[m.id] = Lease{m.read_ct, until};
    sweep();
    return msgs;
}

void Consumer::sweep() {
    const auto now = Clock::now();
    if (now - last_sweep_ < std::chrono::seconds(1) && attempts_.size() <= kMaxTrackedLeases) return;
    last_sweep_ = now;
    for (auto it = attempts_.begin(); it != attempts_.end();) {
        if (it->second.forget_after < now) it = attempts_.erase(it);
        else ++it;
    }
    if (attempts_.size() <= kMaxTrackedLeases) return;
    // still too many live leases: forget those that end first
    std::vector<std::pair<Clock::time_point, std::int64_t>> order;
    order.reserve(attempts_.size());
    for (const auto& [id, lease] : attempts_) order.emplace_back(lease.forget_after, id);
    const std::size_t excess = attempts_.size() - kMaxTrackedLeases;
    std::nth_element(order.begin(), order.begin() + static_cast<std::ptrdiff_t>(excess), order.end());
    for (std::size_t i = 0; i < excess; ++i) attempts_.erase(order[i].second);
}

std::optional<int> Consumer::attempt_of(std::int64_t msg_id) const {
    auto it = attempts_.find(msg_id);
    if (it == attempts_.end()) return std::nullopt;
    return it->second.attempt;
}

Value Consumer::attempt_param(std::int64_t msg_id) const {
    auto a = attempt_of(msg_id);
    return a ? Value(std::to_string(*a)) : std::nullopt;
}

std::vector<Result> Consumer::batch_call(const std::string& sql, const std::vector<std::int64_t>& msg_ids,
                                         const Params& extra) {
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
    auto params = [&](std::string ids, Value fence) {
        Params p{std::move(ids), wid, std::move(fence)};
        p.insert(p.end(), extra.begin(), extra.end());
        return p;
    };
    std::vector<Request> reqs;
    if (!known.empty()) reqs.push_back({sql, params(array_literal(known), attempts)});
    if (!unknown.empty() || known.empty()) reqs.push_back({sql, params(array_literal(unknown), std::nullopt)});
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
    auto vt = scalar(call(c_->sql.extend_visibility,
                          {std::to_string(msg_id), std::to_string(seconds), wid, attempt_param(msg_id)}));
    auto it = attempts_.find(msg_id);
    if (vt && it != attempts_.end()) it->second.forget_after = forget_time(seconds);
    return vt;
}

std::int64_t Consumer::release(const std::vector<std::int64_t>& msg_ids, std::optional<int> delay_seconds,
                               const std::optional<std::string>& error) {
    std::int64_t n = 0;
    Params extra{delay_seconds ? Value(std::to_string(*delay_seconds)) : std::nullopt, error};
    for (const auto& r : batch_call(c_->sql.release, msg_ids, extra)) n += scalar_int(r);
    forget(msg_ids);
    return n;
}

std::size_t Consumer::release_quietly(const std::vector<std::int64_t>& msg_ids) {
    if (msg_ids.empty()) return 0;
    try {
        release(msg_ids, 0);
    } catch (const Error&) {
        // the leases end by themselves; the messages come back then
    }
    return msg_ids.size();
}

namespace {

// The server keeps this much of an error text.
constexpr std::size_t kMaxErrorBytes = 4096;

// What a handler threw, as the error text kept with the message: at most
// kMaxErrorBytes, not cut inside a UTF-8 character.
std::string error_text(std::exception_ptr error) {
    std::string text;
    try {
        std::rethrow_exception(error);
    } catch (const std::exception& e) {
        text = e.what();
    } catch (...) {
        text = "unknown exception";
    }
    if (text.size() <= kMaxErrorBytes) return text;
    std::size_t end = kMaxErrorBytes;
    while (end > 0 && (static_cast<unsigned char>(text[end]) & 0xC0) == 0x80) --end;
    return text.substr(0, end);
}

}  // namespace

void Consumer::release_failed(const QueueMessage& m, std::exception_ptr error) {
    try {
        release({m.id}, std::nullopt, error_text(error));
    } catch (const Error&) {
        // the lease ends by itself; the retry policy applies then
    }
}

void Consumer::stop() {
    stop_requested_ = true;
    // A cancel request that reaches the server just before the wait statement
    // started is ignored, so repeat it until run() has left its dequeue.
    const auto give_up = Clock::now() + std::chrono::seconds(10);
    for (;;) {
        {
            std::lock_guard<std::mutex> lock(wait_mu_);
            if (!waiting_) return;
            if (!c_->conn.cancel()) return;  // no connection: the wait ends by itself
        }
        if (Clock::now() > give_up) return;
        std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
}

RunStats Consumer::run(const std::function<void(const QueueMessage&)>& handler, const RunOptions& options) {
    RunStats stats;
    auto stopping = [&] {
        return stop_requested_.load() || (options.stop && options.stop->load()) ||
               (options.max_messages && stats.handled + stats.failed >= options.max_messages);
    };
    auto set_waiting = [&](bool w) {
        std::lock_guard<std::mutex> lock(wait_mu_);
        waiting_ = w;
    };
    int lost = 0;
    try {
        while (!stopping()) {
            int batch = options.batch_size;
            if (options.max_messages)
                batch = static_cast<int>(std::min<std::size_t>(
                    static_cast<std::size_t>(batch), options.max_messages - stats.handled - stats.failed));
            std::vector<QueueMessage> msgs;
            set_waiting(true);
            try {
                msgs = dequeue(batch, options.lock_seconds, options.wait);
                set_waiting(false);
                lost = 0;
            } catch (const CanceledError&) {
                set_waiting(false);
                if (stopping()) break;
                throw;
            } catch (const WorkerError&) {
                set_waiting(false);
                break;  // shut down or closed
            } catch (const ConnectionError&) {
                set_waiting(false);
                if (stopping()) break;
                if (++lost > options.max_reconnects) throw;
                std::this_thread::sleep_for(std::chrono::seconds(1));
                continue;
            } catch (...) {
                set_waiting(false);
                throw;
            }
            std::size_t next = 0;  // msgs[next..] are leased and not settled yet
            try {
                for (; next < msgs.size(); ++next) {
                    const QueueMessage& m = msgs[next];
                    if (stopping()) break;
                    bool ok = true;
                    try {
                        handler(m);
                    } catch (...) {
                        ok = false;
                        ++stats.failed;
                        if (options.on_error) options.on_error(m, std::current_exception());
                        release_failed(m, std::current_exception());
                    }
                    if (!ok) continue;
                    ++stats.handled;
                    try {
                        if (archive(m.id)) ++stats.archived;
                    } catch (const CanceledError&) {
                        if (!stopping()) throw;  // released below with the rest
                    } catch (const ConnectionError&) {
                        // not archived, or the answer was lost: this message comes back
                        // when its lease ends; the rest is released below, reconnecting
                        if (++lost > options.max_reconnects) throw;
                        ++next;
                        break;
                    }
                }
            } catch (...) {
                release_quietly(ids_from(msgs, next));  // the one it threw on included
                throw;
            }
            stats.released += release_quietly(ids_from(msgs, next));
        }
    } catch (...) {
        stop_requested_ = false;
        throw;
    }
    stop_requested_ = false;
    return stats;
}

}  // namespace pgqrs
