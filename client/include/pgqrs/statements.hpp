// The fixed SQL texts of the client, built once per schema. Every user value is
// a $n parameter; only the (quoted) schema name is part of the text.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace pgqrs {

// The default schema of the extension.
inline constexpr const char* kDefaultSchema = "pgqrs";

// Quotes an identifier like PostgreSQL's quote_ident (always double-quoted).
std::string quote_ident(const std::string& name);
// A PostgreSQL array literal ("{1,2,3}") of integers, for bigint[] / int[] params.
std::string array_literal(const std::vector<std::int64_t>& values);
// An interval parameter text for a number of seconds ("90 seconds").
std::string seconds_interval(double seconds);

// The row-returning statements again, each row as one JSON object (the text of
// row_to_json, or to_json for a single timestamp), with the same $n parameters.
// For bindings that build their own value types (the Python package): the
// timestamps are ISO 8601 whatever the server's DateStyle, payloads are objects.
struct JsonStatements {
    // Queues
    std::string create_queue, set_max_attempts, set_dedup_window, set_retry_policy, get_queue, list_queues;
    // Dedup keys and topics
    std::string enqueue_dedup, enqueue_batch_dedup, create_topic, list_topics, publish;
    // Consuming (extend_visibility: the new vt as a JSON string, null when not held)
    std::string dequeue, dequeue_default_lock, dequeue_wait, dequeue_wait_default_lock, extend_visibility;
    // Workers (heartbeat: the heartbeat time as a JSON string)
    std::string register_worker, get_worker, list_workers, heartbeat, suspend_worker, resume_worker;
    std::string shutdown_worker, worker_messages;
    // Dead letters
    std::string dlq;
    // Schedules (cron_times: each time as a JSON string)
    std::string create_schedule, list_schedules, pause_schedule, resume_schedule, cron_times;
    // Observation
    std::string queue_metrics, all_queues_metrics, system_stats, worker_stats, worker_health;
    std::string claim_frontier_stats;
    // Table reads (same parameters as the text forms)
    std::string queues_list, queues_get, workers_list, workers_get;
    std::string messages_list, messages_get, archive_list, archive_get;
};

// All statements of the pgqrs SQL API for one schema.
//
// Parameters: queue names, hostnames, roles and access levels are text; ids,
// counts and seconds are integers in decimal text; intervals are PostgreSQL
// interval texts ("90 seconds", see seconds_interval); id lists are array
// literals (array_literal); payloads are JSON text. An optional queue name
// ("of one queue when given") is NULL for all queues; a queue that does not
// exist is an error (P0002), not an empty result.
struct Statements {
    explicit Statements(const std::string& schema = kDefaultSchema);

    std::string schema;         // as given
    std::string qschema;        // quoted
    // Installation
    std::string create_schema, create_extension, drop_extension, drop_schema;
    std::string extension_info, verify, version, grant_access;
    // Queues
    // set_retry_policy: $1 queue, $2 backoff, $3 delay, $4 cap (seconds, NULL for the default), $5 jitter
    std::string create_queue, set_max_attempts, set_dedup_window, set_retry_policy, get_queue, list_queues, delete_queue;
    std::string purge_queue, purge_archive;
    // Producing (enqueue_dedup, enqueue_batch_dedup: rows of msg_id, inserted;
    // enqueue_batch_dedup's $3 is a JSON array of keys, strings or null)
    std::string enqueue, enqueue_batch, enqueue_dedup, enqueue_batch_dedup;
    // The same with the delivery order as two more parameters, priority and group
    // key ($5, $6; $6, $7 in the dedup forms; NULL for none). The batch forms take
    // the priorities as an int array literal and the group keys as a JSON array of
    // strings or null.
    std::string enqueue_ordered, enqueue_batch_ordered, enqueue_dedup_ordered, enqueue_batch_dedup_ordered;
    // set_priority: $1 message id, $2 priority; true when the message was waiting
    std::string set_priority;
    // Topics (list_topics: queue_names as a JSON array; publish: rows of queue_name, msg_id)
    std::string create_topic, delete_topic, list_topics, subscribe, unsubscribe, publish;
    // Consuming
    std::string dequeue, dequeue_default_lock, dequeue_wait, dequeue_wait_default_lock, archive, archive_batch, delete_message, delete_batch;
    // release: $1 ids, $2 worker, $3 attempts, $4 delay seconds (NULL: the queue's retry policy), $5 error text
    std::string extend_visibility, release, release_worker_messages;
    // Workers
    std::string register_worker, get_worker, list_workers, heartbeat, suspend_worker;
    std::string resume_worker, shutdown_worker, worker_status, worker_messages, delete_worker;
    std::string purge_old_workers, reclaim_messages;
    // Dead letters
    std::string dlq, replay_dlq;
    // Schedules: create_schedule($1 name, $2 cron, $3 queue, $4 payload, $5 time zone,
    // $6 catch_up); pause/resume/delete($1 name); cron_times($1 cron, $2 zone,
    // $3 after, $4 count)
    std::string create_schedule, list_schedules, pause_schedule, resume_schedule, delete_schedule;
    std::string run_due_schedules, cron_times;
    // Observation
    std::string queue_metrics, all_queues_metrics, system_stats, worker_stats, worker_health;
    std::string claim_frontier_stats, reset_claim_frontier;
    // Table reads ($1 = optional queue name, $2 = optional limit where listed;
    // *_get take $1 = id)
    std::string queues_count, queues_list, queues_get;
    std::string workers_count, workers_list, workers_get;
    std::string messages_count, messages_list, messages_get;
    std::string archive_count, archive_list, archive_get;
    // The JSON forms of the row-returning statements above.
    JsonStatements json;
};

}  // namespace pgqrs
