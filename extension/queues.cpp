// Queue management: create_queue, set_max_attempts, set_dedup_window,
// get_queue, list_queues, delete_queue, purge_queue, purge_archive.
#include "access.hpp"
#include "args.hpp"
#include "guard.hpp"
#include "lookup.hpp"
#include "results.hpp"
#include "wake.hpp"

using namespace pgqrs;

static Statement insert_queue = {
    "INSERT INTO @.queues (queue_name, max_attempts) VALUES ($1, $2) "
    "ON CONFLICT (queue_name) DO NOTHING RETURNING *",
    2, {TEXTOID, INT4OID}};

static Statement update_max_attempts = {
    "UPDATE @.queues SET max_attempts = $2 WHERE queue_name = $1 RETURNING *",
    2, {TEXTOID, INT4OID}};

static Statement update_dedup_window = {
    "UPDATE @.queues SET dedup_window_seconds = $2 WHERE queue_name = $1 RETURNING *",
    2, {TEXTOID, INT4OID}};

static Statement select_queue_row = {
    "SELECT * FROM @.queues WHERE queue_name = $1", 1, {TEXTOID}};

// $1: the queues the caller may see, NULL for all.
static Statement select_all_queues = {
    "SELECT * FROM @.queues WHERE $1::bigint[] IS NULL OR id = ANY ($1) ORDER BY id",
    1, {INT8ARRAYOID}};

static Statement lock_queue = {
    "SELECT id FROM @.queues WHERE queue_name = $1 FOR UPDATE", 1, {TEXTOID}};

// Deletes the messages of a queue that nobody holds a live lease on, and its
// groups (delete_queue goes on only when nothing is left). A row a
// concurrent dequeue is leasing is waited for and checked again once that
// commits, so a lease is never deleted here.
static Statement delete_unleased = {
    "WITH g AS (DELETE FROM @.message_groups WHERE queue_id = $1) "
    "DELETE FROM @.messages WHERE queue_id = $1 "
    "  AND NOT (dequeued_at IS NOT NULL AND vt > $2 AND retry_at IS NULL)",
    2, {INT8OID, TIMESTAMPTZOID}, deletes_queue_messages(1)};

static Statement count_messages = {
    "SELECT count(*) AS n FROM @.messages WHERE queue_id = $1", 1, {INT8OID}};

static Statement delete_queue_rows = {
    "WITH m AS (DELETE FROM @.messages WHERE queue_id = $1), "
    "g AS (DELETE FROM @.message_groups WHERE queue_id = $1), "
    "a AS (DELETE FROM @.archive WHERE queue_id = $1), "
    "w AS (UPDATE @.workers SET status = 'stopped', shutdown_at = now() "
    "      WHERE queue_id = $1 AND status <> 'stopped') "
    "DELETE FROM @.queues WHERE id = $1",
    1, {INT8OID}, deletes_queue_messages(1, true)};

static Statement delete_queue_messages = {
    "WITH g AS (DELETE FROM @.message_groups WHERE queue_id = $1) "
    "DELETE FROM @.messages WHERE queue_id = $1", 1, {INT8OID}, deletes_queue_messages(1)};

static Statement delete_queue_archive = {
    "DELETE FROM @.archive WHERE queue_id = $1 AND ($2::interval IS NULL OR archived_at < now() - $2)",
    2, {INT8OID, INTERVALOID}};

static const char *queue_exists_message = "queue \"%s\" already exists";

PGQRS_FUNCTION(create_queue)
{
    Datum args[2] = {queue_name(fcinfo, 0),
                     Int32GetDatum(required_int(fcinfo, 1, "max_attempts", 1, 1000000))};
    CallScope call = begin_call(fcinfo);
    Rows rows = exec(insert_queue, args, "  ");
    if (rows.count == 0)
        ereport(ERROR, (errcode(ERRCODE_DUPLICATE_OBJECT),
                        errmsg(queue_exists_message, TextDatumGetCString(args[0]))));
    Datum row = composite_result(fcinfo, rows, 0);
    end_call(call);
    return row;
}

