"""Crash audit: mixed load while the server is killed, then an audit of every id.

2 producers enqueue, 1 publisher publishes to a topic that the queue and a
second queue (never consumed) subscribe to, and 2 consumers dequeue (one with
dequeue_wait) + archive (fenced by worker id and attempt), each on its own
connection, while the server is crashed repeatedly:
kill -9 of a client backend (the postmaster resets every backend and replays
WAL) alternating with kill -9 of the postmaster followed by a restart.

A producer records an id only once enqueue returned (autocommit: the commit was
acknowledged); a call that failed is "in doubt" (it may or may not have
committed). Afterwards:
  - every acknowledged id is in exactly one of pgqrs.messages / pgqrs.archive;
  - no id is in both tables, none twice in the archive;
  - every row comes from an acknowledged or in-doubt call, and no call made two;
  - every archive acknowledged to a consumer is in the archive;
  - every message not archived is delivered again once its lease ended;
  - a publish made a message in both queues or in neither, and the second
    queue holds exactly one message per publish that committed.

A per-minute schedule with a backlog of missed minutes (catch_up) is run at the
same time by the server's background worker (every 200 ms) and by a client
calling run_due_schedules() in a loop, through the crashes. Afterwards every
minute from the schedule's first time to its last_run_at was enqueued exactly
once: as many messages in its queue as minutes, none lost, none doubled.
"""
import json
import os
import random
import signal
import threading
import time

import psycopg
import pytest

from cluster import Cluster, pick, results_dir

QUEUE = "crash"
FAN_QUEUE = "crash_fan"
TOPIC = "crash_topic"
PUBLISHER = 2   # the publisher's number in payloads, after producers 0 and 1
LOCK_SECONDS = 3
SCHEDULE_QUEUE = "crash_schedule"
BACKLOG_MINUTES = 40000   # 40 runs of 1,000 times at most each: the catch-up spans crashes


@pytest.fixture(scope="module")
def cluster():
    c = Cluster("crash", settings={"pgqrs.schedule_interval": "'200ms'"})
    c.start()
    with c.connect() as conn:
        conn.execute("CREATE EXTENSION pgqrs")
        conn.execute("SELECT pgqrs.create_queue(%s, 1000000)", (QUEUE,))
        conn.execute("SELECT pgqrs.create_queue(%s)", (FAN_QUEUE,))
        conn.execute("SELECT pgqrs.create_topic(%s)", (TOPIC,))
        conn.execute("SELECT pgqrs.subscribe(%s, q) FROM unnest(%s::text[]) q", (TOPIC, [QUEUE, FAN_QUEUE]))
        conn.execute("SELECT pgqrs.create_queue(%s)", (SCHEDULE_QUEUE,))
        conn.execute("SELECT pgqrs.create_schedule('crash', '* * * * *', %s, '{\"tick\": true}')",
                     (SCHEDULE_QUEUE,))
    yield c
    c.destroy()


