// Finishing consumed messages: archive, delete (single and batch),
// extend_visibility, release (after a delay or the queue's retry policy). With
// a worker id (and an attempt, the read_ct the consumer was given) a call acts
// only on the lease that worker holds for that attempt. A
// caller granted some queues only acts on their messages ($4 below: the
// queues allowed, NULL for all).
#include "access.hpp"
#include "args.hpp"
#include "by_id.hpp"
#include "guard.hpp"
#include "lookup.hpp"
#include "results.hpp"
#include "retry.hpp"
#include "wake.hpp"

using namespace pgqrs;

// A caller that is not an admin ($N: its role; NULL for admins) may finish
// without a worker id only messages that no worker of another role holds.
#define NOT_ANOTHER_ROLES_LEASE(role)                                                     \
    "AND (" role "::oid IS NULL OR m.consumer_worker_id IS NULL OR EXISTS (SELECT FROM " \
    "@.workers w WHERE w.id = m.consumer_worker_id AND (w.registered_by IS NULL OR "    \
    "pg_has_role(" role ", w.registered_by::oid, 'USAGE')))) "

// Copies the messages in `done` into the archive; a message that waited
// behind its group's head is archived with the vt it would have had.
#define ARCHIVE_DONE                                                                          \
    "INSERT INTO @.archive (id, queue_id, payload, vt, enqueued_at, read_ct, dequeued_at, "  \
    "  producer_worker_id, consumer_worker_id, dedup_key, last_error, priority, group_key) " \
    "SELECT id, queue_id, payload, COALESCE(held_vt, vt), enqueued_at, read_ct, dequeued_at, " \
    "  producer_worker_id, consumer_worker_id, dedup_key, last_error, priority, group_key FROM done"

static Statement archive_messages = {
    "WITH done AS (DELETE FROM @.messages m WHERE m.id = ANY ($1) AND " HELD_BY("$2")
    "    AND " ATTEMPT_MATCHES("$1", "$3") "AND " IN_QUEUES("$4") NOT_ANOTHER_ROLES_LEASE("$5")
    "    RETURNING m.*) "
    ARCHIVE_DONE " RETURNING id, queue_id, vt, group_key",
    5, {INT8ARRAYOID, INT8OID, INT4ARRAYOID, INT8ARRAYOID, OIDOID},
    deletes_grouped("queue_id", "vt", "group_key")};

static Statement delete_messages = {
    "DELETE FROM @.messages m WHERE m.id = ANY ($1) AND " HELD_BY("$2")
    "  AND " ATTEMPT_MATCHES("$1", "$3") "AND " IN_QUEUES("$4") NOT_ANOTHER_ROLES_LEASE("$5")
    "RETURNING m.id, m.queue_id, m.vt, m.group_key",
    5, {INT8ARRAYOID, INT8OID, INT4ARRAYOID, INT8ARRAYOID, OIDOID},
    deletes_grouped("queue_id", "vt", "group_key")};

// The single-message forms: the same conditions on one id, without arrays.
static Statement archive_message = {
    "WITH done AS (DELETE FROM @.messages m WHERE m.id = $1 "
    "    AND " HELD_BY("$2") "AND ($3::int IS NULL OR m.read_ct = $3) AND " IN_QUEUES("$4")
    NOT_ANOTHER_ROLES_LEASE("$5")
    "    RETURNING m.*) "
    ARCHIVE_DONE " RETURNING id, queue_id, vt, group_key",
    5, {INT8OID, INT8OID, INT4OID, INT8ARRAYOID, OIDOID},
    deletes_grouped("queue_id", "vt", "group_key")};

static Statement delete_message = {
    "DELETE FROM @.messages m WHERE m.id = $1 AND " HELD_BY("$2")
    "  AND ($3::int IS NULL OR m.read_ct = $3) AND " IN_QUEUES("$4") NOT_ANOTHER_ROLES_LEASE("$5")
    "RETURNING m.id, m.queue_id, m.vt, m.group_key",
    5, {INT8OID, INT8OID, INT4OID, INT8ARRAYOID, OIDOID},
    deletes_grouped("queue_id", "vt", "group_key")};

