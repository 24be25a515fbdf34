"""Fuzz: random calls of every function of schema pgqrs with hostile arguments.

The function list and argument types come from pg_proc. Calls go to the server
in rounds of ROUND calls: a PL/pgSQL function runs each in its own
subtransaction (BEGIN ... EXCEPTION) and returns its SQLSTATE ('00000' for a
result). Every call must end in a result or an ERROR with a SQLSTATE; the
backend must stay the same process (no crash, no reconnect), the server log must
show no crash, and pgqrs.verify() must pass at the end.

Reproduce a run with PGQRS_FUZZ_SEED=<the seed printed at start>; a round that
kills the connection is written to out/fuzz_failing_round.sql.
"""
from __future__ import annotations

import json
import os
import random
import time
from collections import Counter, defaultdict

import psycopg
import pytest

from cluster import Cluster, pick, results_dir

ROUND = 500
DB = "fuzz"
QUEUES = ["fz_a", "fz_b", "fz.c-1", "A" * 128]
ROLES = ["fuzz_plain", 'fuzz"quote', "fuzz'; DROP TABLE pgqrs.messages; --", "fuzz\\back slash",
         "FuzzUpper", "fuzz\u00e9\u4e2d"]

RUNNER = """
CREATE FUNCTION fuzz_run(calls text[]) RETURNS text[] LANGUAGE plpgsql AS $$
DECLARE
    states text[] := '{}';
    k int;
BEGIN
    FOR k IN 1 .. coalesce(array_length(calls, 1), 0) LOOP
        BEGIN
            EXECUTE calls[k];
            states := states || '00000'::text;
        EXCEPTION WHEN OTHERS THEN
            IF SQLSTATE LIKE 'XX%' THEN
                states := states || (SQLSTATE || ' ' || SQLERRM);
            ELSE
                states := states || SQLSTATE::text;
            END IF;
        END;
    END LOOP;
    RETURN states;
END
$$;
"""

HOSTILE_STRINGS = [
    "", " ", "x'); DROP TABLE pgqrs.messages; --", "a;b", "a'b", 'a"b', "a\\b", "\\", "'", "''",
    "%s%n%x", "$1", "$$", "\t\r\n", "\x01\x02\x1b[31m\x7f", "\u202eabc", "\u200b", "\ufeff",
    "\U0001F4A9", "e\u0301", "\uff51\uff55\uff45\uff55\uff45", "\u0131", "\u00df", "\u4e2d\u6587",
    "\ud7ff", "\ufffd", "a" * 129, "a" * 128, "a" * 10_000, "q" * 70 + "\u00e9" * 40,
    "public.messages", "pgqrs.queues", "../../etc/passwd", "NULL", "null", "DEFAULT",
    "fz_a ", " fz_a", "FZ_A", "fz_a\n", "fz_a;", "fz_a--", "*", ".", "-", "_", "..",
]

INT4_EDGES = [0, 1, -1, 2, 2147483647, -2147483648, 5, 10, 255, 256, 3600, 3601, 10000, 10001,
              65535, 65536, 86400, 86401, 1000000, 1000001, 31536000, 31536001, -86400]
FLOAT8_EDGES = ["'NaN'", "'Infinity'", "'-Infinity'", "'-0'", "0", "0.5", "1", "-1", "1.5", "1e-300",
                "1e300", "31536000", "31536001", "-31536000.5"]
INT8_EDGES = [0, 1, -1, 9223372036854775807, -9223372036854775808, 2147483648, 4294967296]
INTERVALS = ["0", "1 microsecond", "-1 microsecond", "1 second", "-1 second", "1 minute",
             "1 day -86401 seconds", "1 mon -30 days", "-1 mon 31 days", "178000000 years",
             "-178000000 years", "2147483647 days", "-2147483648 days", "2147483647 months",
             "-2147483648 months", "9223372036854 seconds", "1000 years", "P1Y2M3DT4H5M6S",
             "@ 1 hour ago"]
JSON_SMALL = ['{}', '{"a": 1}', '{"k": "v", "n": null, "b": [1, 2, {"c": true}]}',
              '[]', '[1, 2]', '1', '"s"', 'null', 'true', '{"\\u00e9\\u4e2d": "\\ud83d\\udca9"}',
              '{"n": 1e308}', '{"n": -0}', '{"n": 123456789012345678901234567890}',
              '{"": ""}', '{"a": "\\t\\n\\\\"}', '{"a\'b": "c;d"}']


def lit(s: str) -> str:
    return "'" + s.replace("'", "''") + "'"


