// Producing: enqueue and enqueue_batch, with or without dedup keys.
#include "access.hpp"
#include "args.hpp"
#include "groups.hpp"
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

// The statements below take $6 to $10 as well: the dedup key (NULL: none),
// the priority, the group key (NULL: none), the id the queue must have
// (NULL: any; set when its groups were locked by id) and the group's held vt
// (held_vt_of). A message of a group goes in held (vt = the held vt, held_vt
// = its vt): settle_groups (groups.hpp) makes it the head when its group has
// no other message.
#define RICH_COLUMNS "vt, priority, group_key, held_vt"
#define RICH_VALUES(vt, priority, group, held)                                                 \
    "CASE WHEN " group " IS NULL THEN " vt " ELSE " held " END, " priority ", " group ", "   \
    "CASE WHEN " group " IS NOT NULL THEN " vt " END"
#define RICH_QUEUE "AND ($9::bigint IS NULL OR q.id = $9) "
#define RICH_ARGS                                                                            \
    10, {TEXTOID, JSONBOID, TIMESTAMPTZOID, INT8OID, INT8ARRAYOID, TEXTOID, INT4OID, TEXTOID, \
         INT8OID, TIMESTAMPTZOID}

static Statement insert_rich_message = {
    "INSERT INTO @.messages (queue_id, payload, " RICH_COLUMNS ", producer_worker_id) "
    "SELECT q.id, $2, " RICH_VALUES("$3", "$7", "$8::text", "$10") ", $4 FROM @.queues q "
    "WHERE q.queue_name = $1 AND ($5::bigint[] IS NULL OR q.id = ANY ($5)) " RICH_QUEUE
    "AND ($4 IS NULL OR EXISTS "
    "  (SELECT FROM @.workers w WHERE w.id = $4 AND w.status <> 'stopped')) "
    "RETURNING id, queue_id, vt, group_key",
    RICH_ARGS, inserts_grouped("queue_id", "vt", "group_key")};

// $2: the payloads, $7: their priorities (NULL elements: 0), $8: their group
// keys, $10: their held vts.
static Statement insert_rich_messages = {
    "INSERT INTO @.messages (queue_id, payload, " RICH_COLUMNS ", producer_worker_id) "
    "SELECT q.id, p.payload, "
    RICH_VALUES("$3", "COALESCE(p.priority, 0)", "p.group_key", "p.held") ", $4 "
    "FROM @.queues q, unnest($2::jsonb[], $7::int[], $8::text[], $10::timestamptz[]) "
    "  WITH ORDINALITY AS p(payload, priority, group_key, held, ord) "
    "WHERE q.queue_name = $1 AND ($5::bigint[] IS NULL OR q.id = ANY ($5)) " RICH_QUEUE
    "AND ($4 IS NULL OR EXISTS "
    "  (SELECT FROM @.workers w WHERE w.id = $4 AND w.status <> 'stopped')) "
    "ORDER BY p.ord "
    "RETURNING id, queue_id, vt, group_key",
    10, {TEXTOID, JSONBARRAYOID, TIMESTAMPTZOID, INT8OID, INT8ARRAYOID, TEXTOID, INT4ARRAYOID,
         TEXTARRAYOID, INT8OID, TIMESTAMPTZARRAYOID},
    inserts_grouped("queue_id", "vt", "group_key")};

