// Queue management: create_queue, set_max_attempts, get_queue, list_queues,
// delete_queue, purge_queue, purge_archive.
#include "args.hpp"
#include "guard.hpp"
#include "lookup.hpp"
#include "results.hpp"
#include "spi.hpp"
#include "wake.hpp"

using namespace pgqrs;

static Statement insert_queue = {
    "INSERT INTO queues (queue_name, max_attempts) VALUES ($1, $2) "
    "ON CONFLICT (queue_name) DO NOTHING RETURNING *",
    2, {TEXTOID, INT4OID}};

static Statement update_max_attempts = {
    "UPDATE queues SET max_attempts = $2 WHERE queue_name = $1 RETURNING *",
    2, {TEXTOID, INT4OID}};

static Statement select_queue_row = {
    "SELECT * FROM queues WHERE queue_name = $1", 1, {TEXTOID}};

static Statement select_all_queues = {"SELECT * FROM queues ORDER BY id", 0, {}};

static Statement lock_queue = {
    "SELECT id FROM queues WHERE queue_name = $1 FOR UPDATE", 1, {TEXTOID}};

static Statement count_live_leases = {
    "SELECT count(*) FROM messages WHERE queue_id = $1 AND dequeued_at IS NOT NULL AND vt > $2",
    2, {INT8OID, TIMESTAMPTZOID}};

static Statement delete_queue_rows = {
    "WITH m AS (DELETE FROM messages WHERE queue_id = $1), "
    "a AS (DELETE FROM archive WHERE queue_id = $1), "
    "w AS (UPDATE workers SET status = 'stopped', shutdown_at = now() "
    "      WHERE queue_id = $1 AND status <> 'stopped') "
    "DELETE FROM queues WHERE id = $1",
    1, {INT8OID}};

static Statement delete_queue_messages = {
    "DELETE FROM messages WHERE queue_id = $1", 1, {INT8OID}};

static Statement delete_queue_archive = {
    "DELETE FROM archive WHERE queue_id = $1 AND ($2::interval IS NULL OR archived_at < now() - $2)",
    2, {INT8OID, INTERVALOID}};

static const char *queue_exists_message = "queue \"%s\" already exists";

PGQRS_FUNCTION(create_queue)
{
    Datum args[2] = {queue_name(fcinfo, 0),
                     Int32GetDatum(required_int(fcinfo, 1, "max_attempts", 1, 1000000))};
    begin_call(fcinfo);
    if (exec(insert_queue, args, "  ") == 0)
        ereport(ERROR, (errcode(ERRCODE_DUPLICATE_OBJECT),
                        errmsg(queue_exists_message, TextDatumGetCString(args[0]))));
    Datum row = first_row_composite(fcinfo);
    end_call();
    return row;
}

PGQRS_FUNCTION(set_max_attempts)
{
    Datum args[2] = {queue_name(fcinfo, 0),
                     Int32GetDatum(required_int(fcinfo, 1, "max_attempts", 1, 1000000))};
    begin_call(fcinfo);
    if (exec(update_max_attempts, args, "  ") == 0)
        find_queue(args[0]);  // raises "does not exist"
    Datum row = first_row_composite(fcinfo);
    end_call();
    return row;
}

PGQRS_FUNCTION(get_queue)
{
    Datum args[1] = {queue_name(fcinfo, 0)};
    begin_call(fcinfo);
    if (exec(select_queue_row, args, " ") == 0)
        find_queue(args[0]);
    Datum row = first_row_composite(fcinfo);
    end_call();
    return row;
}

PGQRS_FUNCTION(list_queues)
{
    begin_rows(fcinfo);
    begin_call(fcinfo);
    exec(select_all_queues, nullptr, nullptr);
    append_all_rows(fcinfo);
    end_call();
    return (Datum) 0;
}

PGQRS_FUNCTION(delete_queue)
{
    Datum name = queue_name(fcinfo, 0);
    bool force = DatumGetBool(required(fcinfo, 1, "force"));
    begin_call(fcinfo);

    Datum lock_args[1] = {name};
    if (exec(lock_queue, lock_args, " ") == 0)
        find_queue(name);
    Datum queue_id = column(0, 1);

    if (!force) {
        Datum lease_args[2] = {queue_id, seconds_from_now(0)};
        exec(count_live_leases, lease_args, "  ");
        int64 leased = DatumGetInt64(column(0, 1));
        if (leased > 0)
            ereport(ERROR, (errcode(ERRCODE_OBJECT_IN_USE),
                            errmsg("queue \"%s\" has leased messages (%lld)",
                                   TextDatumGetCString(name), static_cast<long long>(leased)),
                            errhint("Wait for the leases to end, or pass force => true.")));
    }

    Datum delete_args[1] = {queue_id};
    exec(delete_queue_rows, delete_args, " ");
    wake_after_commit(DatumGetInt64(queue_id), wake_everyone);  // its waiters raise P0002
    end_call();
    PG_RETURN_BOOL(true);
}

PGQRS_FUNCTION(purge_queue)
{
    Datum name = queue_name(fcinfo, 0);
    begin_call(fcinfo);
    Datum args[1] = {Int64GetDatum(find_queue(name).id)};
    uint64 purged = exec(delete_queue_messages, args, " ");
    end_call();
    PG_RETURN_INT64(static_cast<int64>(purged));
}

PGQRS_FUNCTION(purge_archive)
{
    Datum name = queue_name(fcinfo, 0);
    Datum older_than = interval_arg(fcinfo, 1, "older_than", true);
    begin_call(fcinfo);
    Datum args[2] = {Int64GetDatum(find_queue(name).id), older_than};
    uint64 purged = exec(delete_queue_archive, args, PG_ARGISNULL(1) ? " n" : "  ");
    end_call();
    PG_RETURN_INT64(static_cast<int64>(purged));
}
