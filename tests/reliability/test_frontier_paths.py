"""The claim frontier (docs/claim-frontier.md): every path that can make a
message claimable below where claims start, each with two or three
connections in a fixed order, and a claim from the start as the reference.

Each test first makes the frontier pass the message's (future) place, checks
that it did (claim_frontier_stats), then lets the writer finish, and asserts
that the next dequeue returns the message: without the writer's lowering it
would stay below the frontier. Periodic resets are off
(pgqrs.frontier_reset_seconds = 0) so that none can hide a missing lowering.
"""
import datetime
import random
import threading
import time

import psycopg
import pytest

from cluster import Cluster, with_pgqrs
from frontier_checks import below_frontier as _below_frontier
from frontier_checks import conn as _conn
from frontier_checks import frontier as _frontier
from frontier_checks import ids as _ids
from frontier_checks import one as _one
from frontier_checks import passed as _passed


@pytest.fixture(scope="module")
def cluster():
    yield from with_pgqrs("frontier", {"max_prepared_transactions": "4",
                                       "pgqrs.frontier_reset_seconds": "0"})


def _stats(conn, queue):
    return conn.execute("SELECT raises, refused_raises, lowerings, resets, found_below "
                        "FROM pgqrs.claim_frontier_stats() WHERE queue_name = %s", (queue,)).fetchone()


def _vt(conn, msg_id):
    return _one(conn, "SELECT vt FROM pgqrs.messages WHERE id = %s", (msg_id,))


def _poll(conn, queue, n=1, lock=300):
    return _ids(conn, "SELECT id FROM pgqrs.dequeue(%s, %s, %s)", (queue, n, lock))


def _queue(conn, name):
    conn.execute("SELECT pgqrs.create_queue(%s, 1000)", (name,))
    return name


# a) a producer that commits after a later message was claimed
def test_late_producer_commit(cluster):
    with _conn(cluster) as p1, _conn(cluster) as p2, _conn(cluster) as c:
        q = _queue(c, "fp_late")
        p1.execute("BEGIN")
        m1 = _one(p1, "SELECT pgqrs.enqueue(%s, '{}')", (q,))
        m2 = _one(p2, "SELECT pgqrs.enqueue(%s, '{}')", (q,))
        assert _poll(c, q) == [m2]
        assert _poll(c, q) == []
        assert _passed(c, q, _vt(p1, m1))
        p1.execute("COMMIT")
        assert _poll(c, q) == [m1]
        assert _below_frontier(c, q) == 0


# b) a claim rolled back after another consumer claimed past it; also to a savepoint
@pytest.mark.parametrize("savepoint", [False, True])
def test_rolled_back_claim(cluster, savepoint):
    with _conn(cluster) as c1, _conn(cluster) as c2:
        q = _queue(c1, f"fp_rollback_{int(savepoint)}")
        m1, m2 = _ids(c1, "SELECT pgqrs.enqueue_batch(%s, ARRAY['{}', '{}']::jsonb[])", (q,))
        c1.execute("BEGIN")
        if savepoint:
            c1.execute("SAVEPOINT s")
        assert _poll(c1, q) == [m1]
        assert _poll(c2, q) == [m2]
        assert _poll(c2, q) == []
        old_vt = _one(c2, "SELECT enqueued_at FROM pgqrs.messages WHERE id = %s", (m1,))
        assert _passed(c2, q, old_vt)
        c1.execute("ROLLBACK TO s" if savepoint else "ROLLBACK")
        assert _poll(c2, q) == [m1]
        if savepoint:
            c1.execute("COMMIT")


