"""Queue names with quotes, semicolons and the like never reach SQL text.

Every function with a queue_name argument (found in pg_proc) is called with
injection-style names, the other arguments valid: each call fails with SQLSTATE
42602 (invalid name), and afterwards the relations of the database, the rows of
the pgqrs tables and the roles are exactly as before. A valid queue whose name is
a prefix of the injected names is left untouched.
"""
import pytest

from cluster import Cluster

HOSTILE = [
    "x'); DROP TABLE pgqrs.messages; --",
    "x'; DROP TABLE pgqrs.messages; --",
    'x"); DROP TABLE pgqrs.messages; --',
    "x'||(SELECT pg_sleep(5))||'",
    "x\\'; DROP TABLE pgqrs.archive; --",
    "x; DELETE FROM pgqrs.queues",
    "x$$; DROP SCHEMA pgqrs CASCADE; $$",
    "x') OR 1=1 --",
    "x' OR '1'='1",
    "victim\x00"[:-1] + "'",
    "victim; TRUNCATE pgqrs.messages",
    "victim\n; DROP TABLE pgqrs.workers",
    "victim\\",
    "victim'",
    'victim"',
    "victim */ DROP TABLE pgqrs.queues /*",
    "v" * 129,
    "",
    " victim",
    "victim\u037e DROP TABLE pgqrs.messages",   # Greek question mark looks like ';'
    "victim\uff07",                               # fullwidth apostrophe
]

# valid values for the other arguments, by argument name
VALID = {
    "payload": ("'{\"a\": 1}'::jsonb", None),
    "payloads": ("ARRAY['{\"a\": 1}'::jsonb]", None),
    "max_attempts": ("3", None),
    "force": ("true", None),
    "older_than": ("'1 hour'::interval", None),
    "max_age": ("'1 minute'::interval", None),
    "msg_ids": ("ARRAY[1]::bigint[]", None),
    "hostname": ("'h'", None),
    "port": ("1", None),
    "delay_seconds": ("0", None),
    "backoff": ("'fixed'", None),
    "max_delay_seconds": ("NULL::float8", None),
    "jitter": ("0", None),
    "batch_size": ("1", None),
    "lock_seconds": ("5", None),
    "wait_seconds": ("0", None),
    "worker_id": ("NULL::bigint", None),
    "role_name": ("'postgres'::name", None),
    "access": ("'monitor'", None),
    "dedup_key": ("'k'", None),
    "dedup_keys": ("ARRAY['k']::text[]", None),
    "priority": ("9", None),
    "priorities": ("ARRAY[9]", None),
    "group_key": ("'g'", None),
    "group_keys": ("ARRAY['g']::text[]", None),
    "seconds": ("0", None),
    "topic_name": ("'t'", None),
    "schedule_name": ("'inj_schedule'", None),
    "cron_expression": ("'@daily'", None),
    "time_zone": ("'UTC'", None),
    "catch_up": ("true", None),
}


@pytest.fixture(scope="module")
def conn():
    c = Cluster("names")
    c.start()
    with c.connect() as admin:
        admin.execute("CREATE EXTENSION pgqrs")
    conn = c.connect()
    yield conn
    conn.close()
    crashes = c.crash_lines()
    c.destroy()
    assert not crashes, crashes


def snapshot(conn):
    rels = conn.execute("SELECT n.nspname, c.relname, c.relkind FROM pg_class c "
                        "JOIN pg_namespace n ON n.oid = c.relnamespace "
                        "WHERE n.nspname NOT IN ('pg_catalog', 'information_schema', 'pg_toast') "
                        "ORDER BY 1, 2").fetchall()
    rows = {t: conn.execute(f"SELECT md5(coalesce(string_agg(t::text, ',' ORDER BY t::text), '')) "
                            f"FROM pgqrs.{t} t").fetchone()[0]
            for t in ("queues", "workers", "messages", "archive")}
    roles = conn.execute("SELECT string_agg(rolname, ',' ORDER BY rolname) FROM pg_roles").fetchone()
    grants = conn.execute("SELECT string_agg(p.oid::regprocedure::text || coalesce(p.proacl::text, ''), "
                          "',' ORDER BY p.oid) FROM pg_proc p WHERE p.pronamespace = "
                          "'pgqrs'::regnamespace").fetchone()
    return rels, rows, roles, grants


