// Producer: a worker that puts messages (JSON text) on one queue.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "pgqrs/worker.hpp"

namespace pgqrs {

class Producer : public WorkerClient {
public:
    // Registers as worker (hostname, port) of queue on first use.
    Producer(std::string dsn, std::string queue, std::string hostname, int port, Options options = {});

    // Adds one message (a JSON object as text), visible after delay_seconds; returns its id.
    std::int64_t enqueue(const std::string& payload, int delay_seconds = 0);
    // Same as enqueue with a delay.
    std::int64_t enqueue_delayed(const std::string& payload, int delay_seconds) { return enqueue(payload, delay_seconds); }
    // Adds messages in one statement; returns their ids in input order.
    std::vector<std::int64_t> enqueue_batch(const std::vector<std::string>& payloads, int delay_seconds = 0);
    // Adds messages with one enqueue statement each, all in one pipeline (one round
    // trip); returns their ids in input order. Throws the first error after all ran.
    std::vector<std::int64_t> enqueue_pipelined(const std::vector<std::string>& payloads, int delay_seconds = 0);
};

}  // namespace pgqrs
