// Workers: register_worker, get_worker, list_workers, heartbeat, the lifecycle
// ready -> suspended -> stopped, worker_messages, delete_worker,
// purge_old_workers and reclaim_messages.
#include "args.hpp"
#include "guard.hpp"
#include "lookup.hpp"
#include "results.hpp"
#include "spi.hpp"
#include "wake.hpp"

using namespace pgqrs;

// Re-registering a (hostname, port) takes the row over: whatever the previous
// process of that address still held is released first (see register_worker).
static Statement upsert_worker = {
    "INSERT INTO workers (hostname, port, queue_id) VALUES ($1, $2, $3) "
    "ON CONFLICT (hostname, port) DO UPDATE SET queue_id = EXCLUDED.queue_id, "
    "  status = 'ready', started_at = now(), heartbeat_at = now(), shutdown_at = NULL "
    "RETURNING *",
    3, {TEXTOID, INT4OID, INT8OID}};

static Statement release_worker_messages = {
    "UPDATE messages SET vt = LEAST(vt, $2), consumer_worker_id = NULL "
    "WHERE consumer_worker_id = $1 RETURNING queue_id",
    2, {INT8OID, TIMESTAMPTZOID}};

static Statement select_worker_row = {"SELECT * FROM workers WHERE id = $1", 1, {INT8OID}};

static Statement select_workers = {
    "SELECT w.* FROM workers w WHERE $1::bigint IS NULL OR w.queue_id = $1 ORDER BY w.id",
    1, {INT8OID}};

static Statement touch_worker = {
    "UPDATE workers SET heartbeat_at = now() WHERE id = $1 AND status <> 'stopped' "
    "RETURNING heartbeat_at",
    1, {INT8OID}};

static Statement set_worker_status = {
    "UPDATE workers SET status = $2, "
    "  shutdown_at = CASE WHEN $2 = 'stopped' THEN now() END "
    "WHERE id = $1 RETURNING *",
    2, {INT8OID, TEXTOID}};

static Statement select_held_messages = {
    "SELECT * FROM messages WHERE consumer_worker_id = $1 ORDER BY id", 1, {INT8OID}};

static Statement count_held_messages = {
    "SELECT count(*) FROM messages WHERE consumer_worker_id = $1", 1, {INT8OID}};

static Statement delete_worker_row = {"DELETE FROM workers WHERE id = $1", 1, {INT8OID}};

static Statement delete_old_workers = {
    "DELETE FROM workers w WHERE w.status = 'stopped' AND w.heartbeat_at < now() - $1 "
    "  AND NOT EXISTS (SELECT FROM messages m WHERE m.consumer_worker_id = w.id)",
    1, {INTERVALOID}};

// Workers silent for longer than $2 (those of queue $1: registered for it or
// holding its messages) are stopped, and every lease they held ends now.
static Statement reclaim_leases = {
    "WITH silent AS (UPDATE workers w SET status = 'stopped', shutdown_at = now() "
    "    WHERE w.status <> 'stopped' AND w.heartbeat_at < now() - $2 "
    "      AND ($1::bigint IS NULL OR w.queue_id = $1 OR EXISTS (SELECT FROM messages m "
    "           WHERE m.consumer_worker_id = w.id AND m.queue_id = $1)) RETURNING w.id) "
    "UPDATE messages m SET vt = LEAST(m.vt, $3), consumer_worker_id = NULL "
    "FROM silent WHERE m.consumer_worker_id = silent.id RETURNING m.queue_id",
    3, {INT8OID, INTERVALOID, TIMESTAMPTZOID}};

static Datum worker_id_arg(FunctionCallInfo fcinfo)
{
    return required(fcinfo, 0, "worker_id");
}

static const char *state_name(char state)
{
    return state == 'r' ? "ready" : state == 's' ? "suspended" : "stopped";
}

static void release_held(Datum worker_id)
{
    Datum args[2] = {worker_id, seconds_from_now(0)};
    exec(release_worker_messages, args, "  ");
    wake_after_commit_rows(1);
}

PGQRS_FUNCTION(register_worker)
{
    Datum hostname = required(fcinfo, 0, "hostname");
    int32 port = required_int(fcinfo, 1, "port", 0, 65535);
    int host_length = VARSIZE_ANY_EXHDR(DatumGetTextPP(hostname));
    if (host_length < 1 || host_length > 255)
        ereport(ERROR, (errcode(ERRCODE_INVALID_PARAMETER_VALUE),
                        errmsg("hostname must be 1 to 255 characters long")));

    begin_call(fcinfo);
    Datum args[3] = {hostname, Int32GetDatum(port), (Datum) 0};
    char nulls[4] = "  n";
    if (!PG_ARGISNULL(2)) {
        args[2] = Int64GetDatum(find_queue(queue_name(fcinfo, 2)).id);
        nulls[2] = ' ';
    }
    exec(upsert_worker, args, nulls);
    Datum worker_id = column(0, 1);
    release_held(worker_id);
    exec(select_worker_row, &worker_id, " ");
    Datum row = first_row_composite(fcinfo);
    end_call();
    return row;
}

