// Workers: register_worker, get_worker, list_workers, heartbeat, the lifecycle
// ready -> suspended -> stopped, worker_messages, delete_worker,
// purge_old_workers and reclaim_messages. A worker row remembers the role
// that registered it; only that role (or an admin) may drive or take it over.
#include "access.hpp"
#include "args.hpp"
#include "guard.hpp"
#include "lookup.hpp"
#include "results.hpp"
#include "wake.hpp"

using namespace pgqrs;

// Re-registering a (hostname, port) takes the row over, when the caller may:
// no row comes back otherwise. What the previous process of that address
// still held is released first (see register_worker).
static Statement upsert_worker = {
    "INSERT INTO @.workers AS w (hostname, port, queue_id, registered_by) VALUES ($1, $2, $3, $4) "
    "ON CONFLICT (hostname, port) DO UPDATE SET queue_id = EXCLUDED.queue_id, "
    "  status = 'ready', started_at = now(), heartbeat_at = now(), shutdown_at = NULL, "
    "  registered_by = EXCLUDED.registered_by "
    "WHERE $5 OR w.registered_by IS NULL OR pg_has_role($4, w.registered_by::oid, 'USAGE') "
    "RETURNING w.id",
    5, {TEXTOID, INT4OID, INT8OID, OIDOID, BOOLOID}};

// A lease ends now; a message already deferred for a retry keeps its next
// attempt time (the claim applies the queue's retry policy to the others).
static Statement release_worker_messages = {
    "UPDATE @.messages SET vt = CASE WHEN retry_at IS NULL THEN LEAST(vt, $2) ELSE vt END, "
    "  consumer_worker_id = NULL "
    "WHERE consumer_worker_id = $1 RETURNING queue_id, vt",
    2, {INT8OID, TIMESTAMPTZOID}, lowers_messages("queue_id", "vt")};

static Statement select_worker_row = {"SELECT * FROM @.workers WHERE id = $1", 1, {INT8OID}};

static Statement select_workers = {
    "SELECT w.* FROM @.workers w WHERE $1::bigint IS NULL OR w.queue_id = $1 ORDER BY w.id",
    1, {INT8OID}};

static Statement touch_worker = {
    "UPDATE @.workers SET heartbeat_at = now() WHERE id = $1 AND status <> 'stopped' "
    "RETURNING heartbeat_at",
    1, {INT8OID}};

// One conditional statement: the state it checks is the state it changes,
// whatever commits concurrently ($3: the states the worker may leave).
static Statement set_worker_status = {
    "UPDATE @.workers SET status = $2, "
    "  shutdown_at = CASE WHEN $2 = 'stopped' THEN now() END "
    "WHERE id = $1 AND status = ANY ($3) RETURNING *",
    3, {INT8OID, TEXTOID, TEXTARRAYOID}};

static Statement select_held_messages = {
    "SELECT * FROM @.messages WHERE consumer_worker_id = $1 ORDER BY id", 1, {INT8OID}};

// Deletes the worker unless it holds messages; the row lock is taken first so
// no lease can be given to it in between.
static Statement lock_worker = {
    "SELECT id FROM @.workers WHERE id = $1 FOR UPDATE", 1, {INT8OID}};

static Statement count_held_messages = {
    "SELECT count(*) AS n FROM @.messages WHERE consumer_worker_id = $1", 1, {INT8OID}};

static Statement delete_worker_row = {"DELETE FROM @.workers WHERE id = $1", 1, {INT8OID}};

static Statement delete_old_workers = {
    "DELETE FROM @.workers w WHERE w.status = 'stopped' AND w.heartbeat_at < now() - $1 "
    "  AND NOT EXISTS (SELECT FROM @.messages m WHERE m.consumer_worker_id = w.id)",
    1, {INTERVALOID}, reads_messages};