class Load:
    def __init__(self, cluster: Cluster):
        self.cluster = cluster
        self.stop = threading.Event()
        self.lock = threading.Lock()
        self.acked: dict[int, tuple[int, int]] = {}   # id -> (producer, seq)
        self.fan_acked: dict[int, int] = {}             # id in FAN_QUEUE -> publisher seq
        self.in_doubt: set[tuple[int, int]] = set()
        self.archived: set[int] = set()                 # archive() returned true
        self.fenced = 0
        self.deliveries = 0
        self.errors: dict[str, int] = {}

    def _connect(self, app: str):
        while not self.stop.is_set():
            try:
                return psycopg.connect(self.cluster.dsn(application_name=app), autocommit=True,
                                       connect_timeout=3)
            except psycopg.Error:
                time.sleep(0.05)
        return None

    def _error(self, e: Exception):
        key = f"{type(e).__name__}:{getattr(e, 'sqlstate', None)}"
        with self.lock:
            self.errors[key] = self.errors.get(key, 0) + 1

    def schedule_runner(self):
        """A client running the schedules beside the server's worker."""
        conn = None
        while not self.stop.is_set():
            if conn is None:
                conn = self._connect("crash-schedules")
                if conn is None:
                    break
            try:
                conn.execute("SELECT pgqrs.run_due_schedules()")
                time.sleep(0.02)
            except psycopg.Error as e:
                self._error(e)
                conn.close()
                conn = None
        if conn is not None:
            conn.close()

    def producer(self, p: int):
        seq = 0
        conn = None
        while not self.stop.is_set():
            if conn is None:
                conn = self._connect(f"crash-producer-{p}")
                if conn is None:
                    break
            seq += 1
            payload = json.dumps({"p": p, "seq": seq, "pad": "x" * random.randint(0, 200)})
            try:
                msg_id = conn.execute("SELECT pgqrs.enqueue(%s, %s::jsonb)",
                                      (QUEUE, payload)).fetchone()[0]
            except psycopg.Error as e:
                self._error(e)
                with self.lock:
                    self.in_doubt.add((p, seq))
                try:
                    conn.close()
                except Exception:
                    pass
                conn = None
                time.sleep(0.02)
                continue
            with self.lock:
                assert msg_id not in self.acked, f"id {msg_id} returned twice"
                self.acked[msg_id] = (p, seq)
        if conn is not None:
            conn.close()

    def publisher(self):
        seq = 0
        conn = None
        while not self.stop.is_set():
            if conn is None:
                conn = self._connect("crash-publisher")
                if conn is None:
                    break
            seq += 1
            payload = json.dumps({"p": PUBLISHER, "seq": seq, "pad": "x" * random.randint(0, 200)})
            try:
                rows = dict(conn.execute("SELECT queue_name, msg_id FROM pgqrs.publish(%s, %s::jsonb)",
                                         (TOPIC, payload)).fetchall())
            except psycopg.Error as e:
                self._error(e)
                with self.lock:
                    self.in_doubt.add((PUBLISHER, seq))
                try:
                    conn.close()
                except Exception:
                    pass
                conn = None
                time.sleep(0.02)
                continue
            assert set(rows) == {QUEUE, FAN_QUEUE}, f"publish returned {rows}"
            with self.lock:
                assert rows[QUEUE] not in self.acked, f"id {rows[QUEUE]} returned twice"
                self.acked[rows[QUEUE]] = (PUBLISHER, seq)
                self.fan_acked[rows[FAN_QUEUE]] = seq
        if conn is not None:
            conn.close()

    def consumer(self, c: int):
        conn = None
        worker = None
        while not self.stop.is_set():
            if conn is None:
                conn = self._connect(f"crash-consumer-{c}")
                if conn is None:
                    break
                try:
                    worker = conn.execute(
                        "SELECT id FROM pgqrs.register_worker('crash-consumer', %s, %s)",
                        (6000 + c, QUEUE)).fetchone()[0]
                except psycopg.Error as e:
                    self._error(e)
                    conn.close()
                    conn = None
                    continue
            try:
                # consumer 1 sleeps in dequeue_wait (shared memory wake-ups) when idle
                if c == 1:
                    rows = conn.execute(
                        "SELECT id, read_ct FROM pgqrs.dequeue_wait(%s, 10, %s, %s, 1)",
                        (QUEUE, LOCK_SECONDS, worker)).fetchall()
                else:
                    rows = conn.execute("SELECT id, read_ct FROM pgqrs.dequeue(%s, 10, %s, %s)",
                                        (QUEUE, LOCK_SECONDS, worker)).fetchall()
                with self.lock:
                    self.deliveries += len(rows)
                if not rows:
                    time.sleep(0.01)
                for msg_id, attempt in rows:
                    ok = conn.execute("SELECT pgqrs.archive(%s, %s, %s)",
                                      (msg_id, worker, attempt)).fetchone()[0]
                    with self.lock:
                        if ok:
                            self.archived.add(msg_id)
                        else:
                            self.fenced += 1
            except psycopg.Error as e:
                self._error(e)
                try:
                    conn.close()
                except Exception:
                    pass
                conn = None
                time.sleep(0.02)
        if conn is not None:
            conn.close()


def _client_backends(cluster: Cluster) -> list[int]:
    with cluster.connect(connect_timeout=3) as conn:
        return [r[0] for r in conn.execute(
            "SELECT pid FROM pg_stat_activity WHERE backend_type = 'client backend' "
            "AND application_name LIKE 'crash-%' AND pid <> pg_backend_pid()").fetchall()]


def _wait_progress(load: Load, since: int, at_least: int, timeout: float):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with load.lock:
            if len(load.acked) - since >= at_least and load.archived:
                return
        time.sleep(0.05)
    raise AssertionError(f"no progress in {timeout}s after a crash: errors {load.errors}\n"
                         f"{load.cluster.log_tail()}")


