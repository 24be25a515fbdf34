"""Fuzz, two more rounds: admin calls racing every other call, and an altered schema.

Racing: one connection deletes and recreates the queues (same names, other
max_attempts, in one transaction) and re-registers the workers in a loop, while
another calls every read and update function on them and checks that each
result is the row it asked for (the queue of that name, the worker of that
id). Every call must end in its own result or an error with a SQLSTATE: never
another statement's row, never a crash.

Altered schema: a superuser alters the tables (column types, columns added
and dropped), then every function is called with random arguments. Each call
must end in a result or an ERROR (XX001 "pgqrs schema altered" included);
the backend must survive, and the extension works again once reinstalled.
"""
from __future__ import annotations

import json
import os
import random
import threading
import time
from collections import Counter

import psycopg
import pytest

from cluster import Cluster, pick, results_dir
from test_fuzz import RUNNER, ROUND, Gen, make_call, signatures

DB = "fuzz_races"
RACE_QUEUES = ["race_a", "race_b"]

# Calls whose result is checked: a division by zero (22012) marks a row that is not the one asked for.
CHECKED_CALLS = [
    "SELECT CASE WHEN q.queue_name = {q} AND q.max_attempts BETWEEN 1 AND 1000000 THEN 1 ELSE 1/(random()*0)::int END "
    "FROM pgqrs.get_queue({q}) q",
    "SELECT CASE WHEN q.queue_name = {q} AND q.max_attempts = 7 THEN 1 ELSE 1/(random()*0)::int END "
    "FROM pgqrs.set_max_attempts({q}, 7) q",
    "SELECT CASE WHEN m.queue_name = {q} AND m.total_messages BETWEEN 0 AND 100000 "
    "  AND m.archived_messages BETWEEN 0 AND 100000 THEN 1 ELSE 1/(random()*0)::int END FROM pgqrs.queue_metrics({q}) m",
    "SELECT CASE WHEN count(*) >= 0 AND bool_and(m.queue_name IS NOT NULL AND m.total_messages >= 0) "
    "  IS NOT FALSE THEN 1 ELSE 1/(random()*0)::int END FROM pgqrs.all_queues_metrics() m",
    "SELECT CASE WHEN s.queue_name = {q} AND s.total_workers >= 0 THEN 1 ELSE 1/(random()*0)::int END "
    "FROM pgqrs.worker_stats({q}) s",
    "SELECT CASE WHEN w.id = {w} THEN 1 ELSE 1/(random()*0)::int END FROM pgqrs.get_worker({w}) w",
    "SELECT CASE WHEN h BETWEEN now() - interval '1 day' AND clock_timestamp() + interval '1 day' "
    "  THEN 1 ELSE 1/(random()*0)::int END FROM pgqrs.heartbeat({w}) h",
    "SELECT CASE WHEN w.hostname LIKE 'race-%' AND w.status = 'ready' THEN 1 ELSE 1/(random()*0)::int END "
    "FROM pgqrs.register_worker('race-' || {q}, 1, {q}) w",
    "SELECT CASE WHEN w.status = 'suspended' THEN 1 ELSE 1/(random()*0)::int END FROM pgqrs.suspend_worker({w}) w",
    "SELECT CASE WHEN w.status = 'ready' THEN 1 ELSE 1/(random()*0)::int END FROM pgqrs.resume_worker({w}) w",
    "SELECT CASE WHEN pgqrs.worker_status({w}) IN ('ready', 'suspended', 'stopped') THEN 1 ELSE 1/(random()*0)::int END",
    "SELECT pgqrs.enqueue({q}, '{{\"n\": 1}}')",
    "SELECT CASE WHEN count(*) = 2 THEN 1 ELSE 1/(random()*0)::int END FROM pgqrs.enqueue_batch({q}, "
    "  ARRAY['{{}}', '{{}}']::jsonb[])",
    "SELECT CASE WHEN bool_and(m.read_ct >= 1 AND m.payload IS NOT NULL) IS NOT FALSE THEN 1 ELSE 1/(random()*0)::int END "
    "FROM pgqrs.dequeue({q}, 3, 30) m",
    "SELECT pgqrs.archive_batch(ARRAY(SELECT id FROM pgqrs.messages LIMIT 3))",
    "SELECT pgqrs.purge_queue({q})",
    "SELECT CASE WHEN count(*) >= 0 THEN 1 ELSE 1/(random()*0)::int END FROM pgqrs.dlq({q})",
    "SELECT pgqrs.replay_dlq({q})",
    "SELECT pgqrs.reclaim_messages({q}, '1 hour')",
]

