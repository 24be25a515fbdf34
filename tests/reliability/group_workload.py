"""A producer and consumer processes over ordered groups and priorities, for the
group audit (test_group_audit.py).

Messages are numbered n = 0, 1, ... in enqueue order; each gets a group (one
of many cold groups, one of a few hot ones, or none) and a priority (0, or a
random 1..9 for some). One producer enqueues them in that order, so within a
group n order is join order. Part is enqueued before the consumers start, the
rest by a producer process while they drain (batches and single enqueues).

Each consumer is its own process with its own connection (autocommit) and
registered worker. Per delivery it archives, releases, archives only after the
lease ended, or abandons the message (never touches it again: the lease
expires). Every call logs the server's clock: a claim its dequeued_at and vt,
an archive or release clock_timestamp() read just before the call in the same
statement (the call's effect commits after it).
"""
from __future__ import annotations

import json
import multiprocessing as mp
import queue as queue_mod
import random
import time
from dataclasses import dataclass

import psycopg


@dataclass(frozen=True)
class Plan:
    messages: int
    groups: int = 1000          # cold groups
    hot_groups: int = 4
    hot_share: float = 0.04     # of the messages, spread over the hot groups
    ungrouped: float = 0.10
    prioritized: float = 0.30   # share with a priority 1..9 (the rest 0)
    prefill: float = 0.5        # enqueued before the consumers start
    consumers: int = 8
    batch_size: int = 10
    lock_seconds: int = 1
    abandon: float = 0.005      # never archived by the consumer that got it: the lease expires
    release: float = 0.02       # given back at once (release)
    late: float = 0.02          # archived only after the lease ended


def plan_messages(plan: Plan, seed: int) -> list[tuple[int, str | None]]:
    """(priority, group_key) of each message, in enqueue order."""
    rng = random.Random(seed)
    items = []
    for _ in range(plan.messages):
        r = rng.random()
        if r < plan.ungrouped:
            group = None
        elif r < plan.ungrouped + plan.hot_share:
            group = f"hot-{rng.randrange(plan.hot_groups)}"
        else:
            group = f"g-{rng.randrange(plan.groups)}"
        priority = rng.randint(1, 9) if rng.random() < plan.prioritized else 0
        items.append((priority, group))
    return items


def enqueue_batch(conn, queue: str, items, start: int) -> list[int]:
    payloads = [json.dumps({"n": start + i}) for i in range(len(items))]
    return [r[0] for r in conn.execute(
        "SELECT pgqrs.enqueue_batch(%s, %s::jsonb[], priorities => %s::int[], group_keys => %s::text[])",
        (queue, payloads, [p for p, _ in items], [g for _, g in items])).fetchall()]


def enqueue_one(conn, queue: str, item, n: int) -> int:
    priority, group = item
    return conn.execute("SELECT pgqrs.enqueue(%s, %s::jsonb, priority => %s, group_key => %s)",
                        (queue, json.dumps({"n": n}), priority, group)).fetchone()[0]


def _produce(dsn, queue, items, start, failed, out):
    """Enqueues items (numbered from start) in order: batches of 50, every
    fourth chunk as single enqueues, with short pauses to overlap the drain."""
    ids, errors = [], []
    try:
        with psycopg.connect(dsn, autocommit=True, application_name="group-producer") as conn:
            for k, pos in enumerate(range(0, len(items), 50)):
                chunk = items[pos:pos + 50]
                if k % 4 == 3:
                    ids += [enqueue_one(conn, queue, it, start + pos + i) for i, it in enumerate(chunk)]
                else:
                    ids += enqueue_batch(conn, queue, chunk, start + pos)
                time.sleep(0.01)
    except Exception as e:  # reported by the test
        errors.append(f"producer: {type(e).__name__}: {e}")
        failed.set()
    out.put(("producer", ids, errors))