// A message with a dedup key ($6; NULL: none): inserted unless a message of
// the queue holds the key (the unique index messages_dedup_key_idx decides,
// waiting for a concurrent insert of the key to commit or abort). The row
// says the queue, its dedup window, and the new id (NULL: the key was held).
static Statement insert_keyed_message = {
    "WITH q AS (SELECT q.id, q.dedup_window_seconds FROM @.queues q "
    "  WHERE q.queue_name = $1 AND ($5::bigint[] IS NULL OR q.id = ANY ($5)) " RICH_QUEUE
    "  AND ($4 IS NULL OR EXISTS "
    "  (SELECT FROM @.workers w WHERE w.id = $4 AND w.status <> 'stopped'))), "
    "ins AS (INSERT INTO @.messages (queue_id, payload, " RICH_COLUMNS ", producer_worker_id, "
    "    dedup_key) "
    "  SELECT q.id, $2, " RICH_VALUES("$3", "$7", "$8::text", "$10") ", $4, $6 FROM q "
    "  ON CONFLICT (queue_id, dedup_key) WHERE dedup_key IS NOT NULL DO NOTHING "
    "  RETURNING id, queue_id, vt, group_key) "
    "SELECT q.id AS queue_id, q.dedup_window_seconds, (SELECT id FROM ins) AS id, "
    "  (SELECT queue_id FROM ins) AS inserted_queue_id, (SELECT vt FROM ins) AS vt, "
    "  (SELECT group_key FROM ins) AS group_key FROM q",
    RICH_ARGS, inserts_grouped("inserted_queue_id", "vt", "group_key")};
#undef RICH_ARGS
#undef RICH_QUEUE
#undef RICH_VALUES
#undef RICH_COLUMNS

// Marks priorities ($2: a bit per priority) as used by the queue, so that its
// claims scan them (a no-op, without a row lock, once they are).
static Statement mark_priorities = {
    "UPDATE @.queues SET priority_levels = priority_levels | $2 "
    "WHERE queue_name = $1 AND (priority_levels & $2) <> $2",
    2, {TEXTOID, INT4OID}};

// The message of the queue holding a key (run after the insert found it held:
// a statement of its own sees the holder that committed while it waited).
static Statement select_key_holder = {
    "SELECT id FROM @.messages WHERE queue_id = $1 AND dedup_key = $2", 2, {INT8OID, TEXTOID}};

// The latest message of the key archived since $3 (the queue's dedup window).
static Statement select_key_archived = {
    "SELECT id FROM @.archive WHERE queue_id = $1 AND dedup_key = $2 AND archived_at >= $3 "
    "ORDER BY archived_at DESC LIMIT 1",
    3, {INT8OID, TEXTOID, TIMESTAMPTZOID}};

// Takes back the message this call just inserted (seen by no one yet).
static Statement delete_own_message = {
    "DELETE FROM @.messages WHERE id = $1 RETURNING id, queue_id, vt, group_key", 1, {INT8OID},
    deletes_grouped("queue_id", "vt", "group_key")};

// The arguments of an insert ($1 to $9) with their nulls, and what explains an
// insert that produced no row: unknown queue, unknown or stopped worker, no
// access (any longer) to the queue of that name.
constexpr int insert_nargs = 10;
struct Insert {
    FunctionCallInfo fcinfo;
    Datum args[insert_nargs];
    char nulls[insert_nargs + 1];
};

static void explain_insert(Datum subject)
{
    auto *insert = reinterpret_cast<Insert *>(DatumGetPointer(subject));
    require_queue_access(insert->fcinfo, Access::producer, insert->args[0]);
    find_queue(insert->args[0]);
    if (insert->nulls[3] == ' ')
        require_not_stopped(DatumGetInt64(insert->args[3]));
}

// The caller may produce to the queue, with its own worker (argument
// worker_arg) when it names one; fills the arguments of the insert (payload
// or payloads as $2, no dedup key, priority 0, no group, any queue id, no
// held vt).
static void prepare_insert(Insert &insert, Datum name, Datum payload, int32 delay, int worker_arg)
{
    FunctionCallInfo fcinfo = insert.fcinfo;
    bool has_worker = !PG_ARGISNULL(worker_arg);
    require_queue_access(fcinfo, Access::producer, name);
    if (has_worker)
        require_worker_owner(fcinfo, PG_GETARG_INT64(worker_arg));
    bool all;
    Datum allowed = allowed_queues(fcinfo, Access::producer, &all);
    Datum args[insert_nargs] = {name, payload, seconds_from_now(delay), PG_GETARG_DATUM(worker_arg),
                                allowed, (Datum) 0, Int32GetDatum(0), (Datum) 0, (Datum) 0, (Datum) 0};
    for (int i = 0; i < insert_nargs; i++)
        insert.args[i] = args[i];
    strlcpy(insert.nulls, "     n nnn", sizeof insert.nulls);
    insert.nulls[3] = has_worker ? ' ' : 'n';
    insert.nulls[4] = all ? 'n' : ' ';
}

