"""The pgqrs benchmark (make bench / make bench-quick): the scenarios S1-S5 of
the benchmark canon at three layers (SQL through pgbench, the C++ client, the
Python package), with the limit (SELECT 1, bare SQL on tables of the same
shape), PgQ and pgqrs 0.15 from PyPI measured in the same run on the same
server, each cell's systems back to back. Writes bench/results/latest.jsonl,
then bench/results/REPORT.md and the plots (bench/report.py).

    .venv/bin/python bench/run.py [--quick]

Environment: PGQRS_DSN (a server to use; default: a throwaway one started
here with scripts/pgtmp.sh), BENCH_SECONDS (seconds per cell, overrides the
mode's), BENCH_BACKLOG (S3 backlog), BENCH_SKIP_PYPI=1 (no PyPI peer).
Needs: pgbench, postgresql-15-pgq3 (PgQ; skipped when absent), the client
built here into build/bench/cpp, ./python installed in .venv, and
bench/.venv-pgqrs-pypi (made here when missing: pip install pgqrs==0.15.*).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import re
import shlex
import shutil
import subprocess
import sys
import tempfile
import time
from datetime import datetime, timezone
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
SQLDIR = HERE / "sql"
RESULTS = HERE / "results"
BUILD = REPO / "build" / "bench"
CPP_BUILD = BUILD / "cpp"
PYPI_VENV = HERE / ".venv-pgqrs-pypi"
OURS_PY = REPO / ".venv" / "bin" / "python"

T0 = time.monotonic()
ROWS: list[dict] = []
OUT = None


def log(msg: str) -> None:
    m, s = divmod(int(time.monotonic() - T0), 60)
    print(f"[{m:02d}:{s:02d}] {msg}", file=sys.stderr, flush=True)


def sh(cmd: list[str] | str, env: dict | None = None, check: bool = True, **kw) -> str:
    e = dict(os.environ)
    if env:
        e.update(env)
    r = subprocess.run(cmd, env=e, capture_output=True, text=True, shell=isinstance(cmd, str), **kw)
    if check and r.returncode != 0:
        raise RuntimeError(f"command failed ({r.returncode}): {cmd}\n{r.stdout[-2000:]}\n{r.stderr[-2000:]}")
    return r.stdout


class Pg:
    def __init__(self, dsn: str) -> None:
        self.dsn = dsn

    def q(self, sql: str, db_dsn: str | None = None) -> str:
        return sh(["psql", db_dsn or self.dsn, "-X", "-q", "-At", "-v", "ON_ERROR_STOP=1", "-c", sql]).strip()

    def qf(self, path: Path) -> None:
        sh(["psql", self.dsn, "-X", "-q", "-o", "/dev/null", "-v", "ON_ERROR_STOP=1", "-f", str(path)])


def other_db(dsn: str, db: str) -> str:
    if "://" in dsn:
        u = urlsplit(dsn)
        return urlunsplit((u.scheme, u.netloc, "/" + db, u.query, u.fragment))
    return re.sub(r"dbname=\S+", "", dsn) + f" dbname={db}"


def record(row: dict) -> None:
    ROWS.append(row)
    OUT.write(json.dumps(row) + "\n")
    OUT.flush()
    lat = f" p50 {row['p50']}{row.get('unit', '')}" if "p50" in row else ""
    log(f"  {row['scenario']} {row['layer']:6s} {row['system']:18s} {json.dumps(row['params'])}: "
        f"{row['msgs_per_s']:.0f} msg/s{lat}")


def sync_env(sync: str) -> dict:
    return {"PGOPTIONS": f"-c synchronous_commit={sync}"}


# --- pgbench -------------------------------------------------------------------

def pgbench(pg: Pg, script: str, clients: int, sync: str, seconds: float | None = None, tx: int | None = None,
            defs: dict | None = None, rate: int | None = None) -> dict:
    logdir = Path(tempfile.mkdtemp(dir=BUILD))
    cmd = [shutil.which("pgbench") or PGBIN + "/pgbench", "-M", "prepared", "-n", "-c", str(clients),
           "-j", str(min(clients, 2)), "-f", str(SQLDIR / script), "-l", "--log-prefix", str(logdir / "tx")]
    cmd += ["-T", str(int(seconds))] if tx is None else ["-t", str(tx)]
    if rate:
        cmd += ["-R", str(rate)]
    for k, v in (defs or {}).items():
        cmd += ["-D", f"{k}={v}"]
    t0 = time.monotonic()
    out = sh(cmd + [pg.dsn], env=sync_env(sync))
    elapsed = time.monotonic() - t0
    lat = []
    for f in logdir.iterdir():
        for line in f.read_text().splitlines():
            parts = line.split()
            if len(parts) >= 3:
                lat.append(float(parts[2]))
    shutil.rmtree(logdir, ignore_errors=True)
    tps = float(re.search(r"^tps = ([0-9.]+)", out, re.M).group(1))
    xacts = int(re.search(r"number of transactions actually processed: (\d+)", out).group(1))
    # pgbench's own time base (tps excludes connecting), not the process's wall time
    return {"tps": tps, "xacts": xacts, "elapsed": xacts / tps if tps > 0 else elapsed, "lat": lat}


def pcts(values: list[float], unit: str) -> dict:
    v = sorted(values)
    if not v:
        return {}

    def p(q: float) -> float:
        return round(v[min(len(v) - 1, int(q / 100 * (len(v) - 1) + 0.5))], 3)

    return {"unit": unit, "p50": p(50), "p95": p(95), "p99": p(99), "max": round(v[-1], 3)}


def sql_row(scenario: str, system: str, params: dict, msgs: float, seconds: float, lat: list[float]) -> None:
    record({"scenario": scenario, "layer": "sql", "system": system, "params": params, "msgs": int(msgs),
            "seconds": round(seconds, 3), "msgs_per_s": round(msgs / seconds, 1) if seconds else 0.0,
            **pcts(lat, "us")})


# --- client programs -------------------------------------------------------------

def run_json(cmd: list[str], env: dict, extra_params: dict) -> list[dict]:
    e = dict(os.environ, **env)
    try:
        r = subprocess.run(cmd, env=e, capture_output=True, text=True, timeout=900)
    except subprocess.TimeoutExpired:
        log(f"  WARNING: timed out: {shlex.join(cmd)}")
        return []
    out = r.stdout
    if r.returncode != 0:
        log(f"  WARNING: exit status {r.returncode} ({'results kept' if '{' in out else 'no results'}): "
            f"{shlex.join(cmd[1:4])} {r.stderr.strip()[-300:]}")
    rows = []
    for line in out.splitlines():
        if line.startswith("{"):
            row = json.loads(line)
            row["params"].update(extra_params)
            record(row)
            rows.append(row)
    return rows


def cpp(pg: Pg, mode: str, queue: str, sync: str, extra: dict, *args: str) -> list[dict]:
    return run_json([str(CPP_BUILD / "pgqrs_bench"), pg.dsn, mode, queue, *args], sync_env(sync),
                    {"sync": sync, **extra})


def py(pg: Pg, mode: str, queue: str, sync: str, extra: dict, *args: str) -> list[dict]:
    return run_json([str(OURS_PY), str(HERE / "py" / "bench_ours.py"), pg.dsn, mode, queue, *args],
                    sync_env(sync), {"sync": sync, **extra})


def pypi(pg: Pg, mode: str, queue: str, sync: str, extra: dict, *args: str) -> list[dict]:
    if not PYPI:
        return []
    pg.q(f"ALTER DATABASE bench_pypi SET synchronous_commit = {sync}")
    return run_json([str(PYPI_VENV / "bin" / "python"), str(HERE / "py" / "bench_pypi.py"), PYPI_DSN, mode, queue,
                     *args], {}, {"sync": sync, **extra})


# --- housekeeping ------------------------------------------------------------------

def settle(pg: Pg) -> None:
    """Before a cell: empty what earlier cells left, vacuum and checkpoint."""
    names = ", ".join(f"'{n}'" for n in sorted(QUEUES))
    pg.q(f"SELECT count(pgqrs.purge_queue(queue_name)) + count(pgqrs.purge_archive(queue_name)) "
         f"FROM pgqrs.list_queues() WHERE queue_name IN ({names})")
    pg.q("TRUNCATE bench_bare.messages, bench_bare.archive")
    pg.q("VACUUM ANALYZE pgqrs.messages, pgqrs.archive, bench_bare.messages, bench_bare.archive")
    if PYPI:
        pg.q("VACUUM", PYPI_DSN)
    pg.q("CHECKPOINT")


def queue(pg: Pg, name: str) -> str:
    QUEUES.add(name)
    pg.q(f"SELECT count(*) FROM pgqrs.create_queue('{name}')"
         f" WHERE NOT EXISTS (SELECT 1 FROM pgqrs.list_queues() WHERE queue_name = '{name}')")
    return name


PAYLOAD = '{"k":"' + "v" * 54 + '"}'


def fill(pg: Pg, name: str, n: int) -> None:
    left = n
    while left > 0:
        k = min(left, 10000)
        pg.q(f"SELECT count(*) FROM pgqrs.enqueue_batch('{name}', "
             f"(SELECT array_agg('{PAYLOAD}'::jsonb) FROM generate_series(1, {k})))")
        left -= k


# --- scenarios ------------------------------------------------------------------------

def s1(pg: Pg, cfg: dict) -> None:
    # every cell runs in cfg["rounds"] short rounds, the systems interleaved, so that
    # the machine's drift over a few minutes falls on all of them alike
    R = cfg["rounds"]
    T = max(2, int(cfg["seconds"] / R))
    wids = [int(pg.q(f"SELECT id FROM pgqrs.register_worker('pgbench', {i}, 'bench')")) for i in range(1, 5)]
    assert wids == list(range(wids[0], wids[0] + 4)), f"pgbench workers not consecutive: {wids}"
    wid = wids[0]
    for sync in ("on", "off"):
        for n in (1, 4):
            for rnd in range(R):
                log(f"S1 enqueue, {n} producer(s), synchronous_commit={sync}, round {rnd + 1} of {R}")
                settle(pg)
                p = {"producers": n, "sync": sync, "round": rnd}
                extra = {"round": rnd}
                if sync == "on":
                    r = pgbench(pg, "select1.sql", n, sync, T)
                    sql_row("S1", "limit: SELECT 1", p, r["xacts"], r["elapsed"], r["lat"])
                r = pgbench(pg, "bare_insert.sql", n, sync, T)
                sql_row("S1", "limit: bare INSERT", p, r["xacts"], r["elapsed"], r["lat"])
                if PGQ:
                    r = pgbench(pg, "pgq_insert.sql", n, sync, T)
                    sql_row("S1", "PgQ", p, r["xacts"], r["elapsed"], r["lat"])
                r = pgbench(pg, "enqueue.sql", n, sync, T)
                sql_row("S1", "pgqrs", p, r["xacts"], r["elapsed"], r["lat"])
                r = pgbench(pg, "enqueue_worker.sql", n, sync, T, defs={"queue": "bench", "wid0": wid})
                sql_row("S1", "pgqrs (client SQL)", p, r["xacts"], r["elapsed"], r["lat"])
                cpp(pg, "enqueue", queue(pg, "s1_cpp"), sync, extra, "--threads", str(n), "--seconds", str(T))
                py(pg, "enqueue", queue(pg, "s1_py"), sync, extra, "--producers", str(n), "--seconds", str(T))
                if n == 1:
                    for conns in ("1", "8"):
                        py(pg, "concurrent", queue(pg, "s1_py"), sync, extra, "--coroutines", "100", "--seconds",
                           str(T), "--max-connections", conns)
                    py(pg, "enqueue", queue(pg, "s1_py"), sync, extra, "--seconds", str(T), "--loop", "uvloop")
                    for driver in ("asyncpg", "psycopg"):
                        run_json([str(OURS_PY), str(HERE / "py" / "bench_drivers.py"), pg.dsn, driver,
                                  queue(pg, "s1_py"), "--seconds", str(T)], sync_env(sync), {"sync": sync, **extra})
                pypi(pg, "enqueue", "s1_pypi", sync, extra, "--producers", str(n), "--seconds", str(T))
    log("S1 pipelined enqueues of 1,000 messages on one connection (client/bench/enqueue_bench)")
    settle(pg)
    for rep in range(cfg["reps"]):
        out = sh([str(CPP_BUILD / "client" / "enqueue_bench"), pg.dsn, "--messages", "1000"], env=sync_env("off"))
        vals = {k: float(v) for k, v in re.findall(r"^(blocking enqueue loop|pipelined enqueues|pipelined, one commit):"
                                                    r"\s+([0-9.]+)", out, re.M)}
        for k, v in vals.items():
            record({"scenario": "S1", "layer": "cpp", "system": "pgqrs", "msgs": 1000, "seconds": round(1000 / v, 4),
                    "msgs_per_s": v, "params": {"producers": 1, "sync": "off", "mode": k, "rep": rep}})


def s2(pg: Pg, cfg: dict) -> None:
    T = cfg["seconds"]
    B = 100
    for n in (1, 4):
        log(f"S2 enqueue_batch {B}, {n} producer(s)")
        settle(pg)
        p = {"producers": n, "batch": B, "sync": "on"}
        r = pgbench(pg, "bare_insert_batch.sql", n, "on", T, defs={"batch": B})
        sql_row("S2", "limit: bare INSERT", p, r["xacts"] * B, r["elapsed"], r["lat"])
        if PGQ:
            r = pgbench(pg, "pgq_insert_batch.sql", n, "on", T, defs={"batch": B})
            sql_row("S2", "PgQ", p, r["xacts"] * B, r["elapsed"], r["lat"])
        r = pgbench(pg, "enqueue_batch.sql", n, "on", T, defs={"batch": B, "queue": "bench"})
        sql_row("S2", "pgqrs", p, r["xacts"] * B, r["elapsed"], r["lat"])
        cpp(pg, "batch", queue(pg, "s2_cpp"), "on", {}, "--threads", str(n), "--seconds", str(T), "--batch", str(B))
        py(pg, "batch", queue(pg, "s2_py"), "on", {}, "--producers", str(n), "--seconds", str(T), "--batch", str(B))
        pypi(pg, "batch", "s2_pypi", "on", {}, "--producers", str(n), "--seconds", str(T), "--batch", str(B))


def s3(pg: Pg, cfg: dict) -> None:
    T, backlog = cfg["drain_seconds"], cfg["backlog"]
    payload = PAYLOAD
    for sync in ("on", "off"):
        for batch in (1, 50):
            for n in (1, 4):
                log(f"S3 drain of a {backlog} backlog, {n} consumer(s) x batch {batch}, synchronous_commit={sync}"
                    f" (until empty or {T} s)")
                p = {"consumers": n, "batch": batch, "sync": sync, "backlog": backlog}
                # SQL layer: pgbench -t, at most what the cap would roughly allow
                cap = backlog if batch > 1 else min(backlog, cfg["sql_drain1_cap"])
                tx = max(1, cap // (n * batch))
                settle(pg)
                fill(pg, "bench", backlog)
                pg.q("VACUUM ANALYZE pgqrs.messages")
                count_sql = "SELECT count(*) FROM pgqrs.archive WHERE queue_id = (SELECT id FROM pgqrs.get_queue('bench'))"
                before = int(pg.q(count_sql))
                script = "drain_1.sql" if batch == 1 else "drain_batch.sql"
                r = pgbench(pg, script, n, sync, tx=tx, defs={"batch": batch})
                done = int(pg.q(count_sql)) - before
                sql_row("S3", "pgqrs", p, done, r["elapsed"], r["lat"])
                pg.q("SELECT pgqrs.purge_queue('bench')")
                pg.q(f"INSERT INTO bench_bare.messages (queue_id, payload, vt) "
                     f"SELECT 1, '{payload}'::jsonb, now() FROM generate_series(1, {backlog})")
                pg.q("VACUUM ANALYZE bench_bare.messages")
                script = "bare_drain_1.sql" if batch == 1 else "bare_drain_batch.sql"
                r = pgbench(pg, script, n, sync, tx=tx, defs={"batch": batch})
                done = int(pg.q("SELECT count(*) FROM bench_bare.archive"))
                sql_row("S3", "limit: bare SQL", p, done, r["elapsed"], r["lat"])
                # clients
                for name, runner in (("cpp", cpp), ("py", py)):
                    settle(pg)
                    q = queue(pg, f"s3_{name}")
                    fill(pg, q, backlog)
                    pg.q("VACUUM ANALYZE pgqrs.messages")
                    args = ["--seconds", str(T), "--batch", str(batch)]
                    args += ["--threads", str(n)] if name == "cpp" else ["--consumers", str(n)]
                    runner(pg, "drain", q, sync, {"backlog": backlog}, *args)
                if PYPI:
                    settle(pg)
                    qn = f"s3_pypi_{sync}_{batch}_{n}"
                    pypi(pg, "fill", qn, sync, {}, "--messages", str(backlog))
                    pg.q("VACUUM ANALYZE", PYPI_DSN)
                    pypi(pg, "drain", qn, sync, {"backlog": backlog}, "--seconds", str(T), "--batch", str(batch),
                         "--consumers", str(n))


def s4(pg: Pg, cfg: dict) -> None:
    T, rate = cfg["latency_seconds"], 1000
    log(f"S4 latency: producer at {rate} msg/s for {T} s, consumers in dequeue_wait (synchronous_commit=off)")
    for consumers in (1, 2):
        settle(pg)
        q = queue(pg, "s4_sql")
        pg.q("TRUNCATE bench_bare.latency")
        envs = dict(os.environ, **sync_env("off"))
        cons = subprocess.Popen([shutil.which("pgbench") or PGBIN + "/pgbench", "-M", "prepared", "-n", "-c",
                                 str(consumers), "-j", str(consumers), "-T", str(int(T + 3)),
                                 "-D", f"queue={q}", "-f", str(SQLDIR / "latency_consume.sql"), pg.dsn],
                                env=envs, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        time.sleep(1)
        r = pgbench(pg, "latency_produce.sql", 1, "off", T, defs={"queue": q}, rate=rate)
        cons.communicate()
        lat = [float(x) for x in pg.q("SELECT ms FROM bench_bare.latency").split()]
        record({"scenario": "S4", "layer": "sql", "system": "pgqrs",
                "params": {"rate": rate, "consumers": consumers, "batch": 1, "sync": "off"},
                "msgs": r["xacts"], "seconds": round(r["elapsed"], 3),
                "msgs_per_s": round(r["xacts"] / r["elapsed"], 1), "received": len(lat), **pcts(lat, "ms")})
        settle(pg)
        cpp(pg, "latency", queue(pg, "s4_cpp"), "off", {}, "--rate", str(rate), "--seconds", str(T),
            "--consumers", str(consumers))
        settle(pg)
        py(pg, "latency", queue(pg, "s4_py"), "off", {}, "--rate", str(rate), "--seconds", str(T),
           "--consumers", str(consumers))


def waiting(pg: Pg, cfg: dict) -> None:
    T = cfg["seconds"]
    log(f"waiting consumers: S1 enqueue (C++, 1 producer, synchronous_commit=off) with 0 / 8 waiters, "
        f"{cfg['waiting_reps']} interleaved rounds")
    q = queue(pg, "wait_main")
    other = queue(pg, "wait_other")
    # pinned: the producer (thread and backend) on CPU 0, the waiters on CPU 1, so the
    # waiters' own work cannot take the producer's CPU and the ratio shows what waiting
    # costs a producer; unpinned: everything shares the machine's cores
    cells = [(0, None, False), (8, "same", False)]
    if (os.cpu_count() or 1) >= 2:
        cells = [(0, None, True), (8, "same", True), (8, "other", True)] + cells
    for rep in range(cfg["waiting_reps"]):
        for waiters, where, pinned in cells:
            settle(pg)
            args = ["--threads", "1", "--seconds", str(T), "--waiters", str(waiters), "--pin", str(int(pinned))]
            if where == "other":
                args += ["--wait-queue", other]
            cpp(pg, "enqueue", q, "off", {"test": "waiters", "rep": rep}, *args)
    log("wake-one: claim scans per enqueued message with 1 and 8 waiters")
    settle(pg)
    cpp(pg, "wake", queue(pg, "wake"), "off", {"sync": "off"}, "--rate", "100", "--seconds", str(cfg["wake_seconds"]),
        "--consumers", "8")


def waitbatch(pg: Pg, cfg: dict) -> None:
    T, rate = cfg["waitbatch_seconds"], 4000
    log(f"waiting vs polling: 16 consumers (batch 64), producers enqueueing batches of 128 at {rate} msg/s, "
        f"{T} s per cell (synchronous_commit=off)")
    settle(pg)
    out = sh([str(OURS_PY), str(HERE / "py" / "bench_wait_batched.py"), pg.dsn, "--seconds", str(T),
              "--rate", str(rate)], env=sync_env("off"))
    for line in out.splitlines():
        if line.startswith("{"):
            record(json.loads(line))


# --- setup --------------------------------------------------------------------------------

def build_cpp() -> None:
    log("building the C++ bench (build/bench/cpp)")
    sh(["cmake", "-S", str(HERE / "cpp"), "-B", str(CPP_BUILD), "-G", "Ninja", "-DCMAKE_BUILD_TYPE=Release"])
    sh(["cmake", "--build", str(CPP_BUILD)])


def ensure_pypi() -> bool:
    if os.environ.get("BENCH_SKIP_PYPI"):
        return False
    if not (PYPI_VENV / "bin" / "python").exists():
        log("making bench/.venv-pgqrs-pypi (pgqrs 0.15 from PyPI)")
        sh([sys.executable, "-m", "venv", str(PYPI_VENV)])
        sh([str(PYPI_VENV / "bin" / "pip"), "install", "-q", "pgqrs==0.15.*"])
    return True


def server_info(pg: Pg) -> dict:
    keys = ["server_version", "shared_buffers", "max_wal_size", "synchronous_commit", "fsync", "wal_level",
            "checkpoint_timeout", "work_mem", "max_connections", "shared_preload_libraries"]
    vals = {k: pg.q(f"SHOW {k}") for k in keys}
    mem = next((l.split()[1] for l in open("/proc/meminfo") if l.startswith("MemTotal")), "?")
    cpu = next((l.split(":", 1)[1].strip() for l in open("/proc/cpuinfo") if l.startswith("model name")), "?")
    return {"date": datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC"), "nproc": os.cpu_count(),
            "mem_gb": round(int(mem) / 1024 / 1024, 1), "cpu": cpu, "kernel": platform.release(), "pg": vals,
            "pgq": PGQ, "pypi": PYPI}


def main() -> None:
    global OUT, PGQ, PYPI, PYPI_DSN, PGBIN
    ap = argparse.ArgumentParser()
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--only", default="s1,s2,s3,s4,waiting,waitbatch")
    a = ap.parse_args()
    if a.quick:
        cfg = {"seconds": 2, "drain_seconds": 3, "backlog": 20000, "sql_drain1_cap": 3000, "latency_seconds": 5,
               "reps": 1, "rounds": 1, "waiting_reps": 1, "wake_seconds": 3,
               "waitbatch_seconds": 4}
    else:
        cfg = {"seconds": 10, "drain_seconds": 10, "backlog": 100000, "sql_drain1_cap": 10000, "latency_seconds": 20,
               "reps": 2, "rounds": 3, "waiting_reps": 3, "wake_seconds": 8,
               "waitbatch_seconds": 8}
    if os.environ.get("BENCH_SECONDS"):
        cfg["seconds"] = cfg["drain_seconds"] = float(os.environ["BENCH_SECONDS"])
    if os.environ.get("BENCH_BACKLOG"):
        cfg["backlog"] = int(os.environ["BENCH_BACKLOG"])
    PGBIN = sh(["pg_config", "--bindir"]).strip()
    os.environ["PATH"] = PGBIN + ":" + os.environ["PATH"]
    BUILD.mkdir(parents=True, exist_ok=True)
    RESULTS.mkdir(parents=True, exist_ok=True)
    build_cpp()
    PYPI = ensure_pypi()

    dsn = os.environ.get("PGQRS_DSN")
    tmp = None
    if not dsn:
        tmp = tempfile.mkdtemp(prefix="pgqrs-bench.")
        os.chmod(tmp, 0o755)
        log("starting a throwaway server")
        dsn = sh([str(REPO / "scripts" / "pgtmp.sh"), "start", tmp + "/pg"],
                 env={"PGQRS_PG_OPTS": "-c shared_buffers=512MB -c max_wal_size=4GB -c max_connections=200"}).strip()
    pg = Pg(dsn)
    try:
        pg.qf(SQLDIR / "setup.sql")
        pg.q("CREATE TABLE bench_bare.latency (ms float8)")
        try:
            pg.q("CREATE EXTENSION IF NOT EXISTS pgq")
            pg.q("SELECT pgq.create_queue('bench')")
            PGQ = True
        except RuntimeError:
            log("PgQ not available (Debian package postgresql-15-pgq3): skipped")
            PGQ = False
        if PYPI:
            pg.q("DROP DATABASE IF EXISTS bench_pypi WITH (FORCE)")
            pg.q("CREATE DATABASE bench_pypi")
            PYPI_DSN = other_db(dsn, "bench_pypi")
            sh([str(PYPI_VENV / "bin" / "python"), str(HERE / "py" / "bench_pypi.py"), PYPI_DSN, "install"])
        meta = server_info(pg)
        meta["mode"] = "quick" if a.quick else "full"
        meta["cfg"] = cfg
        (RESULTS / "meta.json").write_text(json.dumps(meta, indent=1))
        with open(RESULTS / "latest.jsonl", "w") as OUT:
            steps = {"s1": s1, "s2": s2, "s3": s3, "s4": s4, "waiting": waiting, "waitbatch": waitbatch}
            for name in a.only.split(","):
                steps[name](pg, cfg)
        meta["duration_min"] = round((time.monotonic() - T0) / 60, 1)
        (RESULTS / "meta.json").write_text(json.dumps(meta, indent=1))
    finally:
        if tmp:
            sh([str(REPO / "scripts" / "pgtmp.sh"), "stop", tmp + "/pg"], check=False)
            shutil.rmtree(tmp, ignore_errors=True)
        else:
            pg.q("DROP DATABASE IF EXISTS bench_pypi WITH (FORCE)") if PYPI else None
            for n in QUEUES - {"bench"}:
                pg.q(f"SELECT pgqrs.delete_queue('{n}', true)")
            if PGQ:
                pg.q("SELECT pgq.drop_queue('bench', true)")
            sh(["psql", dsn, "-X", "-q", "-o", "/dev/null", "-f", str(SQLDIR / "teardown.sql")], check=False)
    log("writing bench/results/REPORT.md and plots")
    sh([sys.executable, str(HERE / "report.py")])
    log(f"done in {(time.monotonic() - T0) / 60:.1f} min: bench/results/REPORT.md")


QUEUES = {"bench"}  # the queues this run made (the only ones it purges and deletes)
PGQ = False
PYPI = False
PYPI_DSN = ""
PGBIN = ""

if __name__ == "__main__":
    main()
