// Consumer: a worker that leases messages of one queue and finishes them.
// It remembers the attempt (read_ct) of each message it dequeued and passes it
// along, so a lease that expired and went to another consumer is never touched.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "pgqrs/types.hpp"
#include "pgqrs/worker.hpp"

namespace pgqrs {

class Consumer : public WorkerClient {
public:
    // Registers as worker (hostname, port) of queue on first use.
    Consumer(std::string dsn, std::string queue, std::string hostname, int port, Options options = {});

    // Leases up to batch_size visible messages for lock_seconds (server default when unset).
    std::vector<QueueMessage> dequeue(int batch_size = 1, std::optional<int> lock_seconds = std::nullopt);
    // Same as dequeue, for symmetry with the other batch calls.
    std::vector<QueueMessage> dequeue_batch(int batch_size, std::optional<int> lock_seconds = std::nullopt) {
        return dequeue(batch_size, lock_seconds);
    }
    // Like dequeue, but waits up to wait_seconds on the server for a message to lease.
    std::vector<QueueMessage> dequeue_wait(int batch_size = 1, std::optional<int> lock_seconds = std::nullopt,
                                           int wait_seconds = 30);
    // Moves a message to the archive; false when this consumer no longer holds its lease.
    bool archive(std::int64_t msg_id);
    // Archives messages; returns the ids archived.
    std::vector<std::int64_t> archive_batch(const std::vector<std::int64_t>& msg_ids);
    // Deletes a message for good; false when this consumer no longer holds its lease.
    bool delete_message(std::int64_t msg_id);
    // Deletes messages; returns the ids deleted.
    std::vector<std::int64_t> delete_batch(const std::vector<std::int64_t>& msg_ids);
    // Makes the lease end seconds from now; the new vt, or nullopt when not held.
    std::optional<std::string> extend_visibility(std::int64_t msg_id, int seconds);
    // Ends leases now so the messages are visible again; returns the count.
    std::int64_t release(const std::vector<std::int64_t>& msg_ids);
    // The attempt (read_ct) this consumer got a message with, if it dequeued it.
    std::optional<int> attempt_of(std::int64_t msg_id) const;

private:
    // The attempt of msg_id as a parameter (NULL when unknown).
    Value attempt_param(std::int64_t msg_id) const;
    // Runs a batch statement ($1 ids, $2 worker, $3 attempts): the ids with a known
    // attempt are fenced by it, the others (if any) by the worker id only, in one round trip.
    std::vector<Result> batch_call(const std::string& sql, const std::vector<std::int64_t>& msg_ids);
    // Remembers the attempts of freshly leased messages.
    std::vector<QueueMessage> remember(const Result& r);
    // Forgets the attempts of messages that are done.
    void forget(const std::vector<std::int64_t>& msg_ids);

    std::unordered_map<std::int64_t, int> attempts_;
};

}  // namespace pgqrs
