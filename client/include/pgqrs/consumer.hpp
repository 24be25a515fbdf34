// Consumer: a worker that leases messages of one queue and finishes them.
// It remembers the attempt (read_ct) of each message it dequeued and passes it
// along, so a lease that expired and went to another consumer is never touched.
#pragma once

#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <exception>
#include <functional>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "pgqrs/types.hpp"
#include "pgqrs/worker.hpp"

namespace pgqrs {

// How Consumer::run consumes.
struct RunOptions {
    int batch_size = 1;                       // messages leased per dequeue
    std::optional<int> lock_seconds;          // lease length (Options::default_lock_seconds, then the server's)
    std::chrono::seconds wait{5};             // each dequeue waits up to this long for a message (1 - 3600 s)
    std::size_t max_messages = 0;             // return after handling this many (0: no limit)
    const std::atomic<bool>* stop = nullptr;  // return once it is true (checked between messages and
                                              // after each dequeue: at most `wait` later)
    // Called when the handler throws, before the message is released (may be empty).
    std::function<void(const QueueMessage&, std::exception_ptr)> on_error;
    int max_reconnects = 5;                   // consecutive lost connections tolerated (1 s apart)
};

// What Consumer::run did.
struct RunStats {
    std::size_t handled = 0;   // messages the handler returned from
    std::size_t archived = 0;  // of those, archived (the others had lost their lease meanwhile)
    std::size_t failed = 0;    // messages the handler threw for: released for another attempt
    std::size_t released = 0;  // leased but not handed to the handler (the loop stopped, or lost its connection)
};

class Consumer : public WorkerClient {
public:
    // Registers as worker (hostname, port) of queue on first use.
    Consumer(std::string dsn, std::string queue, std::string hostname, int port, Options options = {});

    // Leases up to batch_size visible messages for lock_seconds (Options::default_lock_seconds,
    // then the server's default, when unset). With wait, waits up to that long on the server
    // (dequeue_wait) when nothing is visible; cancel() ends such a wait early with CanceledError.
    std::vector<QueueMessage> dequeue(int batch_size = 1, std::optional<int> lock_seconds = std::nullopt,
                                      std::optional<std::chrono::seconds> wait = std::nullopt);
    // Same as dequeue, for symmetry with the other batch calls.
    std::vector<QueueMessage> dequeue_batch(int batch_size, std::optional<int> lock_seconds = std::nullopt) {
        return dequeue(batch_size, lock_seconds);
    }
    // dequeue with a wait of wait_seconds.
    std::vector<QueueMessage> dequeue_wait(int batch_size = 1, std::optional<int> lock_seconds = std::nullopt,
                                           int wait_seconds = 30) {
        return dequeue(batch_size, lock_seconds, std::chrono::seconds(wait_seconds));
    }
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
    // Ends leases now; the messages are visible again after delay_seconds, or
    // after the queue's retry policy when nullopt (at once for a queue without
    // one). error is kept with them (last_error; the server keeps 4096 bytes).
    // Returns the count.
    std::int64_t release(const std::vector<std::int64_t>& msg_ids, std::optional<int> delay_seconds = std::nullopt,
                         const std::optional<std::string>& error = std::nullopt);
    // The attempt (read_ct) this consumer got a message with, if it dequeued it and
    // still remembers it: an entry is dropped when the message is settled, and
    // once its lease ended long ago (twice the lease length after the dequeue or
    // the last extend_visibility; at most 100000 entries are kept). A message
    // without an entry is fenced by the worker id only.
    std::optional<int> attempt_of(std::int64_t msg_id) const;
    // Number of leases remembered (see attempt_of).
    std::size_t tracked_leases() const { return attempts_.size(); }

    // The consumer loop: dequeues batches (waiting up to options.wait for each),
    // calls handler for every message, archives it when the handler returns and
    // releases it for another attempt when the handler throws, after the
    // queue's retry policy, with the exception's what() as its error text
    // (dead-lettered once max_attempts were made). Returns when
    // stop() is called, options.stop becomes true, options.max_messages were
    // handled, or the worker is shut down (by shutdown(), close() or an admin);
    // messages leased but not yet handled are released first. A lost connection
    // is retried (options.max_reconnects times in a row, 1 s apart); the rest of
    // the batch is released on the new connection. Other errors propagate, after
    // the messages of the batch not yet settled are released (the one whose
    // on_error or archive threw included). The handler runs on the calling thread.
    RunStats run(const std::function<void(const QueueMessage&)>& handler, const RunOptions& options = {});
    // Makes run() return (the current call, or the next one if none runs): sets
    // the stop flag and cancels the dequeue waiting on the server, so run() returns
    // at once rather than at the end of its wait. Thread-safe; not for signal
    // handlers (set an atomic flag given as RunOptions::stop instead).
    void stop();

private:
    // What the consumer remembers of a lease it got.
    struct Lease {
        int attempt = 0;
        std::chrono::steady_clock::time_point forget_after;
    };
    // The attempt of msg_id as a parameter (NULL when unknown).
    Value attempt_param(std::int64_t msg_id) const;
    // Runs a batch statement ($1 ids, $2 worker, $3 attempts, then extra): the ids with a
    // known attempt are fenced by it, the others (if any) by the worker id only, in one round trip.
    std::vector<Result> batch_call(const std::string& sql, const std::vector<std::int64_t>& msg_ids,
                                   const Params& extra = {});
    // Remembers the attempts of freshly leased messages (leased for lease_seconds).
    std::vector<QueueMessage> remember(const Result& r, int lease_seconds);
    // Forgets the attempts of messages that are done.
    void forget(const std::vector<std::int64_t>& msg_ids);
    // Drops the entries of leases that ended long ago (at most once a second) and
    // the oldest ones beyond the cap.
    void sweep();
    // Releases messages, visible again at once (they were not tried), ignoring
    // errors (the leases end by themselves anyway).
    std::size_t release_quietly(const std::vector<std::int64_t>& msg_ids);
    // Releases a message the handler failed on (error: what it threw) after the
    // queue's retry policy, ignoring errors.
    void release_failed(const QueueMessage& m, std::exception_ptr error);

    std::unordered_map<std::int64_t, Lease> attempts_;
    std::chrono::steady_clock::time_point last_sweep_{};

    std::atomic<bool> stop_requested_{false};
    std::mutex wait_mu_;   // orders stop()'s cancel requests with run() leaving its wait
    bool waiting_ = false; // run() is inside a dequeue (under wait_mu_)
};

}  // namespace pgqrs
