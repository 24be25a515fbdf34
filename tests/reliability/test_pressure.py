"""Pressure report (measures, does not assert speed): the drain of the delivery
audit running steadily (a producer keeps a backlog, 8 consumers dequeue +
archive) through phases:

  baseline -> a connection holding a transaction open with an xid assigned ->
  after (recovery) -> 4 REPEATABLE READ readers scanning the queue tables ->
  after (recovery)

Per phase: throughput (archived messages/s), dead tuples of pgqrs.messages and
pgqrs.archive (pg_stat_user_tables) at its end; after each disturbance, the
seconds until throughput is back to 80 % of the baseline. Written to stdout and
out/pressure.json. The only assertions are that the workload ran without errors
and that the audit of the queue holds afterwards.
"""
import json
import os
import statistics
import threading
import time

import psycopg
import pytest

from cluster import Cluster, pick, results_dir
from workload import Behaviour, Drain

QUEUE = "pressure"
BACKLOG = 3000
SETTINGS = {"autovacuum_naptime": "'5s'"}


@pytest.fixture(scope="module")
def cluster():
    c = Cluster("pressure", settings=SETTINGS)
    c.start()
    with c.connect() as conn:
        conn.execute("CREATE EXTENSION pgqrs")
        conn.execute("SELECT pgqrs.create_queue(%s, 1000000)", (QUEUE,))
    yield c
    c.destroy()


class Producer(threading.Thread):
    def __init__(self, dsn, drain):
        super().__init__(daemon=True)
        self.dsn, self.drain = dsn, drain
        self.enqueued = 0
        self.stopping = threading.Event()
        self.error = None

    def run(self):
        payloads = [json.dumps({"n": i, "pad": "p" * 100}) for i in range(100)]
        try:
            with psycopg.connect(self.dsn, autocommit=True) as conn:
                while not self.stopping.is_set():
                    if self.enqueued - self.drain.log.archived_ok < BACKLOG:
                        conn.execute("SELECT count(*) FROM pgqrs.enqueue_batch(%s, %s::jsonb[])",
                                     (QUEUE, payloads))
                        self.enqueued += len(payloads)
                    else:
                        time.sleep(0.005)
        except Exception as e:  # reported by the test
            self.error = e


class Readers:
    """4 REPEATABLE READ transactions scanning the queue tables for the phase."""

    def __init__(self, dsn, n=4):
        self.dsn, self.n = dsn, n
        self.stopping = threading.Event()
        self.scans = 0
        self.errors = []
        self.threads = [threading.Thread(target=self.run, daemon=True) for _ in range(n)]

    def run(self):
        try:
            with psycopg.connect(self.dsn) as conn:
                conn.isolation_level = psycopg.IsolationLevel.REPEATABLE_READ
                conn.execute("SELECT count(*) FROM pgqrs.messages")
                while not self.stopping.is_set():
                    conn.execute("SELECT count(*), max(vt) FROM pgqrs.messages").fetchone()
                    conn.execute("SELECT count(*), max(id) FROM pgqrs.archive").fetchone()
                    self.scans += 1
                    time.sleep(0.1)
                conn.commit()
        except Exception as e:
            self.errors.append(repr(e))

    def start(self):
        for t in self.threads:
            t.start()

    def stop(self):
        self.stopping.set()
        for t in self.threads:
            t.join(30)


def dead_tuples(conn):
    rows = conn.execute("SELECT relname, n_live_tup, n_dead_tup, autovacuum_count, "
                        "last_autovacuum IS NOT NULL FROM pg_stat_user_tables "
                        "WHERE schemaname = 'pgqrs' AND relname IN ('messages', 'archive')").fetchall()
    return {r[0]: {"live": r[1], "dead": r[2], "autovacuums": r[3]} for r in rows}


def rate(buckets, start, end):
    """archived/s over whole seconds in [start, end)."""
    secs = range(int(start) + 1, int(end))
    if not secs:
        return 0.0
    return sum(buckets.get(s, 0) for s in secs) / len(secs)


def recovery_seconds(buckets, start, end, target):
    for s in range(int(start) + 1, int(end) - 1):
        if (buckets.get(s, 0) + buckets.get(s + 1, 0)) / 2 >= target:
            return round(s - start, 1)
    return None


