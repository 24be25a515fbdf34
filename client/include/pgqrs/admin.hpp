// Administration of pgqrs: installation, queues, workers, dead letters, metrics.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "pgqrs/client.hpp"
#include "pgqrs/tables.hpp"
#include "pgqrs/types.hpp"

namespace pgqrs {

// Interval texts are PostgreSQL intervals such as "90 seconds" or "1 hour".
class Admin {
public:
    // Keeps the DSN and options; connects lazily on the first call.
    explicit Admin(std::string dsn, Options options = {});

    // Creates the schema and the extension in it (idempotent); throws
    // ExtensionNotAvailableError when the server lacks the extension files.
    void install();
    // Drops the extension with all its objects, and the schema when it is empty.
    void uninstall();
    // Throws when the extension is missing or any of its objects is altered.
    void verify();
    // True when the extension is installed in this database.
    bool is_installed();
    // The version of the pgqrs library loaded by the server.
    std::string version();
    // Lets a role use pgqrs as "producer", "consumer", "monitor" or "admin".
    void grant_access(const std::string& role, const std::string& access);

    // Queues
    QueueInfo create_queue(const std::string& name, int max_attempts = 5);
    QueueInfo get_queue(const std::string& name);
    std::vector<QueueInfo> list_queues();
    QueueInfo set_max_attempts(const std::string& name, int max_attempts);
    // How long an archived message keeps its dedup key from being enqueued again (0: not at all).
    QueueInfo set_dedup_window(const std::string& name, int seconds);
    // Sets how long a message of the queue whose attempt failed waits before the next one.
    QueueInfo set_retry_policy(const std::string& name, const RetryPolicy& policy);
    bool delete_queue(const std::string& name, bool force = false);
    std::int64_t purge_queue(const std::string& name);
    std::int64_t purge_archive(const std::string& name, const std::optional<std::string>& older_than = std::nullopt);

    // Topics: publish (Producer::publish) puts one message into each subscribed queue.
    TopicInfo create_topic(const std::string& name);
    bool delete_topic(const std::string& name);
    std::vector<TopicInfo> list_topics();
    // True when the subscription is new (subscribe) or was ended (unsubscribe).
    bool subscribe(const std::string& topic, const std::string& queue);
    bool unsubscribe(const std::string& topic, const std::string& queue);

    // Gives a message that is not leased another priority (0 - 9, as
    // Producer::set_priority); false when there is no such message.
    bool set_priority(std::int64_t msg_id, int priority);

    // Dead letters
    std::vector<ArchivedMessage> dlq(const std::string& queue);
    std::int64_t replay_dlq(const std::string& queue, const std::optional<std::vector<std::int64_t>>& ids = std::nullopt);

    // Workers
    std::vector<WorkerInfo> list_workers(const std::optional<std::string>& queue = std::nullopt);
    WorkerInfo get_worker(std::int64_t worker_id);
    WorkerInfo suspend_worker(std::int64_t worker_id);
    WorkerInfo resume_worker(std::int64_t worker_id);
    WorkerInfo shutdown_worker(std::int64_t worker_id);
    std::string worker_status(std::int64_t worker_id);
    std::vector<QueueMessage> worker_messages(std::int64_t worker_id);
    std::int64_t release_worker_messages(std::int64_t worker_id);
    bool delete_worker(std::int64_t worker_id);
    std::int64_t purge_old_workers(const std::string& older_than);
    std::int64_t reclaim_messages(const std::optional<std::string>& queue = std::nullopt,
                                  const std::string& older_than = "1 minute");

    // Schedules: payload (JSON text) enqueued to queue at each time of the cron
    // expression in time_zone, by the server; catch_up: times missed while no
    // runner ran are each enqueued (true) or all but the latest skipped.
    ScheduleInfo create_schedule(const std::string& name, const std::string& cron_expression,
                                 const std::string& queue, const std::string& payload,
                                 const std::string& time_zone = "UTC", bool catch_up = true);
    std::vector<ScheduleInfo> list_schedules();
    ScheduleInfo pause_schedule(const std::string& name);
    ScheduleInfo resume_schedule(const std::string& name);
    bool delete_schedule(const std::string& name);
    // Enqueues every scheduled time that has come (what the server's background
    // worker does); returns the messages enqueued.
    std::int64_t run_due_schedules();
    // The next `count` times of a cron expression after `after` (a timestamptz text).
    std::vector<std::string> cron_times(const std::string& cron_expression, const std::string& time_zone = "UTC",
                                        const std::string& after = "now", int count = 5);

    // Observation
    QueueMetrics queue_metrics(const std::string& queue);
    std::vector<QueueMetrics> all_queues_metrics();
    SystemStats system_stats();
    WorkerStats worker_stats(const std::string& queue);
    std::vector<WorkerHealth> worker_health(const std::optional<std::string>& queue = std::nullopt,
                                            const std::string& max_age = "1 minute");
    // The claim frontier of each queue that has one (pgqrs preloaded), and its
    // reset (of one queue, or all): docs/claim-frontier.md.
    std::vector<ClaimFrontier> claim_frontier_stats();
    int reset_claim_frontier(const std::optional<std::string>& queue = std::nullopt);

    // Table accessors
    Queues get_queues() { return Queues(c_); }
    Workers get_workers() { return Workers(c_); }
    Messages get_messages() { return Messages(c_); }
    Archive get_archive() { return Archive(c_); }

    // The shared connection state (for pipelined or custom use).
    const ClientPtr& client() const { return c_; }
    // Closes the connection; the next call reconnects.
    void close() { c_->conn.close(); }

private:
    ClientPtr c_;
};

}  // namespace pgqrs
