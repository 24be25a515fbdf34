// Producing: enqueue and enqueue_batch.
#include "args.hpp"
#include "guard.hpp"
#include "lookup.hpp"
#include "results.hpp"
#include "spi.hpp"
#include "wake.hpp"

using namespace pgqrs;

// One statement resolves the queue (unique index), checks the producer is not
// stopped and inserts; no row back means one of those failed.
static Statement insert_message = {
    "INSERT INTO messages (queue_id, payload, vt, producer_worker_id) "
    "SELECT q.id, $2, $3, $4 FROM queues q "
    "WHERE q.queue_name = $1 AND ($4 IS NULL OR EXISTS "
    "  (SELECT FROM workers w WHERE w.id = $4 AND w.status <> 'stopped')) "
    "RETURNING id, queue_id",
    4, {TEXTOID, JSONBOID, TIMESTAMPTZOID, INT8OID}};

// Ids come back in input order: rows are inserted in ordinality order.
static Statement insert_messages = {
    "INSERT INTO messages (queue_id, payload, vt, producer_worker_id) "
    "SELECT q.id, p.payload, $3, $4 FROM queues q, "
    "  unnest($2::jsonb[]) WITH ORDINALITY AS p(payload, ord) "
    "WHERE q.queue_name = $1 AND ($4 IS NULL OR EXISTS "
    "  (SELECT FROM workers w WHERE w.id = $4 AND w.status <> 'stopped')) "
    "ORDER BY p.ord "
    "RETURNING id",
    4, {TEXTOID, JSONBARRAYOID, TIMESTAMPTZOID, INT8OID}};

// Explains why an insert produced no row: unknown queue, unknown or stopped worker.
static void raise_insert_refused(Datum name, bool has_worker, int64 worker_id)
{
    find_queue(name);
    if (has_worker)
        require_not_stopped(worker_id);
    elog(ERROR, "pgqrs: enqueue inserted nothing");
}

PGQRS_FUNCTION(enqueue)
{
    Datum name = queue_name(fcinfo, 0);
    Datum payload = required(fcinfo, 1, "payload");
    int32 delay = required_int(fcinfo, 2, "delay_seconds", 0, max_delay_seconds);
    bool has_worker = !PG_ARGISNULL(3);
    check_payload(payload, 0);

    Datum args[4] = {name, payload, seconds_from_now(delay), PG_GETARG_DATUM(3)};
    begin_call(fcinfo);
    if (exec(insert_message, args, has_worker ? "    " : "   n") == 0)
        raise_insert_refused(name, has_worker, DatumGetInt64(args[3]));
    int64 id = DatumGetInt64(column(0, 1));
    if (delay == 0)  // a delayed message wakes nobody: waiters sleep until its vt
        wake_after_commit(DatumGetInt64(column(0, 2)), 1);
    end_call();
    PG_RETURN_INT64(id);
}

PGQRS_FUNCTION(enqueue_batch)
{
    Datum name = queue_name(fcinfo, 0);
    required(fcinfo, 1, "payloads");
    int count = check_array(fcinfo, 1, "payloads");
    int32 delay = required_int(fcinfo, 2, "delay_seconds", 0, max_delay_seconds);
    bool has_worker = !PG_ARGISNULL(3);
    if (count == 0)
        ereport(ERROR, (errcode(ERRCODE_INVALID_PARAMETER_VALUE),
                        errmsg("payloads must not be empty")));

    ArrayType *payloads = PG_GETARG_ARRAYTYPE_P(1);
    Datum *elements;
    int nelements;
    deconstruct_array(payloads, JSONBOID, -1, false, TYPALIGN_INT, &elements, nullptr, &nelements);
    for (int i = 0; i < nelements; i++)
        check_payload(elements[i], i + 1);

    begin_rows(fcinfo);
    Datum args[4] = {name, PointerGetDatum(payloads), seconds_from_now(delay), PG_GETARG_DATUM(3)};
    begin_call(fcinfo);
    if (exec(insert_messages, args, has_worker ? "    " : "   n") == 0)
        raise_insert_refused(name, has_worker, DatumGetInt64(args[3]));
    append_all_rows(fcinfo);
    if (delay == 0 && wake_available())
        wake_after_commit(find_queue(name).id, nelements);
    end_call();
    return (Datum) 0;
}
