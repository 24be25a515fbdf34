// Observation: queue_metrics, all_queues_metrics, system_stats, worker_stats,
// worker_health. Counts are exact, one index scan per queue and table. Each
// statement names its columns as the result type does (results.hpp).
#include "access.hpp"
#include "args.hpp"
#include "guard.hpp"
#include "lookup.hpp"
#include "results.hpp"

using namespace pgqrs;

// $1: one queue name, or NULL for all; $2: now; $3: the queues the caller may see, NULL for all.
static Statement select_metrics = {
    "SELECT q.queue_name, m.total AS total_messages, m.pending AS pending_messages, "
    "       m.locked AS locked_messages, m.delayed AS delayed_messages, "
    "       a.archived AS archived_messages, a.dead AS dead_messages, "
    "       m.oldest_pending_at, m.newest_enqueued_at, m.retrying AS retrying_messages, "
    "       m.next_retry_at, m.held AS held_messages, "
    "       (SELECT count(*) FROM @.message_groups g WHERE g.queue_id = q.id AND g.messages > 0) AS groups, "
    "       (SELECT COALESCE(jsonb_object_agg(x.priority, x.n), '{}') FROM "
    "          (SELECT priority, count(*) AS n FROM @.messages "
    "           WHERE queue_id = q.id AND vt <= $2 GROUP BY priority) x) AS pending_by_priority "
    "FROM @.queues q, "
    "LATERAL (SELECT count(*) AS total, "
    "                count(*) FILTER (WHERE vt <= $2) AS pending, "
    "                count(*) FILTER (WHERE vt > $2 AND dequeued_at IS NOT NULL "
    "                                 AND retry_at IS NULL) AS locked, "
    "                count(*) FILTER (WHERE vt > $2 AND dequeued_at IS NULL "
    "                                 AND held_vt IS NULL) AS delayed, "
    "                count(*) FILTER (WHERE held_vt IS NOT NULL) AS held, "
    "                min(enqueued_at) FILTER (WHERE vt <= $2) AS oldest_pending_at, "
    "                max(enqueued_at) AS newest_enqueued_at, "
    "                count(*) FILTER (WHERE vt > $2 AND retry_at IS NOT NULL) AS retrying, "
    "                min(vt) FILTER (WHERE vt > $2 AND retry_at IS NOT NULL) AS next_retry_at "
    "         FROM @.messages WHERE queue_id = q.id) m, "
    "LATERAL (SELECT count(*) FILTER (WHERE NOT dead_letter) AS archived, "
    "                count(*) FILTER (WHERE dead_letter) AS dead "
    "         FROM @.archive WHERE queue_id = q.id) a "
    "WHERE ($1::text IS NULL OR q.queue_name = $1) AND ($3::bigint[] IS NULL OR q.id = ANY ($3)) "
    "ORDER BY q.id",
    3, {TEXTOID, TIMESTAMPTZOID, INT8ARRAYOID}};

static Statement select_system_stats = {
    "SELECT (SELECT count(*) FROM @.queues) AS total_queues, "
    "       (SELECT count(*) FROM @.workers) AS total_workers, "
    "       (SELECT count(*) FROM @.workers WHERE status = 'ready') AS ready_workers, "
    "       (SELECT count(*) FROM @.workers WHERE status = 'suspended') AS suspended_workers, "
    "       (SELECT count(*) FROM @.workers WHERE status = 'stopped') AS stopped_workers, "
    "       (SELECT count(*) FROM @.messages) AS total_messages, "
    "       (SELECT count(*) FROM @.messages WHERE vt > $1 AND dequeued_at IS NOT NULL "
    "          AND retry_at IS NULL) AS locked_messages, "
    "       (SELECT count(*) FROM @.archive WHERE NOT dead_letter) AS archived_messages, "
    "       (SELECT count(*) FROM @.archive WHERE dead_letter) AS dead_messages, "
    "       $2::text AS schema_version",
    2, {TIMESTAMPTZOID, TEXTOID}};

