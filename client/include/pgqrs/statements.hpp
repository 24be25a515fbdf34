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

// All statements of the pgqrs SQL API for one schema.
struct Statements {
    explicit Statements(const std::string& schema = kDefaultSchema);

    std::string schema;         // as given
    std::string qschema;        // quoted
    // Installation
    std::string create_schema, create_extension, drop_extension, drop_schema;
    std::string extension_info, verify, version, grant_access;
    // Queues
    std::string create_queue, set_max_attempts, get_queue, list_queues, delete_queue;
    std::string purge_queue, purge_archive;
    // Producing
    std::string enqueue, enqueue_batch;
    // Consuming
    std::string dequeue, dequeue_default_lock, dequeue_wait, dequeue_wait_default_lock, archive, archive_batch, delete_message, delete_batch;
    std::string extend_visibility, release, release_worker_messages;
    // Workers
    std::string register_worker, get_worker, list_workers, heartbeat, suspend_worker;
    std::string resume_worker, shutdown_worker, worker_status, worker_messages, delete_worker;
    std::string purge_old_workers, reclaim_messages;
    // Dead letters
    std::string dlq, replay_dlq;
    // Observation
    std::string queue_metrics, all_queues_metrics, system_stats, worker_stats, worker_health;
    // Table reads ($1 = optional queue name, $2 = optional limit where listed)
    std::string queues_count, queues_list, queues_get;
    std::string workers_count, workers_list, workers_get;
    std::string messages_count, messages_list, messages_get;
    std::string archive_count, archive_list, archive_get;
};

}  // namespace pgqrs
