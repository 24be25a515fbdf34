// Turns text results of the pgqrs statements into value types.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "pgqrs/async_connection.hpp"
#include "pgqrs/types.hpp"

namespace pgqrs {

// The single value of a one-row, one-column result (nullopt for NULL or no row).
Value scalar(const Result& r);
// The single value as an integer; throws Error when NULL or missing.
std::int64_t scalar_int(const Result& r);
// The single value as a boolean ("t"); false when NULL or missing.
bool scalar_bool(const Result& r);
// The first column of every row as integers.
std::vector<std::int64_t> int_column(const Result& r);

// Rows as value types (columns matched by name).
std::vector<QueueInfo> parse_queues(const Result& r);
std::vector<QueueMessage> parse_messages(const Result& r);
std::vector<ArchivedMessage> parse_archived(const Result& r);
std::vector<WorkerInfo> parse_workers(const Result& r);
std::vector<QueueMetrics> parse_metrics(const Result& r);
std::vector<WorkerHealth> parse_health(const Result& r);
SystemStats parse_system_stats(const Result& r);
std::vector<ClaimFrontier> parse_frontiers(const Result& r);
std::vector<Enqueued> parse_enqueued(const Result& r);
std::vector<TopicInfo> parse_topics(const Result& r);
std::vector<Published> parse_published(const Result& r);
WorkerStats parse_worker_stats(const Result& r);

// The first row as a value type; throws NotFoundError when the result is empty
// or the composite came back all NULL.
QueueInfo parse_queue(const Result& r);
// The one schedule row of r (ScheduleNotFoundError when none).
ScheduleInfo parse_schedule(const Result& r);
std::vector<ScheduleInfo> parse_schedules(const Result& r);
WorkerInfo parse_worker(const Result& r);
QueueMetrics parse_one_metrics(const Result& r);

}  // namespace pgqrs
