// Producer: enqueue calls with this worker's id.
#include "pgqrs/producer.hpp"

#include <nlohmann/json.hpp>

#include "pgqrs/errors.hpp"
#include "pgqrs/parse.hpp"

namespace pgqrs {

Producer::Producer(std::string dsn, std::string queue, std::string hostname, int port, Options options)
    : WorkerClient(std::move(dsn), std::move(queue), std::move(hostname), port, options) {}

std::int64_t Producer::enqueue(const std::string& payload, int delay_seconds) {
    const std::string wid = std::to_string(worker_id());
    return scalar_int(call(c_->sql.enqueue, {queue_, payload, std::to_string(delay_seconds), wid}));
}

std::vector<std::int64_t> Producer::enqueue_batch(const std::vector<std::string>& payloads, int delay_seconds) {
    if (payloads.empty()) return {};
    // one JSON array text; each element is checked to be JSON here so that the
    // error names the element rather than the whole array
    std::string array = "[";
    for (std::size_t i = 0; i < payloads.size(); ++i) {
        if (!nlohmann::json::accept(payloads[i]))
            throw InvalidInputError("22P02", "payload " + std::to_string(i) + " of the batch is not valid JSON");
        if (i) array += ',';
        array += payloads[i];
    }
    array += ']';
    const std::string wid = std::to_string(worker_id());
    return int_column(call(c_->sql.enqueue_batch, {queue_, array, std::to_string(delay_seconds), wid}));
}

std::vector<std::int64_t> Producer::enqueue_pipelined(const std::vector<std::string>& payloads, int delay_seconds) {
    if (payloads.empty()) return {};
    const std::string wid = std::to_string(worker_id());
    const std::string delay = std::to_string(delay_seconds);
    std::vector<Request> reqs;
    reqs.reserve(payloads.size());
    for (const auto& p : payloads) reqs.push_back({c_->sql.enqueue, {queue_, p, delay, wid}});
    auto done = c_->conn.exec_pipeline(reqs);
    std::vector<std::int64_t> ids;
    ids.reserve(done.size());
    for (auto& c : done) {
        if (!c.ok()) raise(c.error());
        ids.push_back(scalar_int(c.result()));
    }
    return ids;
}

}  // namespace pgqrs
