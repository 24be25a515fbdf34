"""Group audit: ordered message groups and priorities, 8 consumer processes.

20,000 messages in short mode, 100,000 in long mode (`make reliability-groups`):
1,000 cold groups, 4 hot groups (4 % of the messages), 10 % without a group,
30 % with a random priority 1..9. Half is enqueued before the drain, the rest
by a producer process while 8 consumer processes drain with 1 s leases; they
release 2 % of their deliveries, archive 2 % only after the lease ended and
abandon 0.5 % (the lease expires). Every claim, archive and release is logged
with the server's clock (group_workload.py). Afterwards:

  - every message archived exactly once (0 lost, 0 doubled), by the holder of
    its last attempt, with the group and priority it was enqueued with;
  - per message: attempts 1..k, each after the previous lease ended (its vt,
    or its release);
  - per group: no two messages ever leased at the same time (the lease
    intervals of all deliveries of the group, ended by vt, archive or
    release, never overlap); the first delivery of each message comes after
    the archive of the one before it in the group, so first deliveries and
    archives follow the group's order;
  - the same from the archive table alone: per group in id order, archived_at
    never decreases and no message's last delivery precedes the archive of
    the one before;
  - nothing left: no message, no group row, verify() passes;
  - no message left below the claim frontier (resets every 5 s count them).

A lease starts at the claim's dequeued_at (read just before its snapshot) and
an archive or release is stamped just before its call: both are earlier than
the commit they stand for, by microseconds for a claim, by the whole call and
its commit for an archive, so a later claim's dequeued_at is never before it.
"""
import json
import os
from collections import defaultdict

import pytest

import group_workload
from cluster import Cluster, pick, results_dir
from group_workload import Plan

SEED = int(os.environ.get("PGQRS_SEED", "18"))


@pytest.fixture(scope="module")
def cluster():
    # frequent frontier resets: a message a missing lowering left below the
    # claim frontier is found soon (and counted in found_below)
    c = Cluster("groups", settings={"pgqrs.frontier_reset_seconds": "5"})
    c.start()
    with c.connect() as conn:
        conn.execute("CREATE EXTENSION pgqrs")
    yield c
    c.destroy()


def lease_intervals(ids, deliveries, ends):
    """id -> [(start, end, attempt, consumer)] by attempt; id -> successful archives."""
    by_id = defaultdict(list)
    for d in deliveries:
        by_id[d[0]].append(d)
    assert set(by_id) == set(ids), \
        f"delivered ids differ from enqueued ids: {len(set(ids) - set(by_id))} never delivered, " \
        f"{len(set(by_id) - set(ids))} unknown"
    ended = {}   # (id, attempt) -> clock before the archive or release that ended it
    archives = defaultdict(list)
    for msg_id, attempt, consumer, kind, ok, at in ends:
        if not ok:
            continue
        assert (msg_id, attempt) not in ended, f"id {msg_id} attempt {attempt} ended twice"
        ended[(msg_id, attempt)] = at
        if kind == "archive":
            archives[msg_id].append((attempt, consumer, at))
    leases = {}
    for msg_id in ids:
        ds = sorted(by_id[msg_id], key=lambda d: d[1])
        attempts = [d[1] for d in ds]
        assert attempts == list(range(1, len(ds) + 1)), f"id {msg_id}: attempts {attempts}"
        leases[msg_id] = [(d[3], min(d[4], ended.get((msg_id, d[1]), d[4])), d[1], d[2]) for d in ds]
    return leases, archives


def audit_clients(items, ids, res):
    leases, archives = lease_intervals(ids, res.deliveries, res.ends)
    archived_at = {}
    for msg_id in ids:
        ls = leases[msg_id]
        for prev, nxt in zip(ls, ls[1:]):
            assert nxt[0] >= prev[1], (
                f"id {msg_id}: attempt {nxt[2]} to consumer {nxt[3]} at {nxt[0]} while attempt "
                f"{prev[2]} of consumer {prev[3]} was leased until {prev[1]}")
        oks = archives.get(msg_id, [])
        assert len(oks) == 1, f"id {msg_id} archived {len(oks)} times"
        assert oks[0][:2] == (ls[-1][2], ls[-1][3]), \
            f"id {msg_id}: archived by attempt {oks[0][0]}, last delivery {ls[-1][2]}"
        archived_at[msg_id] = oks[0][2]

    groups = defaultdict(list)   # group -> ids in join order
    for n, (_, group) in enumerate(items):
        if group is not None:
            groups[group].append(ids[n])
    for group, members in groups.items():
        for a, b in zip(members, members[1:]):
            assert leases[b][0][0] >= archived_at[a], (
                f"group {group}: id {b} first delivered at {leases[b][0][0]}, before id {a} "
                f"(ahead of it) was archived at {archived_at[a]}")
        spans = sorted((iv[0], iv[1], m) for m in members for iv in leases[m])
        held_until, holder = float("-inf"), None
        for start, end, m in spans:
            assert start >= held_until, \
                f"group {group}: id {m} leased at {start} while id {holder} was leased until {held_until}"
            if end > held_until:
                held_until, holder = end, m
        firsts = [leases[m][0][0] for m in members]
        assert firsts == sorted(firsts), f"group {group}: first deliveries out of group order"
        done = [archived_at[m] for m in members]
        assert done == sorted(done), f"group {group}: archives out of group order"
    return groups


