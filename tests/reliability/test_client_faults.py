"""Client faults: the CLI, the C++ client (a small probe program) and, when
importable, the Python package, against a server that restarts, a backend
killed by pg_terminate_backend, and a server that is not there.

Each call ends within a bound: a clear one-line error (CLI: non-zero exit, one
line on stderr) or a result; the next call after a fault reconnects.

Binaries: PGQRS_CLI and PGQRS_CLIENT_LIB (libpgqrs.a) when set, else
build/client/ of the repository when built, else they are built with CMake into
tests/reliability/.build/.
"""
from __future__ import annotations

import asyncio
import os
import queue
import shutil
import socket
import subprocess
import threading
import time

import pytest

from cluster import Cluster

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))
OWN_BUILD = os.path.join(HERE, ".build")
BOUND = 15          # seconds any single call may take
QUEUE = "faults"


def _build_client() -> str:
    """The build directory holding pgqrs (CLI) and libpgqrs.a, built from the
    current sources (the repository's build/client when built, else our own)."""
    d = os.path.join(REPO, "build", "client")
    if os.path.exists(os.path.join(d, "pgqrs")) and os.path.exists(os.path.join(d, "libpgqrs.a")):
        return d
    d = os.path.join(OWN_BUILD, "client")
    if not os.path.exists(os.path.join(d, "CMakeCache.txt")):
        gen = ["-G", "Ninja"] if shutil.which("ninja") else []
        subprocess.run(["cmake", "-S", os.path.join(REPO, "client"), "-B", d, *gen,
                        "-DCMAKE_BUILD_TYPE=Release"], check=True, capture_output=True)
    # incremental: the probe compiles against the current headers, so the library must match
    subprocess.run(["cmake", "--build", d, "--target", "pgqrs_cli", "pgqrs_static"], check=True,
                   capture_output=True)
    return d


@pytest.fixture(scope="module")
def binaries():
    cli, lib = os.environ.get("PGQRS_CLI"), os.environ.get("PGQRS_CLIENT_LIB")
    if not (cli and lib):
        d = _build_client()
        cli, lib = cli or os.path.join(d, "pgqrs"), lib or os.path.join(d, "libpgqrs.a")
    probe = os.path.join(OWN_BUILD, "fault_probe")
    os.makedirs(OWN_BUILD, exist_ok=True)
    pg_inc = subprocess.check_output(["pg_config", "--includedir"], text=True).strip()
    subprocess.run(["g++", "-std=c++17", "-O1", "-I", os.path.join(REPO, "client", "include"),
                    "-I", pg_inc, os.path.join(HERE, "probe", "fault_probe.cpp"), lib, "-lpq",
                    "-o", probe], check=True)
    return {"cli": cli, "probe": probe}


@pytest.fixture(scope="module")
def cluster():
    c = Cluster("faults")
    c.start()
    with c.connect() as conn:
        conn.execute("CREATE EXTENSION pgqrs")
        conn.execute("SELECT pgqrs.create_queue(%s)", (QUEUE,))
    yield c
    c.destroy()


def run_cli(cli, dsn, *args, bound=BOUND):
    t0 = time.monotonic()
    p = subprocess.run(["timeout", "-s", "KILL", str(bound), cli, "--dsn", dsn, *args],
                       capture_output=True, text=True)
    return p.returncode, p.stdout, p.stderr, time.monotonic() - t0


def assert_clean_failure(rc, out, err, elapsed, bound=BOUND):
    assert rc not in (0, 124, -9, 137), f"rc {rc} after {elapsed:.1f}s (hung or no error)"
    lines = err.strip("\n").split("\n")
    assert len(lines) == 1 and lines[0].startswith("error: "), f"stderr not one error line: {err!r}"
    assert elapsed < bound


# -- CLI ---------------------------------------------------------------------

def test_cli_server_not_there(binaries):
    port = socket.socket()
    port.bind(("127.0.0.1", 0))
    closed = port.getsockname()[1]
    port.close()
    for dsn in (f"postgresql://postgres@127.0.0.1:{closed}/postgres",
                "postgresql://postgres@nonexistent.invalid/postgres",
                "postgresql://postgres@/postgres?host=/nonexistent-socket-dir"):
        rc, out, err, elapsed = run_cli(binaries["cli"], dsn, "queue", "list")
        assert_clean_failure(rc, out, err, elapsed)
        assert "08001" in err or "connect" in err


def test_cli_silent_server_bounded_by_connect_timeout(binaries):
    srv = socket.socket()
    srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    srv.bind(("127.0.0.1", 0))
    srv.listen(16)
    held = []
    stop = threading.Event()

    def accept():
        srv.settimeout(0.2)
        while not stop.is_set():
            try:
                held.append(srv.accept()[0])
            except OSError:
                pass

    t = threading.Thread(target=accept, daemon=True)
    t.start()
    try:
        dsn = f"postgresql://postgres@127.0.0.1:{srv.getsockname()[1]}/postgres?connect_timeout=2"
        rc, out, err, elapsed = run_cli(binaries["cli"], dsn, "queue", "list", bound=10)
        assert_clean_failure(rc, out, err, elapsed, bound=10)
    finally:
        stop.set()
        t.join()
        for c in held:
            c.close()
        srv.close()