// A lease that nobody holds any more (released, or ended and never held by a
// worker) is not extended: that would hide a message nobody works on. A
// holder whose lease ended and was deferred for a retry gets it back.
static Statement extend_lease = {
    "UPDATE @.messages m SET vt = $2, retry_at = NULL WHERE m.id = $1 AND m.dequeued_at IS NOT NULL "
    "  AND (m.consumer_worker_id IS NOT NULL OR (m.vt > $7 AND m.retry_at IS NULL)) "
    "  AND " HELD_BY("$3") "AND ($4 IS NULL OR m.read_ct = $4) AND " IN_QUEUES("$5")
    NOT_ANOTHER_ROLES_LEASE("$6")
    "RETURNING m.vt, m.queue_id",
    7, {INT8OID, TIMESTAMPTZOID, INT8OID, INT4OID, INT8ARRAYOID, OIDOID, TIMESTAMPTZOID},
    reschedules_messages("queue_id", "vt")};

// Ends live leases at $5; the messages come back $7 seconds later when given,
// else after the queue's retry policy delay (none when the attempt was the
// last: the next claim dead-letters it). $8: the error text, kept when NULL.
// Only rows visible now wake waiters (visible_queue_id NULL otherwise).
#define NEXT_ATTEMPT                                                                  \
    "CASE WHEN $7 IS NOT NULL THEN $5 + $7 * interval '1 second' "                  \
    "WHEN m.read_ct >= q.max_attempts THEN $5 ELSE $5 + " RETRY_DELAY("q", "m") " END"
static Statement release_leases = {
    "UPDATE @.messages m SET vt = " NEXT_ATTEMPT ", retry_at = " NEXT_ATTEMPT ", "
    "  consumer_worker_id = NULL, last_error = COALESCE($8, m.last_error) "
    "FROM @.queues q "
    "WHERE m.id = ANY ($1) AND q.id = m.queue_id AND m.dequeued_at IS NOT NULL "
    "  AND m.vt > $5 AND m.retry_at IS NULL AND " HELD_BY("$2")
    "  AND " ATTEMPT_MATCHES("$1", "$3") "AND " IN_QUEUES("$4") NOT_ANOTHER_ROLES_LEASE("$6")
    "RETURNING m.queue_id, m.vt, CASE WHEN m.vt <= $5 THEN m.queue_id END AS visible_queue_id",
    8, {INT8ARRAYOID, INT8OID, INT4ARRAYOID, INT8ARRAYOID, TIMESTAMPTZOID, OIDOID, INT4OID, TEXTOID},
    reschedules_messages("queue_id", "vt")};
#undef NEXT_ATTEMPT
#undef ARCHIVE_DONE

// The arguments of a batch call: msg_ids, worker_id, attempts (same length as msg_ids).
static int batch_args(FunctionCallInfo fcinfo, Datum *args, char *nulls)
{
    required(fcinfo, 0, "msg_ids");
    int count = check_array(fcinfo, 0, "msg_ids");
    int attempts = check_array(fcinfo, 2, "attempts", true);  // NULL: any attempt
    if (attempts >= 0 && attempts != count)
        ereport(ERROR, (errcode(ERRCODE_INVALID_PARAMETER_VALUE),
                        errmsg("attempts must have one element per msg_ids element (%d, not %d)",
                               count, attempts)));
    for (int i = 0; i < 3; i++) {
        args[i] = PG_GETARG_DATUM(i);
        nulls[i] = PG_ARGISNULL(i) ? 'n' : ' ';
    }
    return count;
}

// What a consumer may touch, into the statement's arguments: the queues it was
// granted (NULL for all), its role (NULL for an admin), and only its own
// worker's leases when it names one.
static void consumer_scope(FunctionCallInfo fcinfo, int worker_arg, Datum *args, char *nulls,
                           int queues_at, int role_at)
{
    bool all;
    args[queues_at] = allowed_queues(fcinfo, Access::consumer, &all);
    nulls[queues_at] = all ? 'n' : ' ';
    bool admin = caller_is_admin(fcinfo);
    args[role_at] = ObjectIdGetDatum(caller_role());
    nulls[role_at] = admin ? 'n' : ' ';
    if (!PG_ARGISNULL(worker_arg))
        require_worker_owner(fcinfo, PG_GETARG_INT64(worker_arg));
}

// A call that did nothing and named a worker must have named a known one
// (a stopped one simply holds nothing); checked only then, off the fast path.
static void check_worker_known(FunctionCallInfo fcinfo, int worker_arg, uint64 done)
{
    if (done == 0 && !PG_ARGISNULL(worker_arg))
        worker_state(PG_GETARG_INT64(worker_arg));
}

