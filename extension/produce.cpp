// Producing: enqueue and enqueue_batch.
#include "access.hpp"
#include "args.hpp"
#include "guard.hpp"
#include "lookup.hpp"
#include "results.hpp"
#include "wake.hpp"

using namespace pgqrs;

// One statement resolves the queue (unique index), checks the producer is not
// stopped and inserts; no row back means one of those failed. $5: the queues
// the caller may produce to (NULL for all), so a queue deleted and created
// again under the name between the access check and the insert is refused.
static Statement insert_message = {
    "INSERT INTO @.messages (queue_id, payload, vt, producer_worker_id) "
    "SELECT q.id, $2, $3, $4 FROM @.queues q "
    "WHERE q.queue_name = $1 AND ($5::bigint[] IS NULL OR q.id = ANY ($5)) AND ($4 IS NULL OR EXISTS "
    "  (SELECT FROM @.workers w WHERE w.id = $4 AND w.status <> 'stopped')) "
    "RETURNING id, queue_id, vt",
    5, {TEXTOID, JSONBOID, TIMESTAMPTZOID, INT8OID, INT8ARRAYOID},
    inserts_messages("queue_id", "vt")};

// Ids come back in input order (first column: the result): rows are inserted in ordinality order.
static Statement insert_messages = {
    "INSERT INTO @.messages (queue_id, payload, vt, producer_worker_id) "
    "SELECT q.id, p.payload, $3, $4 FROM @.queues q, "
    "  unnest($2::jsonb[]) WITH ORDINALITY AS p(payload, ord) "
    "WHERE q.queue_name = $1 AND ($5::bigint[] IS NULL OR q.id = ANY ($5)) AND ($4 IS NULL OR EXISTS "
    "  (SELECT FROM @.workers w WHERE w.id = $4 AND w.status <> 'stopped')) "
    "ORDER BY p.ord "
    "RETURNING id, queue_id, vt",
    5, {TEXTOID, JSONBARRAYOID, TIMESTAMPTZOID, INT8OID, INT8ARRAYOID},
    inserts_messages("queue_id", "vt")};

// The arguments of an insert ($1 to $5) with their nulls, and what explains an
// insert that produced no row: unknown queue, unknown or stopped worker, no
// access (any longer) to the queue of that name.
struct Insert {
    FunctionCallInfo fcinfo;
    Datum args[5];
    char nulls[6];
};

static void explain_insert(Datum subject)
{
    auto *insert = reinterpret_cast<Insert *>(DatumGetPointer(subject));
    require_queue_access(insert->fcinfo, Access::producer, insert->args[0]);
    find_queue(insert->args[0]);
    if (insert->nulls[3] == ' ')
        require_not_stopped(DatumGetInt64(insert->args[3]));
}

// The caller may produce to the queue, with its own worker when it names one;
// fills the arguments of the insert (payload or payloads as $2).
static void prepare_insert(Insert &insert, Datum name, Datum payload, int32 delay)
{
    FunctionCallInfo fcinfo = insert.fcinfo;
    bool has_worker = !PG_ARGISNULL(3);
    require_queue_access(fcinfo, Access::producer, name);
    if (has_worker)
        require_worker_owner(fcinfo, PG_GETARG_INT64(3));
    bool all;
    Datum allowed = allowed_queues(fcinfo, Access::producer, &all);
    Datum args[5] = {name, payload, seconds_from_now(delay), PG_GETARG_DATUM(3), allowed};
    for (int i = 0; i < 5; i++)
        insert.args[i] = args[i];
    strlcpy(insert.nulls, "     ", sizeof insert.nulls);
    insert.nulls[3] = has_worker ? ' ' : 'n';
    insert.nulls[4] = all ? 'n' : ' ';
}

static Rows insert_rows(Statement &st, Insert &insert)
{
    return exec_until_found(st, insert.args, insert.nulls, explain_insert, PointerGetDatum(&insert),
                            "the queue");
}

PGQRS_FUNCTION(enqueue)
{
    Datum name = queue_name(fcinfo, 0);
    Datum payload = required(fcinfo, 1, "payload");
    int32 delay = required_int(fcinfo, 2, "delay_seconds", 0, max_delay_seconds);
    check_payload(payload, 0);

    CallScope call = begin_call(fcinfo);
    Insert insert = {fcinfo};
    prepare_insert(insert, name, payload, delay);
    Rows rows = insert_rows(insert_message, insert);
    int64 id = DatumGetInt64(value(rows, 0, "id", INT8OID));
    if (delay == 0)  // a delayed message wakes nobody: waiters sleep until its vt
        wake_after_commit(DatumGetInt64(value(rows, 0, "queue_id", INT8OID)), 1);
    end_call(call);
    PG_RETURN_INT64(id);
}

PGQRS_FUNCTION(enqueue_batch)
{
    Datum name = queue_name(fcinfo, 0);
    required(fcinfo, 1, "payloads");
    int count = check_array(fcinfo, 1, "payloads");
    int32 delay = required_int(fcinfo, 2, "delay_seconds", 0, max_delay_seconds);
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
    CallScope call = begin_call(fcinfo);
    Insert insert = {fcinfo};
    prepare_insert(insert, name, PointerGetDatum(payloads), delay);
    Rows rows = insert_rows(insert_messages, insert);
    append_all_rows(fcinfo, rows);
    if (delay == 0 && wake_available())
        wake_after_commit(find_queue(name).id, nelements);
    end_call(call);
    return (Datum) 0;
}