static Rows insert_rows(Statement &st, Insert &insert)
{
    return exec_until_found(st, insert.args, insert.nulls, explain_insert, PointerGetDatum(&insert),
                            "the queue");
}

// Before inserting messages with these priorities (a bit each) and group
// keys (a text[], NULL: none): the queue's claims are told of the
// priorities, and the groups are locked, with the insert bound to the queue
// they were locked in.
static void prepare_rich_insert(Insert &insert, int32 priority_bits, Datum group_keys)
{
    if ((priority_bits & ~1) != 0) {
        Datum args[2] = {insert.args[0], Int32GetDatum(priority_bits)};
        exec(mark_priorities, args, "  ");
    }
    if (group_keys != (Datum) 0) {
        int64 queue_id = find_queue(insert.args[0]).id;
        lock_groups(queue_id, group_keys);
        insert.args[8] = Int64GetDatum(queue_id);
        insert.nulls[8] = ' ';
    }
}

// What a keyed insert did: the message's id, whether this call inserted it,
// and its queue.
struct Keyed {
    int64 id;
    bool inserted;
    int64 queue_id;
};

// The message of the queue archived with the key within its dedup window, if any.
static bool archived_in_window(int64 queue_id, Datum key, int32 window, int64 *id)
{
    if (window <= 0)
        return false;
    Datum args[3] = {Int64GetDatum(queue_id), key, seconds_from_now(-window)};
    Rows rows = exec(select_key_archived, args, "   ");
    if (rows.count == 0)
        return false;
    *id = DatumGetInt64(value(rows, 0, "id", INT8OID));
    return true;
}

// Inserts payload with key (NULL: none; insert.args[5]), or finds the message
// that holds the key: one in the queue, or one archived within the queue's
// dedup window. The window is checked after the insert, which has waited for
// a concurrent archive of the holder to commit: an insert that finds the key
// archived takes its own row back.
static Keyed insert_keyed(Insert &insert, Datum payload, Datum key, bool has_key)
{
    insert.args[1] = payload;
    insert.args[5] = key;
    insert.nulls[5] = has_key ? ' ' : 'n';
    constexpr int tries = 3;
    for (int attempt = 0; attempt < tries; attempt++) {
        Rows rows = insert_rows(insert_keyed_message, insert);
        int64 queue_id = DatumGetInt64(value(rows, 0, "queue_id", INT8OID));
        int32 window = DatumGetInt32(value(rows, 0, "dedup_window_seconds", INT4OID));
        bool held;  // no id: the key is held
        Datum id = value(rows, 0, "id", INT8OID, &held);
        int64 archived;
        if (!held) {
            if (has_key && archived_in_window(queue_id, key, window, &archived)) {
                exec(delete_own_message, &id, " ");
                return {archived, false, queue_id};
            }
            return {DatumGetInt64(id), true, queue_id};
        }
        Datum holder_args[2] = {Int64GetDatum(queue_id), key};
        Rows holder = exec(select_key_holder, holder_args, "  ");
        if (holder.count > 0)
            return {DatumGetInt64(value(holder, 0, "id", INT8OID)), false, queue_id};
        if (archived_in_window(queue_id, key, window, &archived))
            return {archived, false, queue_id};
        // the holder was finished between the two statements: insert again
    }
    raise_changed_concurrently("the message holding the dedup key");
    pg_unreachable();
}

// The arguments every enqueue shares, checked before anything runs.
struct EnqueueArgs {
    Datum name;
    Datum payload;
    int32 delay;
    int32 priority;
    bool has_group;
    Datum group;
};

