"""The calls that finish a lease find their rows by id while the xmin horizon
is pinned.

During a pin, ANALYZE (autovacuum's) counts only the live rows of
pgqrs.messages while its indexes keep an entry for every version: the planner
then thinks a primary-key lookup reads dozens of pages and that the worker's
few leases are cheapest found through messages_consumer_idx, which holds every
lease the worker took since the pin began. A call that finishes one lease then
walked all of them: in the pressure suite every archive read about 125,000
entries of that index after 8 minutes, and the consumers stalled for seconds.
With no live row at all the planner instead walked the whole primary key with
a filter. Each call here must read next to nothing of the table and its
indexes.
"""
import pytest

from cluster import with_pgqrs
from frontier_checks import conn as _conn
from frontier_checks import one as _one

QUEUE = "pinned_plans"
LEASES = 3000  # taken and archived by the worker during the pin


@pytest.fixture(scope="module")
def cluster():
    yield from with_pgqrs("pinned-plans")


def _messages_reads(c) -> int:
    """Entries read from every index of pgqrs.messages and rows read by its scans."""
    c.execute("SELECT pg_stat_force_next_flush()")  # this backend's counts, now
    return _one(c, "SELECT (SELECT sum(idx_tup_read) FROM pg_stat_user_indexes "
                   "        WHERE schemaname = 'pgqrs' AND relname = 'messages') "
                   "     + (SELECT seq_tup_read FROM pg_stat_user_tables "
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
        for _ in range(LEASES // 100):
            c.execute("SELECT count(*) FROM pgqrs.enqueue_batch(%s, array_fill('{}'::jsonb, ARRAY[100]))",
                      (QUEUE,))
            c.execute("SELECT count(*) FROM pgqrs.archive_batch(ARRAY(SELECT id FROM pgqrs.dequeue("
                      "%s, 100, 30, %s)), %s)", (QUEUE, worker, worker))
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
        before = _messages_reads(c)
        for _ in range(6):  # past the plan cache's first custom plans
            c.execute(FINISHING_CALLS[call], {"id": ids[0], "ids": ids, "worker": worker,
                                              "attempt": attempts[0], "attempts": attempts})
        read = _messages_reads(c) - before
        assert read < 200, f"6 calls of {call} for {n} read {read} entries or rows of messages"
        c.execute("SELECT count(*) FROM pgqrs.delete_batch(%s)", (ids,))