# b) archive, delete and extend rolled back: the expired lease they locked is back
@pytest.mark.parametrize("call", ["archive", "delete", "extend"])
def test_rolled_back_finish(cluster, call):
    with _conn(cluster) as c1, _conn(cluster) as c2:
        q = _queue(c1, f"fp_finish_{call}")
        w = _one(c1, "SELECT id FROM pgqrs.register_worker(%s, 1, %s)", (f"h-{call}", q))
        m1 = _one(c1, "SELECT pgqrs.enqueue(%s, '{}')", (q,))
        assert _ids(c1, "SELECT id FROM pgqrs.dequeue(%s, 1, 1, %s)", (q, w)) == [m1]
        time.sleep(1.2)  # the lease has ended; the worker still holds it
        c1.execute("BEGIN")
        sql = {"archive": "SELECT pgqrs.archive(%s, %s)", "delete": "SELECT pgqrs.delete(%s, %s)",
               "extend": "SELECT pgqrs.extend_visibility(%s, 60, %s) IS NOT NULL"}[call]
        assert _one(c1, sql, (m1, w)) is True
        assert _poll(c2, q) == []  # skips the locked row
        assert _passed(c2, q, _vt(c2, m1))
        c1.execute("ROLLBACK")
        assert _poll(c2, q) == [m1]


# b) a statement cancelled after it locked rows, before it could note them
def test_statement_cancelled_after_locking(cluster):
    import threading
    with _conn(cluster) as c1, _conn(cluster) as c2, _conn(cluster) as c3:
        q = _queue(c1, "fp_cancelled")
        m1 = _one(c1, "SELECT pgqrs.enqueue(%s, '{}')", (q,))
        time.sleep(0.01)
        m2 = _one(c1, "SELECT pgqrs.enqueue(%s, '{}')", (q,))
        c2.execute("BEGIN")
        assert _one(c2, "SELECT pgqrs.archive(%s)", (m2,)) is True  # holds m2
        c1.execute("SET statement_timeout = '1s'")
        errors = []

        def archive_both():
            try:  # deletes m1, then waits for m2 until the timeout
                c1.execute("SELECT pgqrs.archive_batch(ARRAY[%s, %s]::bigint[])", (m1, m2))
            except psycopg.errors.QueryCanceled as e:
                errors.append(e)

        t = threading.Thread(target=archive_both)
        t.start()
        time.sleep(0.3)
        assert _poll(c3, q) == []
        assert _poll(c3, q) == []
        assert _passed(c3, q, _vt(c3, m2))
        t.join()
        assert len(errors) == 1
        c2.execute("ROLLBACK")  # lowers to m2's place only
        assert _poll(c3, q, 2) == [m1, m2]


# b) a claimer terminated while it holds its claim: the abort at its exit lowers
def test_terminated_claimer(cluster):
    c1 = _conn(cluster)
    with _conn(cluster) as c2:
        q = _queue(c1, "fp_terminated")
        m1 = _one(c1, "SELECT pgqrs.enqueue(%s, '{}')", (q,))
        c1.execute("BEGIN")
        assert _poll(c1, q) == [m1]
        assert _poll(c2, q) == []
        assert _poll(c2, q) == []
        assert _passed(c2, q, _one(c2, "SELECT enqueued_at FROM pgqrs.messages WHERE id = %s", (m1,)))
        assert _one(c2, "SELECT pg_terminate_backend(%s)", (c1.info.backend_pid,)) is True
        c1.close()
        deadline = time.monotonic() + 5
        got = []
        while not got and time.monotonic() < deadline:
            got = _poll(c2, q)
            time.sleep(0.01)
        assert got == [m1]