static EnqueueArgs enqueue_args(FunctionCallInfo fcinfo, int payload_arg, int delay_arg,
                                int priority_arg, int group_arg)
{
    Datum name = queue_name(fcinfo, 0);
    Datum payload = required(fcinfo, payload_arg, "payload");
    int32 delay = required_int(fcinfo, delay_arg, "delay_seconds", 0, max_delay_seconds);
    int32 priority = required_int(fcinfo, priority_arg, "priority", 0, max_priority);
    bool has_group = !PG_ARGISNULL(group_arg);
    Datum group = has_group ? PointerGetDatum(PG_GETARG_TEXT_PP(group_arg)) : (Datum) 0;
    check_payload(payload, 0);
    if (has_group)
        check_group_key(group, 0);
    return {name, payload, delay, priority, has_group, group};
}

// A message with a priority or a group: its arguments ($7, $8), its priority
// marked and its group locked.
static bool prepare_single(Insert &insert, const EnqueueArgs &a)
{
    if (a.priority == 0 && !a.has_group)
        return false;
    insert.args[6] = Int32GetDatum(a.priority);
    insert.args[7] = a.group;
    insert.nulls[7] = a.has_group ? ' ' : 'n';
    if (a.has_group) {
        insert.args[9] = TimestampTzGetDatum(held_vt_of(a.group));
        insert.nulls[9] = ' ';
    }
    Datum group = a.group;
    Datum groups = a.has_group ? PointerGetDatum(construct_array(&group, 1, TEXTOID, -1, false,
                                                                 TYPALIGN_INT))
                               : (Datum) 0;
    prepare_rich_insert(insert, 1 << a.priority, groups);
    return true;
}

// One message with a dedup key (argument key_arg); wakes a waiter when it
// inserted a visible message, as enqueue does.
static Keyed enqueue_keyed(FunctionCallInfo fcinfo, const EnqueueArgs &a, int key_arg,
                           int worker_arg)
{
    Datum key = dedup_key_arg(fcinfo, key_arg, false);
    Insert insert = {fcinfo};
    prepare_insert(insert, a.name, a.payload, a.delay, worker_arg);
    prepare_single(insert, a);
    Keyed keyed = insert_keyed(insert, a.payload, key, true);
    if (keyed.inserted && a.delay == 0)
        wake_after_commit(keyed.queue_id, 1);
    return keyed;
}

PGQRS_FUNCTION(enqueue)
{
    EnqueueArgs a = enqueue_args(fcinfo, 1, 2, 5, 6);
    bool has_key = !PG_ARGISNULL(4);
    if (has_key)
        dedup_key_arg(fcinfo, 4, false);

    CallScope call = begin_call(fcinfo);
    int64 id;
    if (has_key) {
        id = enqueue_keyed(fcinfo, a, 4, 3).id;
    } else {
        Insert insert = {fcinfo};
        prepare_insert(insert, a.name, a.payload, a.delay, 3);
        bool rich = prepare_single(insert, a);
        Rows rows = insert_rows(rich ? insert_rich_message : insert_message, insert);
        id = DatumGetInt64(value(rows, 0, "id", INT8OID));
        if (a.delay == 0)  // a delayed message wakes nobody: waiters sleep until its vt
            wake_after_commit(DatumGetInt64(value(rows, 0, "queue_id", INT8OID)), 1);
    }
    end_call(call);
    PG_RETURN_INT64(id);
}

PGQRS_FUNCTION(enqueue_dedup)
{
    EnqueueArgs a = enqueue_args(fcinfo, 1, 3, 5, 6);
    dedup_key_arg(fcinfo, 2, false);

    CallScope call = begin_call(fcinfo);
    Keyed keyed = enqueue_keyed(fcinfo, a, 2, 4);
    Datum values[2] = {Int64GetDatum(keyed.id), BoolGetDatum(keyed.inserted)};
    bool nulls[2] = {false, false};
    Datum result = composite_from_values(fcinfo, values, nulls);
    end_call(call);
    return result;
}

// The payloads of a batch (argument 1), each checked.
struct Batch {
    Datum name;
    ArrayType *payloads;
    Datum *elements;
    int count;
    int32 delay;
};

