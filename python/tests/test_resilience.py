"""Lost connections: killed backends, unreachable servers, changed event loops."""

from __future__ import annotations

import asyncio
import os
import subprocess
import time

import pytest

from pgqrs import Admin, PgqrsConnectionError, Producer


async def backend_pid(client: Admin | Producer) -> int:
    value = await client._scalar("SELECT pg_catalog.pg_backend_pid()")
    assert value is not None
    return int(value)


async def terminate(admin: Admin, pid: int) -> None:
    await admin._execute("SELECT pg_catalog.pg_terminate_backend($1::int, 5000)", [str(pid)])


async def test_backend_killed_between_calls(tasks_dsn: str) -> None:
    async with Admin(tasks_dsn) as admin, Producer(tasks_dsn, "tasks", "p", 1) as producer:
        await producer.enqueue({"before": True})
        await terminate(admin, await backend_pid(producer))
        # the next call reconnects, or fails with a clear error: never hangs
        try:
            await asyncio.wait_for(producer.enqueue({"maybe": True}), timeout=10)
        except PgqrsConnectionError as exc:
            assert "connection" in str(exc)
        msg_id = await asyncio.wait_for(producer.enqueue({"after": True}), timeout=10)
        assert (await admin.get_messages().get(msg_id)).payload == {"after": True}


async def test_backend_killed_during_a_call(tasks_dsn: str) -> None:
    async with Admin(tasks_dsn) as admin, Producer(tasks_dsn, "tasks", "p", 1) as producer:
        await producer.enqueue({"before": True})
        pid = await backend_pid(producer)
        slow = asyncio.ensure_future(producer._execute("SELECT pg_catalog.pg_sleep(30)"))
        queued = asyncio.ensure_future(producer.enqueue({"queued": True}))
        await asyncio.sleep(0.3)
        await terminate(admin, pid)
        with pytest.raises(PgqrsConnectionError):
            await asyncio.wait_for(slow, timeout=10)
        with pytest.raises(PgqrsConnectionError):
            await asyncio.wait_for(queued, timeout=10)
        assert await asyncio.wait_for(producer.enqueue({"after": True}), timeout=10) > 0
        assert await backend_pid(producer) != pid


async def test_unreachable_server_fails_fast() -> None:
    producer = Producer("postgresql://postgres@127.0.0.1:1/nowhere", "tasks", "p", 1)
    started = time.monotonic()
    with pytest.raises(PgqrsConnectionError) as info:
        await asyncio.wait_for(producer.enqueue({"a": 1}), timeout=10)
    assert isinstance(info.value, RuntimeError) and isinstance(info.value, ConnectionError)
    assert "127.0.0.1" in str(info.value) or "connect" in str(info.value)
    assert time.monotonic() - started < 10
    await producer.close()


async def test_connect_timeout() -> None:
    # a non-routable address: the attempt hangs until our own timeout ends it
    admin = Admin("postgresql://postgres@10.255.255.1:5432/x", connect_timeout=0.5)
    with pytest.raises(PgqrsConnectionError):
        await asyncio.wait_for(admin.list_queues(), timeout=10)
    await admin.close()


async def test_bad_dsn() -> None:
    admin = Admin("this is not a dsn")
    with pytest.raises(PgqrsConnectionError):
        await asyncio.wait_for(admin.list_queues(), timeout=10)


def test_used_from_two_event_loops(tasks_dsn: str) -> None:
    """Built without a loop, then used by two asyncio.run calls in turn."""
    producer = Producer(tasks_dsn, "tasks", "p", 1)
    first = asyncio.run(producer.enqueue({"loop": 1}))
    second = asyncio.run(producer.enqueue({"loop": 2}))
    assert second > first
    asyncio.run(producer.close())


async def test_server_restart(tasks_dsn: str) -> None:
    """Restarts the server mid-use with PGQRS_TEST_RESTART_CMD (make test sets it)."""
    restart = os.environ.get("PGQRS_TEST_RESTART_CMD")
    assert restart, "set PGQRS_TEST_RESTART_CMD to a command that restarts the test server"
    async with Producer(tasks_dsn, "tasks", "p", 1) as producer:
        await producer.enqueue({"before": True})
        # the new postmaster must not inherit a pipe of ours
        done = await asyncio.create_subprocess_shell(
            restart, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, stdin=subprocess.DEVNULL
        )
        assert await asyncio.wait_for(done.wait(), timeout=60) == 0
        try:
            await asyncio.wait_for(producer.enqueue({"maybe": True}), timeout=20)
        except PgqrsConnectionError:
            pass
        assert await asyncio.wait_for(producer.enqueue({"after": True}), timeout=20) > 0