def audit_server(conn, queue, items, ids, res):
    qid = conn.execute("SELECT id FROM pgqrs.queues WHERE queue_name = %s", (queue,)).fetchone()[0]
    left = conn.execute("SELECT count(*) FROM pgqrs.messages WHERE queue_id = %s", (qid,)).fetchone()[0]
    assert left == 0, f"{left} messages left in the queue"
    group_rows = conn.execute("SELECT count(*) FROM pgqrs.message_groups WHERE queue_id = %s",
                              (qid,)).fetchone()[0]
    assert group_rows == 0, f"{group_rows} rows left in message_groups"
    held, groups = conn.execute("SELECT held_messages, groups FROM pgqrs.queue_metrics(%s)",
                                (queue,)).fetchone()
    assert (held, groups) == (0, 0)

    n_of = {msg_id: n for n, msg_id in enumerate(ids)}
    final = {}   # id -> (attempt, consumer) of its archive call
    for msg_id, attempt, consumer, kind, ok, _ in res.ends:
        if ok and kind == "archive":
            final[msg_id] = (attempt, consumer)
    rows = conn.execute(
        "SELECT id, (payload->>'n')::int, priority, group_key, dead_letter, read_ct, consumer_worker_id "
        "FROM pgqrs.archive WHERE queue_id = %s", (qid,)).fetchall()
    assert len(rows) == len(ids), f"{len(rows)} archive rows for {len(ids)} messages"
    assert {r[0] for r in rows} == set(ids), "archive ids differ from enqueued ids"
    for msg_id, n, priority, group, dead, read_ct, worker in rows:
        assert n == n_of[msg_id], f"id {msg_id} carries message {n}, enqueued as {n_of[msg_id]}"
        assert (priority, group) == items[n], \
            f"id {msg_id}: archived with priority {priority} group {group}, enqueued with {items[n]}"
        assert not dead, f"id {msg_id} dead-lettered"
        assert (read_ct, res.worker_ids[worker]) == final[msg_id], \
            f"archive row of {msg_id} does not match the archive call"

    # the group order from the server's own columns: archived_at is the archive's
    # transaction start, dequeued_at the last claim of the row
    out_of_order = conn.execute(
        "SELECT count(*) FROM (SELECT archived_at, dequeued_at, "
        "       lag(archived_at) OVER (PARTITION BY group_key ORDER BY id) AS before "
        "  FROM pgqrs.archive WHERE queue_id = %s AND group_key IS NOT NULL) x "
        "WHERE before > archived_at OR before > dequeued_at", (qid,)).fetchone()[0]
    assert out_of_order == 0, f"{out_of_order} archive rows out of their group's order"
    found_below = conn.execute("SELECT found_below FROM pgqrs.claim_frontier_stats() "
                               "WHERE queue_name = %s", (queue,)).fetchone()[0]
    assert found_below == 0, f"{found_below} claimable messages were found below the claim frontier"
    conn.execute("SELECT pgqrs.verify()")


def test_groups_drain(cluster):
    queue = "audit_groups"
    plan = Plan(messages=int(os.environ.get("PGQRS_GROUP_AUDIT_MESSAGES", pick(20_000, 100_000))))
    items = group_workload.plan_messages(plan, SEED)
    prefill = int(plan.messages * plan.prefill)
    with cluster.connect() as conn:
        conn.execute("SELECT pgqrs.create_queue(%s, 1000000)", (queue,))
        first_ids = []
        for pos in range(0, prefill, 1000):
            first_ids += group_workload.enqueue_batch(conn, queue, items[pos:min(pos + 1000, prefill)], pos)
    res = group_workload.run(cluster.dsn(), queue, plan, items, first_ids, SEED,
                             timeout=pick(300, 1200))
    assert not res.errors, res.errors
    ids = first_ids + res.produced_ids
    assert res.finished, f"drain not done in {res.seconds:.0f}s"
    assert len(ids) == plan.messages and ids == sorted(ids), "ids not in enqueue order (one producer)"

    groups = audit_clients(items, ids, res)
    with cluster.connect() as conn:
        audit_server(conn, queue, items, ids, res)

    released = sum(1 for e in res.ends if e[3] == "release" and e[4])
    refused = sum(1 for e in res.ends if e[3] == "archive" and not e[4])
    redeliveries = len(res.deliveries) - plan.messages
    sizes = sorted(len(m) for m in groups.values())
    result = {"messages": plan.messages, "groups": len(groups), "largest_groups": sizes[-plan.hot_groups:],
              "ungrouped": sum(1 for _, g in items if g is None),
              "prioritized": sum(1 for p, _ in items if p > 0),
              "consumers": plan.consumers, "lock_seconds": plan.lock_seconds,
              "seconds": round(res.seconds, 1), "per_second": round(plan.messages / res.seconds),
              "deliveries": len(res.deliveries), "redeliveries": redeliveries,
              "released": released, "expired": redeliveries - released,
              "late_archives_refused": refused}
    # leases did expire and were released mid-run, heads came back
    assert released >= plan.messages * plan.release * 0.5
    assert redeliveries - released >= plan.messages * plan.abandon * 0.5
    path = os.path.join(results_dir(), "group_audit.json")
    with open(path, "w") as f:
        json.dump(result, f, indent=1)
    print("\ngroup audit:", json.dumps(result))
