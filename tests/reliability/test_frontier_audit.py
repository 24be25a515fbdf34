"""The frontier's audit (claim_frontier_stats().found_below) counts missed
lowerings, not the window invariant I1 allows.

A writer's commit is visible a moment before its callback lowers the frontier;
a claim that resets the frontier in that moment finds the writer's row below
the old one. The test module probe/commit_pause.c stretches that moment to
seconds in one session, so the reset lands in it for certain. A row changed
behind pgqrs's back is still counted (test_frontier_paths.py,
test_direct_dml_found_below_and_reset).
"""
import os
import shutil
import subprocess
import tempfile
import threading
import time

import pytest

from cluster import with_pgqrs
from frontier_checks import conn as _conn
from frontier_checks import found_below as _found_below
from frontier_checks import ids as _ids
from frontier_checks import one as _one
from frontier_checks import passed as _passed

HERE = os.path.dirname(os.path.abspath(__file__))


def _build_commit_pause() -> str:
    """probe/commit_pause.c as a shared library the server (user postgres) can load."""
    out = tempfile.mkdtemp(prefix="pgqrs-commit-pause-")
    os.chmod(out, 0o755)
    cfg = os.environ.get("PG_CONFIG", "pg_config")
    include = subprocess.check_output([cfg, "--includedir-server"], text=True).strip()
    lib = os.path.join(out, "commit_pause.so")
    subprocess.run(["cc", "-shared", "-fPIC", "-O1", "-I", include,
                    os.path.join(HERE, "probe", "commit_pause.c"), "-o", lib], check=True)
    os.chmod(lib, 0o755)
    return lib


@pytest.fixture(scope="module")
def cluster():
    lib = _build_commit_pause()
    try:
        # after pgqrs: its commit callback runs first, before pgqrs lowers the frontier
        yield from with_pgqrs("frontier-audit", {"shared_preload_libraries": f"'pgqrs,{lib}'",
                                                 "pgqrs.frontier_reset_seconds": "0"})
    finally:
        shutil.rmtree(os.path.dirname(lib), ignore_errors=True)


def _poll(conn, queue):
    return _ids(conn, "SELECT id FROM pgqrs.dequeue(%s, 1, 300)", (queue,))


def test_a_reset_between_a_commit_and_its_lowering_finds_nothing_below(cluster):
    with _conn(cluster) as w, _conn(cluster) as c:
        q = "fa_window"
        c.execute("SELECT pgqrs.create_queue(%s, 1000)", (q,))
        assert _poll(c, q) == []  # the queue's first claim takes its slot
        w.execute("BEGIN")
        m = _one(w, "SELECT pgqrs.enqueue(%s, '{}')", (q,))
        vt = _one(w, "SELECT vt FROM pgqrs.messages WHERE id = %s", (m,))
        assert _poll(c, q) == []
        assert _passed(c, q, vt)  # the frontier is above m before m commits
        w.execute("SET commit_pause.ms = 4000")
        committed = threading.Thread(target=w.execute, args=("COMMIT",))
        committed.start()
        try:
            deadline = time.monotonic() + 3
            while _one(c, "SELECT count(*) FROM pgqrs.messages WHERE id = %s", (m,)) == 0:
                assert time.monotonic() < deadline, "the commit did not become visible"
                time.sleep(0.05)
            assert committed.is_alive()  # visible, and the frontier not lowered yet
            c.execute("SET pgqrs.frontier_reset_seconds = 1")
            time.sleep(1.1)
            assert _poll(c, q) == [m]  # this claim reset the frontier and found m
            assert committed.is_alive()
            assert _found_below(c, q) == 0
        finally:
            committed.join()
        w.execute("RESET commit_pause.ms")
        c.execute("RESET pgqrs.frontier_reset_seconds")
        assert _found_below(c, q) == 0
        assert _poll(c, q) == []


def test_the_periodic_audit_leaves_the_other_claims_where_they_were(cluster):
    """The claim that audits scans from the start alone: the frontier the other
    claims start from stays put, so a pin's pile is walked once per interval,
    not by every consumer until one raises again. A suspended worker's claim,
    which scans nothing, is the audit here and raises nothing."""
    with _conn(cluster) as c:
        q = "fa_private"
        c.execute("SELECT pgqrs.create_queue(%s, 1000)", (q,))
        w = _one(c, "SELECT id FROM pgqrs.register_worker('fa-susp', 3, %s)", (q,))
        assert _poll(c, q) == []  # the queue's first claim takes its slot
        m = _one(c, "SELECT pgqrs.enqueue(%s, '{}')", (q,))
        assert _poll(c, q) == [m]
        c.execute("SELECT pgqrs.archive(%s)", (m,))
        assert _poll(c, q) == []
        before = _one(c, "SELECT frontier_vt FROM pgqrs.claim_frontier_stats() "
                         "WHERE queue_name = %s", (q,))
        assert before is not None
        c.execute("SELECT pgqrs.suspend_worker(%s)", (w,))
        c.execute("SET pgqrs.frontier_reset_seconds = 1")
        time.sleep(1.1)
        assert _ids(c, "SELECT id FROM pgqrs.dequeue(%s, 1, 30, %s)", (q, w)) == []
        c.execute("RESET pgqrs.frontier_reset_seconds")
        after = c.execute("SELECT frontier_vt, resets, found_below FROM pgqrs.claim_frontier_stats() "
                          "WHERE queue_name = %s", (q,)).fetchone()
        assert after == (before, 1, 0)