static Datum finish_single(FunctionCallInfo fcinfo, Statement &st)
{
    Datum args[5] = {required(fcinfo, 0, "msg_id"), PG_GETARG_DATUM(1), PG_GETARG_DATUM(2)};
    char nulls[6] = "     ";
    nulls[1] = PG_ARGISNULL(1) ? 'n' : ' ';
    nulls[2] = PG_ARGISNULL(2) ? 'n' : ' ';
    CallScope call = begin_call(fcinfo);
    consumer_scope(fcinfo, 1, args, nulls, 3, 4);
    bool done = exec(st, args, nulls).count > 0;
    check_worker_known(fcinfo, 1, done);
    end_call(call);
    PG_RETURN_BOOL(done);
}

static Datum finish_batch(FunctionCallInfo fcinfo, Statement &st)
{
    Datum args[5];
    char nulls[6] = "     ";
    batch_args(fcinfo, args, nulls);
    begin_rows(fcinfo);
    CallScope call = begin_call(fcinfo);
    consumer_scope(fcinfo, 1, args, nulls, 3, 4);
    Rows rows = exec(st, args, nulls);
    check_worker_known(fcinfo, 1, rows.count);
    append_all_rows(fcinfo, rows);
    end_call(call);
    return (Datum) 0;
}

PGQRS_FUNCTION(archive) { return finish_single(fcinfo, archive_message); }

PGQRS_FUNCTION(archive_batch) { return finish_batch(fcinfo, archive_messages); }

PGQRS_FUNCTION(delete) { return finish_single(fcinfo, delete_message); }

PGQRS_FUNCTION(delete_batch) { return finish_batch(fcinfo, delete_messages); }

PGQRS_FUNCTION(extend_visibility)
{
    Datum id = required(fcinfo, 0, "msg_id");
    int32 seconds = required_int(fcinfo, 1, "seconds", 1, max_lock_seconds);
    Datum args[7] = {id, seconds_from_now(seconds), PG_GETARG_DATUM(2), PG_GETARG_DATUM(3),
                     (Datum) 0, (Datum) 0, seconds_from_now(0)};
    char nulls[8] = "       ";
    nulls[2] = PG_ARGISNULL(2) ? 'n' : ' ';
    nulls[3] = PG_ARGISNULL(3) ? 'n' : ' ';

    CallScope call = begin_call(fcinfo);
    consumer_scope(fcinfo, 2, args, nulls, 4, 5);
    bool extended = exec(extend_lease, args, nulls).count > 0;
    check_worker_known(fcinfo, 2, extended);
    end_call(call);
    if (!extended)
        PG_RETURN_NULL();
    PG_RETURN_DATUM(args[1]);
}

// Argument n, an error text, cut to max_error_bytes at a character boundary.
static Datum error_text(FunctionCallInfo fcinfo, int n)
{
    text *error = PG_GETARG_TEXT_PP(n);
    int length = VARSIZE_ANY_EXHDR(error);
    if (length <= max_error_bytes)
        return PointerGetDatum(error);
    int kept = pg_mbcliplen(VARDATA_ANY(error), length, max_error_bytes);
    return PointerGetDatum(cstring_to_text_with_len(VARDATA_ANY(error), kept));
}

PGQRS_FUNCTION(release)
{
    Datum args[8];
    char nulls[9] = "        ";
    batch_args(fcinfo, args, nulls);
    args[4] = seconds_from_now(0);
    if (PG_ARGISNULL(3)) {
        nulls[6] = 'n';  // the queue's retry policy
    } else {
        args[6] = Int32GetDatum(required_int(fcinfo, 3, "delay_seconds", 0, max_delay_seconds));
    }
    if (PG_ARGISNULL(4))
        nulls[7] = 'n';
    else
        args[7] = error_text(fcinfo, 4);

    CallScope call = begin_call(fcinfo);
    consumer_scope(fcinfo, 1, args, nulls, 3, 5);
    Rows released = exec(release_leases, args, nulls);
    check_worker_known(fcinfo, 1, released.count);
    wake_after_commit_rows(released, "visible_queue_id");
    end_call(call);
    PG_RETURN_INT64(static_cast<int64>(released.count));
}
