"""The claim frontier (docs/claim-frontier.md) with priorities and ordered
groups: the paths by which they make a message claimable where claims may
already have passed, and a claim from the start as the reference.

A message waiting behind its group's head is held (a vt after the year
100000); when the head leaves (archive, delete, buried as exhausted) it gets
back the vt it had (held_vt) or now, whichever is later: the statement that
lets it go must lower the frontier. set_priority moves a waiting message ahead of others. Each test
first makes the frontier pass the message's place, checks that it did, then
lets the writer finish, and asserts that the next dequeue returns the
message. Periodic resets are off so that none can hide a missing lowering.
"""
import random
import time

import pytest

from cluster import with_pgqrs
from frontier_checks import below_frontier as _below_frontier
from frontier_checks import conn as _conn
from frontier_checks import found_below as _found_below
from frontier_checks import ids as _ids
from frontier_checks import one as _one
from frontier_checks import passed as _passed


@pytest.fixture(scope="module")
def cluster():
    yield from with_pgqrs("group-frontier", {"pgqrs.frontier_reset_seconds": "0"})





def _poll(conn, queue, n=1, lock=300):
    return sorted(_ids(conn, "SELECT id FROM pgqrs.dequeue(%s, %s, %s)", (queue, n, lock)))






def _group(conn, queue, n, max_attempts=1000):
    """A queue with n messages in group 'g', then one without a group; returns their ids."""
    conn.execute("SELECT pgqrs.create_queue(%s, %s)", (queue, max_attempts))
    ids = _ids(conn, "SELECT pgqrs.enqueue_batch(%s, array_fill('{}'::jsonb, ARRAY[%s]), "
                     "group_keys => array_fill('g'::text, ARRAY[%s]))", (queue, n, n))
    return ids + [_one(conn, "SELECT pgqrs.enqueue(%s, '{}')", (queue,))]


# the head leaves the queue after claims passed the place of the message behind it
@pytest.mark.parametrize("call", ["archive", "delete", "archive_batch", "delete_batch"])
@pytest.mark.parametrize("late_commit", [False, True])
def test_head_leaves(cluster, call, late_commit):
    with _conn(cluster) as c1, _conn(cluster) as c2:
        q = f"gf_{call}_{int(late_commit)}"
        g1, g2, free = _group(c1, q, 2)
        held_vt = _one(c1, "SELECT held_vt FROM pgqrs.messages WHERE id = %s", (g2,))
        assert held_vt is not None
        assert _poll(c1, q, 10) == [g1, free]
        assert _poll(c2, q) == []
        assert _passed(c2, q, held_vt)
        sql = {"archive": "SELECT pgqrs.archive(%s)", "delete": "SELECT pgqrs.delete(%s)",
               "archive_batch": "SELECT count(*) = 1 FROM pgqrs.archive_batch(ARRAY[%s]::bigint[])",
               "delete_batch": "SELECT count(*) = 1 FROM pgqrs.delete_batch(ARRAY[%s]::bigint[])"}[call]
        if late_commit:
            c1.execute("BEGIN")
        assert _one(c1, sql, (g1,)) is True
        if late_commit:
            assert _poll(c2, q) == []  # g2 is locked by the open transaction
            assert _passed(c2, q, held_vt)
            c1.execute("COMMIT")
        assert _poll(c2, q) == [g2]
        assert _below_frontier(c2, q) == 0


# an exhausted head is buried by the claim that meets it: the message behind it
# goes to that claim or the next, whichever claims passed its place meanwhile
def test_head_buried(cluster):
    with _conn(cluster) as c1, _conn(cluster) as c2:
        q = "gf_bury"
        g1, g2, free = _group(c1, q, 2, max_attempts=1)
        assert _poll(c1, q, 10, lock=1) == [g1, free]
        assert _one(c1, "SELECT pgqrs.archive(%s)", (free,)) is True
        assert _poll(c2, q) == []
        time.sleep(1.2)  # g1's only attempt ended: exhausted
        got = _poll(c2, q) + _poll(c2, q)
        assert got == [g2]
        assert [r[0] for r in c2.execute("SELECT id FROM pgqrs.dlq(%s)", (q,)).fetchall()] == [g1]
        assert _below_frontier(c2, q) == 0


# the head's lease rolled back, released or expired: it comes back first
@pytest.mark.parametrize("end", ["rollback", "release", "expiry"])
def test_head_comes_back(cluster, end):
    with _conn(cluster) as c1, _conn(cluster) as c2:
        q = f"gf_back_{end}"
        g1, g2, free = _group(c1, q, 2)
        if end == "rollback":
            c1.execute("BEGIN")
        assert _poll(c1, q, 10, lock=1 if end == "expiry" else 300) == [g1, free]
        assert _poll(c2, q) == []
        if end == "rollback":
            c1.execute("ROLLBACK")
        elif end == "release":
            assert _one(c1, "SELECT pgqrs.release(ARRAY[%s]::bigint[])", (g1,)) == 1
        else:
            time.sleep(1.2)
        # free was leased with g1: it comes back with it, except after g1's release
        assert _poll(c2, q, 10) == [g1] + ([] if end == "release" else [free])
        assert _poll(c2, q, 10) == []


