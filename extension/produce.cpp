// Producing: enqueue and enqueue_batch.
#include "access.hpp"
#include "args.hpp"
#include "guard.hpp"
#include "lookup.hpp"
#include "results.hpp"
#include "wake.hpp"

using namespace pgqrs;

// One statement resolves the queue (unique index), checks the producer is not
// stopped and inserts; no row back means one of those failed.
static Statement insert_message = {
    "INSERT INTO @.messages (queue_id, payload, vt, producer_worker_id) "
    "SELECT q.id, $2, $3, $4 FROM @.queues q "
    "WHERE q.queue_name = $1 AND ($4 IS NULL OR EXISTS "
    "  (SELECT FROM @.workers w WHERE w.id = $4 AND w.status <> 'stopped')) "
    "RETURNING id, queue_id",
    4, {TEXTOID, JSONBOID, TIMESTAMPTZOID, INT8OID}};

// Ids come back in input order: rows are inserted in ordinality order.
static Statement insert_messages = {
    "INSERT INTO @.messages (queue_id, payload, vt, producer_worker_id) "
    "SELECT q.id, p.payload, $3, $4 FROM @.queues q, "
    "  unnest($2::jsonb[]) WITH ORDINALITY AS p(payload, ord) "
    "WHERE q.queue_name = $1 AND ($4 IS NULL OR EXISTS "
    "  (SELECT FROM @.workers w WHERE w.id = $4 AND w.status <> 'stopped')) "
    "ORDER BY p.ord "
    "RETURNING id",
    4, {TEXTOID, JSONBARRAYOID, TIMESTAMPTZOID, INT8OID}};

// Explains why an insert produced no row: unknown queue, unknown or stopped worker.
// Explains why an insert produced no row: unknown queue, unknown or stopped
// worker (args of the insert: $1 the queue name, $4 the worker id or NULL).
struct InsertRefused {
    Datum name;
    bool has_worker;
    Datum worker_id;
};

static void explain_insert(Datum subject)
{
    auto *why = reinterpret_cast<InsertRefused *>(DatumGetPointer(subject));
    find_queue(why->name);
    if (why->has_worker)
        require_not_stopped(DatumGetInt64(why->worker_id));
}

static Rows insert_rows(Statement &st, const Datum *args, bool has_worker)
{
    InsertRefused why = {args[0], has_worker, args[3]};
    return exec_until_found(st, args, has_worker ? "    " : "   n", explain_insert,
                            PointerGetDatum(&why), "the queue");
}

// The caller may produce to the queue, with its own worker when it names one.
static void check_producer(FunctionCallInfo fcinfo, Datum name, bool has_worker)
{
    require_queue_access(fcinfo, Access::producer, name);
    if (has_worker)
        require_worker_owner(fcinfo, PG_GETARG_INT64(3));
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
    check_producer(fcinfo, name, has_worker);
    Rows rows = insert_rows(insert_message, args, has_worker);
    int64 id = DatumGetInt64(value(rows, 0, "id", INT8OID));
    if (delay == 0)  // a delayed message wakes nobody: waiters sleep until its vt
        wake_after_commit(DatumGetInt64(value(rows, 0, "queue_id", INT8OID)), 1);
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
    check_producer(fcinfo, name, has_worker);
    Rows rows = insert_rows(insert_messages, args, has_worker);
    append_all_rows(fcinfo, rows);
    if (delay == 0 && wake_available())
        wake_after_commit(find_queue(name).id, nelements);
    end_call();
    return (Datum) 0;
}