def test_cli_during_restarts(binaries, cluster):
    """CLI calls in a loop while the server restarts (fast, immediate, kill -9)."""
    results = []
    stop = threading.Event()

    def loop():
        while not stop.is_set():
            results.append(run_cli(binaries["cli"], cluster.dsn(), "message", "enqueue",
                                   QUEUE, '{"cli": 1}'))

    t = threading.Thread(target=loop, daemon=True)
    t.start()
    try:
        for mode in ("fast", "immediate", "kill"):
            time.sleep(0.7)
            if mode == "kill":
                cluster.kill_postmaster()
            else:
                cluster.stop(mode)
            time.sleep(0.7)
            cluster.start()
            cluster.wait_ready()
        time.sleep(0.7)
    finally:
        stop.set()
        t.join(BOUND * 2)
    ok = [r for r in results if r[0] == 0]
    failed = [r for r in results if r[0] != 0]
    for rc, out, err, elapsed in failed:
        assert_clean_failure(rc, out, err, elapsed)
    assert failed, "no call saw the server down"
    assert results[-1][0] == 0, f"no call succeeded after the restarts: {results[-1]}"
    print(f"\nCLI during restarts: {len(ok)} ok, {len(failed)} clean errors, "
          f"slowest {max(r[3] for r in results):.2f}s")


def test_cli_backend_terminated(binaries, cluster):
    """A CLI call whose backend is terminated mid-statement fails with one line."""
    with cluster.connect() as conn:
        conn.execute("SELECT pgqrs.create_queue('faults_slow') WHERE NOT EXISTS "
                     "(SELECT FROM pgqrs.queues WHERE queue_name = 'faults_slow')")
        # an exclusive lock on the messages table makes the CLI's enqueue wait
        conn.execute("BEGIN")
        conn.execute("LOCK TABLE pgqrs.messages IN ACCESS EXCLUSIVE MODE")
        p = subprocess.Popen(["timeout", "-s", "KILL", str(BOUND), binaries["cli"], "--dsn",
                              cluster.dsn(application_name="cli_victim"), "message", "enqueue",
                              "faults_slow", "{}"], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                             text=True)
        with cluster.connect() as killer:
            deadline = time.monotonic() + 10
            pids = []
            while not pids and time.monotonic() < deadline:
                pids = [r[0] for r in killer.execute(
                    "SELECT pid FROM pg_stat_activity WHERE application_name = 'cli_victim' "
                    "AND wait_event_type = 'Lock'").fetchall()]
                time.sleep(0.05)
            assert pids, "the CLI call never blocked"
            t0 = time.monotonic()
            killer.execute("SELECT pg_terminate_backend(%s)", (pids[0],))
        out, err = p.communicate(timeout=BOUND + 5)
        elapsed = time.monotonic() - t0
        conn.execute("ROLLBACK")
    assert_clean_failure(p.returncode, out, err, elapsed)
    assert "57P01" in err or "08" in err, err


# -- C++ client (probe) --------------------------------------------------------

class Probe:
    def __init__(self, path, cluster):
        self.p = subprocess.Popen(
            [path, cluster.dsn(application_name="probe_producer"),
             cluster.dsn(application_name="probe_consumer"), QUEUE],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
            bufsize=1)
        self.lines: queue.Queue = queue.Queue()
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self):
        for line in self.p.stdout:
            self.lines.put(line.rstrip("\n"))

    def call(self, cmd, bound=BOUND):
        self.p.stdin.write(cmd + "\n")
        self.p.stdin.flush()
        try:
            line = self.lines.get(timeout=bound)
        except queue.Empty:
            raise AssertionError(f"probe call {cmd!r} did not answer within {bound}s (hung)")
        return line.split(" ", 4)

    def close(self):
        try:
            self.p.stdin.write("quit\n")
            self.p.stdin.flush()
            self.p.wait(5)
        except Exception:
            self.p.kill()
            self.p.wait()


@pytest.fixture
def probe(binaries, cluster):
    p = Probe(binaries["probe"], cluster)
    yield p
    p.close()


def _ok(answer):
    assert answer[0] == "ok", f"expected a result, got {' '.join(answer)}"


def _conn_error_or_ok(answer):
    if answer[0] == "ok":
        return "ok"
    assert answer[1] == "ConnectionError", f"not a connection error: {' '.join(answer)}"
    assert answer[2].startswith("08") or answer[2] in ("57P01", "57P02", "57P03"), answer
    return "error"