# c) release, reclaim_messages, shutdown_worker, register_worker takeover, replay_dlq
@pytest.mark.parametrize("writer", ["release", "reclaim", "shutdown", "takeover", "replay"])
def test_writers_that_make_messages_claimable(cluster, writer):
    with _conn(cluster) as c1, _conn(cluster) as c2:
        q = _queue(c1, f"fp_writer_{writer}")
        w = _one(c1, "SELECT id FROM pgqrs.register_worker(%s, 2, %s)", (f"h-{writer}", q))
        m1 = _one(c1, "SELECT pgqrs.enqueue(%s, '{}')", (q,))
        if writer == "replay":
            c1.execute("SELECT pgqrs.set_max_attempts(%s, 1)", (q,))
            assert _poll(c1, q, lock=1) == [m1]
            time.sleep(1.1)
            assert _poll(c1, q) == []  # buried as a dead letter
        else:
            assert _ids(c1, "SELECT id FROM pgqrs.dequeue(%s, 1, 300, %s)", (q, w)) == [m1]
        c1.execute("BEGIN")
        sql = {"release": "SELECT pgqrs.release(ARRAY[%s]::bigint[])" % m1,
               "reclaim": "SELECT pgqrs.reclaim_messages(%s, '0 seconds')",
               "shutdown": "SELECT status FROM pgqrs.shutdown_worker(%s)" % w,
               "takeover": "SELECT id FROM pgqrs.register_worker('h-takeover', 2, %s)",
               "replay": "SELECT pgqrs.replay_dlq(%s)"}[writer]
        c1.execute(sql, (q,) if "%s" in sql else ())
        time.sleep(0.05)
        assert _poll(c2, q) == []
        row_vt = _vt(c1, m1)  # as this transaction made it
        assert _passed(c2, q, row_vt), (row_vt, _frontier(c2, q))
        c1.execute("COMMIT")
        assert _poll(c2, q) == [m1]


# d) a lease ending after empty polls raised the frontier up to then
def test_lease_expiry_after_empty_polls(cluster):
    with _conn(cluster) as c:
        q = _queue(c, "fp_expiry")
        m1 = _one(c, "SELECT pgqrs.enqueue(%s, '{}')", (q,))
        assert _poll(c, q, lock=1) == [m1]
        deadline = time.monotonic() + 5
        got = []
        while not got and time.monotonic() < deadline:
            got = _poll(c, q)
            time.sleep(0.02)
        assert got == [m1]
        assert _stats(c, q)[0] > 10  # the polls did raise it


# e) a lease that commits later than its own end
def test_lease_committed_after_its_end(cluster):
    with _conn(cluster) as c1, _conn(cluster) as c2:
        q = _queue(c1, "fp_late_lease")
        m1 = _one(c1, "SELECT pgqrs.enqueue(%s, '{}')", (q,))
        c1.execute("BEGIN")
        assert _poll(c1, q, lock=1) == [m1]
        time.sleep(1.2)
        assert _poll(c2, q) == []
        lease_end = _vt(c1, m1)
        assert _passed(c2, q, lease_end)
        c1.execute("COMMIT")
        assert _poll(c2, q) == [m1]


# f) a suspended worker's empty dequeue must not raise the frontier
def test_suspended_worker_does_not_raise(cluster):
    with _conn(cluster) as c:
        q = _queue(c, "fp_suspended")
        w = _one(c, "SELECT id FROM pgqrs.register_worker('h-susp', 3, %s)", (q,))
        assert _poll(c, q) == []  # the queue has a frontier
        c.execute("SELECT pgqrs.suspend_worker(%s)", (w,))
        m1 = _one(c, "SELECT pgqrs.enqueue(%s, '{}')", (q,))
        time.sleep(0.01)
        before = _stats(c, q)
        assert _ids(c, "SELECT id FROM pgqrs.dequeue(%s, 1, 30, %s)", (q, w)) == []
        assert _stats(c, q)[0] == before[0]
        c.execute("SELECT pgqrs.resume_worker(%s)", (w,))
        assert _ids(c, "SELECT id FROM pgqrs.dequeue(%s, 1, 30, %s)", (q, w)) == [m1]