// Workers silent for longer than $2 (those of queue $1: registered for it or
// holding its messages) are stopped, and every lease they held ends now.
static Statement reclaim_leases = {
    "WITH silent AS (UPDATE @.workers w SET status = 'stopped', shutdown_at = now() "
    "    WHERE w.status <> 'stopped' AND w.heartbeat_at < now() - $2 "
    "      AND ($1::bigint IS NULL OR w.queue_id = $1 OR EXISTS (SELECT FROM @.messages m "
    "           WHERE m.consumer_worker_id = w.id AND m.queue_id = $1)) RETURNING w.id) "
    "UPDATE @.messages m SET vt = CASE WHEN m.retry_at IS NULL THEN LEAST(m.vt, $3) ELSE m.vt END, "
    "  consumer_worker_id = NULL "
    "FROM silent WHERE m.consumer_worker_id = silent.id RETURNING m.queue_id, m.vt",
    3, {INT8OID, INTERVALOID, TIMESTAMPTZOID}, lowers_messages("queue_id", "vt")};

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
    wake_after_commit_rows(exec(release_worker_messages, args, "  "));
}

static Datum worker_row(FunctionCallInfo fcinfo, Datum worker_id)
{
    Rows rows = exec_until_found(select_worker_row, &worker_id, " ", explain_worker, worker_id,
                                 "the worker");
    return composite_result(fcinfo, rows, 0);
}

PGQRS_FUNCTION(register_worker)
{
    Datum hostname = required(fcinfo, 0, "hostname");
    int32 port = required_int(fcinfo, 1, "port", 0, 65535);
    text *host = DatumGetTextPP(hostname);
    int host_length = pg_mbstrlen_with_len(VARDATA_ANY(host), VARSIZE_ANY_EXHDR(host));
    if (host_length < 1 || host_length > 255)
        ereport(ERROR, (errcode(ERRCODE_INVALID_PARAMETER_VALUE),
                        errmsg("hostname must be 1 to 255 characters long, got %d", host_length)));

    CallScope call = begin_call(fcinfo);
    Datum args[5] = {hostname, Int32GetDatum(port), (Datum) 0, ObjectIdGetDatum(caller_role()),
                     BoolGetDatum(false)};
    char nulls[6] = "  n  ";
    if (!PG_ARGISNULL(2)) {
        Datum queue = queue_name(fcinfo, 2);
        require_queue_access(fcinfo, Access::any, queue);
        args[2] = Int64GetDatum(find_queue(queue).id);
        nulls[2] = ' ';
    }
    args[4] = BoolGetDatum(caller_is_admin(fcinfo));
    Rows rows = exec(upsert_worker, args, nulls);
    if (rows.count == 0)
        ereport(ERROR, (errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
                        errmsg("permission denied: worker %s:%d was registered by another role",
                               printable(VARDATA_ANY(host), pg_mbcliplen(VARDATA_ANY(host),
                                                                         VARSIZE_ANY_EXHDR(host), 255)),
                               port),
                        errhint("Only that role or an admin may take it over.")));
    Datum worker_id = value(rows, 0, "id", INT8OID);
    release_held(worker_id);
    Datum row = worker_row(fcinfo, worker_id);
    end_call(call);
    return row;
}

PGQRS_FUNCTION(get_worker)
{
    Datum id = worker_id_arg(fcinfo);
    CallScope call = begin_call(fcinfo);
    Datum row = worker_row(fcinfo, id);
    end_call(call);
    return row;
}

PGQRS_FUNCTION(list_workers)
{
    begin_rows(fcinfo);
    CallScope call = begin_call(fcinfo);
    Datum queue_id = (Datum) 0;
    if (PG_ARGISNULL(0)) {
        require_all_queues(fcinfo, Access::monitor);
    } else {
        Datum queue = queue_name(fcinfo, 0);
        require_queue_access(fcinfo, Access::monitor, queue);
        queue_id = Int64GetDatum(find_queue(queue).id);
    }
    append_all_rows(fcinfo, exec(select_workers, &queue_id, PG_ARGISNULL(0) ? "n" : " "));
    end_call(call);
    return (Datum) 0;
}

PGQRS_FUNCTION(heartbeat)
{
    Datum id = worker_id_arg(fcinfo);
    CallScope call = begin_call(fcinfo);
    require_worker_owner(fcinfo, DatumGetInt64(id));
    Rows rows = exec_until_found(touch_worker, &id, " ", explain_live_worker, id, "the worker");
    Datum at = value(rows, 0, "heartbeat_at", TIMESTAMPTZOID);
    end_call(call);
    return at;
}

