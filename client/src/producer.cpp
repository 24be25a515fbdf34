// Producer: enqueue calls with this worker's id.
#include "pgqrs/producer.hpp"

#include <nlohmann/json.hpp>

#include "pgqrs/errors.hpp"
#include "pgqrs/parse.hpp"

namespace pgqrs {

Producer::Producer(std::string dsn, std::string queue, std::string hostname, int port, Options options)
    : WorkerClient(std::move(dsn), std::move(queue), std::move(hostname), port, options) {}

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

// Optional keys as a JSON array of strings and nulls.
std::string key_array(const std::vector<std::optional<std::string>>& keys) {
    nlohmann::json array = nlohmann::json::array();
    for (const auto& k : keys) array.push_back(k ? nlohmann::json(*k) : nlohmann::json(nullptr));
    return array.dump();
}

// The per-payload priorities of a batch as an int[] parameter: NULL when none are given.
Value priority_param(const std::vector<int>& priorities, std::size_t payloads) {
    if (priorities.empty()) return std::nullopt;
    if (priorities.size() != payloads) throw InvalidInputError("22023", "give one priority per payload");
    return array_literal(std::vector<std::int64_t>(priorities.begin(), priorities.end()));
}

// The per-payload group keys of a batch as a JSON array parameter: NULL when none are given.
Value group_param(const std::vector<std::optional<std::string>>& group_keys, std::size_t payloads) {
    if (group_keys.empty()) return std::nullopt;
    if (group_keys.size() != payloads)
        throw InvalidInputError("22023", "give one group key (or nullopt) per payload");
    return key_array(group_keys);
}

}  // namespace

// Without a priority or group the statements of before run (unchanged cost).
std::int64_t Producer::enqueue(const std::string& payload, int delay_seconds, int priority,
                               const std::optional<std::string>& group_key) {
    const std::string wid = std::to_string(worker_id());
    if (priority == 0 && !group_key)
        return scalar_int(call(c_->sql.enqueue, {queue_, payload, std::to_string(delay_seconds), wid}));
    return scalar_int(call(c_->sql.enqueue_ordered,
                           {queue_, payload, std::to_string(delay_seconds), wid, std::to_string(priority), group_key}));
}

std::vector<std::int64_t> Producer::enqueue_batch(const std::vector<std::string>& payloads, int delay_seconds,
                                                  const std::vector<int>& priorities,
                                                  const std::vector<std::optional<std::string>>& group_keys) {
    Value prio = priority_param(priorities, payloads.size());
    Value groups = group_param(group_keys, payloads.size());
    if (payloads.empty()) return {};
    const std::string wid = std::to_string(worker_id());
    const std::string delay = std::to_string(delay_seconds);
    if (!prio && !groups) return int_column(call(c_->sql.enqueue_batch, {queue_, payload_array(payloads), delay, wid}));
    return int_column(call(c_->sql.enqueue_batch_ordered, {queue_, payload_array(payloads), delay, wid, prio, groups}));
}

Enqueued Producer::enqueue_dedup(const std::string& payload, const std::string& dedup_key, int delay_seconds,
                                 int priority, const std::optional<std::string>& group_key) {
    const std::string wid = std::to_string(worker_id());
    const std::string delay = std::to_string(delay_seconds);
    Params params{queue_, payload, dedup_key, delay, wid};
    const bool ordered = priority != 0 || group_key;
    if (ordered) {
        params.push_back(std::to_string(priority));
        params.push_back(group_key);
    }
    auto rows = parse_enqueued(call(ordered ? c_->sql.enqueue_dedup_ordered : c_->sql.enqueue_dedup, params));
    if (rows.empty()) throw Error("", "enqueue_dedup returned no row");
    return rows.front();
}

std::vector<Enqueued> Producer::enqueue_batch_dedup(const std::vector<std::string>& payloads,
                                                    const std::vector<std::optional<std::string>>& dedup_keys,
                                                    int delay_seconds, const std::vector<int>& priorities,
                                                    const std::vector<std::optional<std::string>>& group_keys) {
    if (payloads.size() != dedup_keys.size())
        throw InvalidInputError("22023", "give one dedup key (or nullopt) per payload");
    Value prio = priority_param(priorities, payloads.size());
    Value groups = group_param(group_keys, payloads.size());
    if (payloads.empty()) return {};
    const std::string wid = std::to_string(worker_id());
    const std::string delay = std::to_string(delay_seconds);
    Params params{queue_, payload_array(payloads), key_array(dedup_keys), delay, wid};
    if (!prio && !groups) return parse_enqueued(call(c_->sql.enqueue_batch_dedup, params));
    params.push_back(prio);
    params.push_back(groups);
    return parse_enqueued(call(c_->sql.enqueue_batch_dedup_ordered, params));
}

bool Producer::set_priority(std::int64_t msg_id, int priority) {
    return scalar_bool(call(c_->sql.set_priority, {std::to_string(msg_id), std::to_string(priority)}));
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
