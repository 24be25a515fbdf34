"""max_connections: concurrent calls spread over several connections of one object."""

from __future__ import annotations

import asyncio
import time

import pytest

from pgqrs import Admin, Consumer, InvalidInputError, Producer


async def backends(admin: Admin) -> int:
    """Client connections open to this test's database, the admin's own included."""
    rows = await admin._execute(
        "SELECT count(*) FROM pg_catalog.pg_stat_activity"
        " WHERE datname = pg_catalog.current_database() AND backend_type = 'client backend'"
    )
    return int(rows[0][0] or 0)


async def test_a_sequential_loop_uses_one_connection(tasks_dsn: str) -> None:
    async with Admin(tasks_dsn) as admin, Producer(tasks_dsn, "tasks", "p", 1, max_connections=4) as producer:
        for n in range(50):
            await producer.enqueue({"n": n})
        assert await backends(admin) == 2  # the admin and the producer


async def test_concurrent_calls_use_up_to_max_connections(tasks_dsn: str) -> None:
    async with Admin(tasks_dsn) as admin:
        producer = Producer(tasks_dsn, "tasks", "p", 1, max_connections=4)
        ids = await asyncio.wait_for(
            asyncio.gather(*(producer.enqueue({"n": n}) for n in range(500))), timeout=120
        )
        assert await backends(admin) == 1 + 4
        assert len(set(ids)) == 500
        messages = await admin.get_messages().list("tasks")
        assert sorted(m.payload["n"] for m in messages) == list(range(500))
        assert {m.id: m.payload["n"] for m in messages} == {i: n for n, i in enumerate(ids)}
        assert len(await admin.get_workers().list()) == 1  # one worker, however many connections
        await producer.close()
        for _ in range(50):  # the server notices the closed sockets asynchronously
            if await backends(admin) == 1:
                break
            await asyncio.sleep(0.1)
        assert await backends(admin) == 1


async def test_a_waiting_dequeue_does_not_hold_the_other_calls(tasks_dsn: str) -> None:
    async with Consumer(tasks_dsn, "tasks", "c", 1, max_connections=2) as consumer:
        await consumer.heartbeat()
        waiting = asyncio.ensure_future(consumer.dequeue_wait(1, 30, 10))
        await asyncio.sleep(0.2)
        started = time.monotonic()
        await asyncio.wait_for(consumer.heartbeat(), timeout=5)
        assert time.monotonic() - started < 5 and not waiting.done()
        async with Producer(tasks_dsn, "tasks", "p", 2) as producer:
            msg_id = await producer.enqueue({"wake": 1})
        got = await asyncio.wait_for(waiting, timeout=10)
        assert [m.id for m in got] == [msg_id]
        assert await consumer.archive(msg_id)


async def test_one_connection_by_default_holds_calls_behind_a_wait(tasks_dsn: str) -> None:
    async with Consumer(tasks_dsn, "tasks", "c", 1) as consumer:
        await consumer.heartbeat()
        waiting = asyncio.ensure_future(consumer.dequeue_wait(1, 30, 1))
        await asyncio.sleep(0.2)
        started = time.monotonic()
        await asyncio.wait_for(consumer.heartbeat(), timeout=10)
        assert time.monotonic() - started > 0.5  # sent after the wait ended
        assert await waiting == []


@pytest.mark.parametrize("bad", [0, -1, True, 1.5, "2", None])
def test_max_connections_must_be_a_positive_int(bad: object) -> None:
    with pytest.raises(InvalidInputError, match="max_connections"):
        Producer("postgresql://nowhere/x", "tasks", "p", 1, max_connections=bad)  # type: ignore[arg-type]
    with pytest.raises(InvalidInputError, match="max_connections"):
        Admin("postgresql://nowhere/x", max_connections=bad)  # type: ignore[arg-type]
