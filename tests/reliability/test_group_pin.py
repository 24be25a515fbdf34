"""Ordered groups while the xmin horizon is pinned (docs/claim-frontier.md).

Claims stay flat under a pin thanks to the claim frontier; the step that lets
a group's next message go must stay flat too. One group of 3,000 messages is
drained one by one (dequeue, archive) while a REPEATABLE READ snapshot pins
the horizon; the index entries read in pgqrs.messages' indexes
(pg_stat_user_indexes.idx_tup_read) per message consumed are sampled per
1,000 messages. Without a pin about 10 are read per message. Under the pin
nothing can be marked dead, so a lookup of the group's next message that
scans the group from its first id walks every version the group left since
the pin began: its reads grow with the messages consumed, and the drain of a
hot group becomes quadratic.
"""
import psycopg
import pytest

from cluster import Cluster

MESSAGES = 3000
CHUNK = 1000
MAX_READS_PER_MESSAGE = 50


@pytest.fixture(scope="module")
def cluster():
    c = Cluster("group-pin")
    c.start()
    with c.connect() as conn:
        conn.execute("CREATE EXTENSION pgqrs")
    yield c
    c.destroy()


def _index_reads(conn) -> int:
    conn.execute("SELECT pg_stat_force_next_flush()")
    conn.execute("SELECT pg_stat_clear_snapshot()")
    return conn.execute("SELECT sum(idx_tup_read)::bigint FROM pg_stat_user_indexes "
                        "WHERE schemaname = 'pgqrs' AND relname = 'messages'").fetchone()[0]


@pytest.mark.parametrize("pinned", [False, True])
def test_hot_group_drain_stays_flat(cluster, pinned):
    q = f"pin_hot_{int(pinned)}"
    with cluster.connect(options="-c synchronous_commit=off") as c, cluster.connect() as holder:
        c.execute("SELECT pgqrs.create_queue(%s)", (q,))
        c.execute("SELECT count(*) FROM pgqrs.enqueue_batch(%s, array_fill('{}'::jsonb, ARRAY[%s]), "
                  "group_keys => array_fill('hot'::text, ARRAY[%s]))", (q, MESSAGES, MESSAGES))
        c.execute("VACUUM pgqrs.messages")
        if pinned:
            holder.execute("BEGIN ISOLATION LEVEL REPEATABLE READ")
            holder.execute("SELECT count(*) FROM pgqrs.queues")
        per_message = []
        before = _index_reads(c)
        for _ in range(MESSAGES // CHUNK):
            for _ in range(CHUNK):
                msg_id = c.execute("SELECT id FROM pgqrs.dequeue(%s, 1, 30)", (q,)).fetchone()[0]
                assert c.execute("SELECT pgqrs.archive(%s)", (msg_id,)).fetchone()[0]
            after = _index_reads(c)
            per_message.append(round((after - before) / CHUNK, 1))
            before = after
        if pinned:
            holder.execute("COMMIT")
        print(f"\nindex entries read per message, per {CHUNK} consumed (pinned: {pinned}): {per_message}")
        assert max(per_message) <= MAX_READS_PER_MESSAGE, \
            f"index entries read per message grew with the messages consumed: {per_message}"
