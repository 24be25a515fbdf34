"""The pressure suite's samples: every interval, what the clients did (from the
Ledger) and what the server shows for the claim index, the messages table and
the claim frontier.

"entries per claim" is Δidx_tup_read / Δidx_scan of messages_queue_vt_idx: only
dequeue scans that index during a run (see pressure_load).
"""
from __future__ import annotations

import datetime
import time

from pressure_load import Ledger

NA = "n/a"

# The claim frontier's introspection. Sampled when the function exists, NA in
# every frontier field otherwise; with the pin gates on (FRONTIER_GATES in
# pressure_gates) a missing function fails the run.
FRONTIER_STATS_FUNCTION = "pgqrs.claim_frontier_stats()"
# its columns -> the sample's fields
FRONTIER_FIELDS = {"frontier_vt": "frontier_vt", "frontier_id": "frontier_id",
                   "lag_seconds": "frontier_lag_s", "raises": "frontier_raises",
                   "refused_raises": "frontier_refused_raises", "lowerings": "frontier_lowerings",
                   "resets": "frontier_resets", "found_below": "frontier_found_below"}

SERVER_SQL = """
SELECT i.idx_scan, i.idx_tup_read, t.n_dead_tup, t.n_live_tup, t.autovacuum_count,
       pg_relation_size('pgqrs.messages'), pg_relation_size('pgqrs.messages_queue_vt_idx'),
       EXISTS (SELECT FROM pg_stat_progress_vacuum v WHERE v.relid = t.relid)
FROM pg_stat_user_indexes i JOIN pg_stat_user_tables t USING (relid)
WHERE i.schemaname = 'pgqrs' AND i.indexrelname = 'messages_queue_vt_idx'
"""


def frontier_available(conn) -> bool:
    return conn.execute("SELECT to_regprocedure(%s) IS NOT NULL",
                        (FRONTIER_STATS_FUNCTION,)).fetchone()[0]


def frontier_stats(conn, queue: str) -> dict:
    """The queue's frontier fields: NA without the function, None without a row."""
    if not frontier_available(conn):
        return {field: NA for field in FRONTIER_FIELDS.values()}
    row = conn.execute(f"SELECT {', '.join(FRONTIER_FIELDS)} FROM {FRONTIER_STATS_FUNCTION} "
                       "WHERE queue_name = %s", (queue,)).fetchone()
    values = row or (None,) * len(FRONTIER_FIELDS)
    return {field: v.isoformat() if isinstance(v, datetime.datetime) else v
            for field, v in zip(FRONTIER_FIELDS.values(), values)}


def percentile(sorted_values: list[float], q: float):
    if not sorted_values:
        return None
    return sorted_values[min(len(sorted_values) - 1, int(q * len(sorted_values)))]


def ratio(a, b, digits=2):
    return round(a / b, digits) if b else None


class Sampler:
    """Call sample(phase, phase_start) at the end of each interval."""

    def __init__(self, conn, queue: str, ledger: Ledger):
        self.conn, self.queue, self.ledger = conn, queue, ledger
        self.t0 = time.monotonic()
        self.prev_t = self.t0
        self.prev_client = ledger.take()
        self.prev_server = self._server()

    def _server(self):
        return self.conn.execute(SERVER_SQL).fetchone()

    def sample(self, phase: str, phase_start: float) -> dict:
        now = time.monotonic()
        client = self.ledger.take()
        server = self._server()
        scans, reads, dead, live, autovacuums, heap_bytes, index_bytes, vacuuming = server
        dt = now - self.prev_t
        enqueued = client["enqueued"] - self.prev_client["enqueued"]
        archived = client["archived"] - self.prev_client["archived"]
        calls = client["dequeue_calls"] - self.prev_client["dequeue_calls"]
        claims = scans - self.prev_server[0]
        entries = reads - self.prev_server[1]
        lat = sorted(client["latencies"])
        s = {
            "t": round(now - self.t0, 1),
            "phase": phase,
            "phase_t": round(now - phase_start, 1),
            "dt": round(dt, 2),
            "enqueued": enqueued,
            "archived": archived,
            "offered_per_s": round(enqueued / dt),
            "archived_per_s": round(archived / dt),
            "served": ratio(archived, enqueued, 3),
            "backlog": client["enqueued"] - client["archived"],
            "dequeue_calls": calls,
            "claims": claims,
            "entries_read": entries,
            "entries_per_claim": ratio(entries, claims),
            "entries_per_archived": ratio(entries, archived),
            # per client call too: index scans have outnumbered dequeue calls in some intervals
            "entries_per_call": ratio(entries, calls),
            "dead_tuples": dead,
            "live_tuples": live,
            "messages_bytes": heap_bytes,
            "index_bytes": index_bytes,
            "autovacuum_count": autovacuums,
            "vacuum_running": vacuuming,
            "claim_p50_ms": round(1000 * percentile(lat, 0.50), 2) if lat else None,
            "claim_p99_ms": round(1000 * percentile(lat, 0.99), 2) if lat else None,
            **frontier_stats(self.conn, self.queue),
        }
        self.prev_t, self.prev_client, self.prev_server = now, client, server
        return s


COLUMNS = ("t", "phase", "phase_t", "dt", "enqueued", "archived", "offered_per_s",
           "archived_per_s", "served", "backlog", "dequeue_calls", "claims", "entries_read",
           "entries_per_claim", "entries_per_archived", "entries_per_call", "dead_tuples",
           "live_tuples", "messages_bytes", "index_bytes", "autovacuum_count", "vacuum_running",
           "claim_p50_ms", "claim_p99_ms") + tuple(FRONTIER_FIELDS.values())
