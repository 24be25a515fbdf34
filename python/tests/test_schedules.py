"""Schedules: the Admin API, the cron module against a reference implementation
(cronsim), and the server's background worker enqueueing with no client."""

from __future__ import annotations

import asyncio
import random
import time
import uuid
from collections.abc import Iterator
from datetime import datetime, timedelta, timezone

import pytest
from cronsim import CronSim, CronSimError

from conftest import dsn_for_database, run_sql
from pgqrs._connection import Connection
from pgqrs import (
    Admin,
    InvalidInputError,
    PayloadError,
    QueueNotFoundError,
    ScheduleExistsError,
    ScheduleInfo,
    ScheduleNotFoundError,
)


async def test_schedule_lifecycle(tasks_dsn: str) -> None:
    async with Admin(tasks_dsn) as admin:
        s = await admin.create_schedule("open", "30 8 * * mon-fri", "tasks", {"job": "open"},
                                        time_zone="Europe/Paris", catch_up=False)
        assert isinstance(s, ScheduleInfo)
        assert (s.schedule_name, s.cron_expression, s.time_zone, s.queue_name) == (
            "open", "30 8 * * mon-fri", "Europe/Paris", "tasks")
        assert s.payload == {"job": "open"}
        assert s.catch_up is False and s.paused is False
        assert s.next_run_at > datetime.now(timezone.utc)
        assert s.next_run_at == (await admin.cron_times("30 8 * * mon-fri", "Europe/Paris", count=1))[0]
        assert s.last_run_at is None and s.runs == 0 and s.last_error is None
        assert [x.schedule_name for x in await admin.list_schedules()] == ["open"]
        assert (await admin.pause_schedule("open")).paused is True
        assert (await admin.resume_schedule("open")).paused is False
        assert await admin.delete_schedule("open") is True
        with pytest.raises(ScheduleNotFoundError):
            await admin.delete_schedule("open")
        assert await admin.list_schedules() == []


async def test_bad_input_raises_and_creates_nothing(tasks_dsn: str) -> None:
    async with Admin(tasks_dsn) as admin:
        await admin.create_schedule("daily", "@daily", "tasks", {})
        with pytest.raises(ScheduleExistsError):
            await admin.create_schedule("daily", "@hourly", "tasks", {})
        with pytest.raises(InvalidInputError, match="invalid cron expression"):
            await admin.create_schedule("x", "0 0 * * 8", "tasks", {})
        with pytest.raises(InvalidInputError, match="unknown time zone"):
            await admin.create_schedule("x", "@daily", "tasks", {}, time_zone="Atlantis/Capital")
        with pytest.raises(QueueNotFoundError):
            await admin.create_schedule("x", "@daily", "no_such_queue", {})
        with pytest.raises(PayloadError):
            await admin.create_schedule("x", "@daily", "tasks", [1, 2])
        with pytest.raises(ScheduleNotFoundError):
            await admin.pause_schedule("x")
        assert [s.schedule_name for s in await admin.list_schedules()] == ["daily"]


def random_field(rng: random.Random, low: int, high: int, names: list[str] | None) -> str:
    """One random cron field: *, a value, a range, a step or a list of them."""

    def value(v: int) -> str:
        if names is not None and rng.random() < 0.3 and v - low < len(names):
            return names[v - low]
        return str(v)

    def item() -> str:
        kind = rng.randrange(6)
        a = rng.randint(low, high)
        b = rng.randint(a, high)
        if kind == 0:
            return "*"
        if kind == 1:
            return f"*/{rng.randint(1, high - low + 1)}"
        if kind == 2:
            return value(a)
        if kind == 3:
            return f"{value(a)}-{value(b)}"
        if kind == 4 and b > a:  # cronsim reads "a-a/n" as "a/n" (a to the end); cron as {a}
            return f"{a}-{b}/{rng.randint(1, high - low + 1)}"
        if kind == 4:
            return f"{a}/{rng.randint(1, high - low + 1)}"
        return ",".join(value(rng.randint(low, high)) for _ in range(rng.randint(2, 4)))

    return item()


MONTHS = "jan feb mar apr may jun jul aug sep oct nov dec".split()
DAYS = "sun mon tue wed thu fri sat".split()