def test_probe_backend_terminated(probe, cluster):
    _ok(probe.call("enqueue"))
    _ok(probe.call("dequeue"))
    with cluster.connect() as conn:
        n = conn.execute("SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
                         "WHERE application_name IN ('probe_producer', 'probe_consumer')"
                         ).fetchone()[0]
    assert n == 2
    time.sleep(0.2)
    assert _conn_error_or_ok(probe.call("enqueue")) == "error"
    _ok(probe.call("enqueue"))         # reconnected
    assert _conn_error_or_ok(probe.call("dequeue")) == "error"
    _ok(probe.call("dequeue"))


@pytest.mark.parametrize("mode", ["fast", "immediate", "kill"])
def test_probe_server_restart(probe, cluster, mode):
    _ok(probe.call("enqueue"))
    _ok(probe.call("dequeue"))
    if mode == "kill":
        cluster.kill_postmaster()
    else:
        cluster.stop(mode)
    cluster.start()
    cluster.wait_ready()
    _conn_error_or_ok(probe.call("enqueue"))
    _ok(probe.call("enqueue"))
    _conn_error_or_ok(probe.call("dequeue"))
    _ok(probe.call("dequeue"))


def test_probe_server_gone_then_back(probe, cluster):
    _ok(probe.call("enqueue"))
    cluster.stop("fast")
    try:
        for _ in range(3):   # lost connection, then refused connects: all bounded errors
            assert _conn_error_or_ok(probe.call("enqueue")) == "error"
            assert _conn_error_or_ok(probe.call("dequeue")) == "error"
    finally:
        cluster.start()
        cluster.wait_ready()
    _ok(probe.call("enqueue"))
    _ok(probe.call("dequeue"))


# -- Python package (installed into .venv by make test-python) ------------------

def _pgqrs():
    import pgqrs
    return pgqrs


async def _bounded(coro, bound=BOUND):
    """A result or an exception, within bound seconds (asyncio.wait_for)."""
    try:
        return ("ok", await asyncio.wait_for(coro, bound))
    except asyncio.TimeoutError:
        raise AssertionError(f"python call did not finish within {bound}s (hung)")
    except Exception as e:  # noqa: BLE001 - classified by the caller
        return ("error", e)


def _is_conn_error(pgqrs, e):
    return isinstance(e, pgqrs.PgqrsError) and (
        isinstance(e, pgqrs.PgqrsConnectionError) or
        (getattr(e, "sqlstate", "") or "").startswith(("08", "57P")))


def test_python_server_not_there():
    pgqrs = _pgqrs()
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    closed = s.getsockname()[1]
    s.close()

    async def main():
        producer = pgqrs.Producer(f"postgresql://postgres@127.0.0.1:{closed}/postgres", QUEUE,
                                  "py-probe", 1)
        kind, e = await _bounded(producer.enqueue({"a": 1}))
        assert kind == "error" and _is_conn_error(pgqrs, e), (kind, e)
        return str(e)

    msg = asyncio.run(main())
    assert msg


def test_python_backend_terminated_and_restart(cluster):
    pgqrs = _pgqrs()

    async def main():
        producer = pgqrs.Producer(cluster.dsn(application_name="py_producer"), QUEUE, "py-probe", 11)
        consumer = pgqrs.Consumer(cluster.dsn(application_name="py_consumer"), QUEUE, "py-probe", 12)
        assert (await _bounded(producer.enqueue({"a": 1})))[0] == "ok"
        assert (await _bounded(consumer.dequeue()))[0] == "ok"
        with cluster.connect() as conn:
            conn.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                         "WHERE application_name IN ('py_producer', 'py_consumer')")
        await asyncio.sleep(0.2)
        for call in (lambda: producer.enqueue({"a": 2}), lambda: consumer.dequeue()):
            kind, value = await _bounded(call())
            if kind == "error":
                assert _is_conn_error(pgqrs, value), repr(value)
            kind, value = await _bounded(call())
            assert kind == "ok", f"no reconnect after pg_terminate_backend: {value!r}"

        for mode in ("fast", "kill"):
            if mode == "kill":
                cluster.kill_postmaster()
            else:
                cluster.stop(mode)
            cluster.start()
            cluster.wait_ready()
            for call in (lambda: producer.enqueue({"a": 3}), lambda: consumer.dequeue()):
                kind, value = await _bounded(call())
                if kind == "error":
                    assert _is_conn_error(pgqrs, value), repr(value)
                kind, value = await _bounded(call())
                assert kind == "ok", f"no reconnect after a {mode} restart: {value!r}"

        cluster.stop("fast")
        try:
            kind, value = await _bounded(producer.enqueue({"a": 4}))
            assert kind == "error" and _is_conn_error(pgqrs, value), (kind, value)
        finally:
            cluster.start()
            cluster.wait_ready()
        assert (await _bounded(producer.enqueue({"a": 5})))[0] == "ok"
        for client in (producer, consumer):
            close = getattr(client, "close", None)
            if close is not None:
                await _bounded(close())

    asyncio.run(main())
