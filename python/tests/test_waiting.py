"""Waiting consumers: dequeue(wait=...), cancellation, messages(), lease memory."""

from __future__ import annotations

import asyncio
import contextlib
import time

import pytest

from pgqrs import (
    Admin,
    ClosedError,
    Consumer,
    InvalidInputError,
    PgqrsConnectionError,
    Producer,
    QueryCanceledError,
    QueueMessage,
)
from pgqrs import _core


async def waiting_backend(admin: Admin) -> int:
    """The pid of the backend running a dequeue_wait, once it runs."""
    for _ in range(200):
        value = await admin._scalar(
            "SELECT max(pid)::text FROM pg_catalog.pg_stat_activity WHERE state = 'active'"
            " AND query LIKE '%dequeue_wait%' AND pid <> pg_catalog.pg_backend_pid()"
        )
        if value is not None:
            return int(value)
        await asyncio.sleep(0.05)
    raise AssertionError("no dequeue_wait is running")


async def backend_pid(client: Consumer) -> int:
    value = await client._scalar("SELECT pg_catalog.pg_backend_pid()")
    assert value is not None
    return int(value)


async def test_wakes_when_another_connection_enqueues(tasks_dsn: str) -> None:
    async with (
        Admin(tasks_dsn) as admin,
        Producer(tasks_dsn, "tasks", "p", 1) as producer,
        Consumer(tasks_dsn, "tasks", "c", 2) as consumer,
    ):
        await consumer.status()  # registered and connected
        start = time.monotonic()
        waiting = asyncio.ensure_future(consumer.dequeue(batch_size=5, lock_seconds=30, wait=20))
        await waiting_backend(admin)
        msg_id = await producer.enqueue({"wake": True})
        [message] = await asyncio.wait_for(waiting, timeout=10)
        assert message.id == msg_id and message.payload == {"wake": True}
        assert time.monotonic() - start < 10  # long before the 20 s wait ends
        assert await consumer.archive(msg_id)


async def test_wait_timeout_returns_nothing(tasks_dsn: str) -> None:
    async with Consumer(tasks_dsn, "tasks", "c", 1) as consumer:
        await consumer.status()
        start = time.monotonic()
        assert await consumer.dequeue(wait=1) == []
        assert time.monotonic() - start >= 0.9
        assert await consumer.dequeue_wait(wait_seconds=1) == []
        assert await consumer.dequeue(wait=0.2) == []  # rounded up to 1 s
        with pytest.raises(InvalidInputError):
            await consumer.dequeue(wait=-1)
        with pytest.raises(InvalidInputError):
            await consumer.dequeue(wait=3601)


async def test_cancelling_the_task_cancels_the_statement(tasks_dsn: str) -> None:
    async with (
        Admin(tasks_dsn) as admin,
        Producer(tasks_dsn, "tasks", "p", 1) as producer,
        Consumer(tasks_dsn, "tasks", "c", 2) as consumer,
    ):
        pid = await backend_pid(consumer)
        waiting = asyncio.ensure_future(consumer.dequeue(wait=60))
        held = None
        assert await waiting_backend(admin) == pid
        # a call made meanwhile is held until the wait ends
        held = asyncio.ensure_future(consumer.status())
        await asyncio.sleep(0.1)
        assert not held.done()
        start = time.monotonic()
        waiting.cancel()
        with pytest.raises(asyncio.CancelledError):
            await waiting
        assert await asyncio.wait_for(held, timeout=10) == "ready"
        assert time.monotonic() - start < 10
        # the statement is gone from the server, and the same connection is in use
        assert await admin._scalar(
            "SELECT pg_catalog.count(*) FROM pg_catalog.pg_stat_activity"
            " WHERE state = 'active' AND query LIKE '%dequeue_wait%' AND pid <> pg_catalog.pg_backend_pid()"
        ) == "0"
        assert await backend_pid(consumer) == pid
        msg_id = await producer.enqueue({"after": True})
        [message] = await asyncio.wait_for(consumer.dequeue(wait=5), timeout=10)
        assert message.id == msg_id and message.read_ct == 1