# g) a REPEATABLE READ caller scans from the start and never raises
def test_repeatable_read_caller(cluster):
    with _conn(cluster) as rr, _conn(cluster) as p, _conn(cluster) as c:
        q = _queue(c, "fp_rr")
        assert _poll(c, q) == []
        rr.execute("BEGIN ISOLATION LEVEL REPEATABLE READ")
        rr.execute("SELECT 1")
        m1 = _one(p, "SELECT pgqrs.enqueue(%s, '{}')", (q,))
        time.sleep(0.01)
        before = _stats(c, q)
        assert _poll(rr, q) == []  # its snapshot is older than the message
        rr.execute("COMMIT")
        assert _stats(c, q)[0] == before[0]
        assert _poll(c, q) == [m1]


# h) prepared transactions: COMMIT PREPARED and ROLLBACK PREPARED restart the database's frontiers
def test_prepared_enqueue_and_claim(cluster):
    with _conn(cluster) as c1, _conn(cluster) as c2:
        q = _queue(c1, "fp_prepared")
        c1.execute("BEGIN")
        m1 = _one(c1, "SELECT pgqrs.enqueue(%s, '{}')", (q,))
        m1_vt = _vt(c1, m1)
        c1.execute("PREPARE TRANSACTION 'fp_enqueue'")
        assert _poll(c2, q) == []  # the queue's first claim takes its slot
        assert _poll(c2, q) == []
        assert _passed(c2, q, m1_vt)
        c2.execute("COMMIT PREPARED 'fp_enqueue'")
        assert _poll(c2, q) == [m1]
        m2 = _one(c1, "SELECT pgqrs.enqueue(%s, '{}')", (q,))
        c1.execute("BEGIN")
        assert _poll(c1, q) == [m2]
        c1.execute("PREPARE TRANSACTION 'fp_claim'")
        assert _poll(c2, q) == []
        assert _passed(c2, q, _vt(c2, m2))
        c2.execute("ROLLBACK PREPARED 'fp_claim'")
        assert _poll(c2, q) == [m2]


# i) a restart forgets every frontier; a prepared enqueue survives it and still lowers
def test_restart(cluster):
    with _conn(cluster) as c1:
        q = _queue(c1, "fp_restart")
        m1 = _one(c1, "SELECT pgqrs.enqueue(%s, '{}')", (q,))
        c1.execute("BEGIN")
        m2 = _one(c1, "SELECT pgqrs.enqueue(%s, '{}')", (q,))
        m2_vt = _vt(c1, m2)
        c1.execute("PREPARE TRANSACTION 'fp_restart'")
        assert _poll(c1, q, lock=1) == [m1]
        assert _poll(c1, q) == []
    cluster.stop()
    cluster.start()
    with _conn(cluster) as c2:
        assert _frontier(c2, q) is None
        time.sleep(1.1)
        assert _poll(c2, q) == [m1]  # its lease ended
        assert _poll(c2, q) == []
        assert _passed(c2, q, m2_vt)
        c2.execute("COMMIT PREPARED 'fp_restart'")
        assert _poll(c2, q) == [m2]


# j) (vt, id) ties from enqueue_batch, across claims and a rollback inside the tie
def test_ties_across_claims(cluster):
    with _conn(cluster) as c1, _conn(cluster) as c2:
        q = _queue(c1, "fp_ties")
        ids = _ids(c1, "SELECT pgqrs.enqueue_batch(%s, array_fill('{}'::jsonb, ARRAY[10]))", (q,))
        c1.execute("BEGIN")
        assert _poll(c1, q, 4) == ids[0:4]
        assert _poll(c2, q, 4) == ids[4:8]
        f = _frontier(c2, q)
        assert f is not None and f[1] == ids[7]
        c1.execute("ROLLBACK")
        assert _poll(c2, q, 3) == ids[0:3]
        assert _poll(c2, q, 3) == [ids[3], ids[8], ids[9]]
        assert _poll(c2, q, 3) == []


