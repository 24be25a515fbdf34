// set_priority: a message that is not leased gets another priority (0 to 9).
#include "access.hpp"
#include "by_id.hpp"
#include "args.hpp"
#include "guard.hpp"

using namespace pgqrs;

// $3: now; $4: the queues the caller may produce to (NULL for all). The queue's
// claims learn of the priority in the same transaction (priority_levels).
static Statement update_priority = {
    "WITH m AS (UPDATE @.messages m SET priority = $2 WHERE m.id = $1 "
    "    AND NOT (m.dequeued_at IS NOT NULL AND m.vt > $3 AND m.retry_at IS NULL) "
    "    AND " IN_QUEUES("$4") "RETURNING m.queue_id, m.vt), "
    "levels AS (UPDATE @.queues q SET priority_levels = q.priority_levels | (1 << $2) FROM m "
    "    WHERE q.id = m.queue_id AND (q.priority_levels & (1 << $2)) = 0) "
    "SELECT queue_id, vt FROM m",
    4, {INT8OID, INT4OID, TIMESTAMPTZOID, INT8ARRAYOID}, lowers_messages("queue_id", "vt")};

PGQRS_FUNCTION(set_priority)
{
    Datum args[4] = {required(fcinfo, 0, "msg_id"),
                     Int32GetDatum(required_int(fcinfo, 1, "priority", 0, max_priority)), seconds_from_now(0)};
    CallScope call = begin_call(fcinfo);
    bool all;
    args[3] = allowed_queues(fcinfo, Access::producer, &all);
    bool changed = exec(update_priority, args, all ? "   n" : "    ").count > 0;
    end_call(call);
    PG_RETURN_BOOL(changed);
}