# Alterations a superuser could make; each is undone by reinstalling.
ALTERATIONS = [
    "ALTER TABLE pgqrs.workers ALTER hostname TYPE bigint USING 1",
    "ALTER TABLE pgqrs.workers ALTER hostname TYPE bigint USING 4",
    "ALTER TABLE pgqrs.workers ALTER status TYPE varchar(20)",
    "ALTER TABLE pgqrs.queues ALTER max_attempts TYPE bigint",
    "ALTER TABLE pgqrs.queues ALTER queue_name TYPE varchar(200)",
    "ALTER TABLE pgqrs.messages ALTER read_ct TYPE bigint",
    "ALTER TABLE pgqrs.messages ADD COLUMN extra_a text DEFAULT 'aaaa', ADD COLUMN extra_b bigint; "
    "ALTER TABLE pgqrs.messages DROP COLUMN extra_a",
    "ALTER TABLE pgqrs.messages DROP COLUMN dequeued_at",
    "ALTER TABLE pgqrs.archive ALTER payload TYPE text",
    "ALTER TABLE pgqrs.archive DROP COLUMN dead_letter",
    "ALTER TABLE pgqrs.grants ALTER access TYPE varchar(10)",
]


def lit(s: str) -> str:
    return "'" + s.replace("'", "''") + "'"


@pytest.fixture(scope="module")
def cluster():
    c = Cluster("fuzzraces", settings={"log_min_messages": "warning",
                                       "log_min_error_statement": "panic"})
    c.start()
    c.create_db(DB)
    with c.connect(DB) as conn:
        conn.execute(RUNNER)
    yield c
    c.destroy()


def admin_loop(cluster: Cluster, stop: threading.Event, counts: Counter) -> None:
    rng = random.Random(7)
    with cluster.connect(DB) as conn:
        conn.autocommit = True
        while not stop.is_set():
            q = rng.choice(RACE_QUEUES)
            try:
                with conn.transaction():
                    conn.execute("SELECT pgqrs.delete_queue(%s, true) FROM pgqrs.queues "
                                 "WHERE queue_name = %s", (q, q))
                    conn.execute("SELECT pgqrs.create_queue(%s, %s)",
                                  (q, rng.choice([1, 5, 1000000])))
                    if rng.random() < 0.3:
                        conn.execute("DELETE FROM pgqrs.workers WHERE hostname = %s", ("race-" + q,))
                        conn.execute("SELECT pgqrs.register_worker(%s, 1, %s)", ("race-" + q, q))
                counts["recreated"] += 1
            except psycopg.Error as e:
                counts[f"admin {e.sqlstate}"] += 1