async def test_wait_for_timeout_on_a_waiting_dequeue(tasks_dsn: str) -> None:
    async with Consumer(tasks_dsn, "tasks", "c", 1) as consumer:
        await consumer.status()
        with pytest.raises(TimeoutError):
            await asyncio.wait_for(consumer.dequeue(wait=60), timeout=0.5)
        assert await asyncio.wait_for(consumer.dequeue(), timeout=10) == []


async def test_rows_of_a_cancelled_call_are_released(tasks_dsn: str) -> None:
    async with Admin(tasks_dsn) as admin, Producer(tasks_dsn, "tasks", "p", 1) as producer:
        msg_id = await producer.enqueue({"n": 1})
        async with Consumer(tasks_dsn, "tasks", "c", 2) as consumer:
            await consumer.status()
            slow = asyncio.ensure_future(consumer._execute("SELECT pg_catalog.pg_sleep(0.5)"))
            call = asyncio.ensure_future(consumer.dequeue(lock_seconds=300))  # runs after the sleep
            await asyncio.sleep(0.1)
            call.cancel()
            await slow
            # it leased the message for 300 s, but nobody took it: released at once
            # (the lease itself may come after this point: wait for read_ct 1 too)
            for _ in range(100):
                leased_once = (await admin.get_messages().get(msg_id)).read_ct == 1
                if leased_once and (await admin.queue_metrics("tasks")).locked_messages == 0:
                    break
                await asyncio.sleep(0.05)
            assert (await admin.queue_metrics("tasks")).locked_messages == 0
            [again] = await consumer.dequeue()
            assert again.id == msg_id and again.read_ct == 2


async def test_reconnects_after_the_backend_is_terminated_during_a_wait(tasks_dsn: str) -> None:
    async with Admin(tasks_dsn) as admin, Producer(tasks_dsn, "tasks", "p", 1) as producer:
        async with Consumer(tasks_dsn, "tasks", "c", 2) as consumer:
            await consumer.status()
            waiting = asyncio.ensure_future(consumer.dequeue(wait=60))
            pid = await waiting_backend(admin)
            await admin._execute("SELECT pg_catalog.pg_terminate_backend($1::int, 5000)", [str(pid)])
            with pytest.raises(PgqrsConnectionError):
                await asyncio.wait_for(waiting, timeout=10)
            msg_id = await producer.enqueue({"after": True})
            [message] = await asyncio.wait_for(consumer.dequeue(wait=5), timeout=10)
            assert message.id == msg_id


async def test_server_side_cancel_is_query_canceled(tasks_dsn: str) -> None:
    async with Admin(tasks_dsn) as admin, Consumer(tasks_dsn, "tasks", "c", 1) as consumer:
        await consumer.status()
        waiting = asyncio.ensure_future(consumer.dequeue(wait=60))
        pid = await waiting_backend(admin)
        await admin._execute("SELECT pg_catalog.pg_cancel_backend($1::int)", [str(pid)])
        with pytest.raises(QueryCanceledError) as info:
            await asyncio.wait_for(waiting, timeout=10)
        assert info.value.sqlstate == "57014"
        assert await consumer.dequeue() == []


async def test_messages_yields_as_they_arrive(tasks_dsn: str) -> None:
    async with Admin(tasks_dsn) as admin, Producer(tasks_dsn, "tasks", "p", 1) as producer:
        await producer.enqueue_batch([{"n": n} for n in range(3)])
        seen: list[int] = []
        async with Consumer(tasks_dsn, "tasks", "c", 2) as consumer:

            async def feed() -> None:
                await asyncio.sleep(0.3)
                await producer.enqueue_batch([{"n": n} for n in range(3, 6)])

            feeder = asyncio.ensure_future(feed())
            async with contextlib.aclosing(consumer.messages(batch_size=2, lock_seconds=30, wait=20)) as stream:
                async for message in stream:
                    assert isinstance(message, QueueMessage)
                    seen.append(message.payload["n"])
                    assert await consumer.archive(message.id)
                    if len(seen) == 6:
                        break
            await feeder
        assert sorted(seen) == list(range(6))
        assert await admin.get_archive().count("tasks") == 6


