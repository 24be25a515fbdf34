// The worker identity shared by Producer and Consumer: lazy registration,
// heartbeats and the worker lifecycle.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>

#include "pgqrs/client.hpp"
#include "pgqrs/types.hpp"

namespace pgqrs {

// A registered (hostname, port) worker of one queue, over its own connection.
class WorkerClient {
public:
    WorkerClient(std::string dsn, std::string queue, std::string hostname, int port, Options options);
    // Shuts the worker down (best effort, never throws).
    virtual ~WorkerClient();
    WorkerClient(const WorkerClient&) = delete;
    WorkerClient& operator=(const WorkerClient&) = delete;

    // The queue this worker serves.
    const std::string& queue() const { return queue_; }
    // The worker id, registering the worker first when needed.
    std::int64_t worker_id();
    // The worker id if already registered.
    std::optional<std::int64_t> registered_id() const { return worker_id_; }
    // Records that the worker is alive (registers it first when needed).
    void heartbeat();
    // True when the last heartbeat is older than the heartbeat interval.
    bool heartbeat_due() const;
    // ready -> suspended: the worker gets nothing from dequeue.
    WorkerInfo suspend();
    // suspended -> ready.
    WorkerInfo resume();
    // -> stopped, releasing the messages it holds; further calls throw WorkerError.
    WorkerInfo shutdown();
    // ready, suspended or stopped.
    std::string status();
    // This worker's row.
    WorkerInfo info();
    // Shuts the worker down (if registered) and closes the connection; idempotent.
    void close();
    // Cancels the statement this worker's connection is running (for example a
    // waiting dequeue blocked in another thread, which then throws CanceledError).
    // Thread-safe; false when nothing could be sent (see Connection::cancel).
    bool cancel() { return c_->conn.cancel(); }
    // The shared connection state.
    const ClientPtr& client() const { return c_; }

protected:
    // Runs one statement for this worker, piggybacking a heartbeat when due.
    Result call(const std::string& sql, const Params& params);
    // Throws WorkerError when close() or shutdown() was called.
    void check_open() const;

    ClientPtr c_;
    std::string queue_;
    std::string hostname_;
    int port_;
    std::optional<std::int64_t> worker_id_;
    std::chrono::steady_clock::time_point last_heartbeat_{};
    bool closed_ = false;
};

}  // namespace pgqrs
