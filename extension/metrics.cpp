// Observation: queue_metrics, all_queues_metrics, system_stats, worker_stats,
// worker_health. Counts are exact, one index scan per queue and table.
#include "args.hpp"
#include "guard.hpp"
#include "lookup.hpp"
#include "results.hpp"
#include "spi.hpp"

using namespace pgqrs;

// $1: one queue name, or NULL for all; $2: now.
static Statement select_metrics = {
    "SELECT q.queue_name, m.total, m.pending, m.locked, m.delayed, a.archived, a.dead, "
    "       m.oldest_pending_at, m.newest_enqueued_at "
    "FROM queues q, "
    "LATERAL (SELECT count(*) AS total, "
    "                count(*) FILTER (WHERE vt <= $2) AS pending, "
    "                count(*) FILTER (WHERE vt > $2 AND dequeued_at IS NOT NULL) AS locked, "
    "                count(*) FILTER (WHERE vt > $2 AND dequeued_at IS NULL) AS delayed, "
    "                min(enqueued_at) FILTER (WHERE vt <= $2) AS oldest_pending_at, "
    "                max(enqueued_at) AS newest_enqueued_at "
    "         FROM messages WHERE queue_id = q.id) m, "
    "LATERAL (SELECT count(*) FILTER (WHERE NOT dead_letter) AS archived, "
    "                count(*) FILTER (WHERE dead_letter) AS dead "
    "         FROM archive WHERE queue_id = q.id) a "
    "WHERE $1::text IS NULL OR q.queue_name = $1 ORDER BY q.id",
    2, {TEXTOID, TIMESTAMPTZOID}};

static Statement select_system_stats = {
    "SELECT (SELECT count(*) FROM queues), "
    "       (SELECT count(*) FROM workers), "
    "       (SELECT count(*) FROM workers WHERE status = 'ready'), "
    "       (SELECT count(*) FROM workers WHERE status = 'suspended'), "
    "       (SELECT count(*) FROM workers WHERE status = 'stopped'), "
    "       (SELECT count(*) FROM messages), "
    "       (SELECT count(*) FROM messages WHERE vt > $1 AND dequeued_at IS NOT NULL), "
    "       (SELECT count(*) FROM archive WHERE NOT dead_letter), "
    "       (SELECT count(*) FROM archive WHERE dead_letter), "
    "       $2::text",
    2, {TIMESTAMPTZOID, TEXTOID}};

static Statement select_worker_stats = {
    "SELECT $2::text, count(*), count(*) FILTER (WHERE status = 'ready'), "
    "       count(*) FILTER (WHERE status = 'suspended'), "
    "       count(*) FILTER (WHERE status = 'stopped'), "
    "       (SELECT count(*) FROM messages m JOIN workers h ON h.id = m.consumer_worker_id "
    "        WHERE h.queue_id = $1), "
    "       min(heartbeat_at), max(heartbeat_at) "
    "FROM workers WHERE queue_id = $1",
    2, {INT8OID, TEXTOID}};

static Statement select_worker_health = {
    "SELECT w.id, w.hostname, w.port, q.queue_name, w.status, w.heartbeat_at, "
    "       w.heartbeat_at >= now() - $2, "
    "       (SELECT count(*) FROM messages m WHERE m.consumer_worker_id = w.id) "
    "FROM workers w LEFT JOIN queues q ON q.id = w.queue_id "
    "WHERE w.status <> 'stopped' AND ($1::bigint IS NULL OR w.queue_id = $1) ORDER BY w.id",
    2, {INT8OID, INTERVALOID}};

PGQRS_FUNCTION(queue_metrics)
{
    Datum args[2] = {queue_name(fcinfo, 0), seconds_from_now(0)};
    begin_call(fcinfo);
    if (exec(select_metrics, args, "  ") == 0)
        find_queue(args[0]);
    Datum row = first_row_composite(fcinfo);
    end_call();
    return row;
}

PGQRS_FUNCTION(all_queues_metrics)
{
    Datum args[2] = {(Datum) 0, seconds_from_now(0)};
    begin_rows(fcinfo);
    begin_call(fcinfo);
    exec(select_metrics, args, "n ");
    append_all_rows(fcinfo);
    end_call();
    return (Datum) 0;
}

PGQRS_FUNCTION(system_stats)
{
    Datum args[2] = {seconds_from_now(0), CStringGetTextDatum(PGQRS_VERSION)};
    begin_call(fcinfo);
    exec(select_system_stats, args, "  ");
    Datum row = first_row_composite(fcinfo);
    end_call();
    return row;
}

PGQRS_FUNCTION(worker_stats)
{
    Datum name = queue_name(fcinfo, 0);
    begin_call(fcinfo);
    Datum args[2] = {Int64GetDatum(find_queue(name).id), name};
    exec(select_worker_stats, args, "  ");
    Datum row = first_row_composite(fcinfo);
    end_call();
    return row;
}

PGQRS_FUNCTION(worker_health)
{
    Datum max_age = interval_arg(fcinfo, 1, "max_age", false);
    begin_rows(fcinfo);
    begin_call(fcinfo);
    Datum args[2] = {(Datum) 0, max_age};
    if (!PG_ARGISNULL(0))
        args[0] = Int64GetDatum(find_queue(queue_name(fcinfo, 0)).id);
    exec(select_worker_health, args, PG_ARGISNULL(0) ? "n " : "  ");
    append_all_rows(fcinfo);
    end_call();
    return (Datum) 0;
}
