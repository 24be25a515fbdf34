// Value types returned by the pgqrs client. Timestamps are the server's text
// (ISO format, e.g. "2024-05-01 12:00:00.123456+00"); payloads are JSON text.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace pgqrs {

// A row of the queues table.
struct QueueInfo {
    std::int64_t id = 0;
    std::string queue_name;
    std::string created_at;
    int max_attempts = 0;
    int dedup_window_seconds = 0;  // archived messages hold their dedup key this long
    // The retry policy (see RetryPolicy): none, fixed or exponential.
    std::string retry_backoff = "none";
    double retry_delay_seconds = 0;
    double retry_max_delay_seconds = 0;
    double retry_jitter = 0;
};

// A row of the schedules table: payload is enqueued to queue_name at each time
// of cron_expression in time_zone; next_run_at is the first time not yet enqueued.
struct ScheduleInfo {
    std::int64_t id = 0;
    std::string schedule_name;
    std::string cron_expression;
    std::string time_zone;
    std::string queue_name;
    std::string payload;  // JSON text
    bool catch_up = true;
    bool paused = false;
    std::string next_run_at;
    std::optional<std::string> last_run_at;
    std::optional<std::int64_t> last_message_id;
    std::int64_t runs = 0;
    std::int64_t skipped_runs = 0;
    std::optional<std::string> last_error;
    std::optional<std::string> created_by;
    std::string created_at;
};

// How long a message whose attempt failed waits before the next one
// (Admin::set_retry_policy): "none", "fixed" (delay_seconds each time) or
// "exponential" (delay_seconds doubled per attempt after the first, capped at
// max_delay_seconds); jitter in [0, 1] shortens each delay by up to that fraction.
struct RetryPolicy {
    std::string backoff = "none";
    std::optional<double> delay_seconds;      // required unless none
    std::optional<double> max_delay_seconds;  // default: delay_seconds (fixed), 365 days (exponential)
    double jitter = 0;
};

// A row of the messages table (a message waiting, delayed or leased).
struct QueueMessage {
    std::int64_t id = 0;
    std::int64_t queue_id = 0;
    std::string payload;  // JSON text
    std::string vt;       // visible from
    std::string enqueued_at;
    int read_ct = 0;      // deliveries so far; the attempt number of a dequeued message
    std::optional<std::string> dequeued_at;
    std::optional<std::int64_t> producer_worker_id;
    std::optional<std::int64_t> consumer_worker_id;
    std::optional<std::string> dedup_key;
    std::optional<std::string> retry_at;    // the next attempt, after a lease ended unfinished (none when archived)
    std::optional<std::string> last_error;  // the error text of the last failed attempt
    int priority = 0;                       // 0 - 9, higher delivered first
    std::optional<std::string> group_key;   // delivered one at a time, in order, with its group
    // Set while the message waits behind an earlier message of its group (vt is
    // then infinity): the vt it gets when it becomes the group's head. None when archived.
    std::optional<std::string> held_vt;
};

// What an enqueue with a dedup key did: the id of the new message (inserted),
// or of the message that holds the key (not inserted).
struct Enqueued {
    std::int64_t msg_id = 0;
    bool inserted = false;
};

// A topic and the queues subscribed to it (those the caller may see), by name.
struct TopicInfo {
    std::string topic_name;
    std::string created_at;
    std::vector<std::string> queue_names;
};

// One message a publish put into a subscribed queue.
struct Published {
    std::string queue_name;
    std::int64_t msg_id = 0;
};

// A row of the archive table: a message done, or dead-lettered.
struct ArchivedMessage : QueueMessage {
    std::string archived_at;
    bool dead_letter = false;
};

// A row of the workers table.
struct WorkerInfo {
    std::int64_t id = 0;
    std::string hostname;
    int port = 0;
    std::optional<std::int64_t> queue_id;
    std::string started_at;
    std::string heartbeat_at;
    std::optional<std::string> shutdown_at;
    std::string status;  // ready, suspended or stopped
};

// Message counts of one queue.
struct QueueMetrics {
    std::string queue_name;
    std::int64_t total_messages = 0;
    std::int64_t pending_messages = 0;
    std::int64_t locked_messages = 0;
    std::int64_t delayed_messages = 0;
    std::int64_t archived_messages = 0;
    std::int64_t dead_messages = 0;
    std::optional<std::string> oldest_pending_at;
    std::optional<std::string> newest_enqueued_at;
    std::int64_t retrying_messages = 0;       // waiting for their next attempt
    std::optional<std::string> next_retry_at;  // the first of those
    std::int64_t held_messages = 0;  // waiting behind an earlier message of their group (not in delayed_messages)
    std::int64_t groups = 0;         // groups with messages in the queue
    // Visible, unleased messages per priority (only priorities that have some).
    std::map<int, std::int64_t> pending_by_priority;
};

// Counts over all queues and workers.
struct SystemStats {
    std::int64_t total_queues = 0;
    std::int64_t total_workers = 0;
    std::int64_t ready_workers = 0;
    std::int64_t suspended_workers = 0;
    std::int64_t stopped_workers = 0;
    std::int64_t total_messages = 0;
    std::int64_t locked_messages = 0;
    std::int64_t archived_messages = 0;
    std::int64_t dead_messages = 0;
    std::string schema_version;
};

// Worker counts of one queue.
struct WorkerStats {
    std::string queue_name;
    std::int64_t total_workers = 0;
    std::int64_t ready_workers = 0;
    std::int64_t suspended_workers = 0;
    std::int64_t stopped_workers = 0;
    std::int64_t messages_held = 0;
    std::optional<std::string> oldest_heartbeat_at;
    std::optional<std::string> newest_heartbeat_at;
};

// Health of one worker that is not stopped.
struct WorkerHealth {
    std::int64_t worker_id = 0;
    std::string hostname;
    int port = 0;
    std::optional<std::string> queue_name;
    std::string status;
    std::string heartbeat_at;
    bool healthy = false;
    std::int64_t messages_held = 0;
};

// The claim frontier of one queue (docs/claim-frontier.md): where its claims
// start; no frontier_vt while they start at the beginning of the queue.
struct ClaimFrontier {
    std::string queue_name;
    std::optional<std::string> frontier_vt;
    std::optional<std::int64_t> frontier_id;
    std::optional<double> lag_seconds;
    std::int64_t raises = 0;
    std::int64_t refused_raises = 0;
    std::int64_t lowerings = 0;
    std::int64_t resets = 0;
    std::int64_t found_below = 0;  // rows a reset found below it: 0 unless messages were changed outside pgqrs
    std::optional<double> last_audit_seconds;  // none before the first audit
    std::optional<std::string> next_audit_at;  // none when audits are off
};

}  // namespace pgqrs
