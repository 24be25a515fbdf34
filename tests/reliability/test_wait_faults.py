"""dequeue_wait under faults: a waiter that is cancelled, times out, or is
terminated must leave no trace in the shared-memory wait slots, so the next
message wakes a live waiter at once (not after its 1 s safety recheck).

docs/waiting.md: "one message wakes one consumer"; extension/dequeue.cpp: "The
slot must be cleared however the wait ends (cancel, error, timeout)".
"""
import threading
import time

import psycopg
import pytest

from cluster import Cluster

TRIALS = 8
# a woken waiter returns in milliseconds; a missed wake-up waits for the 1 s recheck
WAKE_BOUND = 0.5


@pytest.fixture(scope="module")
def cluster():
    c = Cluster("wait")
    c.start()
    with c.connect() as conn:
        conn.execute("CREATE EXTENSION pgqrs")
        conn.execute("SELECT pgqrs.create_queue('w')")
    yield c
    crashes = c.crash_lines()
    c.destroy()
    assert not crashes, crashes


def _waiting_pid(cluster, app, timeout=5.0):
    with cluster.connect() as m:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            row = m.execute("SELECT pid FROM pg_stat_activity WHERE application_name = %s "
                            "AND wait_event_type = 'Extension'", (app,)).fetchone()
            if row:
                return row[0]
            time.sleep(0.01)
    raise AssertionError(f"{app} never waited in dequeue_wait")


def _end_a_waiter(cluster, how):
    """Starts a dequeue_wait and ends it by cancel, statement_timeout or terminate."""
    conn = psycopg.connect(cluster.dsn(application_name="victim"), autocommit=True)
    if how == "timeout":
        conn.execute("SET statement_timeout = '300ms'")
    outcome = {}

    def run():
        try:
            conn.execute("SELECT * FROM pgqrs.dequeue_wait('w', 1, 5, NULL, 30)")
            outcome["state"] = "returned"
        except psycopg.Error as e:
            outcome["state"] = e.sqlstate

    t = threading.Thread(target=run, daemon=True)
    t.start()
    pid = _waiting_pid(cluster, "victim")
    if how != "timeout":
        fn = "pg_cancel_backend" if how == "cancel" else "pg_terminate_backend"
        with cluster.connect() as m:
            m.execute(f"SELECT {fn}(%s)", (pid,))
    t.join(10)
    conn.close()
    expected = {"cancel": "57014", "timeout": "57014", "terminate": "57P01"}[how]
    assert outcome.get("state") in (expected, None), outcome   # None: connection closed
    return pid


def _wake_latency(cluster):
    """A live waiter on 'w' and one enqueue: seconds until the waiter returns."""
    filler = cluster.connect()   # takes the backend slot freed by the victim
    waiter = psycopg.connect(cluster.dsn(application_name="waiter"), autocommit=True)
    got = {}

    def run():
        got["rows"] = waiter.execute(
            "SELECT id FROM pgqrs.dequeue_wait('w', 1, 5, NULL, 10)").fetchall()
        got["t"] = time.monotonic()

    t = threading.Thread(target=run, daemon=True)
    t.start()
    _waiting_pid(cluster, "waiter")
    time.sleep(0.05)
    with cluster.connect() as p:
        t0 = time.monotonic()
        p.execute("SELECT pgqrs.enqueue('w', '{}')")
    t.join(15)
    with cluster.connect() as p:
        p.execute("SELECT pgqrs.purge_queue('w')")
    waiter.close()
    filler.close()
    assert len(got.get("rows", [])) == 1
    return got["t"] - t0


def _latencies(cluster, how):
    out = []
    for _ in range(TRIALS):
        if how:
            _end_a_waiter(cluster, how)
        out.append(round(_wake_latency(cluster), 3))
    return out


def test_wake_latency_baseline(cluster):
    lat = _latencies(cluster, None)
    print(f"\nwake latency, no fault: {lat}")
    assert max(lat) < WAKE_BOUND, lat


@pytest.mark.parametrize("how", ["cancel", "timeout"])
def test_wake_after_cancelled_waiter(cluster, how):
    lat = _latencies(cluster, how)
    print(f"\nwake latency after a waiter ended by {how}: {lat}")
    assert max(lat) < WAKE_BOUND, lat


def test_wake_after_terminated_waiter(cluster):
    lat = _latencies(cluster, "terminate")
    print(f"\nwake latency after a waiter was terminated: {lat}")
    assert max(lat) < WAKE_BOUND, lat
