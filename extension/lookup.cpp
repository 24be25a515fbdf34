#include "lookup.hpp"

#include "spi.hpp"

namespace pgqrs {

static Statement select_queue = {
    "SELECT id, max_attempts FROM queues WHERE queue_name = $1", 1, {TEXTOID}};

static Statement select_worker_status = {
    "SELECT status FROM workers WHERE id = $1", 1, {INT8OID}};

QueueRef find_queue(Datum queue_name)
{
    Datum args[1] = {queue_name};
    if (exec(select_queue, args, " ") == 0)
        ereport(ERROR, (errcode(ERRCODE_NO_DATA_FOUND),
                        errmsg("queue \"%s\" does not exist", TextDatumGetCString(queue_name))));
    return {DatumGetInt64(column(0, 1)), DatumGetInt32(column(0, 2))};
}

char worker_state(int64 worker_id)
{
    Datum args[1] = {Int64GetDatum(worker_id)};
    if (exec(select_worker_status, args, " ") == 0)
        ereport(ERROR, (errcode(ERRCODE_NO_DATA_FOUND),
                        errmsg("worker %lld does not exist", static_cast<long long>(worker_id))));
    const char *status = TextDatumGetCString(column(0, 1));
    return status[0] == 'r' ? 'r' : status[1] == 'u' ? 's' : 't';
}

void require_not_stopped(int64 worker_id)
{
    if (worker_state(worker_id) == 't')
        ereport(ERROR, (errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
                        errmsg("worker %lld is stopped", static_cast<long long>(worker_id)),
                        errhint("Register the worker again to use it.")));
}

}  // namespace pgqrs
