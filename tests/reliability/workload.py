"""Consumers that drain a queue and log every delivery, for the delivery audit
(the pressure suite has its own, in pressure_load).

Each consumer has its own connection (autocommit: dequeue and archive are
separate transactions) and its own registered worker; archive is fenced by
worker id and attempt.
"""
from __future__ import annotations

import json
import random
import threading
import time
from dataclasses import dataclass, field

import psycopg


@dataclass
class Delivery:
    id: int
    attempt: int
    consumer: int
    dequeued_at: object   # server clock at the claim
    vt: object            # server clock: end of the lease
    local: float          # time.time() when the client got it


@dataclass
class ArchiveCall:
    id: int
    attempt: int
    consumer: int
    ok: bool
    local: float


@dataclass
class Behaviour:
    batch_size: int = 10
    lock_seconds: int = 30
    late: float = 0.0      # share of messages archived only after their lease ended
    abandon: float = 0.0   # share of messages never archived by the consumer that got them


@dataclass
class DrainLog:
    deliveries: list = field(default_factory=list)
    archives: list = field(default_factory=list)
    errors: list = field(default_factory=list)
    archived_ok: int = 0
    # per-second buckets of successful archives (time.monotonic() seconds)
    buckets: dict = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock)


class Drain:
    """consumers threads dequeue + archive from queue until stop() or target reached."""

    def __init__(self, dsn: str, queue: str, consumers: int, behaviour: Behaviour,
                 target: int | None = None, seed: int = 1, log_deliveries: bool = True):
        self.dsn, self.queue, self.n, self.b = dsn, queue, consumers, behaviour
        self.target = target
        self.log = DrainLog()
        self.stopping = threading.Event()
        self.seed = seed
        self.log_deliveries = log_deliveries
        self.worker_ids: dict[int, int] = {}
        self.threads = [threading.Thread(target=self._run, args=(c,), daemon=True)
                        for c in range(consumers)]

    def start(self):
        for t in self.threads:
            t.start()
        return self

    def stop(self):
        self.stopping.set()
        for t in self.threads:
            t.join(60)

    def done(self) -> bool:
        return self.target is not None and self.log.archived_ok >= self.target

    def wait(self, timeout: float) -> bool:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.done() or self.log.errors:
                break
            time.sleep(0.05)
        self.stop()
        return self.done()

    def _archive(self, conn, worker, consumer, msg_id, attempt):
        ok = conn.execute("SELECT pgqrs.archive(%s, %s, %s)",
                          (msg_id, worker, attempt)).fetchone()[0]
        now = time.time()
        with self.log.lock:
            if self.log_deliveries:
                self.log.archives.append(ArchiveCall(msg_id, attempt, consumer, ok, now))
            if ok:
                self.log.archived_ok += 1
                sec = int(time.monotonic())
                self.log.buckets[sec] = self.log.buckets.get(sec, 0) + 1

    def _run(self, consumer: int):
        rng = random.Random(self.seed * 1000 + consumer)
        late: list[tuple[float, int, int]] = []   # (archive after, id, attempt)
        try:
            with psycopg.connect(self.dsn, autocommit=True,
                                 application_name=f"drain-{consumer}") as conn:
                worker = conn.execute(
                    "SELECT id FROM pgqrs.register_worker('drain', %s, %s)",
                    (7000 + consumer, self.queue)).fetchone()[0]
                self.worker_ids[consumer] = worker
                while not self.stopping.is_set() and not self.done():
                    now = time.time()
                    while late and late[0][0] <= now:
                        _, msg_id, attempt = late.pop(0)
                        self._archive(conn, worker, consumer, msg_id, attempt)
                    rows = conn.execute(
                        "SELECT id, read_ct, dequeued_at, vt FROM pgqrs.dequeue(%s, %s, %s, %s)",
                        (self.queue, self.b.batch_size, self.b.lock_seconds, worker)).fetchall()
                    got = time.time()
                    if self.log_deliveries and rows:
                        with self.log.lock:
                            self.log.deliveries.extend(
                                Delivery(r[0], r[1], consumer, r[2], r[3], got) for r in rows)
                    if not rows:
                        time.sleep(0.005)
                        continue
                    for msg_id, attempt, _, vt in rows:
                        roll = rng.random()
                        if roll < self.b.abandon:
                            continue
                        if roll < self.b.abandon + self.b.late:
                            # after the lease ended (vt is server time, same machine clock)
                            late.append((vt.timestamp() + rng.uniform(0.05, 0.5), msg_id, attempt))
                            late.sort()
                            continue
                        self._archive(conn, worker, consumer, msg_id, attempt)
        except Exception as e:  # reported by the test
            with self.log.lock:
                self.log.errors.append(f"consumer {consumer}: {type(e).__name__}: {e}")


def fill(conn: psycopg.Connection, queue: str, count: int, batch: int = 1000) -> list[int]:
    ids = []
    for start in range(0, count, batch):
        n = min(batch, count - start)
        payloads = [json.dumps({"n": start + i}) for i in range(n)]
        ids += [r[0] for r in conn.execute(
            "SELECT pgqrs.enqueue_batch(%s, %s::jsonb[])", (queue, payloads)).fetchall()]
    return ids