static Batch batch_args(FunctionCallInfo fcinfo, int delay_arg)
{
    Datum name = queue_name(fcinfo, 0);
    required(fcinfo, 1, "payloads");
    int count = check_array(fcinfo, 1, "payloads");
    int32 delay = required_int(fcinfo, delay_arg, "delay_seconds", 0, max_delay_seconds);
    if (count == 0)
        ereport(ERROR, (errcode(ERRCODE_INVALID_PARAMETER_VALUE),
                        errmsg("payloads must not be empty")));

    ArrayType *payloads = PG_GETARG_ARRAYTYPE_P(1);
    Datum *elements;
    int nelements;
    deconstruct_array(payloads, JSONBOID, -1, false, TYPALIGN_INT, &elements, nullptr, &nelements);
    for (int i = 0; i < nelements; i++)
        check_payload(elements[i], i + 1);
    return {name, payloads, elements, nelements, delay};
}

// An optional array argument with one element (a `what`) per payload.
static int per_payload_array(FunctionCallInfo fcinfo, int n, const char *name, const char *what,
                             int count)
{
    int length = check_array(fcinfo, n, name, true);
    if (length >= 0 && length != count)
        ereport(ERROR, (errcode(ERRCODE_INVALID_PARAMETER_VALUE),
                        errmsg("%s has %d elements, payloads %d: give one %s (or NULL) per payload",
                               name, length, count, what)));
    return length;
}

// The dedup keys of a batch (argument n): one per payload, NULL for none.
struct BatchKeys {
    Datum *keys;
    bool *nulls;
};

static BatchKeys batch_keys(FunctionCallInfo fcinfo, int n, int count)
{
    per_payload_array(fcinfo, n, "dedup_keys", "key", count);
    BatchKeys k;
    int nkeys;
    deconstruct_array(PG_GETARG_ARRAYTYPE_P(n), TEXTOID, -1, false, TYPALIGN_INT, &k.keys, &k.nulls,
                      &nkeys);
    for (int i = 0; i < nkeys; i++) {
        if (!k.nulls[i]) {
            k.keys[i] = PointerGetDatum(DatumGetTextPP(k.keys[i]));
            check_dedup_key(k.keys[i], i + 1);
        }
    }
    return k;
}

// The priorities (argument priorities_arg, NULL elements: 0) and group keys
// (groups_arg, NULL elements: none) of a batch, each checked.
struct BatchRich {
    bool present;           // either array given
    Datum priorities;       // int[], (Datum) 0 when not given
    Datum groups;           // text[], (Datum) 0 when not given
    int32 priority_bits;    // a bit per priority used
    int32 *priority;        // per payload
    Datum *group;           // per payload
    bool *no_group;
};

static BatchRich batch_rich(FunctionCallInfo fcinfo, int priorities_arg, int groups_arg, int count)
{
    BatchRich r = {};
    r.priority = static_cast<int32 *>(palloc0(sizeof(int32) * count));
    r.group = static_cast<Datum *>(palloc0(sizeof(Datum) * count));
    r.no_group = static_cast<bool *>(palloc(sizeof(bool) * count));
    for (int i = 0; i < count; i++)
        r.no_group[i] = true;
    r.priority_bits = 1;
    if (per_payload_array(fcinfo, priorities_arg, "priorities", "priority", count) >= 0) {
        r.priorities = PG_GETARG_DATUM(priorities_arg);
        Datum *elements;
        bool *nulls;
        int n;
        deconstruct_array(DatumGetArrayTypeP(r.priorities), INT4OID, 4, true, TYPALIGN_INT, &elements,
                          &nulls, &n);
        for (int i = 0; i < n; i++) {
            int32 p = nulls[i] ? 0 : DatumGetInt32(elements[i]);
            if (p < 0 || p > max_priority)
                ereport(ERROR, (errcode(ERRCODE_INVALID_PARAMETER_VALUE),
                                errmsg("priority %d must be between 0 and %d, got %d", i + 1,
                                       max_priority, p)));
            r.priority[i] = p;
            r.priority_bits |= 1 << p;
        }
    }
    if (per_payload_array(fcinfo, groups_arg, "group_keys", "group key", count) >= 0) {
        r.groups = PG_GETARG_DATUM(groups_arg);
        int n;
        deconstruct_array(DatumGetArrayTypeP(r.groups), TEXTOID, -1, false, TYPALIGN_INT, &r.group,
                          &r.no_group, &n);
        for (int i = 0; i < n; i++) {
            if (!r.no_group[i]) {
                r.group[i] = PointerGetDatum(DatumGetTextPP(r.group[i]));
                check_group_key(r.group[i], i + 1);
            }
        }
    }
    r.present = r.priorities != (Datum) 0 || r.groups != (Datum) 0;
    return r;
}

