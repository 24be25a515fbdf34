"""The pressure suite's samples: every interval, what the clients did (from the
Ledger) and what the server shows for the claim index, the messages table and
the claim frontier.

"entries per claim" is Δidx_tup_read / Δidx_scan of messages_queue_vt_idx: only
dequeue scans that index during a run (see pressure_load).
"""
from __future__ import annotations

import collections
import datetime
import threading
import time

import psycopg

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


# What the server did besides the claims: checkpoints, WAL written, backends
# writing buffers themselves, and the phase of a vacuum of messages.
ACTIVITY_SQL = """
SELECT b.checkpoints_timed + b.checkpoints_req, b.buffers_backend, b.buffers_checkpoint,
       w.wal_bytes, (SELECT string_agg(v.phase, ',') FROM pg_stat_progress_vacuum v
                     WHERE v.relid = 'pgqrs.messages'::regclass)
FROM pg_stat_bgwriter b, pg_stat_wal w
"""

# What the consumers' backends are doing, polled every WAIT_POLL_SECONDS.
WAITS_SQL = """
SELECT COALESCE(wait_event_type || ':' || wait_event, 'running')
FROM pg_stat_activity WHERE application_name LIKE 'consumer-%' AND state = 'active'
"""
WAIT_POLL_SECONDS = 0.2


class WaitPoller(threading.Thread):
    """Counts the wait events of the consumers' active backends (one count per
    backend per poll); take() returns the shares since the last take."""

    def __init__(self, dsn: str):
        super().__init__(daemon=True)
        self.dsn = dsn
        self.lock = threading.Lock()
        self.counts: collections.Counter = collections.Counter()
        self.polls = 0
        self.stopping = threading.Event()

    def run(self):
        with psycopg.connect(self.dsn, autocommit=True, application_name="wait poller") as conn:
            while not self.stopping.wait(WAIT_POLL_SECONDS):
                events = [r[0] for r in conn.execute(WAITS_SQL).fetchall()]
                with self.lock:
                    self.counts.update(events)
                    self.polls += 1

    def take(self) -> dict:
        """Per wait event, the mean number of consumer backends in it."""
        with self.lock:
            counts, polls = self.counts, self.polls
            self.counts, self.polls = collections.Counter(), 0
        return {event: round(n / polls, 2) for event, n in counts.most_common(6)} if polls else {}

    def stop(self) -> None:
        self.stopping.set()
        self.join(10)


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

    def __init__(self, conn, queue: str, ledger: Ledger, waits: WaitPoller):
        self.conn, self.queue, self.ledger, self.waits = conn, queue, ledger, waits
        self.t0 = time.monotonic()
        self.prev_t = self.t0
        self.prev_client = ledger.take()
        self.prev_server = self._server()
        self.prev_activity = self._activity()
        waits.take()

    def _server(self):
        return self.conn.execute(SERVER_SQL).fetchone()

    def _activity(self):
        return self.conn.execute(ACTIVITY_SQL).fetchone()

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
        activity = self._activity()
        checkpoints, backend_writes, checkpoint_writes, wal_bytes, vacuum_phase = activity
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
            "checkpoints": checkpoints - self.prev_activity[0],
            "backend_buffer_writes": backend_writes - self.prev_activity[1],
            "checkpoint_buffer_writes": checkpoint_writes - self.prev_activity[2],
            "wal_mb": round(float(wal_bytes - self.prev_activity[3]) / 2**20, 1),
            "vacuum_phase": vacuum_phase,
            "consumer_waits": self.waits.take(),
        }
        self.prev_t, self.prev_client, self.prev_server = now, client, server
        self.prev_activity = activity
        return s


COLUMNS = ("t", "phase", "phase_t", "dt", "enqueued", "archived", "offered_per_s",
           "archived_per_s", "served", "backlog", "dequeue_calls", "claims", "entries_read",
           "entries_per_claim", "entries_per_archived", "entries_per_call", "dead_tuples",
           "live_tuples", "messages_bytes", "index_bytes", "autovacuum_count", "vacuum_running",
           "claim_p50_ms", "claim_p99_ms") + tuple(FRONTIER_FIELDS.values()) + (
           "checkpoints", "backend_buffer_writes", "checkpoint_buffer_writes", "wal_mb",
           "vacuum_phase", "consumer_waits")
