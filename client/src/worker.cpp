// WorkerClient: registration on first use, heartbeats and lifecycle calls.
#include "pgqrs/worker.hpp"

#include "pgqrs/errors.hpp"
#include "pgqrs/parse.hpp"

namespace pgqrs {

WorkerClient::WorkerClient(std::string dsn, std::string queue, std::string hostname, int port, Options options)
    : c_(std::make_shared<Client>(std::move(dsn), options)), queue_(std::move(queue)),
      hostname_(std::move(hostname)), port_(port) {}

WorkerClient::~WorkerClient() {
    try {
        close();
    } catch (...) {
    }
}

void WorkerClient::check_open() const {
    if (closed_) throw WorkerError("55000", "worker " + hostname_ + ":" + std::to_string(port_) + " is closed");
}

std::int64_t WorkerClient::worker_id() {
    check_open();
    if (!worker_id_) {
        WorkerInfo w = parse_worker(
            c_->conn.exec(c_->sql.register_worker, {hostname_, std::to_string(port_), queue_}));
        worker_id_ = w.id;
        last_heartbeat_ = std::chrono::steady_clock::now();
    }
    return *worker_id_;
}

bool WorkerClient::heartbeat_due() const {
    return std::chrono::steady_clock::now() - last_heartbeat_ >= c_->options.heartbeat_interval;
}

void WorkerClient::heartbeat() {
    const std::int64_t id = worker_id();
    c_->conn.exec(c_->sql.heartbeat, {std::to_string(id)});
    last_heartbeat_ = std::chrono::steady_clock::now();
}

Result WorkerClient::call(const std::string& sql, const Params& params) {
    const std::int64_t id = worker_id();
    if (!heartbeat_due() || !c_->conn.is_connected()) return c_->conn.exec(sql, params);
    // one round trip for both; the heartbeat's own outcome does not matter here
    auto done = c_->conn.exec_pipeline({{c_->sql.heartbeat, {std::to_string(id)}}, {sql, params}});
    if (done[0].ok()) last_heartbeat_ = std::chrono::steady_clock::now();
    if (!done[1].ok()) raise(done[1].error());
    return std::move(done[1].result());
}

WorkerInfo WorkerClient::suspend() {
    return parse_worker(c_->conn.exec(c_->sql.suspend_worker, {std::to_string(worker_id())}));
}

WorkerInfo WorkerClient::resume() {
    return parse_worker(c_->conn.exec(c_->sql.resume_worker, {std::to_string(worker_id())}));
}

WorkerInfo WorkerClient::shutdown() {
    WorkerInfo w = parse_worker(c_->conn.exec(c_->sql.shutdown_worker, {std::to_string(worker_id())}));
    closed_ = true;
    return w;
}

std::string WorkerClient::status() {
    return scalar(c_->conn.exec(c_->sql.worker_status, {std::to_string(worker_id())})).value_or("");
}

WorkerInfo WorkerClient::info() {
    return parse_worker(c_->conn.exec(c_->sql.get_worker, {std::to_string(worker_id())}));
}

void WorkerClient::close() {
    if (closed_) {
        c_->conn.close();
        return;
    }
    closed_ = true;
    if (worker_id_) {
        try {
            c_->conn.exec(c_->sql.shutdown_worker, {std::to_string(*worker_id_)});
        } catch (const Error&) {
            // already stopped or the connection is gone: nothing left to release
        }
    }
    c_->conn.close();
}

}  // namespace pgqrs
