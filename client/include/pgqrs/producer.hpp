// Producer: a worker that puts messages (JSON text) on one queue.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "pgqrs/worker.hpp"

namespace pgqrs {

class Producer : public WorkerClient {
public:
    // Registers as worker (hostname, port) of queue on first use.
    Producer(std::string dsn, std::string queue, std::string hostname, int port, Options options = {});

    // The delivery order (docs/semantics.md): a priority from 0 to 9, higher
    // delivered first and FIFO within one; a group key (1 - 256 bytes): the
    // messages of one group are delivered one at a time, in enqueue order.
    // Out of range: InvalidInputError.
    //
    // Adds one message (a JSON object as text), visible after delay_seconds; returns its id.
    std::int64_t enqueue(const std::string& payload, int delay_seconds = 0, int priority = 0,
                         const std::optional<std::string>& group_key = std::nullopt);
    // Same as enqueue with a delay.
    std::int64_t enqueue_delayed(const std::string& payload, int delay_seconds) { return enqueue(payload, delay_seconds); }
    // Adds messages in one statement; returns their ids in input order. priorities
    // and group_keys: none when empty, else one per payload (nullopt: no group).
    std::vector<std::int64_t> enqueue_batch(const std::vector<std::string>& payloads, int delay_seconds = 0,
                                            const std::vector<int>& priorities = {},
                                            const std::vector<std::optional<std::string>>& group_keys = {});
    // Adds one message with a dedup key unless a message of the queue holds the key
    // (pending, delayed or leased, or archived within the queue's dedup window);
    // returns the id of the new message or of the holder, and which it is.
    Enqueued enqueue_dedup(const std::string& payload, const std::string& dedup_key, int delay_seconds = 0,
                           int priority = 0, const std::optional<std::string>& group_key = std::nullopt);
    // enqueue with a dedup key: the id alone (see enqueue_dedup).
    std::int64_t enqueue(const std::string& payload, int delay_seconds, const std::string& dedup_key,
                         int priority = 0, const std::optional<std::string>& group_key = std::nullopt) {
        return enqueue_dedup(payload, dedup_key, delay_seconds, priority, group_key).msg_id;
    }
    // enqueue_dedup for each payload, in input order (one key per payload,
    // nullopt for none; a key repeated in the batch gets its first message's id);
    // priorities and group_keys as in enqueue_batch.
    std::vector<Enqueued> enqueue_batch_dedup(const std::vector<std::string>& payloads,
                                              const std::vector<std::optional<std::string>>& dedup_keys,
                                              int delay_seconds = 0, const std::vector<int>& priorities = {},
                                              const std::vector<std::optional<std::string>>& group_keys = {});
    // Gives a message waiting in a queue (not leased) another priority; false when
    // there is no such message (unknown, leased or gone).
    bool set_priority(std::int64_t msg_id, int priority);
    // Adds one message to each queue subscribed to topic, in one statement (as
    // this worker); returns them by queue name, none when nothing is subscribed.
    std::vector<Published> publish(const std::string& topic, const std::string& payload, int delay_seconds = 0);
    // Adds messages with one enqueue statement each, all in one pipeline (one round
    // trip); returns their ids in input order. Throws the first error after all ran.
    std::vector<std::int64_t> enqueue_pipelined(const std::vector<std::string>& payloads, int delay_seconds = 0);
};

}  // namespace pgqrs
