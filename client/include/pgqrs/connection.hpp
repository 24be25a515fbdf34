// Blocking connection: the non-blocking core plus poll() on its socket.
#pragma once

#include <chrono>
#include <string>
#include <utility>
#include <vector>

#include "pgqrs/async_connection.hpp"

namespace pgqrs {

// One statement and its parameters, for pipelined execution.
struct Request {
    std::string sql;
    Params params;
};

// A blocking libpq connection that (re)connects lazily on the next call.
class Connection {
public:
    // Keeps the DSN; connects on first use.
    explicit Connection(std::string dsn);

    // Connects now (dropping any old connection); throws ConnectionError.
    void connect();
    // Connects when never connected or when the connection was lost.
    void ensure_connected();
    // True when a usable connection is open.
    bool is_connected() const { return core_.is_ready(); }
    // Runs one statement and returns its rows; throws the matching pgqrs::Error.
    Result exec(const std::string& sql, const Params& params = {});
    // Sends all requests in one pipeline and returns each outcome, in order;
    // errors come back as outcomes (an error never poisons the other requests).
    std::vector<Completed> exec_pipeline(const std::vector<Request>& requests);
    // Closes the connection; the next call reconnects.
    void close() { core_.close(); }
    // Asks the server to cancel the statement running on this connection, so that
    // a blocked exec (e.g. a waiting dequeue) in another thread throws CanceledError.
    // Thread-safe; blocks for one round trip to the server. False (reason in *error)
    // when there is no connection or the request could not be sent. See
    // AsyncConnection::cancel for what a cancel request can and cannot do.
    bool cancel(std::string* error = nullptr) { return core_.cancel(error); }
    // The non-blocking core, e.g. to integrate with an event loop.
    AsyncConnection& core() { return core_; }

    // How long connect() waits for the server when the DSN sets no connect_timeout.
    static constexpr int kDefaultConnectTimeoutSeconds = 30;

private:
    // Waits until the socket is readable (and writable when want_write), at
    // most timeout_ms (-1: no limit); false when the time ran out.
    bool wait(bool want_read, bool want_write, int timeout_ms = -1);
    // Runs the send/flush/read loop until every id in ids has completed.
    std::vector<Completed> collect(const std::vector<std::uint64_t>& ids);

    std::string dsn_;
    int connect_timeout_ms_;  // from the DSN's connect_timeout, else the default
    AsyncConnection core_;
};

}  // namespace pgqrs