async def test_cron_times_agree_with_cronsim(installed_dsn: str) -> None:
    """Random expressions: the times pgqrs computes (UTC) are those of cronsim,
    a maintained cron evaluator with Vixie cron's day-of-month/day-of-week rule."""
    rng = random.Random(20261130)
    start = datetime(2026, 1, 1, 0, 0, tzinfo=timezone.utc)
    async with Admin(installed_dsn) as admin:
        checked = 0
        for _ in range(400):
            fields = [
                random_field(rng, 0, 59, None),
                random_field(rng, 0, 23, None),
                random_field(rng, 1, 31, None),
                random_field(rng, 1, 12, MONTHS),
                random_field(rng, 0, 6, DAYS),
            ]
            expression = " ".join(fields)
            after = start + timedelta(minutes=rng.randrange(0, 3 * 365 * 24 * 60))
            got = await admin.cron_times(expression, "UTC", after, 12)
            if not got:  # names no time ("31 jun"): cronsim refuses it too
                with pytest.raises(CronSimError):
                    CronSim(expression, after)
                continue
            reference = CronSim(expression, after)
            want = [next(reference) for _ in range(len(got))]
            assert got == want, expression
            assert len(got) == 12, expression
            checked += 1
        assert checked > 300


@pytest.fixture
def fast_worker(base_dsn: str) -> Iterator[None]:
    """The schedule launcher of the test server runs every 200 ms for this test."""
    run_sql(base_dsn, "ALTER SYSTEM SET pgqrs.schedule_interval = '200ms'", "SELECT pg_reload_conf()")
    try:
        time.sleep(0.3)
        yield
    finally:
        run_sql(base_dsn, "ALTER SYSTEM RESET pgqrs.schedule_interval", "SELECT pg_reload_conf()")


async def sql(dsn: str, *statements: str) -> None:
    """Runs statements in order on one connection of the running loop."""
    conn = Connection(dsn)
    try:
        for statement in statements:
            await conn.execute(statement)
    finally:
        conn.close()


async def wait_for(check, timeout: float = 15.0):  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while True:
        value = await check()
        if value or time.monotonic() > deadline:
            return value
        await asyncio.sleep(0.1)


async def test_server_enqueues_due_times_with_no_client(tasks_dsn: str, fast_worker: None) -> None:
    """The background worker finds this database (created after the server
    started), enqueues each missed time once, and never again."""
    async with Admin(tasks_dsn) as admin:
        await admin.create_schedule("tick", "* * * * *", "tasks", {"tick": True})
        await sql(tasks_dsn,
                  "UPDATE pgqrs.schedules SET next_run_at = date_trunc('minute', now()) - interval '2 minutes'")

        async def ran() -> ScheduleInfo | None:
            s = (await admin.list_schedules())[0]
            return s if s.runs > 0 else None

        s = await wait_for(ran)
        assert s is not None, "the worker did not run the schedule"
        assert s.runs >= 3 and s.next_run_at > datetime.now(timezone.utc) - timedelta(seconds=1)
        await asyncio.sleep(1.0)  # more rounds: nothing more is enqueued for those times
        after = (await admin.list_schedules())[0]
        metrics = await admin.queue_metrics("tasks")
        assert metrics.total_messages == after.runs
        assert after.runs <= s.runs + 1  # at most the next minute, if it came meanwhile


async def test_run_schedules_off_leaves_database_to_clients(tasks_dsn: str, fast_worker: None) -> None:
    database = tasks_dsn.rsplit("/", 1)[-1]
    await sql(tasks_dsn, f'ALTER DATABASE "{database}" SET pgqrs.run_schedules = off')
    async with Admin(tasks_dsn) as admin:
        await admin.create_schedule("tick", "* * * * *", "tasks", {"tick": True}, catch_up=False)
        await sql(tasks_dsn, "UPDATE pgqrs.schedules SET next_run_at = now() - interval '1 minute'")
        await asyncio.sleep(1.5)
        assert (await admin.list_schedules())[0].runs == 0
        assert await admin.run_due_schedules() == 1
        assert (await admin.queue_metrics("tasks")).total_messages == 1


async def test_drop_database_is_not_held_up_by_the_worker(base_dsn: str, fast_worker: None) -> None:
    """DROP DATABASE (without FORCE) waits for every process: the launcher and
    runners let it through within seconds, with pgqrs installed there or not."""
    for install in (True, False):
        name = "pgqrs_drop_" + uuid.uuid4().hex[:10]
        await sql(base_dsn, f'CREATE DATABASE "{name}"')
        if install:
            await sql(dsn_for_database(base_dsn, name), "CREATE EXTENSION pgqrs")
        await asyncio.sleep(0.5)  # a few rounds of the launcher
        started = time.monotonic()
        await sql(base_dsn, f'DROP DATABASE "{name}"')
        assert time.monotonic() - started < 8


async def test_worker_creates_nothing_where_pgqrs_is_not_installed(dsn: str, fast_worker: None) -> None:
    await asyncio.sleep(1.0)
    async with Admin(dsn) as admin:
        assert not await admin.is_installed()
