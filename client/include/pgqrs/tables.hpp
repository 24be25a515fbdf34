// Read access to the four pgqrs tables, for monitoring.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "pgqrs/client.hpp"
#include "pgqrs/types.hpp"

namespace pgqrs {

// The queues table.
class Queues {
public:
    explicit Queues(ClientPtr c) : c_(std::move(c)) {}
    // Number of queues.
    std::int64_t count();
    // All queues, by id.
    std::vector<QueueInfo> list();
    // The queue of that id, if any.
    std::optional<QueueInfo> get(std::int64_t id);

private:
    ClientPtr c_;
};

// The workers table.
class Workers {
public:
    explicit Workers(ClientPtr c) : c_(std::move(c)) {}
    // Number of workers (of one queue when given).
    std::int64_t count(const std::optional<std::string>& queue = std::nullopt);
    // Workers (of one queue when given), by id.
    std::vector<WorkerInfo> list(const std::optional<std::string>& queue = std::nullopt);
    // The worker of that id, if any.
    std::optional<WorkerInfo> get(std::int64_t id);

private:
    ClientPtr c_;
};

// The messages table (waiting, delayed and leased messages).
class Messages {
public:
    explicit Messages(ClientPtr c) : c_(std::move(c)) {}
    // Number of messages (of one queue when given).
    std::int64_t count(const std::optional<std::string>& queue = std::nullopt);
    // Messages (of one queue when given), by id, at most limit when given.
    std::vector<QueueMessage> list(const std::optional<std::string>& queue = std::nullopt,
                                   std::optional<std::int64_t> limit = std::nullopt);
    // The message of that id, if any.
    std::optional<QueueMessage> get(std::int64_t id);

private:
    ClientPtr c_;
};

// The archive table (messages done and dead letters).
class Archive {
public:
    explicit Archive(ClientPtr c) : c_(std::move(c)) {}
    // Number of archived messages (of one queue when given).
    std::int64_t count(const std::optional<std::string>& queue = std::nullopt);
    // Archived messages (of one queue when given), by id, at most limit when given.
    std::vector<ArchivedMessage> list(const std::optional<std::string>& queue = std::nullopt,
                                      std::optional<std::int64_t> limit = std::nullopt);
    // The archived message of that id, if any.
    std::optional<ArchivedMessage> get(std::int64_t id);

private:
    ClientPtr c_;
};

}  // namespace pgqrs