// A batch with keys, one message at a time in input order (a key repeated in
// the batch gets the id of its first message); each message's outcome goes to
// the result as (msg_id, inserted), of which a SETOF bigint keeps the id.
static void enqueue_keyed_batch(FunctionCallInfo fcinfo, const Batch &b, const BatchKeys &k,
                                const BatchRich &r, int worker_arg)
{
    Insert insert = {fcinfo};
    prepare_insert(insert, b.name, (Datum) 0, b.delay, worker_arg);
    if (r.present)
        prepare_rich_insert(insert, r.priority_bits, r.groups);
    int64 queue_id = 0;
    int inserted = 0;
    for (int i = 0; i < b.count; i++) {
        insert.args[6] = Int32GetDatum(r.priority[i]);
        insert.args[7] = r.group[i];
        insert.nulls[7] = r.no_group[i] ? 'n' : ' ';
        insert.args[9] = r.no_group[i] ? (Datum) 0 : TimestampTzGetDatum(held_vt_of(r.group[i]));
        insert.nulls[9] = r.no_group[i] ? 'n' : ' ';
        Keyed keyed = insert_keyed(insert, b.elements[i], k.keys[i], !k.nulls[i]);
        queue_id = keyed.queue_id;
        inserted += keyed.inserted ? 1 : 0;
        Datum values[2] = {Int64GetDatum(keyed.id), BoolGetDatum(keyed.inserted)};
        bool nulls[2] = {false, false};
        append_values(fcinfo, values, nulls);
    }
    if (inserted > 0 && b.delay == 0)
        wake_after_commit(queue_id, inserted);
}

PGQRS_FUNCTION(enqueue_batch)
{
    Batch b = batch_args(fcinfo, 2);
    bool has_keys = !PG_ARGISNULL(4);
    BatchKeys k = {};
    if (has_keys)
        k = batch_keys(fcinfo, 4, b.count);
    BatchRich r = batch_rich(fcinfo, 5, 6, b.count);

    begin_rows(fcinfo);
    CallScope call = begin_call(fcinfo);
    if (has_keys) {
        enqueue_keyed_batch(fcinfo, b, k, r, 3);
    } else {
        Insert insert = {fcinfo};
        prepare_insert(insert, b.name, PointerGetDatum(b.payloads), b.delay, 3);
        if (r.present) {
            insert.args[6] = r.priorities;
            insert.nulls[6] = r.priorities != (Datum) 0 ? ' ' : 'n';
            insert.args[7] = r.groups;
            insert.nulls[7] = r.groups != (Datum) 0 ? ' ' : 'n';
            if (r.groups != (Datum) 0) {
                insert.args[9] = held_vts(r.group, r.no_group, b.count);
                insert.nulls[9] = ' ';
            }
            prepare_rich_insert(insert, r.priority_bits, r.groups);
        }
        Rows rows = insert_rows(r.present ? insert_rich_messages : insert_messages, insert);
        append_all_rows(fcinfo, rows);
        if (b.delay == 0 && wake_available())
            wake_after_commit(find_queue(b.name).id, b.count);
    }
    end_call(call);
    return (Datum) 0;
}

PGQRS_FUNCTION(enqueue_batch_dedup)
{
    Batch b = batch_args(fcinfo, 3);
    required(fcinfo, 2, "dedup_keys");
    BatchKeys k = batch_keys(fcinfo, 2, b.count);
    BatchRich r = batch_rich(fcinfo, 5, 6, b.count);

    begin_rows(fcinfo);
    CallScope call = begin_call(fcinfo);
    enqueue_keyed_batch(fcinfo, b, k, r, 4);
    end_call(call);
    return (Datum) 0;
}