def test_pressure_report(cluster):
    baseline_s = pick(10, 30)
    holder_s = pick(10, 60)
    after_s = pick(15, 60)
    readers_s = pick(10, 60)
    drain = Drain(cluster.dsn(), QUEUE, 8, Behaviour(batch_size=10, lock_seconds=30),
                  log_deliveries=False)
    producer = Producer(cluster.dsn(), drain)
    producer.start()
    time.sleep(0.5)
    drain.start()
    monitor = cluster.connect()
    phases = []
    samples = []

    def run_phase(name, seconds):
        start = time.monotonic()
        while time.monotonic() - start < seconds:
            time.sleep(1)
            samples.append({"t": round(time.monotonic() - t0, 1), "phase": name,
                            "archived": drain.log.archived_ok, **{
                                f"{k}_dead": v["dead"] for k, v in dead_tuples(monitor).items()}})
            assert not drain.log.errors and producer.error is None, \
                (drain.log.errors, producer.error)
        end = time.monotonic()
        phases.append({"phase": name, "start": start, "end": end})
        return start, end

    t0 = time.monotonic()
    time.sleep(2)   # warm up
    b0, b1 = run_phase("baseline", baseline_s)

    holder = cluster.connect(autocommit=False)
    xid = holder.execute("SELECT txid_current()").fetchone()[0]
    h0, h1 = run_phase("xid_holder", holder_s)
    holder.commit()
    holder.close()
    a0, a1 = run_phase("after_xid_holder", after_s)

    readers = Readers(cluster.dsn())
    readers.start()
    r0, r1 = run_phase("rr_readers", readers_s)
    readers.stop()
    c0, c1 = run_phase("after_rr_readers", after_s)

    drain.stop()
    producer.stopping.set()
    producer.join(30)
    assert not readers.errors, readers.errors
    buckets = dict(drain.log.buckets)
    monitor.execute("SELECT pg_stat_force_next_flush()")
    final_dead = dead_tuples(monitor)
    monitor.execute("SELECT pgqrs.verify()")
    monitor.close()

    base_rate = rate(buckets, b0, b1)
    per_sec = [buckets.get(s, 0) for s in range(int(b0) + 1, int(b1))]
    target = 0.8 * (statistics.median(per_sec) if per_sec else base_rate)
    report = {
        "settings": {"consumers": 8, "batch_size": 10, "backlog": BACKLOG,
                     "autovacuum_naptime": "5s", "machine_cores": os.cpu_count()},
        "throughput_per_s": {
            "baseline": round(base_rate),
            "xid_holder": round(rate(buckets, h0, h1)),
            "after_xid_holder": round(rate(buckets, a0, a1)),
            "rr_readers": round(rate(buckets, r0, r1)),
            "after_rr_readers": round(rate(buckets, c0, c1)),
        },
        "recovery_seconds": {
            "after_xid_holder": recovery_seconds(buckets, a0, a1, target),
            "after_rr_readers": recovery_seconds(buckets, c0, c1, target),
        },
        "dead_tuples_at_phase_end": {
            p["phase"]: next((s for s in reversed(samples) if s["phase"] == p["phase"]), {})
            for p in phases},
        "dead_tuples_final": final_dead,
        "held_xid": xid,
        "reader_scans": readers.scans,
        "enqueued": producer.enqueued,
        "archived": drain.log.archived_ok,
        "phase_seconds": {p["phase"]: round(p["end"] - p["start"], 1) for p in phases},
        "samples": samples,
    }
    with open(os.path.join(results_dir(), "pressure.json"), "w") as f:
        json.dump(report, f, indent=1)
    print("\npressure report (archived messages per second, dead tuples at phase end):")
    for p in phases:
        name = p["phase"]
        d = report["dead_tuples_at_phase_end"][name]
        print(f"  {name:18} {report['throughput_per_s'][name]:6}/s   "
              f"messages dead {d.get('messages_dead', '?'):>7}   archive dead {d.get('archive_dead', '?'):>7}")
    print(f"  recovery to 80% of baseline: {report['recovery_seconds']}")

    # the queue is whole: nothing lost, nothing doubled
    with cluster.connect() as conn:
        qid = conn.execute("SELECT id FROM pgqrs.queues WHERE queue_name = %s", (QUEUE,)).fetchone()[0]
        m, a, both = conn.execute(
            "SELECT (SELECT count(*) FROM pgqrs.messages WHERE queue_id = %(q)s), "
            "(SELECT count(*) FROM pgqrs.archive WHERE queue_id = %(q)s), "
            "(SELECT count(*) FROM pgqrs.messages m JOIN pgqrs.archive a USING (id))",
            {"q": qid}).fetchone()
    assert both == 0
    assert m + a == producer.enqueued
    assert a == drain.log.archived_ok