static Statement select_worker_stats = {
    "SELECT $2::text AS queue_name, count(*) AS total_workers, "
    "       count(*) FILTER (WHERE status = 'ready') AS ready_workers, "
    "       count(*) FILTER (WHERE status = 'suspended') AS suspended_workers, "
    "       count(*) FILTER (WHERE status = 'stopped') AS stopped_workers, "
    "       (SELECT count(*) FROM @.messages m JOIN @.workers h ON h.id = m.consumer_worker_id "
    "        WHERE h.queue_id = $1) AS messages_held, "
    "       min(heartbeat_at) AS oldest_heartbeat_at, max(heartbeat_at) AS newest_heartbeat_at "
    "FROM @.workers WHERE queue_id = $1",
    2, {INT8OID, TEXTOID}};

static Statement select_worker_health = {
    "SELECT w.id AS worker_id, w.hostname, w.port, q.queue_name, w.status, w.heartbeat_at, "
    "       w.heartbeat_at >= now() - $2 AS healthy, "
    "       (SELECT count(*) FROM @.messages m WHERE m.consumer_worker_id = w.id) AS messages_held "
    "FROM @.workers w LEFT JOIN @.queues q ON q.id = w.queue_id "
    "WHERE w.status <> 'stopped' AND ($1::bigint IS NULL OR w.queue_id = $1) ORDER BY w.id",
    2, {INT8OID, INTERVALOID}};

PGQRS_FUNCTION(queue_metrics)
{
    Datum args[3] = {queue_name(fcinfo, 0), seconds_from_now(0), (Datum) 0};
    CallScope call = begin_call(fcinfo);
    require_queue_access(fcinfo, Access::monitor, args[0]);
    Rows rows = exec_until_found(select_metrics, args, "  n", explain_queue, args[0], "the queue");
    Datum row = composite_result(fcinfo, rows, 0);
    end_call(call);
    return row;
}

PGQRS_FUNCTION(all_queues_metrics)
{
    Datum args[3] = {(Datum) 0, seconds_from_now(0), (Datum) 0};
    begin_rows(fcinfo);
    CallScope call = begin_call(fcinfo);
    bool all;
    args[2] = allowed_queues(fcinfo, Access::monitor, &all);
    append_all_rows(fcinfo, exec(select_metrics, args, all ? "n n" : "n  "));
    end_call(call);
    return (Datum) 0;
}

PGQRS_FUNCTION(system_stats)
{
    Datum args[2] = {seconds_from_now(0), CStringGetTextDatum(PGQRS_VERSION)};
    CallScope call = begin_call(fcinfo);
    require_all_queues(fcinfo, Access::monitor);
    Datum row = composite_result(fcinfo, exec(select_system_stats, args, "  "), 0);
    end_call(call);
    return row;
}

PGQRS_FUNCTION(worker_stats)
{
    Datum name = queue_name(fcinfo, 0);
    CallScope call = begin_call(fcinfo);
    require_queue_access(fcinfo, Access::monitor, name);
    Datum args[2] = {Int64GetDatum(find_queue(name).id), name};
    Datum row = composite_result(fcinfo, exec(select_worker_stats, args, "  "), 0);
    end_call(call);
    return row;
}

PGQRS_FUNCTION(worker_health)
{
    Datum max_age = interval_arg(fcinfo, 1, "max_age", false);
    begin_rows(fcinfo);
    CallScope call = begin_call(fcinfo);
    Datum args[2] = {(Datum) 0, max_age};
    if (PG_ARGISNULL(0)) {
        require_all_queues(fcinfo, Access::monitor);
    } else {
        Datum queue = queue_name(fcinfo, 0);
        require_queue_access(fcinfo, Access::monitor, queue);
        args[0] = Int64GetDatum(find_queue(queue).id);
    }
    append_all_rows(fcinfo, exec(select_worker_health, args, PG_ARGISNULL(0) ? "n " : "  "));
    end_call(call);
    return (Datum) 0;
}