PGQRS_FUNCTION(get_worker)
{
    Datum id = worker_id_arg(fcinfo);
    begin_call(fcinfo);
    if (exec(select_worker_row, &id, " ") == 0)
        worker_state(DatumGetInt64(id));
    Datum row = first_row_composite(fcinfo);
    end_call();
    return row;
}

PGQRS_FUNCTION(list_workers)
{
    begin_rows(fcinfo);
    begin_call(fcinfo);
    Datum queue_id = PG_ARGISNULL(0) ? (Datum) 0
                                     : Int64GetDatum(find_queue(queue_name(fcinfo, 0)).id);
    exec(select_workers, &queue_id, PG_ARGISNULL(0) ? "n" : " ");
    append_all_rows(fcinfo);
    end_call();
    return (Datum) 0;
}

PGQRS_FUNCTION(heartbeat)
{
    Datum id = worker_id_arg(fcinfo);
    begin_call(fcinfo);
    if (exec(touch_worker, &id, " ") == 0)
        require_not_stopped(DatumGetInt64(id));
    Datum at = column(0, 1);
    end_call();
    return at;
}

// Moves a worker from one of the states in `from` to `to`, or explains why not.
static Datum transition(FunctionCallInfo fcinfo, const char *from, char to)
{
    Datum id = worker_id_arg(fcinfo);
    begin_call(fcinfo);
    char state = worker_state(DatumGetInt64(id));
    if (strchr(from, state) == nullptr)
        ereport(ERROR, (errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
                        errmsg("worker %lld cannot go from %s to %s",
                               static_cast<long long>(DatumGetInt64(id)), state_name(state),
                               state_name(to))));
    if (to == 't')
        release_held(id);
    Datum args[2] = {id, CStringGetTextDatum(state_name(to))};
    exec(set_worker_status, args, "  ");
    Datum row = first_row_composite(fcinfo);
    end_call();
    return row;
}

PGQRS_FUNCTION(suspend_worker) { return transition(fcinfo, "r", 's'); }

PGQRS_FUNCTION(resume_worker) { return transition(fcinfo, "s", 'r'); }

PGQRS_FUNCTION(shutdown_worker) { return transition(fcinfo, "rs", 't'); }

PGQRS_FUNCTION(worker_status)
{
    Datum id = worker_id_arg(fcinfo);
    begin_call(fcinfo);
    char state = worker_state(DatumGetInt64(id));
    end_call();
    PG_RETURN_TEXT_P(cstring_to_text(state_name(state)));
}

PGQRS_FUNCTION(worker_messages)
{
    Datum id = worker_id_arg(fcinfo);
    begin_rows(fcinfo);
    begin_call(fcinfo);
    worker_state(DatumGetInt64(id));
    exec(select_held_messages, &id, " ");
    append_all_rows(fcinfo);
    end_call();
    return (Datum) 0;
}

PGQRS_FUNCTION(delete_worker)
{
    Datum id = worker_id_arg(fcinfo);
    begin_call(fcinfo);
    worker_state(DatumGetInt64(id));
    exec(count_held_messages, &id, " ");
    int64 held = DatumGetInt64(column(0, 1));
    if (held > 0)
        ereport(ERROR, (errcode(ERRCODE_OBJECT_IN_USE),
                        errmsg("worker %lld still holds leased messages (%lld)",
                               static_cast<long long>(DatumGetInt64(id)),
                               static_cast<long long>(held)),
                        errhint("Shut the worker down or release its messages first.")));
    exec(delete_worker_row, &id, " ");
    end_call();
    PG_RETURN_BOOL(true);
}

PGQRS_FUNCTION(purge_old_workers)
{
    Datum older_than = interval_arg(fcinfo, 0, "older_than", false);
    begin_call(fcinfo);
    uint64 purged = exec(delete_old_workers, &older_than, " ");
    end_call();
    PG_RETURN_INT64(static_cast<int64>(purged));
}

PGQRS_FUNCTION(reclaim_messages)
{
    Datum older_than = interval_arg(fcinfo, 1, "older_than", false);
    begin_call(fcinfo);
    Datum args[3] = {(Datum) 0, older_than, seconds_from_now(0)};
    if (!PG_ARGISNULL(0))
        args[0] = Int64GetDatum(find_queue(queue_name(fcinfo, 0)).id);
    uint64 released = exec(reclaim_leases, args, PG_ARGISNULL(0) ? "n  " : "   ");
    wake_after_commit_rows(1);
    end_call();
    PG_RETURN_INT64(static_cast<int64>(released));
}