class Gen:
    def __init__(self, rng: random.Random):
        self.r = rng

    def text(self, role: str = "") -> str:
        r = self.r
        x = r.random()
        if x < 0.06:
            return "NULL::text"
        if role == "access":
            return lit(r.choice(["producer", "consumer", "monitor", "admin", "Admin", "producer ",
                                 "", "all"] + HOSTILE_STRINGS[:8])) + "::text"
        if role == "cron_expression":
            return lit(r.choice(["* * * * *", "@daily", "0 0 29 2 *", "0 0 30 2 *", "*/0 * * * *",
                                 "61 * * * *", "1-60/7 * * * mon-sun", "@reboot", "", " ",
                                 "* * * * * *", "0 0 31 * 1-5,sat", "*" * 300] +
                                HOSTILE_STRINGS[:8])) + "::text"
        if role == "time_zone":
            return lit(r.choice(["UTC", "Europe/Paris", "America/New_York", "Asia/Kolkata",
                                 "EST5EDT", "+05:30", "Mars/Base", "", "posixrules",
                                 "../../../etc/passwd"] + HOSTILE_STRINGS[:8])) + "::text"
        if role == "backoff":
            return lit(r.choice(["none", "fixed", "exponential", "Fixed", "", "linear"] +
                                HOSTILE_STRINGS[:4])) + "::text"
        if role == "hostname":
            return lit(r.choice(["h", "host-1", "\u4e2d", "a" * 255, "a" * 256, ""] +
                                HOSTILE_STRINGS)) + "::text"
        if x < 0.55:
            return lit(r.choice(QUEUES)) + "::text"
        if x < 0.65:
            n = r.choice([1, 2, 64, 127, 128])
            alphabet = "abcXYZ019_.-"
            return lit("".join(r.choice(alphabet) for _ in range(n))) + "::text"
        if x < 0.995:
            return lit(r.choice(HOSTILE_STRINGS)) + "::text"
        return f"repeat('a', {r.choice([1_000_000, 2_000_000])})"

    def int4(self, role: str = "") -> str:
        r = self.r
        if role == "wait_seconds":   # never a real wait
            return r.choice(["NULL::int", "0", "-1", "3601", "2147483647", "(-2147483648)"])
        x = r.random()
        if x < 0.06:
            return "NULL::int"
        if x < 0.7:
            v = r.choice(INT4_EDGES)
        else:
            v = r.randint(-100, 100)
        return f"({v})::int"

    def int8(self, role: str = "") -> str:
        r = self.r
        x = r.random()
        if x < 0.08:
            return "NULL::bigint"
        if x < 0.35:
            table = "workers" if "worker" in role else r.choice(["messages", "archive"])
            return f"(SELECT id FROM pgqrs.{table} ORDER BY random() LIMIT 1)"
        if x < 0.6:
            v = r.choice(INT8_EDGES)
        else:
            v = r.randint(-5, 200)
        return f"({v})::bigint"

    def boolean(self) -> str:
        return self.r.choice(["true", "false", "NULL::boolean"])

    def float8(self) -> str:
        r = self.r
        if r.random() < 0.08:
            return "NULL::float8"
        return f"({r.choice(FLOAT8_EDGES)})::float8" if r.random() < 0.7 else f"({r.uniform(-10, 10)})::float8"

    def interval(self) -> str:
        r = self.r
        if r.random() < 0.08:
            return "NULL::interval"
        return lit(r.choice(INTERVALS)) + "::interval"

    def json_text(self) -> str:
        r = self.r
        x = r.random()
        if x < 0.8:
            return r.choice(JSON_SMALL)
        if x < 0.9:
            depth = r.choice([10, 100, 1000, 5000])
            return '{"a": ' * depth + "1" + "}" * depth
        if x < 0.95:
            depth = r.choice([100, 2000])
            return "[" * depth + "]" * depth
        if x < 0.98:
            return json.dumps({"k%d" % i: i for i in range(r.choice([100, 5000]))})
        return json.dumps({"big": "x" * r.choice([1024 * 1024 - 20, 1024 * 1024 + 10,
                                                   3 * 1024 * 1024])})

    def jsonb(self) -> str:
        if self.r.random() < 0.06:
            return "NULL::jsonb"
        return lit(self.json_text()) + "::jsonb"

    def array(self, elem_type: str) -> str:
        r = self.r
        x = r.random()
        if x < 0.06:
            return f"NULL::{elem_type}[]"
        if x < 0.1:
            return f"'{{}}'::{elem_type}[]"
        if x < 0.13:   # two-dimensional
            if elem_type == "jsonb":
                return "ARRAY[ARRAY['{}'::jsonb], ARRAY['{}'::jsonb]]"
            return f"'{{{{1,2}},{{3,4}}}}'::{elem_type}[]"
        if x < 0.15:   # odd lower bound
            return f"'[5:6]={{1,2}}'::{elem_type}[]" if elem_type != "jsonb" else \
                "'[5:6]={\"{}\",\"{}\"}'::jsonb[]"
        if x < 0.17:   # huge
            n = r.choice([10000, 10001, 50000])
            if elem_type == "jsonb":
                return f"array_fill('{{}}'::jsonb, ARRAY[{n}])"
            return f"(SELECT array_agg(g::{elem_type}) FROM generate_series(1, {n}) g)"
        n = r.choice([1, 1, 2, 3, 10])
        items = []
        for _ in range(n):
            if r.random() < 0.08:
                items.append(f"NULL::{elem_type}")
            elif elem_type == "jsonb":
                items.append(lit(self.json_text() if r.random() < 0.3 else "{}") + "::jsonb")
            elif elem_type == "bigint":
                items.append(self.int8())
            elif elem_type == "text":
                items.append(self.text())
            else:
                items.append(f"({r.choice(INT4_EDGES + [1, 1, 2])})::int")
        return f"ARRAY[{', '.join(items)}]::{elem_type}[]"

    def timestamptz(self) -> str:
        r = self.r
        return r.choice(["NULL::timestamptz", "now()", "'infinity'::timestamptz",
                         "'-infinity'::timestamptz", "'294276-12-31 23:59:59Z'::timestamptz",
                         "'4713-01-01 00:00Z BC'::timestamptz", "'2026-03-08 06:59Z'::timestamptz",
                         "'2000-02-29 12:00Z'::timestamptz"])

    def name(self) -> str:
        return lit(self.r.choice(ROLES)) + "::name"

    def value(self, typ: str, argname: str, fn: str) -> str:
        if typ == "text":
            role = argname if argname in ("access", "hostname", "cron_expression", "time_zone", "backoff") else ""
            return self.text(role)
        if typ == "integer":
            return self.int4(argname if fn == "dequeue_wait" and argname == "wait_seconds" else "")
        if typ == "bigint":
            return self.int8(argname)
        if typ == "boolean":
            return self.boolean()
        if typ == "interval":
            return self.interval()
        if typ == "double precision":
            return self.float8()
        if typ == "jsonb":
            return self.jsonb()
        if typ == "jsonb[]":
            return self.array("jsonb")
        if typ == "bigint[]":
            return self.array("bigint")
        if typ == "integer[]":
            return self.array("integer")
        if typ == "text[]":
            return self.array("text")
        if typ == "name":
            return self.name()
        if typ == "timestamp with time zone":
            return self.timestamptz()
        raise AssertionError(f"no generator for type {typ}")


