#include "lookup.hpp"

#include "spi.hpp"

namespace pgqrs {

static Statement select_queue = {
    "SELECT id, max_attempts FROM @.queues WHERE queue_name = $1", 1, {TEXTOID}};

static Statement select_worker_status = {
    "SELECT status FROM @.workers WHERE id = $1", 1, {INT8OID}};

QueueRef find_queue(Datum queue_name)
{
    Datum args[1] = {queue_name};
    Rows rows = exec(select_queue, args, " ");
    if (rows.count == 0)
        ereport(ERROR, (errcode(ERRCODE_NO_DATA_FOUND),
                        errmsg("queue \"%s\" does not exist", TextDatumGetCString(queue_name))));
    return {DatumGetInt64(value(rows, 0, "id", INT8OID)),
            DatumGetInt32(value(rows, 0, "max_attempts", INT4OID))};
}

char worker_state(int64 worker_id)
{
    Datum args[1] = {Int64GetDatum(worker_id)};
    Rows rows = exec(select_worker_status, args, " ");
    if (rows.count == 0)
        ereport(ERROR, (errcode(ERRCODE_NO_DATA_FOUND),
                        errmsg("worker %lld does not exist", static_cast<long long>(worker_id))));
    const char *status = TextDatumGetCString(value(rows, 0, "status", TEXTOID));
    return strcmp(status, "ready") == 0 ? 'r' : strcmp(status, "suspended") == 0 ? 's' : 't';
}

void require_not_stopped(int64 worker_id)
{
    if (worker_state(worker_id) == 't')
        ereport(ERROR, (errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
                        errmsg("worker %lld is stopped", static_cast<long long>(worker_id)),
                        errhint("Register the worker again to use it.")));
}

void raise_changed_concurrently(const char *what)
{
    ereport(ERROR, (errcode(ERRCODE_T_R_SERIALIZATION_FAILURE),
                    errmsg("%s was changed by another transaction while this call ran", what),
                    errhint("Run the call again.")));
}

void explain_queue(Datum queue_name) { find_queue(queue_name); }

void explain_worker(Datum worker_id) { worker_state(DatumGetInt64(worker_id)); }

void explain_live_worker(Datum worker_id) { require_not_stopped(DatumGetInt64(worker_id)); }

Rows exec_until_found(Statement &st, const Datum *args, const char *nulls,
                      void (*explain)(Datum subject), Datum subject, const char *what)
{
    constexpr int tries = 3;
    for (int attempt = 0; attempt < tries; attempt++) {
        Rows rows = exec(st, args, nulls);
        if (rows.count > 0)
            return rows;
        explain(subject);
    }
    raise_changed_concurrently(what);
    pg_unreachable();
}

}  // namespace pgqrs
