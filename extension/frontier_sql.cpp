// Looking at the claim frontier: claim_frontier_stats and reset_claim_frontier.
#include "access.hpp"
#include "args.hpp"
#include "frontier.hpp"
#include "guard.hpp"
#include "lookup.hpp"
#include "results.hpp"

using namespace pgqrs;

// The slots as arrays ($1..$10), named by queue; $11: the queues the caller may
// see, NULL for all. A slot at the start shows NULL for F and its lag.
static Statement select_frontiers = {
    "SELECT q.queue_name, "
    "       CASE WHEN s.f_vt <> '-infinity' THEN s.f_vt END AS frontier_vt, "
    "       CASE WHEN s.f_vt <> '-infinity' THEN s.f_id END AS frontier_id, "
    "       CASE WHEN s.f_vt <> '-infinity' THEN "
    "         EXTRACT(epoch FROM pg_catalog.clock_timestamp() - s.f_vt)::float8 END AS lag_seconds, "
    "       s.raises, s.refused_raises, s.lowerings, s.resets, s.found_below, "
    "       CASE WHEN s.audit_usecs >= 0 THEN s.audit_usecs / 1e6::float8 END AS last_audit_seconds, "
    "       CASE WHEN s.next_audit <> 'infinity' THEN s.next_audit END AS next_audit_at "
    "FROM unnest($1::bigint[], $2::timestamptz[], $3::bigint[], $4::bigint[], $5::bigint[], "
    "            $6::bigint[], $7::bigint[], $8::bigint[], $9::bigint[], $10::timestamptz[]) "
    "  AS s(queue_id, f_vt, f_id, raises, refused_raises, lowerings, resets, found_below, "
    "       audit_usecs, next_audit) "
    "JOIN @.queues q ON q.id = s.queue_id "
    "WHERE $11::bigint[] IS NULL OR q.id = ANY ($11) ORDER BY q.id",
    11, {INT8ARRAYOID, TIMESTAMPTZARRAYOID, INT8ARRAYOID, INT8ARRAYOID, INT8ARRAYOID,
         INT8ARRAYOID, INT8ARRAYOID, INT8ARRAYOID, INT8ARRAYOID, TIMESTAMPTZARRAYOID,
         INT8ARRAYOID}};

static Datum array_of(const Datum *elements, int n, Oid type)
{
    return PointerGetDatum(construct_array(const_cast<Datum *>(elements), n, type, 8,
                                           FLOAT8PASSBYVAL, TYPALIGN_DOUBLE));
}

PGQRS_FUNCTION(claim_frontier_stats)
{
    begin_rows(fcinfo);
    CallScope call = begin_call(fcinfo);
    bool all;
    Datum allowed = allowed_queues(fcinfo, Access::monitor, &all);

    int max = frontier_queues_setting;
    FrontierStats *stats = static_cast<FrontierStats *>(palloc(sizeof(FrontierStats) * (max + 1)));
    int n = frontier_stats(stats, max);
    constexpr int ncolumns = 10;
    Datum *columns[ncolumns];
    for (Datum *&column : columns)
        column = static_cast<Datum *>(palloc(sizeof(Datum) * (n + 1)));
    for (int i = 0; i < n; i++) {
        const FrontierStats &s = stats[i];
        Datum row[ncolumns] = {Int64GetDatum(s.queue_id), TimestampTzGetDatum(s.f.vt),
                               Int64GetDatum(s.f.id), Int64GetDatum(s.raises),
                               Int64GetDatum(s.refused_raises), Int64GetDatum(s.lowerings),
                               Int64GetDatum(s.resets), Int64GetDatum(s.found_below),
                               Int64GetDatum(s.last_audit_usecs), TimestampTzGetDatum(s.next_audit)};
        for (int c = 0; c < ncolumns; c++)
            columns[c][i] = row[c];
    }
    Datum args[ncolumns + 1];
    for (int c = 0; c < ncolumns; c++)
        args[c] = array_of(columns[c], n, c == 1 || c == 9 ? TIMESTAMPTZOID : INT8OID);
    args[ncolumns] = allowed;
    append_all_rows(fcinfo, exec(select_frontiers, args, all ? "          n" : "           "));
    end_call(call);
    return (Datum) 0;
}

PGQRS_FUNCTION(reset_claim_frontier)
{
    CallScope call = begin_call(fcinfo);
    require_admin(fcinfo);
    int64 queue_id = PG_ARGISNULL(0) ? 0 : find_queue(queue_name(fcinfo, 0)).id;
    int reset = frontier_reset(queue_id);
    end_call(call);
    PG_RETURN_INT32(reset);
}
