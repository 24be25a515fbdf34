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

namespace {

// The payloads as one JSON array text; each element is checked to be JSON here
// so that the error names the element rather than the whole array.
std::string payload_array(const std::vector<std::string>& payloads) {
    std::string array = "[";
    for (std::size_t i = 0; i < payloads.size(); ++i) {
        if (!nlohmann::json::accept(payloads[i]))
            throw InvalidInputError("22P02", "payload " + std::to_string(i) + " of the batch is not valid JSON");
        if (i) array += ',';
        array += payloads[i];
    }
    return array + ']';
}

}  // namespace

std::vector<std::int64_t> Producer::enqueue_batch(const std::vector<std::string>& payloads, int delay_seconds) {
    if (payloads.empty()) return {};
    const std::string wid = std::to_string(worker_id());
    return int_column(call(c_->sql.enqueue_batch, {queue_, payload_array(payloads), std::to_string(delay_seconds), wid}));
}

Enqueued Producer::enqueue_dedup(const std::string& payload, const std::string& dedup_key, int delay_seconds) {
    const std::string wid = std::to_string(worker_id());
    auto rows = parse_enqueued(call(c_->sql.enqueue_dedup, {queue_, payload, dedup_key, std::to_string(delay_seconds), wid}));
    if (rows.empty()) throw Error("", "enqueue_dedup returned no row");
    return rows.front();
}

std::vector<Enqueued> Producer::enqueue_batch_dedup(const std::vector<std::string>& payloads,
                                                    const std::vector<std::optional<std::string>>& dedup_keys,
                                                    int delay_seconds) {
    if (payloads.size() != dedup_keys.size())
        throw InvalidInputError("22023", "give one dedup key (or nullopt) per payload");
    if (payloads.empty()) return {};
    nlohmann::json keys = nlohmann::json::array();
    for (const auto& k : dedup_keys) keys.push_back(k ? nlohmann::json(*k) : nlohmann::json(nullptr));
    const std::string wid = std::to_string(worker_id());
    return parse_enqueued(call(c_->sql.enqueue_batch_dedup,
                               {queue_, payload_array(payloads), keys.dump(), std::to_string(delay_seconds), wid}));
}

std::vector<Published> Producer::publish(const std::string& topic, const std::string& payload, int delay_seconds) {
    const std::string wid = std::to_string(worker_id());
    return parse_published(call(c_->sql.publish, {topic, payload, std::to_string(delay_seconds), wid}));
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
