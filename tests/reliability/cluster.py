"""A throwaway PostgreSQL 15 cluster the reliability suites start, crash and restart.

Unlike scripts/pgtmp.sh this helper can kill -9 the postmaster or a backend and
start the same data directory again on the same port, which the crash audit
needs. Run as root, the server runs as user postgres (initdb refuses root).
"""
from __future__ import annotations

import os
import re
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator

import psycopg

PG_USER = "postgres"


def bindir() -> str:
    if os.environ.get("PG_BINDIR"):
        return os.environ["PG_BINDIR"]
    cfg = os.environ.get("PG_CONFIG", "pg_config")
    return subprocess.check_output([cfg, "--bindir"], text=True).strip()


def free_port() -> int:
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def _as_pg(cmd: list[str], **kw) -> subprocess.CompletedProcess:
    if os.getuid() == 0:
        cmd = ["runuser", "-u", PG_USER, "--"] + cmd
    return subprocess.run(cmd, cwd="/", **kw)


# A crash of anything but our own kill -9: another signal, PANIC, failed assertion.
CRASH_PATTERN = re.compile(r"terminated by signal|server process .* was terminated|PANIC|TRAP:")


class Cluster:
    """initdb + pg_ctl in a temp dir; DSN on 127.0.0.1 with trust authentication."""

    def __init__(self, name: str = "rel", settings: dict[str, str] | None = None,
                 preload: bool = True):
        self.base = tempfile.mkdtemp(prefix=f"pgqrs-{name}-")
        if os.getuid() == 0:
            shutil.chown(self.base, PG_USER)
        os.chmod(self.base, 0o755)
        self.data = os.path.join(self.base, "pgdata")
        self.log = os.path.join(self.base, "server.log")
        self.port = free_port()
        self.settings = {
            "listen_addresses": "'127.0.0.1'",
            "unix_socket_directories": f"'{self.base}'",
            "fsync": "on",
            "synchronous_commit": "on",
            "logging_collector": "off",
            "max_connections": "100",
            "restart_after_crash": "on",
            "log_min_messages": "warning",
        }
        if preload:
            self.settings["shared_preload_libraries"] = "'pgqrs'"
        self.settings.update(settings or {})
        r = _as_pg([f"{bindir()}/initdb", "-D", self.data, "-U", PG_USER, "--auth=trust",
                    "--encoding=UTF8", "--locale=C", "--no-sync"],
                   capture_output=True, text=True)
        if r.returncode != 0:
            raise RuntimeError(f"initdb failed: {r.stdout}\n{r.stderr}")
        with open(os.path.join(self.data, "postgresql.conf"), "a") as f:
            f.write("\n# reliability suite\n")
            for k, v in self.settings.items():
                f.write(f"{k} = {v}\n")

    # -- lifecycle -----------------------------------------------------------

    def dsn(self, db: str = "postgres", **params) -> str:
        extra = "".join(f"&{k}={v}" for k, v in params.items())
        return f"postgresql://{PG_USER}@127.0.0.1:{self.port}/{db}?connect_timeout=5{extra}"

    def start(self, timeout: float = 60) -> None:
        r = _as_pg([f"{bindir()}/pg_ctl", "-D", self.data, "-l", self.log, "-w",
                    "-t", str(int(timeout)), "-o", f"-p {self.port}", "start"],
                   capture_output=True, text=True)
        if r.returncode != 0:
            raise RuntimeError(f"server did not start: {r.stdout}{r.stderr}\n{self.log_tail()}")

    def stop(self, mode: str = "fast") -> None:
        if os.path.exists(os.path.join(self.data, "postmaster.pid")):
            _as_pg([f"{bindir()}/pg_ctl", "-D", self.data, "-m", mode, "-w", "-t", "60", "stop"],
                   capture_output=True, text=True)

    def destroy(self) -> None:
        self.stop("immediate")
        if os.environ.get("PGQRS_REL_KEEP"):
            print(f"kept cluster files in {self.base}")
            return
        shutil.rmtree(self.base, ignore_errors=True)

    def postmaster_pid(self) -> int | None:
        try:
            with open(os.path.join(self.data, "postmaster.pid")) as f:
                return int(f.readline().strip())
        except (OSError, ValueError):
            return None

    def children(self, pid: int) -> list[int]:
        r = subprocess.run(["pgrep", "-P", str(pid)], capture_output=True, text=True)
        return [int(x) for x in r.stdout.split()]

    def kill_postmaster(self) -> None:
        """kill -9 of the postmaster, then wait for its orphaned children to go."""
        pid = self.postmaster_pid()
        assert pid is not None, "no postmaster"
        kids = self.children(pid)
        os.kill(pid, signal.SIGKILL)
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            alive = [k for k in kids if _alive(k)]
            if not alive and not _alive(pid):
                break
            time.sleep(0.05)
        else:
            # children of our own postmaster that did not notice its death
            for k in kids:
                if _alive(k):
                    os.kill(k, signal.SIGKILL)
            time.sleep(0.5)
        # The killed postmaster may stay a zombie (PID 1 of a container does not
        # always reap): a new postmaster would take it for a running one. Its
        # children are gone, so its lock file is stale.
        if self.postmaster_pid() == pid:
            os.unlink(os.path.join(self.data, "postmaster.pid"))
            lock = os.path.join(self.base, f".s.PGSQL.{self.port}.lock")
            for stale in (lock, lock[:-len(".lock")]):
                if os.path.exists(stale):
                    os.unlink(stale)

    def wait_ready(self, timeout: float = 60) -> None:
        deadline = time.monotonic() + timeout
        last = None
        while time.monotonic() < deadline:
            try:
                with psycopg.connect(self.dsn(), autocommit=True, connect_timeout=2) as c:
                    c.execute("SELECT 1")
                    return
            except psycopg.Error as e:
                last = e
                time.sleep(0.1)
        raise RuntimeError(f"server not ready after {timeout}s: {last}\n{self.log_tail()}")

    # -- helpers -------------------------------------------------------------

    def connect(self, db: str = "postgres", **kw) -> psycopg.Connection:
        kw.setdefault("autocommit", True)
        return psycopg.connect(self.dsn(db), **kw)

    def create_db(self, name: str) -> None:
        with self.connect() as c:
            c.execute(f'CREATE DATABASE "{name}"')
        with self.connect(name) as c:
            c.execute("CREATE EXTENSION pgqrs")

    def log_text(self) -> str:
        try:
            with open(self.log, errors="replace") as f:
                return f.read()
        except OSError:
            return ""

    def log_tail(self, n: int = 30) -> str:
        return "\n".join(self.log_text().splitlines()[-n:])

    def crash_lines(self, allow_sigkill: bool = False) -> list[str]:
        """Log lines that show a crash; with allow_sigkill, our own kill -9 is not one."""
        bad = []
        for line in self.log_text().splitlines():
            if not CRASH_PATTERN.search(line):
                continue
            if allow_sigkill and re.search(r"terminated by signal 9\b", line):
                continue
            bad.append(line)
        return bad


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    # a zombie counts as gone
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().split()[2] != "Z"
    except OSError:
        return False


def long_mode() -> bool:
    return os.environ.get("PGQRS_RELIABILITY_MODE", "short").lower() == "long"


def pick(short, long):
    return long if long_mode() else short


def results_dir() -> str:
    d = os.environ.get("PGQRS_RELIABILITY_OUT",
                       os.path.join(os.path.dirname(os.path.abspath(__file__)), "out"))
    os.makedirs(d, exist_ok=True)
    return d


def with_pgqrs(name: str, settings: dict[str, str] | None = None) -> Iterator[Cluster]:
    """A module fixture's body: a started cluster with pgqrs created, destroyed
    afterwards, failing the module when its log shows a crash."""
    c = Cluster(name, settings=settings)
    c.start()
    with c.connect() as conn:
        conn.execute("CREATE EXTENSION pgqrs")
    yield c
    crashes = c.crash_lines()
    c.destroy()
    assert not crashes, crashes