async def test_leaving_messages_early_releases_the_rest_of_the_batch(tasks_dsn: str) -> None:
    async with Admin(tasks_dsn) as admin, Producer(tasks_dsn, "tasks", "p", 1) as producer:
        await producer.enqueue_batch([{"n": n} for n in range(3)])
        async with Consumer(tasks_dsn, "tasks", "c", 2) as consumer:
            async with contextlib.aclosing(consumer.messages(batch_size=3, lock_seconds=300, wait=1)) as stream:
                async for message in stream:
                    first = message
                    break
            for _ in range(100):  # released in the background
                if (await admin.queue_metrics("tasks")).locked_messages == 1:
                    break
                await asyncio.sleep(0.05)
            assert (await admin.queue_metrics("tasks")).locked_messages == 1
            assert await consumer.archive(first.id)


async def test_messages_ends_when_the_consumer_closes_or_shuts_down(tasks_dsn: str) -> None:
    async with Admin(tasks_dsn) as admin:
        consumer = Consumer(tasks_dsn, "tasks", "c", 1)
        await consumer.status()

        async def drain() -> int:
            n = 0
            async for _message in consumer.messages(wait=60):
                n += 1
            return n

        task = asyncio.ensure_future(drain())
        await waiting_backend(admin)
        start = time.monotonic()
        await consumer.close()  # cancels the wait, shuts the worker down
        assert await asyncio.wait_for(task, timeout=15) == 0
        assert time.monotonic() - start < 10
        with pytest.raises(ClosedError):
            await consumer.dequeue()

        other = Consumer(tasks_dsn, "tasks", "c", 2)
        worker_id = (await other.worker()).id
        task = asyncio.ensure_future(
            asyncio.wait_for(_count(other.messages(wait=1)), timeout=15)
        )
        await asyncio.sleep(0.3)
        await admin.shutdown_worker(worker_id)
        assert await task == 0
        await other.close()


async def _count(stream: object) -> int:
    n = 0
    async for _message in stream:  # type: ignore[attr-defined]
        n += 1
    return n


async def test_lease_memory_forgets_leases_that_ended_long_ago(tasks_dsn: str) -> None:
    async with Producer(tasks_dsn, "tasks", "p", 1) as producer:
        msg_id = await producer.enqueue({})
        async with Consumer(tasks_dsn, "tasks", "a", 2) as a, Consumer(tasks_dsn, "tasks", "b", 3) as b:
            assert len(await a.dequeue(lock_seconds=1)) == 1
            assert a.attempt_of(msg_id) == 1
            await asyncio.sleep(2.5)  # the lease ended 1.5 s ago
            assert [m.id for m in await b.dequeue(lock_seconds=60)] == [msg_id]
            assert await a.dequeue() == []  # sweeps
            assert a.attempt_of(msg_id) is None
            assert not await a.archive(msg_id)  # still fenced off, by the worker id
            assert await b.archive(msg_id)


async def test_invalid_queue_name_is_invalid_input(admin: Admin) -> None:
    with pytest.raises(InvalidInputError) as info:
        await admin.create_queue("bad name!")
    assert info.value.sqlstate == "42602"
    assert _core.classify("42602", "x") == "InvalidInputError"


def test_statements_come_from_the_cpp_client() -> None:
    sql = _core.Statements("my schema")
    assert sql.schema == "my schema" and sql.qschema == '"my schema"'
    assert '"my schema".dequeue_wait(' in sql.dequeue_wait
    assert sql.json.dequeue_wait.startswith("SELECT pg_catalog.row_to_json(r)::text FROM ")
    assert _core.Statements().schema == "pgqrs"
    with pytest.raises(AttributeError):
        sql.enqueue = "x"  # type: ignore[misc]