# A queue deleted and created again under its name: the claim checks the id it read F for
def test_recreated_queue(cluster):
    with _conn(cluster) as c1, _conn(cluster) as c2:
        q = _queue(c1, "fp_recreated")
        assert _poll(c1, q) == []
        c2.execute("SELECT pgqrs.delete_queue(%s, true)", (q,))
        _queue(c2, q)
        m1 = _one(c2, "SELECT pgqrs.enqueue(%s, '{}', 0)", (q,))
        assert _poll(c1, q) == [m1]


# A rolled-back purge puts every message back
def test_rolled_back_purge(cluster):
    with _conn(cluster) as c1, _conn(cluster) as c2:
        q = _queue(c1, "fp_purge")
        m1 = _one(c1, "SELECT pgqrs.enqueue(%s, '{}')", (q,))
        c1.execute("BEGIN")
        c1.execute("SELECT pgqrs.purge_queue(%s)", (q,))
        assert _poll(c2, q) == []  # the queue's first claim takes its slot
        assert _poll(c2, q) == []
        assert _passed(c2, q, _vt(c2, m1))
        c1.execute("ROLLBACK")
        assert _poll(c2, q) == [m1]


# Direct DML bypasses the frontier: the periodic reset finds (and counts) the row, as does the reset function
def test_direct_dml_found_below_and_reset(cluster):
    with _conn(cluster) as c:
        q = _queue(c, "fp_dml")
        m1 = _one(c, "SELECT pgqrs.enqueue(%s, '{}')", (q,))
        assert _poll(c, q) == [m1]
        assert _poll(c, q) == []
        c.execute("UPDATE pgqrs.messages SET vt = now() - interval '1 hour' WHERE id = %s", (m1,))
        assert _poll(c, q) == []  # below the frontier: not seen
        c.execute("SET pgqrs.frontier_reset_seconds = 1")
        time.sleep(1.1)
        assert _poll(c, q) == [m1]  # the periodic reset found it
        assert _stats(c, q)[3:] == (1, 1)
        c.execute("RESET pgqrs.frontier_reset_seconds")
        assert _poll(c, q) == []
        c.execute("UPDATE pgqrs.messages SET vt = now() - interval '1 hour' WHERE id = %s", (m1,))
        assert _one(c, "SELECT pgqrs.reset_claim_frontier(%s)", (q,)) == 1
        assert _poll(c, q) == [m1]
        assert _stats(c, q)[3] == 2


# k) the same rows in the same order as a scan from the start, under random operations
def test_equivalence_with_a_scan_from_the_start(cluster):
    rng = random.Random(17)
    with _conn(cluster) as c, _conn(cluster) as side:
        q = _queue(c, "fp_equiv")
        held = []  # ids leased and not finished
        checked = 0
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            op = rng.random()
            if op < 0.25:
                c.execute("SELECT pgqrs.enqueue(%s, '{}', %s)", (q, rng.choice([0, 0, 0, 1])))
            elif op < 0.35:
                c.execute("SELECT pgqrs.enqueue_batch(%s, array_fill('{}'::jsonb, ARRAY[%s]), %s)",
                          (q, rng.randint(2, 6), rng.choice([0, 0, 1])))
            elif op < 0.75:
                n = rng.randint(1, 5)
                before = {r[0]: r[1] for r in side.execute(
                    "SELECT m.id, m.vt FROM pgqrs.messages m JOIN pgqrs.queues q ON q.id = m.queue_id "
                    "WHERE q.queue_name = %s", (q,)).fetchall()}
                t0 = _one(side, "SELECT clock_timestamp()")
                rollback = rng.random() < 0.15
                c.execute("BEGIN")
                rows = c.execute("SELECT id, dequeued_at FROM pgqrs.dequeue(%s, %s, %s)",
                                 (q, n, rng.choice([1, 1, 2, 30]))).fetchall()
                c.execute("ROLLBACK" if rollback else "COMMIT")
                got = [r[0] for r in rows]
                at = rows[0][1] if rows else t0
                expected = sorted((vt, i) for i, vt in before.items() if vt <= at)[:n]
                # the first n in (vt, id) order; a claim returns them by id
                assert got == sorted(i for _, i in expected), (got, expected)
                checked += 1
                if not rollback:
                    held += got
            elif held:
                m = held.pop(rng.randrange(len(held)))
                kind = rng.choice(["archive", "delete", "release", "extend", "keep"])
                if kind == "archive":
                    c.execute("SELECT pgqrs.archive(%s)", (m,))
                elif kind == "delete":
                    c.execute("SELECT pgqrs.delete(%s)", (m,))
                elif kind == "release":
                    c.execute("SELECT pgqrs.release(ARRAY[%s]::bigint[])", (m,))
                elif kind == "extend":
                    c.execute("SELECT pgqrs.extend_visibility(%s, 1)", (m,))
            if rng.random() < 0.2:
                time.sleep(rng.choice([0.01, 0.05, 0.3]))
        assert checked > 50
        assert _below_frontier(side, q) == 0
        assert _stats(side, q)[4] == 0


