"""The load and the disturbances of the pressure suite: producers, consumers that
time their claims and count every delivery, and the connections that pin the
xmin horizon.

Only `dequeue` may scan pgqrs.messages_queue_vt_idx while the suite measures
(its counters are read as "entries per claim"): archives go by id (the primary
key), the pins touch no queue table, and the active readers scan without
indexes.
"""
from __future__ import annotations

import json
import threading
import time

import psycopg

PAYLOADS = [json.dumps({"n": i, "pad": "p" * 100}) for i in range(100)]


class Ledger:
    """Per message id, how often it was enqueued, delivered and archived (one
    saturating byte each), plus the running totals the sampler reads."""

    def __init__(self):
        self.lock = threading.Lock()
        self.enqueued = bytearray()
        self.delivered = bytearray()
        self.archived = bytearray()
        self.enqueued_total = 0
        self.archived_total = 0
        self.dequeue_calls = 0
        self.latencies: list[float] = []        # seconds per dequeue call since the last take
        self.per_second: dict[int, int] = {}    # archives per time.monotonic() second
        self.errors: list[str] = []

    @staticmethod
    def _mark(counts: bytearray, ids) -> None:
        top = max(ids) + 1
        if top > len(counts):
            counts.extend(bytes(max(top - len(counts), len(counts))))
        for i in ids:
            if counts[i] < 255:
                counts[i] += 1

    def note_enqueued(self, ids) -> None:
        with self.lock:
            if ids:
                self._mark(self.enqueued, ids)
            self.enqueued_total += len(ids)

    def note_claim(self, seconds: float, ids) -> None:
        with self.lock:
            self.dequeue_calls += 1
            self.latencies.append(seconds)
            if ids:
                self._mark(self.delivered, ids)

    def note_archived(self, ids) -> None:
        with self.lock:
            if ids:
                self._mark(self.archived, ids)
            self.archived_total += len(ids)
            sec = int(time.monotonic())
            self.per_second[sec] = self.per_second.get(sec, 0) + len(ids)

    def note_error(self, who: str, e: Exception) -> None:
        with self.lock:
            self.errors.append(f"{who}: {type(e).__name__}: {e}")

    def take(self) -> dict:
        """Totals now, and the claim latencies since the previous take."""
        with self.lock:
            lat, self.latencies = self.latencies, []
            return {"enqueued": self.enqueued_total, "archived": self.archived_total,
                    "dequeue_calls": self.dequeue_calls, "latencies": lat}

    def audit(self) -> dict:
        """lost: enqueued, never archived; doubled: delivered or archived more than once."""
        with self.lock:
            n = max(len(self.enqueued), len(self.delivered), len(self.archived))
            enq, dlv, arc = (bytes(c) + bytes(n - len(c))
                             for c in (self.enqueued, self.delivered, self.archived))

        def once_or_more(c):
            return n - c.count(0)

        def twice_or_more(c):
            return n - c.count(0) - c.count(1)

        return {
            "enqueued": once_or_more(enq),
            "enqueued_twice": twice_or_more(enq),
            "delivered": once_or_more(dlv),
            "archived": once_or_more(arc),
            "lost": sum(1 for e, a in zip(enq, arc) if e and not a),
            "redelivered": twice_or_more(dlv),
            "archived_twice": twice_or_more(arc),
            "not_enqueued_but_seen": sum(1 for e, d, a in zip(enq, dlv, arc) if (d or a) and not e),
        }


class _Worker(threading.Thread):
    def __init__(self, dsn: str, queue: str, ledger: Ledger):
        super().__init__(daemon=True)
        self.dsn, self.queue, self.ledger = dsn, queue, ledger
        self.stopping = threading.Event()

    def stop(self) -> None:
        self.stopping.set()
        self.join(60)


class _Producer(_Worker):
    def enqueue(self, conn, n: int) -> None:
        ids = [r[0] for r in conn.execute("SELECT pgqrs.enqueue_batch(%s, %s::jsonb[])",
                                          (self.queue, PAYLOADS[:n])).fetchall()]
        self.ledger.note_enqueued(ids)


class OfferedProducer(_Producer):
    """Enqueues `rate` messages per second in batches of 10 on a fixed schedule;
    after a stall it catches up at most one second of the schedule."""

    BATCH = 10

    def __init__(self, dsn, queue, ledger, rate: float):
        super().__init__(dsn, queue, ledger)
        self.rate = rate

    def run(self):
        interval = self.BATCH / self.rate
        try:
            with psycopg.connect(self.dsn, autocommit=True, application_name="producer") as conn:
                due = time.monotonic()
                while not self.stopping.is_set():
                    now = time.monotonic()
                    if now < due:
                        time.sleep(due - now)
                        continue
                    self.enqueue(conn, self.BATCH)
                    due = max(due + interval, now - 1.0)
        except Exception as e:
            self.ledger.note_error("producer", e)


