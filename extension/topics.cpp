// Topics: create_topic, delete_topic, list_topics, subscribe, unsubscribe and
// publish, which puts one message into each subscribed queue in one statement.
// Like create_queue, the functions that change topics have no check inside:
// EXECUTE on them (admins) is that power over every topic and queue.
#include "access.hpp"
#include "args.hpp"
#include "guard.hpp"
#include "lookup.hpp"
#include "results.hpp"
#include "wake.hpp"

using namespace pgqrs;

static Statement insert_topic = {
    "INSERT INTO @.topics (topic_name) VALUES ($1) ON CONFLICT (topic_name) DO NOTHING RETURNING *",
    1, {TEXTOID}};

static Statement delete_topic_row = {
    "DELETE FROM @.topics WHERE topic_name = $1", 1, {TEXTOID}};

// $1: the queues the caller may see, NULL for all; the others are left out.
static Statement select_topics = {
    "SELECT t.topic_name, t.created_at, "
    "  ARRAY(SELECT q.queue_name FROM @.subscriptions s JOIN @.queues q ON q.id = s.queue_id "
    "        WHERE s.topic_id = t.id AND ($1::bigint[] IS NULL OR q.id = ANY ($1)) "
    "        ORDER BY q.queue_name) AS queue_names "
    "FROM @.topics t ORDER BY t.topic_name",
    1, {INT8ARRAYOID}};

// The queue row is locked (KEY SHARE) as a foreign key check would, and a
// queue deleted meanwhile is skipped: no row back then, found says which
// side is missing.
static Statement insert_subscription = {
    "WITH t AS (SELECT id FROM @.topics WHERE topic_name = $1), "
    "q AS (SELECT id FROM @.queues WHERE queue_name = $2 FOR KEY SHARE), "
    "ins AS (INSERT INTO @.subscriptions (topic_id, queue_id) SELECT t.id, q.id FROM t, q "
    "  ON CONFLICT DO NOTHING RETURNING topic_id) "
    "SELECT EXISTS (SELECT FROM t) AS topic_found, EXISTS (SELECT FROM q) AS queue_found, "
    "  EXISTS (SELECT FROM ins) AS subscribed",
    2, {TEXTOID, TEXTOID}};

static Statement delete_subscription = {
    "WITH t AS (SELECT id FROM @.topics WHERE topic_name = $1), "
    "q AS (SELECT id FROM @.queues WHERE queue_name = $2), "
    "del AS (DELETE FROM @.subscriptions s USING t, q WHERE s.topic_id = t.id AND s.queue_id = q.id "
    "  RETURNING s.topic_id) "
    "SELECT EXISTS (SELECT FROM t) AS topic_found, EXISTS (SELECT FROM q) AS queue_found, "
    "  EXISTS (SELECT FROM del) AS unsubscribed",
    2, {TEXTOID, TEXTOID}};

// publish: one message per subscribed queue, in one statement. The queue
// rows are locked (KEY SHARE, which only delete_queue's lock conflicts with)
// so that a queue deleted concurrently either waits for this publish (and
// deletes its message) or is skipped by it: no message outlives its queue.
// Nothing is inserted when the caller lacks producer access to one of the
// queues ($5: the queues it may produce to, NULL for all) or names a worker
// that is stopped; the first row (always there) says which.
static Statement publish_messages = {
    "WITH target AS (SELECT q.id, q.queue_name FROM @.topics t "
    "  JOIN @.subscriptions s ON s.topic_id = t.id JOIN @.queues q ON q.id = s.queue_id "
    "  WHERE t.topic_name = $1 FOR KEY SHARE OF q), "
    "state AS (SELECT EXISTS (SELECT FROM @.topics WHERE topic_name = $1) AS topic_found, "
    "  ($5::bigint[] IS NOT NULL AND EXISTS (SELECT FROM target WHERE NOT id = ANY ($5))) AS denied, "
    "  ($4::bigint IS NULL OR EXISTS (SELECT FROM @.workers w WHERE w.id = $4 AND w.status <> 'stopped')) "
    "    AS worker_live), "
    "ins AS (INSERT INTO @.messages (queue_id, payload, vt, producer_worker_id) "
    "  SELECT target.id, $2, $3, $4 FROM target, state WHERE NOT state.denied AND state.worker_live "
    "  ORDER BY target.queue_name RETURNING id, queue_id, vt) "
    "SELECT st.topic_found, st.denied, st.worker_live, x.queue_name, x.msg_id, x.queue_id, x.vt "
    "FROM state st LEFT JOIN (SELECT target.queue_name, ins.id AS msg_id, ins.queue_id, ins.vt "
    "  FROM ins JOIN target ON target.id = ins.queue_id) x ON true "
    "ORDER BY x.queue_name",
    5, {TEXTOID, JSONBOID, TIMESTAMPTZOID, INT8OID, INT8ARRAYOID},
    inserts_messages("queue_id", "vt")};

