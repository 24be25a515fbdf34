// Looking at the claim frontier: claim_frontier_stats and reset_claim_frontier.
#include "access.hpp"
#include "args.hpp"
#include "frontier.hpp"
#include "guard.hpp"
#include "lookup.hpp"
#include "results.hpp"

using namespace pgqrs;

// The slots as arrays ($1..$8), named by queue; $9: the queues the caller may
// see, NULL for all. A slot at the start shows NULL for F and its lag.
static Statement select_frontiers = {
    "SELECT q.queue_name, "
    "       CASE WHEN s.f_vt <> '-infinity' THEN s.f_vt END AS frontier_vt, "
    "       CASE WHEN s.f_vt <> '-infinity' THEN s.f_id END AS frontier_id, "
    "       CASE WHEN s.f_vt <> '-infinity' THEN "
    "         EXTRACT(epoch FROM pg_catalog.clock_timestamp() - s.f_vt)::float8 END AS lag_seconds, "
    "       s.raises, s.refused_raises, s.lowerings, s.resets, s.found_below "
    "FROM unnest($1::bigint[], $2::timestamptz[], $3::bigint[], $4::bigint[], $5::bigint[], "
    "            $6::bigint[], $7::bigint[], $8::bigint[]) "
    "  AS s(queue_id, f_vt, f_id, raises, refused_raises, lowerings, resets, found_below) "
    "JOIN @.queues q ON q.id = s.queue_id "
    "WHERE $9::bigint[] IS NULL OR q.id = ANY ($9) ORDER BY q.id",
    9, {INT8ARRAYOID, TIMESTAMPTZARRAYOID, INT8ARRAYOID, INT8ARRAYOID, INT8ARRAYOID,
        INT8ARRAYOID, INT8ARRAYOID, INT8ARRAYOID, INT8ARRAYOID}};

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
    constexpr int ncolumns = 8;
    Datum *columns[ncolumns];
    for (Datum *&column : columns)
        column = static_cast<Datum *>(palloc(sizeof(Datum) * (n + 1)));
    for (int i = 0; i < n; i++) {
        const FrontierStats &s = stats[i];
        Datum row[ncolumns] = {Int64GetDatum(s.queue_id), TimestampTzGetDatum(s.f.vt),
                               Int64GetDatum(s.f.id), Int64GetDatum(s.raises),
                               Int64GetDatum(s.refused_raises), Int64GetDatum(s.lowerings),
                               Int64GetDatum(s.resets), Int64GetDatum(s.found_below)};
        for (int c = 0; c < ncolumns; c++)
            columns[c][i] = row[c];
    }
    Datum args[9];
    for (int c = 0; c < ncolumns; c++)
        args[c] = array_of(columns[c], n, c == 1 ? TIMESTAMPTZOID : INT8OID);
    args[8] = allowed;
    append_all_rows(fcinfo, exec(select_frontiers, args, all ? "        n" : "         "));
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