# Without shared_preload_libraries: no frontier, claims scan from the start as before
def test_without_preloading():
    c = Cluster("frontier-nopreload", preload=False)
    try:
        c.start()
        with psycopg.connect(c.dsn(), autocommit=True) as conn:
            conn.execute("CREATE EXTENSION pgqrs")
            q = _queue(conn, "fp_nopreload")
            ids = _ids(conn, "SELECT pgqrs.enqueue_batch(%s, array_fill('{}'::jsonb, ARRAY[3]))", (q,))
            assert _poll(conn, q, 2) == ids[:2]
            assert _poll(conn, q, 2) == ids[2:]
            assert _ids(conn, "SELECT queue_name FROM pgqrs.claim_frontier_stats()") == []
            assert _one(conn, "SELECT pgqrs.reset_claim_frontier()") == 0
            assert _one(conn, "SELECT count(*) FROM pg_settings WHERE name = 'pgqrs.frontier_queues'") == 0
        assert not c.crash_lines()
    finally:
        c.destroy()


# l) a claim that more than the ring's 128 lowerings passed while it ran still raises
def test_a_claim_far_behind_still_raises(cluster):
    writers = [_conn(cluster) for _ in range(3)]
    with _conn(cluster) as c, _conn(cluster) as locker:
        q = _queue(c, "fp_far_behind")
        assert _poll(c, q) == []  # the queue has a frontier
        ids = []
        for w in writers:  # 3 x 60 subtransactions: 180 lowerings at their commits
            w.execute("BEGIN")
            for _ in range(60):
                w.execute("SAVEPOINT s")
                ids.append(_one(w, "SELECT pgqrs.enqueue(%s, '{}')", (q,)))
                w.execute("RELEASE SAVEPOINT s")
        first_vt = _vt(writers[0], ids[0])
        # the lock waits for the writers' locks on workers, and the claim, after
        # it read the frontier, waits behind the lock
        locker.execute("BEGIN")
        lock = threading.Thread(target=locker.execute,
                                args=("LOCK TABLE pgqrs.workers IN ACCESS EXCLUSIVE MODE",))
        lock.start()
        claimed = []
        claim = threading.Thread(target=lambda: claimed.extend(_ids(
            c, "SELECT id FROM pgqrs.dequeue(%s, 1000, 300)", (q,))))
        try:
            time.sleep(0.3)
            claim.start()
            time.sleep(0.3)
            assert claim.is_alive()
            for w in writers:
                w.execute("COMMIT")
        finally:
            for w in writers:
                w.close()
            lock.join()
            locker.execute("ROLLBACK")
            claim.join()
        assert sorted(claimed) == sorted(ids)
        assert _stats(c, q)[1] == 0  # no refused raise
        # raised up to the first lowering it could not see
        assert _passed(c, q, first_vt - datetime.timedelta(microseconds=1))