static pg_attribute_noreturn() void raise_unknown_topic(Datum name)
{
    ereport(ERROR, (errcode(ERRCODE_NO_DATA_FOUND),
                    errmsg("topic \"%s\" does not exist", TextDatumGetCString(name))));
}

static pg_attribute_noreturn() void raise_unknown_queue(Datum name)
{
    ereport(ERROR, (errcode(ERRCODE_NO_DATA_FOUND),
                    errmsg("queue \"%s\" does not exist", TextDatumGetCString(name))));
}

PGQRS_FUNCTION(create_topic)
{
    Datum name = topic_name(fcinfo, 0);
    CallScope call = begin_call(fcinfo);
    Rows rows = exec(insert_topic, &name, " ");
    if (rows.count == 0)
        ereport(ERROR, (errcode(ERRCODE_DUPLICATE_OBJECT),
                        errmsg("topic \"%s\" already exists", TextDatumGetCString(name))));
    Datum row = composite_result(fcinfo, rows, 0);
    end_call(call);
    return row;
}

PGQRS_FUNCTION(delete_topic)
{
    Datum name = topic_name(fcinfo, 0);
    CallScope call = begin_call(fcinfo);
    if (exec(delete_topic_row, &name, " ").count == 0)
        raise_unknown_topic(name);
    end_call(call);
    PG_RETURN_BOOL(true);
}

PGQRS_FUNCTION(list_topics)
{
    begin_rows(fcinfo);
    CallScope call = begin_call(fcinfo);
    bool all;
    Datum visible = allowed_queues(fcinfo, Access::any, &all);
    append_all_rows(fcinfo, exec(select_topics, &visible, all ? "n" : " "));
    end_call(call);
    return (Datum) 0;
}

// subscribe and unsubscribe: the statement's flags, or the error of the
// missing topic or queue.
static bool change_subscription(FunctionCallInfo fcinfo, Statement &st, const char *done)
{
    Datum args[2] = {topic_name(fcinfo, 0), queue_name(fcinfo, 1)};
    CallScope call = begin_call(fcinfo);
    Rows rows = exec(st, args, "  ");
    if (!DatumGetBool(value(rows, 0, "topic_found", BOOLOID)))
        raise_unknown_topic(args[0]);
    if (!DatumGetBool(value(rows, 0, "queue_found", BOOLOID)))
        raise_unknown_queue(args[1]);
    bool changed = DatumGetBool(value(rows, 0, done, BOOLOID));
    end_call(call);
    return changed;
}

PGQRS_FUNCTION(subscribe)
{
    PG_RETURN_BOOL(change_subscription(fcinfo, insert_subscription, "subscribed"));
}

PGQRS_FUNCTION(unsubscribe)
{
    PG_RETURN_BOOL(change_subscription(fcinfo, delete_subscription, "unsubscribed"));
}

PGQRS_FUNCTION(publish)
{
    Datum name = topic_name(fcinfo, 0);
    Datum payload = required(fcinfo, 1, "payload");
    int32 delay = required_int(fcinfo, 2, "delay_seconds", 0, max_delay_seconds);
    check_payload(payload, 0);
    bool has_worker = !PG_ARGISNULL(3);

    begin_rows(fcinfo);
    CallScope call = begin_call(fcinfo);
    if (has_worker)
        require_worker_owner(fcinfo, PG_GETARG_INT64(3));
    bool all;
    Datum allowed = allowed_queues(fcinfo, Access::producer, &all);
    Datum args[5] = {name, payload, seconds_from_now(delay), PG_GETARG_DATUM(3), allowed};
    char nulls[6] = "     ";
    nulls[3] = has_worker ? ' ' : 'n';
    nulls[4] = all ? 'n' : ' ';
    Rows rows = exec(publish_messages, args, nulls);

    if (!DatumGetBool(value(rows, 0, "topic_found", BOOLOID)))
        raise_unknown_topic(name);
    if (DatumGetBool(value(rows, 0, "denied", BOOLOID))) {
        const char *role = GetUserNameFromId(caller_role(), true);
        ereport(ERROR, (errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
                        errmsg("permission denied: role \"%s\" has no producer access to every queue "
                               "subscribed to topic \"%s\"",
                               role ? role : "?", TextDatumGetCString(name)),
                        errdetail("publish inserts into all of them or into none.")));
    }
    if (!DatumGetBool(value(rows, 0, "worker_live", BOOLOID))) {
        require_not_stopped(PG_GETARG_INT64(3));  // unknown or stopped
        raise_changed_concurrently("the worker");  // registered again since
    }
    RowShape shape = row_shape(fcinfo, rows);
    for (uint64 row = 0; row < rows.count; row++) {
        bool none;
        value(rows, row, "msg_id", INT8OID, &none);
        if (!none)
            append_row(fcinfo, rows, row, shape);
    }
    if (delay == 0)  // as enqueue: one visible message for each queue
        wake_after_commit_rows(rows);
    end_call(call);
    return (Datum) 0;
}