def test_hostile_queue_names_rejected(conn):
    conn.execute("SELECT pgqrs.create_queue('victim')")
    conn.execute("SELECT pgqrs.enqueue('victim', '{\"keep\": true}')")
    conn.execute("SELECT pgqrs.register_worker('w', 1, 'victim')")
    sigs = conn.execute("""
        SELECT p.proname, p.proargnames[1:p.pronargs], p.proretset FROM pg_proc p
        WHERE p.pronamespace = 'pgqrs'::regnamespace AND 'queue_name' = ANY (p.proargnames[1:p.pronargs])
        ORDER BY 1""").fetchall()
    names = {s[0] for s in sigs}
    expected = {"create_queue", "set_max_attempts", "get_queue", "delete_queue", "purge_queue",
                "purge_archive", "enqueue", "enqueue_batch", "dequeue", "dequeue_wait",
                "register_worker", "list_workers", "reclaim_messages", "dlq", "replay_dlq",
                "queue_metrics", "worker_stats", "worker_health", "reset_claim_frontier", "enqueue_dedup",
                "enqueue_batch_dedup", "set_dedup_window", "subscribe", "unsubscribe"}
    assert expected <= names, f"functions with a queue_name not found: {expected - names}"

    before = snapshot(conn)
    calls = 0
    for fn, argnames, setof in sigs:
        for name in HOSTILE:
            args = []
            for a in argnames:
                if a == "queue_name":
                    args.append("%s")
                else:
                    args.append(VALID[a][0])
            call = f'pgqrs."{fn}"({", ".join(args)})'
            sql = f"SELECT count(*) FROM {call}" if setof else f"SELECT {call}"
            with pytest.raises(Exception) as info:
                conn.execute(sql, (name,))
            state = getattr(info.value, "sqlstate", None)
            assert state == "42602", f"{fn}({name!r}): SQLSTATE {state}: {info.value}"
            calls += 1
            # the hostile text is never echoed raw on its own line (message is quoted)
            assert "invalid queue name" in str(info.value)
    after = snapshot(conn)
    assert after == before, "the database changed after rejected calls"
    conn.execute("SELECT pgqrs.verify()")
    assert conn.execute("SELECT count(*) FROM pgqrs.messages").fetchone()[0] == 1
    print(f"\n{calls} calls with hostile queue names through {len(sigs)} functions: all 42602")


def test_hostile_names_via_named_arguments(conn):
    """Named notation and the 1-argument forms go through the same check."""
    for name in HOSTILE[:6]:
        for sql in ("SELECT pgqrs.create_queue(queue_name => %s)",
                    "SELECT pgqrs.get_queue(queue_name => %s)",
                    "SELECT count(*) FROM pgqrs.dequeue(queue_name => %s)",
                    "SELECT pgqrs.enqueue(payload => '{}', queue_name => %s)"):
            with pytest.raises(Exception) as info:
                conn.execute(sql, (name,))
            assert getattr(info.value, "sqlstate", None) == "42602", (sql, name, info.value)
    conn.execute("SELECT pgqrs.verify()")


def test_hostile_topic_names_rejected(conn):
    """Every function taking a topic name refuses a hostile one (42602) and changes nothing."""
    conn.execute("SELECT pgqrs.create_queue('topic_victim')")
    before = snapshot(conn)
    topics = conn.execute("SELECT count(*) FROM pgqrs.topics").fetchone()[0]
    for name in HOSTILE:
        for sql in ("SELECT pgqrs.create_topic(%s)",
                    "SELECT pgqrs.delete_topic(%s)",
                    "SELECT pgqrs.subscribe(%s, 'topic_victim')",
                    "SELECT pgqrs.unsubscribe(topic_name => %s, queue_name => 'topic_victim')",
                    "SELECT count(*) FROM pgqrs.publish(%s, '{}')"):
            with pytest.raises(Exception) as info:
                conn.execute(sql, (name,))
            assert getattr(info.value, "sqlstate", None) == "42602", (sql, name, info.value)
            assert "invalid topic name" in str(info.value)
    assert snapshot(conn) == before, "the database changed after rejected calls"
    assert conn.execute("SELECT count(*) FROM pgqrs.topics").fetchone()[0] == topics
    conn.execute("SELECT pgqrs.verify()")