def signatures(conn) -> list[dict]:
    rows = conn.execute("""
        SELECT p.proname, p.proretset, p.pronargdefaults,
               coalesce(p.proargnames, '{}'),
               ARRAY(SELECT format_type(t, NULL) FROM unnest(p.proargtypes) t)
        FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
        WHERE n.nspname = 'pgqrs' ORDER BY p.proname""").fetchall()
    return [{"name": r[0], "setof": r[1], "ndefaults": r[2], "argnames": list(r[3]),
             "types": list(r[4])} for r in rows]


def make_call(gen: Gen, sig: dict) -> str:
    r = gen.r
    fn, types, names = sig["name"], sig["types"], sig["argnames"]
    nargs = len(types)
    # dequeue_wait must never wait: its wait_seconds (default 30) is always given
    min_args = nargs if fn == "dequeue_wait" else nargs - sig["ndefaults"]
    used = r.randint(min_args, nargs) if r.random() < 0.3 else nargs
    args = [gen.value(types[i], names[i] if i < len(names) else "", fn) for i in range(used)]
    if names and r.random() < 0.2:   # named notation
        args = [f"{names[i]} => {a}" for i, a in enumerate(args)]
    target = 'pgqrs."delete"' if fn == "delete" else f"pgqrs.{fn}"
    call = f"{target}({', '.join(args)})"
    if sig["setof"]:
        return f"SELECT count(*) FROM {call}"
    return f"SELECT {call}"


@pytest.fixture(scope="module")
def cluster():
    c = Cluster("fuzz", settings={"log_min_messages": "warning",
                                  "log_min_error_statement": "panic"})
    c.start()
    c.create_db(DB)
    with c.connect(DB) as conn:
        conn.execute(RUNNER)
        for role in ROLES:
            conn.execute(psycopg.sql.SQL("CREATE ROLE {} NOLOGIN").format(psycopg.sql.Identifier(role)))
    yield c
    c.destroy()