# a waiting message raised above older ones; raised in a transaction that
# commits after a claim skipped it (locked) and passed its place
@pytest.mark.parametrize("late_commit", [False, True])
def test_set_priority(cluster, late_commit):
    with _conn(cluster) as c1, _conn(cluster) as c2:
        q = f"gf_prio_{int(late_commit)}"
        c1.execute("SELECT pgqrs.create_queue(%s)", (q,))
        m = _ids(c1, "SELECT pgqrs.enqueue_batch(%s, array_fill('{}'::jsonb, ARRAY[4]))", (q,))
        assert _poll(c2, q, 2) == m[:2]
        if late_commit:
            c1.execute("BEGIN")
        assert _one(c1, "SELECT pgqrs.set_priority(%s, 5)", (m[3],)) is True
        if late_commit:
            assert _poll(c2, q, 10) == [m[2]]  # m[3] is locked by the open transaction
            assert _passed(c2, q, _one(c2, "SELECT vt FROM pgqrs.messages WHERE id = %s", (m[3],)))
            c1.execute("COMMIT")
            assert _poll(c2, q) == [m[3]]
        else:
            assert _poll(c2, q) == [m[3]]
            assert _poll(c2, q) == [m[2]]
        assert _below_frontier(c2, q) == 0


# the same rows as a claim from the start would take, under random operations
# with priorities and groups: the first n claimable rows by (priority desc, vt, id)
def test_equivalence_with_a_scan_from_the_start(cluster):
    rng = random.Random(18)
    groups = [None, None, "a", "b", "c", "d"]
    with _conn(cluster) as c, _conn(cluster) as side:
        q = "gf_equiv"
        c.execute("SELECT pgqrs.create_queue(%s, 1000)", (q,))
        held = []  # ids leased and not finished
        checked = 0
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            op = rng.random()
            if op < 0.2:
                c.execute("SELECT pgqrs.enqueue(%s, '{}', %s, priority => %s, group_key => %s)",
                          (q, rng.choice([0, 0, 0, 1]), rng.choice([0, 0, 3, 9]), rng.choice(groups)))
            elif op < 0.3:
                n = rng.randint(2, 6)
                c.execute("SELECT pgqrs.enqueue_batch(%s, array_fill('{}'::jsonb, ARRAY[%s]), %s, "
                          "priorities => %s::int[], group_keys => %s::text[])",
                          (q, n, rng.choice([0, 0, 1]), [rng.choice([0, 5]) for _ in range(n)],
                           [rng.choice(groups) for _ in range(n)]))
            elif op < 0.35:
                waiting = _ids(side, "SELECT m.id FROM pgqrs.messages m JOIN pgqrs.queues q "
                                     "ON q.id = m.queue_id WHERE q.queue_name = %s "
                                     "AND m.vt <= clock_timestamp()", (q,))
                if waiting:
                    c.execute("SELECT pgqrs.set_priority(%s, %s)", (rng.choice(waiting), rng.randint(0, 9)))
            elif op < 0.75:
                n = rng.randint(1, 5)
                before = {r[0]: (r[1], r[2]) for r in side.execute(
                    "SELECT m.id, m.vt, m.priority FROM pgqrs.messages m "
                    "JOIN pgqrs.queues q ON q.id = m.queue_id WHERE q.queue_name = %s "
                    "AND m.held_vt IS NULL", (q,)).fetchall()}  # held rows: vt infinity
                t0 = _one(side, "SELECT clock_timestamp()")
                rollback = rng.random() < 0.15
                c.execute("BEGIN")
                rows = c.execute("SELECT id, dequeued_at FROM pgqrs.dequeue(%s, %s, %s)",
                                 (q, n, rng.choice([1, 1, 2, 30]))).fetchall()
                c.execute("ROLLBACK" if rollback else "COMMIT")
                got = [r[0] for r in rows]
                at = rows[0][1] if rows else t0
                expected = sorted((-p, vt, i) for i, (vt, p) in before.items() if vt <= at)[:n]
                # a claim returns its rows highest priority first, then by id
                assert got == [i for _, i in sorted((p, i) for p, _, i in expected)], (got, expected)
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
            # a group has one head (a message not held) whenever it has messages
            bad = side.execute(
                "SELECT m.group_key FROM pgqrs.messages m JOIN pgqrs.queues q ON q.id = m.queue_id "
                "WHERE q.queue_name = %s AND m.group_key IS NOT NULL GROUP BY 1 "
                "HAVING count(*) FILTER (WHERE m.held_vt IS NULL) <> 1", (q,)).fetchall()
            assert bad == [], bad
            if rng.random() < 0.2:
                time.sleep(rng.choice([0.01, 0.05, 0.3]))
        assert checked > 50
        assert _below_frontier(side, q) == 0
        assert _found_below(side, q) == 0