PGQRS_FUNCTION(set_max_attempts)
{
    Datum args[2] = {queue_name(fcinfo, 0),
                     Int32GetDatum(required_int(fcinfo, 1, "max_attempts", 1, 1000000))};
    CallScope call = begin_call(fcinfo);
    Rows rows = exec_until_found(update_max_attempts, args, "  ", explain_queue, args[0], "the queue");
    Datum row = composite_result(fcinfo, rows, 0);
    end_call(call);
    return row;
}

PGQRS_FUNCTION(set_dedup_window)
{
    Datum args[2] = {queue_name(fcinfo, 0),
                     Int32GetDatum(required_int(fcinfo, 1, "seconds", 0, max_delay_seconds))};
    CallScope call = begin_call(fcinfo);
    Rows rows = exec_until_found(update_dedup_window, args, "  ", explain_queue, args[0], "the queue");
    Datum row = composite_result(fcinfo, rows, 0);
    end_call(call);
    return row;
}

PGQRS_FUNCTION(get_queue)
{
    Datum args[1] = {queue_name(fcinfo, 0)};
    CallScope call = begin_call(fcinfo);
    require_queue_access(fcinfo, Access::any, args[0]);
    Rows rows = exec_until_found(select_queue_row, args, " ", explain_queue, args[0], "the queue");
    Datum row = composite_result(fcinfo, rows, 0);
    end_call(call);
    return row;
}

PGQRS_FUNCTION(list_queues)
{
    begin_rows(fcinfo);
    CallScope call = begin_call(fcinfo);
    bool all;
    Datum visible = allowed_queues(fcinfo, Access::any, &all);
    append_all_rows(fcinfo, exec(select_all_queues, &visible, all ? "n" : " "));
    end_call(call);
    return (Datum) 0;
}

PGQRS_FUNCTION(delete_queue)
{
    Datum name = queue_name(fcinfo, 0);
    bool force = DatumGetBool(required(fcinfo, 1, "force"));
    CallScope call = begin_call(fcinfo);

    Datum lock_args[1] = {name};
    Rows locked = exec_until_found(lock_queue, lock_args, " ", explain_queue, name, "the queue");
    Datum queue_id = value(locked, 0, "id", INT8OID);

    if (!force) {
        Datum unleased_args[2] = {queue_id, seconds_from_now(0)};
        exec(delete_unleased, unleased_args, "  ");
        int64 leased = DatumGetInt64(value(exec(count_messages, &queue_id, " "), 0, "n", INT8OID));
        if (leased > 0)
            ereport(ERROR, (errcode(ERRCODE_OBJECT_IN_USE),
                            errmsg("queue \"%s\" has leased messages (%lld)",
                                   TextDatumGetCString(name), static_cast<long long>(leased)),
                            errhint("Wait for the leases to end, or pass force => true.")));
    }

    exec(delete_queue_rows, &queue_id, " ");
    wake_after_commit(DatumGetInt64(queue_id), wake_everyone);  // its waiters raise P0002
    end_call(call);
    PG_RETURN_BOOL(true);
}

PGQRS_FUNCTION(purge_queue)
{
    Datum name = queue_name(fcinfo, 0);
    CallScope call = begin_call(fcinfo);
    Datum args[1] = {Int64GetDatum(find_queue(name).id)};
    uint64 purged = exec(delete_queue_messages, args, " ").count;
    end_call(call);
    PG_RETURN_INT64(static_cast<int64>(purged));
}

PGQRS_FUNCTION(purge_archive)
{
    Datum name = queue_name(fcinfo, 0);
    Datum older_than = interval_arg(fcinfo, 1, "older_than", true);
    CallScope call = begin_call(fcinfo);
    Datum args[2] = {Int64GetDatum(find_queue(name).id), older_than};
    uint64 purged = exec(delete_queue_archive, args, PG_ARGISNULL(1) ? " n" : "  ").count;
    end_call(call);
    PG_RETURN_INT64(static_cast<int64>(purged));
}