def test_fuzz(cluster: Cluster):
    total = pick(int(os.environ.get("PGQRS_FUZZ_CALLS_SHORT", 100_000)),
                 int(os.environ.get("PGQRS_FUZZ_CALLS", 1_000_000)))
    seed = int(os.environ.get("PGQRS_FUZZ_SEED", 424242))
    print(f"\nfuzz: seed {seed}, {total} calls in rounds of {ROUND}")
    rng = random.Random(seed)
    gen = Gen(rng)

    conn = cluster.connect(DB)
    conn.execute("SET statement_timeout = '120s'")
    pid = conn.execute("SELECT pg_backend_pid()").fetchone()[0]
    sigs = signatures(conn)
    names = {s["name"] for s in sigs}
    assert len(sigs) >= 39, f"only {len(sigs)} functions found"
    # grant_access only with the roles created above (the generator's name type)
    for q in QUEUES:
        conn.execute("SELECT pgqrs.create_queue(%s)", (q,))

    states: dict[str, Counter] = defaultdict(Counter)
    internal: Counter = Counter()
    done = 0
    t0 = time.monotonic()
    rounds = 0
    while done < total:
        n = min(ROUND, total - done)
        chosen = [rng.choice(sigs) for _ in range(n)]
        calls = [make_call(gen, s) for s in chosen]
        if rng.random() < 0.05:
            conn.execute(f"SET pgqrs.max_payload_bytes = {rng.choice([1, 100, 1048576, 1073741822])}")
        try:
            got = conn.execute("SELECT fuzz_run(%s), pg_backend_pid()", (calls,)).fetchone()
        except psycopg.errors.QueryCanceled:
            path = os.path.join(results_dir(), "fuzz_hanging_round.sql")
            with open(path, "w") as f:
                f.write(";\n".join(calls) + ";\n")
            pytest.fail(f"a round of calls ran past statement_timeout (calls in {path})")
        except psycopg.OperationalError as e:
            path = os.path.join(results_dir(), "fuzz_failing_round.sql")
            with open(path, "w") as f:
                f.write(";\n".join(calls) + ";\n")
            pytest.fail(f"connection lost after {done} calls (seed {seed}): {e}\n"
                        f"round written to {path}\n{cluster.log_tail()}")
        results, now_pid = got
        assert now_pid == pid, "the backend changed: it crashed or reconnected"
        assert len(results) == n
        for s, st in zip(chosen, results):
            code = st[:5]
            assert len(code) == 5 and code.isalnum(), f"no SQLSTATE for a call of {s['name']}: {st}"
            states[s["name"]][code] += 1
            if code.startswith("XX"):
                internal[f"{s['name']}: {st}"] += 1
        done += n
        rounds += 1
        if rounds % 10 == 0:   # keep the tables small
            conn.execute("RESET pgqrs.max_payload_bytes")
            for q in QUEUES:
                conn.execute("SELECT pgqrs.create_queue(%s) WHERE NOT EXISTS "
                             "(SELECT FROM pgqrs.queues WHERE queue_name = %s)", (q, q))
                conn.execute("SELECT pgqrs.purge_queue(%s), pgqrs.purge_archive(%s)", (q, q))
    elapsed = time.monotonic() - t0

    conn.execute("RESET pgqrs.max_payload_bytes")
    conn.execute("SELECT pgqrs.verify()")
    assert conn.execute("SELECT pg_backend_pid()").fetchone()[0] == pid
    conn.close()
    with cluster.connect(DB) as other:
        other.execute("SELECT pgqrs.verify()")
    crashes = cluster.crash_lines()
    assert not crashes, "server log shows a crash:\n" + "\n".join(crashes)

    never_called = names - set(states)
    assert not never_called, f"functions never called: {never_called}"
    summary = {
        "seed": seed, "calls": done, "seconds": round(elapsed, 1),
        "calls_per_second": round(done / elapsed), "functions": len(names),
        "ok": sum(c["00000"] for c in states.values()),
        "errors": sum(sum(v for k, v in c.items() if k != "00000") for c in states.values()),
        "sqlstates": dict(sum(states.values(), Counter()).most_common()),
        "internal_errors": dict(internal.most_common(20)),
        "per_function": {k: dict(v) for k, v in sorted(states.items())},
    }
    with open(os.path.join(results_dir(), "fuzz.json"), "w") as f:
        json.dump(summary, f, indent=1)
    print("fuzz:", json.dumps({k: summary[k] for k in
                               ("seed", "calls", "seconds", "calls_per_second", "ok", "errors",
                                "sqlstates", "internal_errors")}, indent=1))
    # an internal error (class XX) is a path the extension did not foresee
    assert not internal, f"internal errors: {dict(internal)}"