class BacklogProducer(_Producer):
    """Keeps about `backlog` messages waiting (batches of 100): the consumers
    run at capacity."""

    def __init__(self, dsn, queue, ledger, backlog: int):
        super().__init__(dsn, queue, ledger)
        self.backlog = backlog

    def run(self):
        try:
            with psycopg.connect(self.dsn, autocommit=True, application_name="producer") as conn:
                while not self.stopping.is_set():
                    if self.ledger.enqueued_total - self.ledger.archived_total < self.backlog:
                        self.enqueue(conn, 100)
                    else:
                        time.sleep(0.005)
        except Exception as e:
            self.ledger.note_error("producer", e)


class Consumer(_Worker):
    """Its own registered worker: dequeue (timed: the claim), then a fenced
    archive_batch of what it got; 5 ms pause after an empty claim."""

    def __init__(self, dsn, queue, ledger, number: int, batch_size: int, lock_seconds: int):
        super().__init__(dsn, queue, ledger)
        self.number, self.batch_size, self.lock_seconds = number, batch_size, lock_seconds

    def run(self):
        try:
            with psycopg.connect(self.dsn, autocommit=True,
                                 application_name=f"consumer-{self.number}") as conn:
                worker = conn.execute("SELECT id FROM pgqrs.register_worker('pressure', %s, %s)",
                                      (7000 + self.number, self.queue)).fetchone()[0]
                while not self.stopping.is_set():
                    start = time.perf_counter()
                    rows = conn.execute(
                        "SELECT id, read_ct FROM pgqrs.dequeue(%s, %s, %s, %s)",
                        (self.queue, self.batch_size, self.lock_seconds, worker)).fetchall()
                    self.ledger.note_claim(time.perf_counter() - start, [r[0] for r in rows])
                    if not rows:
                        time.sleep(0.005)
                        continue
                    done = conn.execute(
                        "SELECT * FROM pgqrs.archive_batch(%s::bigint[], %s, %s::int[])",
                        ([r[0] for r in rows], worker, [r[1] for r in rows])).fetchall()
                    self.ledger.note_archived([r[0] for r in done])
        except Exception as e:
            self.ledger.note_error(f"consumer {self.number}", e)


# -- pins of the xmin horizon ---------------------------------------------------

class XidHolder:
    """A transaction that takes an xid and then sits idle."""

    def __init__(self, dsn: str):
        self.conn = psycopg.connect(dsn, autocommit=False, application_name="xid-holder")
        self.xid = self.conn.execute("SELECT txid_current()").fetchone()[0]

    def report(self) -> dict:
        return {"xid": self.xid}

    def stop(self) -> None:
        self.conn.rollback()
        self.conn.close()


class PassiveSnapshot:
    """A REPEATABLE READ transaction: one query (no queue table), then idle."""

    def __init__(self, dsn: str):
        self.conn = psycopg.connect(dsn, autocommit=False, application_name="rr-snapshot")
        self.conn.isolation_level = psycopg.IsolationLevel.REPEATABLE_READ
        self.conn.execute("SELECT count(*) FROM pgqrs.queues").fetchone()

    def report(self) -> dict:
        return {}

    def stop(self) -> None:
        self.conn.rollback()
        self.conn.close()


class ActiveReaders:
    """4 REPEATABLE READ transactions counting messages and archive in a loop,
    by sequential scans (the claim index stays the claims' own)."""

    NO_INDEXES = "-c enable_indexscan=off -c enable_indexonlyscan=off -c enable_bitmapscan=off"

    def __init__(self, dsn: str, n: int = 4):
        self.dsn = dsn
        self.stopping = threading.Event()
        self.lock = threading.Lock()
        self.scan_seconds: list[float] = []
        self.errors: list[str] = []
        self.threads = [threading.Thread(target=self._run, daemon=True) for _ in range(n)]
        for t in self.threads:
            t.start()

    def _run(self):
        try:
            with psycopg.connect(self.dsn, autocommit=False, options=self.NO_INDEXES,
                                 application_name="rr-reader") as conn:
                conn.isolation_level = psycopg.IsolationLevel.REPEATABLE_READ
                while not self.stopping.is_set():
                    start = time.perf_counter()
                    conn.execute("SELECT count(*), max(vt) FROM pgqrs.messages").fetchone()
                    conn.execute("SELECT count(*), max(id) FROM pgqrs.archive").fetchone()
                    with self.lock:
                        self.scan_seconds.append(time.perf_counter() - start)
                    time.sleep(0.1)
                conn.rollback()
        except Exception as e:
            with self.lock:
                self.errors.append(f"reader: {type(e).__name__}: {e}")

    def report(self) -> dict:
        s = sorted(self.scan_seconds)
        return {"reader_scans": len(s),
                "reader_scan_ms_median": round(1000 * s[len(s) // 2], 1) if s else None,
                "reader_scan_ms_max": round(1000 * s[-1], 1) if s else None}

    def stop(self) -> None:
        self.stopping.set()
        for t in self.threads:
            t.join(60)
        assert not self.errors, self.errors
