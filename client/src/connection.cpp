// Blocking connection built on the non-blocking core.
#include "pgqrs/connection.hpp"

#include <libpq-fe.h>
#include <poll.h>

#include <cerrno>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <unordered_map>

#include "pgqrs/errors.hpp"

namespace pgqrs {

namespace {

// connect_timeout of a DSN in milliseconds (libpq does not apply it to a
// connection driven with PQconnectPoll), or the default.
int connect_timeout_ms(const std::string& dsn) {
    int seconds = Connection::kDefaultConnectTimeoutSeconds;
    if (PQconninfoOption* options = PQconninfoParse(dsn.c_str(), nullptr)) {
        for (PQconninfoOption* o = options; o->keyword != nullptr; ++o) {
            if (std::strcmp(o->keyword, "connect_timeout") == 0 && o->val != nullptr && *o->val) {
                const int value = std::atoi(o->val);
                if (value > 0) seconds = value < 2 ? 2 : value;  // libpq's minimum too
            }
        }
        PQconninfoFree(options);
    }
    return seconds * 1000;
}

}  // namespace

Connection::Connection(std::string dsn)
    : dsn_(dsn), connect_timeout_ms_(connect_timeout_ms(dsn)), core_(std::move(dsn)) {}

bool Connection::wait(bool want_read, bool want_write, int timeout_ms) {
    const int fd = core_.socket();
    if (fd < 0) throw ConnectionError(kConnectionLostState, "connection lost: no socket");
    pollfd p{};
    p.fd = fd;
    p.events = static_cast<short>((want_read ? POLLIN : 0) | (want_write ? POLLOUT : 0));
    for (;;) {
        const int rc = ::poll(&p, 1, timeout_ms);
        if (rc >= 0) return rc > 0;
        if (errno != EINTR) throw ConnectionError("08000", std::string("poll failed: ") + std::strerror(errno));
    }
}

void Connection::connect() {
    using Clock = std::chrono::steady_clock;
    const auto deadline = Clock::now() + std::chrono::milliseconds(connect_timeout_ms_);
    // the time left before the deadline; a server that never answers ends the attempt
    auto left_ms = [&] {
        const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
        if (left.count() > 0) return static_cast<int>(left.count());
        core_.close();
        throw ConnectionError("08001", "could not connect: timed out after " +
                                           std::to_string(connect_timeout_ms_ / 1000) + " s");
    };
    core_.start_connect();
    for (;;) {
        switch (core_.poll_connect()) {
        case PollStatus::Ok: return;
        case PollStatus::Reading: wait(true, false, left_ms()); break;
        case PollStatus::Writing: wait(false, true, left_ms()); break;
        case PollStatus::Failed: {
            std::string msg = core_.error_message();
            core_.close();
            throw ConnectionError("08001", msg.empty() ? "could not connect" : msg);
        }
        }
    }
}

void Connection::ensure_connected() {
    if (!core_.is_ready()) connect();
}

std::vector<Completed> Connection::collect(const std::vector<std::uint64_t>& ids) {
    std::unordered_map<std::uint64_t, std::size_t> slot;
    for (std::size_t i = 0; i < ids.size(); ++i) slot[ids[i]] = i;
    std::vector<Completed> out(ids.size());
    std::size_t done = 0;
    while (done < ids.size()) {
        while (auto c = core_.next_completed()) {
            auto it = slot.find(c->id);
            if (it == slot.end()) continue;  // a leftover of an earlier, abandoned call
            out[it->second] = std::move(*c);
            ++done;
        }
        if (done == ids.size()) break;
        const bool flushed = core_.flush();
        if (core_.is_broken()) continue;  // pending requests are now failed locally
        wait(true, !flushed);
        core_.consume_input();
    }
    return out;
}

std::vector<Completed> Connection::exec_pipeline(const std::vector<Request>& requests) {
    ensure_connected();
    std::vector<std::uint64_t> ids;
    ids.reserve(requests.size());
    for (const auto& r : requests) ids.push_back(core_.send(r.sql, r.params));
    return collect(ids);
}

Result Connection::exec(const std::string& sql, const Params& params) {
    ensure_connected();
    const std::uint64_t id = core_.send(sql, params);
    auto done = collect({id});
    Completed& c = done.front();
    if (!c.ok()) raise(c.error());
    return std::move(c.result());
}

}  // namespace pgqrs