def _consume(dsn, queue, plan: Plan, consumer, seed, archived, target, stop, failed, out):
    rng = random.Random(seed * 1000 + consumer)
    deliveries = []   # (id, attempt, consumer, dequeued_at, vt)
    ends = []         # (id, attempt, consumer, kind, ok, at): kind archive|release, at before the call
    late = []         # (archive after, id, attempt)
    errors = []
    worker = None

    def archive(conn, msg_id, attempt):
        ok, at = conn.execute(
            "WITH t AS MATERIALIZED (SELECT clock_timestamp() AS at) "
            "SELECT pgqrs.archive(%s, %s, %s), t.at FROM t", (msg_id, worker, attempt)).fetchone()
        ends.append((msg_id, attempt, consumer, "archive", ok, at.timestamp()))
        if ok:
            with archived.get_lock():
                archived.value += 1

    try:
        with psycopg.connect(dsn, autocommit=True, application_name=f"group-drain-{consumer}") as conn:
            worker = conn.execute("SELECT id FROM pgqrs.register_worker('group-drain', %s, %s)",
                                  (7100 + consumer, queue)).fetchone()[0]
            while not stop.is_set() and archived.value < target:
                now = time.time()
                while late and late[0][0] <= now:
                    _, msg_id, attempt = late.pop(0)
                    archive(conn, msg_id, attempt)
                rows = conn.execute(
                    "SELECT id, read_ct, dequeued_at, vt FROM pgqrs.dequeue(%s, %s, %s, %s)",
                    (queue, plan.batch_size, plan.lock_seconds, worker)).fetchall()
                if not rows:
                    time.sleep(0.005)
                    continue
                deliveries += [(r[0], r[1], consumer, r[2].timestamp(), r[3].timestamp()) for r in rows]
                for msg_id, attempt, _, vt in rows:
                    roll = rng.random()
                    if roll < plan.abandon:
                        continue
                    roll -= plan.abandon
                    if roll < plan.release:
                        n, at = conn.execute(
                            "WITH t AS MATERIALIZED (SELECT clock_timestamp() AS at) "
                            "SELECT pgqrs.release(ARRAY[%s]::bigint[], %s, ARRAY[%s]), t.at FROM t",
                            (msg_id, worker, attempt)).fetchone()
                        ends.append((msg_id, attempt, consumer, "release", n == 1, at.timestamp()))
                        continue
                    roll -= plan.release
                    if roll < plan.late:
                        late.append((vt.timestamp() + rng.uniform(0.05, 0.5), msg_id, attempt))
                        late.sort()
                        continue
                    archive(conn, msg_id, attempt)
    except Exception as e:  # reported by the test
        errors.append(f"consumer {consumer}: {type(e).__name__}: {e}")
        failed.set()
    out.put(("consumer", consumer, worker, deliveries, ends, errors))


@dataclass
class DrainResult:
    produced_ids: list
    deliveries: list
    ends: list
    worker_ids: dict      # worker id -> consumer
    errors: list
    finished: bool
    seconds: float


def run(dsn: str, queue: str, plan: Plan, items, first_ids: list[int], seed: int,
        timeout: float) -> DrainResult:
    """Starts the producer (items after first_ids) and the consumers; waits
    until every message is archived or timeout; collects the logs."""
    ctx = mp.get_context("fork")
    out = ctx.Queue()
    stop = ctx.Event()
    failed = ctx.Event()   # a process hit an error: stop waiting
    archived = ctx.Value("q", 0)
    start = len(first_ids)
    procs = [ctx.Process(target=_produce, args=(dsn, queue, items[start:], start, failed, out), daemon=True)]
    procs += [ctx.Process(target=_consume,
                          args=(dsn, queue, plan, c, seed, archived, plan.messages, stop, failed, out),
                          daemon=True) for c in range(plan.consumers)]
    t0 = time.monotonic()
    for p in procs:
        p.start()
    deadline = t0 + timeout
    while time.monotonic() < deadline and archived.value < plan.messages:
        if failed.is_set() or any(p.exitcode not in (None, 0) for p in procs):
            break
        time.sleep(0.05)
    seconds = time.monotonic() - t0
    finished = archived.value >= plan.messages
    stop.set()
    res = DrainResult([], [], [], {}, [], finished, seconds)
    for _ in procs:   # read before join: a child blocks until its logs are read
        try:
            msg = out.get(timeout=120)
        except queue_mod.Empty:
            res.errors.append("a process sent no log")
            break
        if msg[0] == "producer":
            res.produced_ids, errs = msg[1], msg[2]
        else:
            _, consumer, worker, deliveries, ends, errs = msg
            res.worker_ids[worker] = consumer
            res.deliveries += deliveries
            res.ends += ends
        res.errors += errs
    for p in procs:
        p.join(30)
        if p.is_alive():
            p.kill()
            res.errors.append(f"process {p.pid} did not stop")
    return res