def test_crash_audit(cluster: Cluster):
    crashes = pick(5, int(os.environ.get("PGQRS_CRASHES", 50)))
    seed = int(os.environ.get("PGQRS_SEED", 20240601))
    rng = random.Random(seed)
    print(f"\ncrash audit: {crashes} crashes, seed {seed}")

    with cluster.connect() as conn:
        first_time = conn.execute(
            "UPDATE pgqrs.schedules SET next_run_at = date_trunc('minute', now()) - %s * interval '1 minute' "
            "WHERE schedule_name = 'crash' RETURNING next_run_at", (BACKLOG_MINUTES,)).fetchone()[0]

    load = Load(cluster)
    threads = [threading.Thread(target=load.producer, args=(p,), daemon=True) for p in range(2)]
    threads.append(threading.Thread(target=load.publisher, daemon=True))
    threads += [threading.Thread(target=load.schedule_runner, daemon=True)]
    threads += [threading.Thread(target=load.consumer, args=(c,), daemon=True) for c in range(2)]
    for t in threads:
        t.start()

    backend_kills = postmaster_kills = 0
    t0 = time.monotonic()
    try:
        for i in range(crashes):
            with load.lock:
                before = len(load.acked)
            _wait_progress(load, before, 20, 60)
            time.sleep(rng.uniform(0.2, 1.0))
            print(f"crash {i}: {time.monotonic() - t0:.1f}s acked {len(load.acked)} archived {len(load.archived)}")
            if i % 2 == 0:
                pids = _client_backends(cluster)
                assert pids, "no backend of the load to kill"
                os.kill(rng.choice(pids), signal.SIGKILL)
                backend_kills += 1
                time.sleep(0.3)   # let the postmaster notice and reset
                cluster.wait_ready()
            else:
                cluster.kill_postmaster()
                postmaster_kills += 1
                cluster.start()
                cluster.wait_ready()
        with load.lock:
            before = len(load.acked)
        _wait_progress(load, before, 20, 60)
    finally:
        load.stop.set()
        for t in threads:
            t.join(30)
    elapsed = time.monotonic() - t0

    # -- audit -----------------------------------------------------------------
    with cluster.connect() as conn:
        qid = conn.execute("SELECT id FROM pgqrs.queues WHERE queue_name = %s",
                           (QUEUE,)).fetchone()[0]
        msg_rows = conn.execute(
            "SELECT id, payload->>'p', payload->>'seq' FROM pgqrs.messages WHERE queue_id = %s",
            (qid,)).fetchall()
        arc_rows = conn.execute(
            "SELECT id, payload->>'p', payload->>'seq', dead_letter FROM pgqrs.archive "
            "WHERE queue_id = %s", (qid,)).fetchall()
        fan_rows = conn.execute(
            "SELECT m.id, (m.payload->>'seq')::int FROM pgqrs.messages m JOIN pgqrs.queues q "
            "ON q.id = m.queue_id WHERE q.queue_name = %s", (FAN_QUEUE,)).fetchall()

    msg_ids = [r[0] for r in msg_rows]
    arc_ids = [r[0] for r in arc_rows]
    in_messages, in_archive = set(msg_ids), set(arc_ids)
    assert len(msg_ids) == len(in_messages), "duplicate id in messages"
    assert len(arc_ids) == len(in_archive), "duplicate id in archive"
    both = in_messages & in_archive
    assert not both, f"ids in both messages and archive: {sorted(both)[:20]}"
    assert not [r for r in arc_rows if r[3]], "unexpected dead letters"

    acked = set(load.acked)
    lost = acked - in_messages - in_archive
    assert not lost, f"{len(lost)} acknowledged ids lost: {sorted(lost)[:20]}"
    lost_archives = load.archived - in_archive
    assert not lost_archives, f"acknowledged archives lost: {sorted(lost_archives)[:20]}"

    # every row comes from one call, acknowledged or in doubt
    calls = {}
    for row in msg_rows + [r[:3] for r in arc_rows]:
        key = (int(row[1]), int(row[2]))
        assert key not in calls, f"call {key} made two rows: {calls[key]} and {row[0]}"
        calls[key] = row[0]
        if row[0] in load.acked:
            assert load.acked[row[0]] == key, f"id {row[0]} holds the payload of another call"
        else:
            assert key in load.in_doubt, f"row {row[0]} {key} from no call that failed or returned"
    in_doubt_committed = sum(1 for k in load.in_doubt if k in calls)

    # publish: all of its messages or none, one per queue
    fan_seqs = [seq for _, seq in fan_rows]
    assert len(fan_seqs) == len(set(fan_seqs)), "a publish made two messages in one queue"
    fan_ids = {msg_id for msg_id, _ in fan_rows}
    lost_fan = set(load.fan_acked) - fan_ids
    assert not lost_fan, f"{len(lost_fan)} acknowledged published ids lost: {sorted(lost_fan)[:20]}"
    for msg_id, seq in fan_rows:
        if msg_id in load.fan_acked:
            assert load.fan_acked[msg_id] == seq, f"id {msg_id} holds the payload of another publish"
        else:
            assert (PUBLISHER, seq) in load.in_doubt, f"row {msg_id} from no publish that failed or returned"
    published_in_queue = {seq for (p, seq) in calls if p == PUBLISHER}
    assert published_in_queue == set(fan_seqs), (
        f"publishes in one queue only: {sorted(published_in_queue ^ set(fan_seqs))[:20]}")

    # every message not archived is deliverable again once its lease ended
    with cluster.connect() as conn:
        wait = conn.execute("SELECT extract(epoch FROM max(vt) - clock_timestamp()) "
                            "FROM pgqrs.messages WHERE queue_id = %s", (qid,)).fetchone()[0]
        if wait and wait > 0:
            time.sleep(float(wait) + 0.1)
        worker = conn.execute("SELECT id FROM pgqrs.register_worker('crash-audit', 1, %s)",
                              (QUEUE,)).fetchone()[0]
        redelivered = {}
        while True:
            rows = conn.execute("SELECT id, read_ct FROM pgqrs.dequeue(%s, 1000, 300, %s)",
                                (QUEUE, worker)).fetchall()
            if not rows:
                break
            for msg_id, attempt in rows:
                assert msg_id not in redelivered, f"id {msg_id} delivered twice in the audit"
                redelivered[msg_id] = attempt
        assert set(redelivered) == in_messages, (
            f"not redelivered: {sorted(in_messages - set(redelivered))[:20]}, "
            f"unexpected: {sorted(set(redelivered) - in_messages)[:20]}")
        ids = list(redelivered)
        for start in range(0, len(ids), 5000):
            chunk = ids[start:start + 5000]
            done = conn.execute("SELECT count(*) FROM pgqrs.archive_batch(%s, %s, %s)",
                                (chunk, worker, [redelivered[i] for i in chunk])).fetchone()[0]
            assert done == len(chunk)
        left = conn.execute("SELECT count(*) FROM pgqrs.messages WHERE queue_id = %s",
                            (qid,)).fetchone()[0]
        total = conn.execute("SELECT count(*), count(DISTINCT id) FROM pgqrs.archive "
                             "WHERE queue_id = %s", (qid,)).fetchone()
        conn.execute("SELECT pgqrs.verify()")
    assert left == 0
    assert total[0] == total[1] == len(in_messages) + len(in_archive)

    # -- the schedule: every minute from its first time to its last run, once --
    with cluster.connect() as conn:
        deadline = time.monotonic() + 120
        while True:   # the worker finishes the catch-up
            row = conn.execute(
                "SELECT next_run_at, last_run_at, runs, skipped_runs, last_error, "
                "  next_run_at > now() AS caught_up FROM pgqrs.schedules WHERE schedule_name = 'crash'"
            ).fetchone()
            if row[5] or time.monotonic() > deadline:
                break
            time.sleep(0.2)
        next_run_at, last_run_at, runs, skipped, last_error, caught_up = row
        scheduled = conn.execute(
            "SELECT count(*) FROM pgqrs.messages m JOIN pgqrs.queues q ON q.id = m.queue_id "
            "WHERE q.queue_name = %s", (SCHEDULE_QUEUE,)).fetchone()[0]
    assert caught_up, f"the schedule did not catch up: next_run_at {next_run_at}"
    assert last_error is None and skipped == 0
    minutes = int((last_run_at - first_time).total_seconds() // 60) + 1
    assert (next_run_at - last_run_at).total_seconds() == 60
    lost_times = max(minutes - scheduled, 0)
    doubled_times = max(scheduled - minutes, 0)
    assert scheduled == runs == minutes, (
        f"schedule: {minutes} times due, {runs} runs recorded, {scheduled} messages")

    unexpected = cluster.crash_lines(allow_sigkill=True)
    assert not unexpected, "server log shows a crash we did not cause:\n" + "\n".join(unexpected)

    result = {
        "crashes": backend_kills + postmaster_kills,
        "backend_kills": backend_kills,
        "postmaster_kills": postmaster_kills,
        "seconds": round(elapsed, 1),
        "acknowledged": len(acked),
        "published_acknowledged": len(load.fan_acked),
        "in_doubt": len(load.in_doubt),
        "in_doubt_committed": in_doubt_committed,
        "archived_acknowledged": len(load.archived),
        "archive_rows_before_audit": len(in_archive),
        "redelivered": len(redelivered),
        "fenced_archives": load.fenced,
        "deliveries": load.deliveries,
        "client_errors": load.errors,
        "schedule_times": minutes,
        "schedule_messages": scheduled,
        "schedule_lost": lost_times,
        "schedule_doubled": doubled_times,
    }
    print("crash audit:", json.dumps(result, indent=1))
    with open(os.path.join(results_dir(), "crash_audit.json"), "w") as f:
        json.dump(result, f, indent=1)
