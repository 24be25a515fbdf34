// Blocking connection built on the non-blocking core.
#include "pgqrs/connection.hpp"

#include <poll.h>

#include <cerrno>
#include <cstring>
#include <unordered_map>

#include "pgqrs/errors.hpp"

namespace pgqrs {

Connection::Connection(std::string dsn) : dsn_(dsn), core_(std::move(dsn)) {}

void Connection::wait(bool want_read, bool want_write) {
    const int fd = core_.socket();
    if (fd < 0) throw ConnectionError(kConnectionLostState, "connection lost: no socket");
    pollfd p{};
    p.fd = fd;
    p.events = static_cast<short>((want_read ? POLLIN : 0) | (want_write ? POLLOUT : 0));
    for (;;) {
        const int rc = ::poll(&p, 1, -1);
        if (rc >= 0) return;
        if (errno != EINTR) throw ConnectionError("08000", std::string("poll failed: ") + std::strerror(errno));
    }
}

void Connection::connect() {
    core_.start_connect();
    for (;;) {
        switch (core_.poll_connect()) {
        case PollStatus::Ok: return;
        case PollStatus::Reading: wait(true, false); break;
        case PollStatus::Writing: wait(false, true); break;
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