def test_admin_calls_race_every_call(cluster: Cluster):
    seconds = pick(20, 120)
    conn = cluster.connect(DB)
    conn.execute("SET statement_timeout = '60s'")
    pid = conn.execute("SELECT pg_backend_pid()").fetchone()[0]
    for q in RACE_QUEUES:
        conn.execute("SELECT pgqrs.create_queue(%s)", (q,))
        conn.execute("SELECT pgqrs.register_worker(%s, 1, %s)", ("race-" + q, q))

    stop = threading.Event()
    admin_counts: Counter = Counter()
    admin = threading.Thread(target=admin_loop, args=(cluster, stop, admin_counts))
    admin.start()
    rng = random.Random(11)
    states: Counter = Counter()
    wrong: Counter = Counter()
    t_end = time.monotonic() + seconds
    try:
        while time.monotonic() < t_end:
            calls, names = [], []
            for _ in range(100):
                q = rng.choice(RACE_QUEUES)
                w = f"(SELECT id FROM pgqrs.workers WHERE hostname = {lit('race-' + q)})"
                template = rng.choice(CHECKED_CALLS)
                calls.append(template.format(q=lit(q), w=w))
                names.append(template.split("pgqrs.")[1].split("(")[0])
            got, now_pid = conn.execute("SELECT fuzz_run(%s), pg_backend_pid()", (calls,)).fetchone()
            assert now_pid == pid, "the backend changed: it crashed or reconnected"
            for name, st in zip(names, got):
                states[st[:5]] += 1
                if st[:5] == "22012" or st.startswith("XX"):
                    wrong[f"{name}: {st}"] += 1
    finally:
        stop.set()
        admin.join()
    conn.close()

    crashes = cluster.crash_lines()
    assert not crashes, "server log shows a crash:\n" + "\n".join(crashes)
    summary = {"seconds": seconds, "calls": sum(states.values()), "sqlstates": dict(states),
               "admin": dict(admin_counts), "wrong_rows_or_internal": dict(wrong)}
    with open(os.path.join(results_dir(), "fuzz_races.json"), "w") as f:
        json.dump(summary, f, indent=1)
    print("fuzz races:", json.dumps(summary, indent=1))
    assert admin_counts["recreated"] > 10, "the admin loop did not race anything"
    assert not wrong, f"a call returned a row it did not ask for, or an internal error: {dict(wrong)}"


def test_altered_schema_never_crashes(cluster: Cluster):
    rng = random.Random(99)
    gen = Gen(rng)
    calls_per_alteration = pick(ROUND, 4 * ROUND)
    states: Counter = Counter()
    for alteration in ALTERATIONS:
        with cluster.connect(DB) as setup:
            setup.execute("DROP EXTENSION IF EXISTS pgqrs CASCADE")
            setup.execute("CREATE EXTENSION pgqrs")
            setup.execute("SELECT pgqrs.create_queue('alt_a'), pgqrs.create_queue('fz_a')")
            setup.execute("SELECT pgqrs.enqueue_batch('fz_a', ARRAY['{}', '{\"a\": 1}']::jsonb[])")
            setup.execute("SELECT pgqrs.register_worker('alt-host', 1, 'fz_a')")
            sigs = signatures(setup)
            for statement in alteration.split("; "):
                setup.execute(statement)
        conn = cluster.connect(DB)
        conn.execute("SET statement_timeout = '60s'")
        pid = conn.execute("SELECT pg_backend_pid()").fetchone()[0]
        calls = [make_call(gen, rng.choice(sigs)) for _ in range(calls_per_alteration)]
        for start in range(0, len(calls), ROUND):
            got, now_pid = conn.execute("SELECT fuzz_run(%s), pg_backend_pid()",
                                        (calls[start:start + ROUND],)).fetchone()
            assert now_pid == pid, f"the backend changed after {alteration!r}"
            states.update(st[:5] for st in got)
        assert conn.execute("SELECT count(*) FROM pgqrs.list_queues()").fetchone()[0] >= 0
        conn.close()
    crashes = cluster.crash_lines()
    assert not crashes, "server log shows a crash:\n" + "\n".join(crashes)

    with cluster.connect(DB) as conn:
        conn.execute("DROP EXTENSION pgqrs CASCADE")
        conn.execute("CREATE EXTENSION pgqrs")
        conn.execute("SELECT pgqrs.verify()")
        conn.execute("SELECT pgqrs.create_queue('after')")
        assert conn.execute("SELECT count(*) FROM pgqrs.enqueue_batch('after', "
                            "ARRAY['{}']::jsonb[])").fetchone()[0] == 1
    summary = {"alterations": len(ALTERATIONS), "calls": sum(states.values()),
               "sqlstates": dict(states.most_common())}
    with open(os.path.join(results_dir(), "fuzz_altered_schema.json"), "w") as f:
        json.dump(summary, f, indent=1)
    print("fuzz altered schema:", json.dumps(summary, indent=1))