def test_an_audit_in_the_writers_own_transaction_finds_nothing_below(cluster):
    """A transaction that releases a message and then claims: its own lowering
    comes at its commit, so the row lies below the frontier until then, and an
    audit in between has missed nothing."""
    with _conn(cluster) as t, _conn(cluster) as c:
        q = "fa_own"
        c.execute("SELECT pgqrs.create_queue(%s, 1000)", (q,))
        assert _poll(c, q) == []  # the queue's first claim takes its slot
        m = _one(c, "SELECT pgqrs.enqueue(%s, '{}')", (q,))
        assert _poll(c, q) == [m]
        t.execute("BEGIN")
        assert _one(t, "SELECT pgqrs.release(ARRAY[%s]::bigint[])", (m,)) == 1
        vt = _one(t, "SELECT vt FROM pgqrs.messages WHERE id = %s", (m,))
        assert _poll(c, q) == []
        assert _passed(c, q, vt)  # the frontier is above the released message
        t.execute("SET LOCAL pgqrs.frontier_reset_seconds = 1")
        time.sleep(1.1)
        assert _poll(t, q) == [m]  # the audit, in the releasing transaction
        t.execute("COMMIT")
        assert _found_below(c, q) == 0


def _audit_state(conn, queue):
    return conn.execute("SELECT resets, last_audit_seconds, next_audit_at, clock_timestamp() "
                        "FROM pgqrs.claim_frontier_stats() WHERE queue_name = %s",
                        (queue,)).fetchone()


def test_an_audit_holds_the_next_back_twenty_times_its_cost(cluster):
    """Under a pinned horizon an audit walks the whole pile; the next one waits
    20 times as long as that took (not just pgqrs.frontier_reset_seconds), so
    audits take at most a twentieth of one claimer's time, however big the pile.
    commit_pause.statement_ms makes the audit's claim take as long as a pile of
    millions of entries would."""
    q = "fa_spacing"
    with _conn(cluster) as admin, _conn(cluster) as c:
        admin.execute("SELECT pgqrs.create_queue(%s)", (q,))
        c.execute("SET pgqrs.frontier_reset_seconds = 1")
        _poll(c, q)  # takes the queue's slot
        resets, last, next_at, _ = _audit_state(c, q)
        assert resets == 0 and last is None and next_at is not None
        time.sleep(1.1)
        c.execute("SET commit_pause.statement_ms = 100")
        _poll(c, q)  # the audit: from the start, slowly
        c.execute("SET commit_pause.statement_ms = 0")
        resets, last, next_at, now = _audit_state(c, q)
        assert resets == 1 and last >= 0.1
        held = (next_at - now).total_seconds()
        assert held >= 20 * last - 0.5 > 1.0, (last, held)
        # claims go on all through the hold, and none of them audits
        while (next_at - c.execute("SELECT clock_timestamp()").fetchone()[0]).total_seconds() > 0.2:
            _poll(c, q)
            assert _audit_state(c, q)[0] == 1
            time.sleep(0.05)
        time.sleep(0.3)
        _poll(c, q)
        assert _audit_state(c, q)[0] == 2  # then the next audit comes
        c.execute("RESET pgqrs.frontier_reset_seconds")


def test_no_audit_while_one_runs_and_the_hold_is_at_most_twenty_intervals(cluster):
    """While one claim audits, no other starts an audit, however long it runs;
    after it the hold is 20 times its time, but at most 20 intervals of
    pgqrs.frontier_reset_seconds."""
    q = "fa_running"
    with _conn(cluster) as admin, _conn(cluster) as a, _conn(cluster) as b:
        admin.execute("SELECT pgqrs.create_queue(%s)", (q,))
        for c in (a, b):
            c.execute("SET pgqrs.frontier_reset_seconds = 1")
        _poll(a, q)  # takes the queue's slot
        time.sleep(1.1)
        a.execute("SET commit_pause.statement_ms = 1500")
        auditor = threading.Thread(target=_poll, args=(a, q))
        auditor.start()
        time.sleep(1.3)  # more than an interval into the audit
        _poll(b, q)
        assert _audit_state(b, q)[0] == 1  # b did not audit
        auditor.join()
        a.execute("SET commit_pause.statement_ms = 0")
        resets, last, next_at, now = _audit_state(b, q)
        assert resets == 1 and last >= 1.5
        held = (next_at - now).total_seconds()
        # the cap: 20 × last would be 30 s or more; the audit's call slept after it finished
        assert 20 - 5 <= held <= 20, (last, held)
        for c in (a, b):
            c.execute("RESET pgqrs.frontier_reset_seconds")
