"""The calls that find messages by id do so while the xmin horizon is pinned.

During a pin, ANALYZE (autovacuum's) counts only the live rows of
pgqrs.messages while its indexes keep an entry for every version. With few
live rows the planner thinks a primary-key lookup reads dozens of pages and
that a worker's few leases are cheapest found through messages_consumer_idx,
which holds every lease the worker took since the pin began; with none (or
one) it thinks every index is a page and walks the whole claim index
(queue_id, vt, id) for the ids, its third column. A call that finished a lease
walked them all: in the pressure suite every archive read about 125,000
entries of messages_consumer_idx after 8 minutes, and later, at capacity, the
claim's own lease UPDATE and archive_batch walked the claim index. Each call
here must touch next to nothing of the table and its indexes.

Measured in buffers (pg_statio): a bitmap scan counts in idx_tup_read only
the entries it returns, not the ones it walks past. Autovacuum is off and the
frontier audit never runs, so only these calls touch the table.
"""
import pytest

from cluster import with_pgqrs
from frontier_checks import conn as _conn
from frontier_checks import one as _one

QUEUE = "pinned_plans"
LEASES = 100000  # taken and archived by the worker during the pin: two B-tree levels under each index
CALLS = 6        # past the plan cache's first custom plans
MOST_BUFFERS = 400  # for CALLS calls; a walk of the claim index alone is over 1,000


@pytest.fixture(scope="module")
def cluster():
    yield from with_pgqrs("pinned-plans", settings={"autovacuum": "off",
                                                    "pgqrs.frontier_reset_seconds": "0"})


def _messages_buffers(c) -> int:
    """Buffers of pgqrs.messages and of its indexes read or found in shared buffers."""
    c.execute("SELECT pg_stat_force_next_flush()")  # this backend's counts, now
    return _one(c, "SELECT (SELECT sum(idx_blks_hit + idx_blks_read) FROM pg_statio_user_indexes "
                   "        WHERE schemaname = 'pgqrs' AND relname = 'messages') "
                   "     + (SELECT heap_blks_hit + heap_blks_read FROM pg_statio_user_tables "
                   "        WHERE schemaname = 'pgqrs' AND relname = 'messages')")


@pytest.fixture(scope="module", params=[0, 50], ids=["no live rows", "50 live rows"])
def pinned(cluster, request):
    """A worker that took and archived LEASES messages under a pinned horizon,
    `live` messages waiting in another queue, and statistics as autovacuum
    leaves them then."""
    live = request.param
    with _conn(cluster) as c, _conn(cluster) as pin:
        c.execute("SELECT pgqrs.create_queue(%s)", (QUEUE,))  # deleted below, as is the next
        c.execute("SELECT pgqrs.create_queue(%s)", (QUEUE + "_idle",))
        if live:
            c.execute("SELECT count(*) FROM pgqrs.enqueue_batch(%s, array_fill('{}'::jsonb, ARRAY[%s]))",
                      (QUEUE + "_idle", live))
        worker = _one(c, "SELECT id FROM pgqrs.register_worker('pinned', 1, %s)", (QUEUE,))
        pin.execute("BEGIN ISOLATION LEVEL REPEATABLE READ")
        pin.execute("SELECT count(*) FROM pgqrs.queues")
        for _ in range(LEASES // 500):
            c.execute("SELECT count(*) FROM pgqrs.enqueue_batch(%s, array_fill('{}'::jsonb, ARRAY[500]))",
                      (QUEUE,))
            c.execute("SELECT count(*) FROM pgqrs.archive_batch(ARRAY(SELECT id FROM pgqrs.dequeue("
                      "%s, 500, 30, %s)), %s)", (QUEUE, worker, worker))
        c.execute("ANALYZE pgqrs.messages")
        yield c, worker
        pin.execute("ROLLBACK")
        for q in (QUEUE, QUEUE + "_idle"):
            c.execute("SELECT pgqrs.delete_queue(%s, true)", (q,))


def _leased(c, worker, n=1):
    c.execute("SELECT count(*) FROM pgqrs.enqueue_batch(%s, array_fill('{}'::jsonb, ARRAY[%s]))",
              (QUEUE, n))
    rows = c.execute("SELECT id, read_ct FROM pgqrs.dequeue(%s, %s, 30, %s)",
                     (QUEUE, n, worker)).fetchall()
    assert len(rows) == n
    return [r[0] for r in rows], [r[1] for r in rows]


FINISHING_CALLS = {
    "archive": "SELECT pgqrs.archive(%(id)s, %(worker)s, %(attempt)s)",
    "delete": "SELECT pgqrs.delete(%(id)s, %(worker)s, %(attempt)s)",
    "archive_batch": "SELECT count(*) FROM pgqrs.archive_batch(%(ids)s, %(worker)s, %(attempts)s)",
    "delete_batch": "SELECT count(*) FROM pgqrs.delete_batch(%(ids)s, %(worker)s, %(attempts)s)",
    "extend_visibility": "SELECT pgqrs.extend_visibility(%(id)s, 60, %(worker)s, %(attempt)s)",
    "release": "SELECT pgqrs.release(%(ids)s, %(worker)s, %(attempts)s, 0)",
}


@pytest.mark.parametrize("call", list(FINISHING_CALLS))
def test_a_finishing_call_does_not_walk_the_workers_old_leases(pinned, call):
    c, worker = pinned
    for n in (1, 3):
        ids, attempts = _leased(c, worker, n)
        before = _messages_buffers(c)
        for _ in range(CALLS):
            c.execute(FINISHING_CALLS[call], {"id": ids[0], "ids": ids, "worker": worker,
                                              "attempt": attempts[0], "attempts": attempts})
        touched = _messages_buffers(c) - before
        assert touched < MOST_BUFFERS, f"{CALLS} calls of {call} for {n} touched {touched} buffers"
        c.execute("SELECT count(*) FROM pgqrs.delete_batch(%s)", (ids,))


def test_a_claim_leases_its_rows_by_id(pinned):
    """The claim finds its rows from the frontier, then leases them by id."""
    c, worker = pinned
    for n in (1, 3):
        c.execute("SELECT count(*) FROM pgqrs.enqueue_batch(%s, array_fill('{}'::jsonb, ARRAY[%s]))",
                  (QUEUE, CALLS * n))
        before = _messages_buffers(c)
        taken = [r[0] for _ in range(CALLS)
                 for r in c.execute("SELECT id FROM pgqrs.dequeue(%s, %s, 30, %s)",
                                    (QUEUE, n, worker)).fetchall()]
        touched = _messages_buffers(c) - before
        assert len(taken) == CALLS * n
        assert touched < MOST_BUFFERS, f"{CALLS} claims of {n} touched {touched} buffers"
        c.execute("SELECT count(*) FROM pgqrs.delete_batch(%s)", (taken,))


def test_set_priority_finds_its_row_by_id(pinned):
    c, _ = pinned
    ids = [r[0] for r in c.execute("SELECT * FROM pgqrs.enqueue_batch(%s, array_fill('{}'::jsonb, "
                                   "ARRAY[%s]))", (QUEUE, CALLS)).fetchall()]
    before = _messages_buffers(c)
    for i in ids:
        assert _one(c, "SELECT pgqrs.set_priority(%s, 1)", (i,)) is True
    touched = _messages_buffers(c) - before
    assert touched < MOST_BUFFERS, f"{CALLS} calls of set_priority touched {touched} buffers"
    c.execute("SELECT count(*) FROM pgqrs.delete_batch(%s)", (ids,))