// Moves a worker from one of the states in `from` to `to`, or explains why not.
static Datum transition(FunctionCallInfo fcinfo, const char *from, char to)
{
    Datum id = worker_id_arg(fcinfo);
    CallScope call = begin_call(fcinfo);
    require_worker_owner(fcinfo, DatumGetInt64(id));

    Datum states[2];
    int nstates = 0;
    for (const char *s = from; *s != '\0'; s++)
        states[nstates++] = CStringGetTextDatum(state_name(*s));
    Datum args[3] = {id, CStringGetTextDatum(state_name(to)),
                     PointerGetDatum(construct_array(states, nstates, TEXTOID, -1, false, TYPALIGN_INT))};

    for (int attempt = 0;; attempt++) {
        Rows rows = exec(set_worker_status, args, "   ");
        if (rows.count > 0) {
            if (to == 't')
                release_held(id);
            Datum row = composite_result(fcinfo, rows, 0);
            end_call(call);
            return row;
        }
        char state = worker_state(DatumGetInt64(id));
        if (strchr(from, state) == nullptr)
            ereport(ERROR, (errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
                            errmsg("worker %lld cannot go from %s to %s",
                                   static_cast<long long>(DatumGetInt64(id)), state_name(state),
                                   state_name(to))));
        if (attempt == 2)
            raise_changed_concurrently("the worker");
    }
}

PGQRS_FUNCTION(suspend_worker) { return transition(fcinfo, "r", 's'); }

PGQRS_FUNCTION(resume_worker) { return transition(fcinfo, "s", 'r'); }

PGQRS_FUNCTION(shutdown_worker) { return transition(fcinfo, "rs", 't'); }

PGQRS_FUNCTION(worker_status)
{
    Datum id = worker_id_arg(fcinfo);
    CallScope call = begin_call(fcinfo);
    char state = worker_state(DatumGetInt64(id));
    end_call(call);
    PG_RETURN_TEXT_P(cstring_to_text(state_name(state)));
}

PGQRS_FUNCTION(worker_messages)
{
    Datum id = worker_id_arg(fcinfo);
    begin_rows(fcinfo);
    CallScope call = begin_call(fcinfo);
    worker_state(DatumGetInt64(id));
    append_all_rows(fcinfo, exec(select_held_messages, &id, " "));
    end_call(call);
    return (Datum) 0;
}

PGQRS_FUNCTION(delete_worker)
{
    Datum id = worker_id_arg(fcinfo);
    CallScope call = begin_call(fcinfo);
    exec_until_found(lock_worker, &id, " ", explain_worker, id, "the worker");
    int64 held = DatumGetInt64(value(exec(count_held_messages, &id, " "), 0, "n", INT8OID));
    if (held > 0)
        ereport(ERROR, (errcode(ERRCODE_OBJECT_IN_USE),
                        errmsg("worker %lld still holds leased messages (%lld)",
                               static_cast<long long>(DatumGetInt64(id)),
                               static_cast<long long>(held)),
                        errhint("Shut the worker down or release its messages first.")));
    exec(delete_worker_row, &id, " ");
    end_call(call);
    PG_RETURN_BOOL(true);
}

PGQRS_FUNCTION(purge_old_workers)
{
    Datum older_than = interval_arg(fcinfo, 0, "older_than", false);
    CallScope call = begin_call(fcinfo);
    uint64 purged = exec(delete_old_workers, &older_than, " ").count;
    end_call(call);
    PG_RETURN_INT64(static_cast<int64>(purged));
}

PGQRS_FUNCTION(reclaim_messages)
{
    Datum older_than = interval_arg(fcinfo, 1, "older_than", false);
    CallScope call = begin_call(fcinfo);
    Datum args[3] = {(Datum) 0, older_than, seconds_from_now(0)};
    if (!PG_ARGISNULL(0))
        args[0] = Int64GetDatum(find_queue(queue_name(fcinfo, 0)).id);
    Rows released = exec(reclaim_leases, args, PG_ARGISNULL(0) ? "n  " : "   ");
    wake_after_commit_rows(released);
    end_call(call);
    PG_RETURN_INT64(static_cast<int64>(released.count));
}
