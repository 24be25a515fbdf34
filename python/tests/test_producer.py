"""Producer: enqueue, delays, batches, payload checks."""

from __future__ import annotations

import math

import pytest

from pgqrs import (
    Admin,
    ClosedError,
    Consumer,
    InvalidInputError,
    PayloadError,
    PgqrsError,
    Producer,
    QueueNotFoundError,
)


async def test_enqueue_and_batch(tasks_dsn: str) -> None:
    async with Producer(tasks_dsn, "tasks", "p", 1) as producer, Admin(tasks_dsn) as admin:
        first = await producer.enqueue({"n": 1, "nested": {"list": [1, "two", None, True]}})
        ids = await producer.enqueue_batch([{"i": i} for i in range(50)])
        assert ids == sorted(ids) and len(set(ids)) == 50 and first < ids[0]
        assert await producer.enqueue_batch([]) == []
        messages = await admin.get_messages().list()
        assert [m.payload for m in messages[1:]] == [{"i": i} for i in range(50)]
        assert messages[0].payload == {"n": 1, "nested": {"list": [1, "two", None, True]}}
        assert all(m.producer_worker_id == producer.worker_id for m in messages)


async def test_delayed(tasks_dsn: str) -> None:
    async with Producer(tasks_dsn, "tasks", "p", 1) as producer, Consumer(tasks_dsn, "tasks", "c", 2) as consumer:
        await producer.enqueue_delayed({"later": 1}, 3600)
        await producer.enqueue({"later": 2}, delay_seconds=3600)
        await producer.enqueue_batch([{"later": 3}], delay_seconds=3600)
        assert await consumer.dequeue(batch_size=10) == []
        now = await producer.enqueue({"now": True})
        [message] = await consumer.dequeue(batch_size=10)
        assert message.id == now


@pytest.mark.parametrize(
    "payload",
    [{"x": object()}, {"x": {1, 2}}, {"x": math.nan}, {"x": b"bytes"}, [1, 2], "text", 42, None],
)
async def test_bad_payload_sends_nothing(tasks_dsn: str, payload: object) -> None:
    producer = Producer(tasks_dsn, "tasks", "p", 1)
    with pytest.raises(PayloadError) as info:
        await producer.enqueue(payload)  # type: ignore[arg-type]
    assert isinstance(info.value, TypeError) and isinstance(info.value, RuntimeError)
    with pytest.raises(PayloadError):
        await producer.enqueue_batch([{"ok": 1}, payload])  # type: ignore[list-item]
    assert producer.worker_id is None  # nothing was sent, not even the registration
    async with Admin(tasks_dsn) as admin:
        assert await admin.get_messages().count() == 0
    await producer.close()


async def test_server_side_rejections(tasks_dsn: str) -> None:
    async with Producer(tasks_dsn, "tasks", "p", 1) as producer:
        with pytest.raises(InvalidInputError, match="delay_seconds"):
            await producer.enqueue({"a": 1}, delay_seconds=-1)
        with pytest.raises(InvalidInputError):
            await producer.enqueue({"a": "\u0000"})  # jsonb has no NUL
        with pytest.raises(InvalidInputError):
            await producer.enqueue({"a": 1}, delay_seconds="soon")  # type: ignore[arg-type]
        assert await producer.enqueue({"a": 1}) > 0  # still usable


async def test_unknown_queue(installed_dsn: str) -> None:
    producer = Producer(installed_dsn, "nope", "p", 1)
    with pytest.raises(QueueNotFoundError, match='queue "nope" does not exist') as info:
        await producer.enqueue({"a": 1})
    assert isinstance(info.value, RuntimeError) and info.value.sqlstate == "P0002"
    await producer.close()


async def test_bad_constructor_arguments() -> None:
    with pytest.raises(InvalidInputError):
        Producer("postgresql://x/y", 1, "h", 1)  # type: ignore[arg-type]
    with pytest.raises(InvalidInputError):
        Producer("postgresql://x/y", "q", "h", "80")  # type: ignore[arg-type]
    with pytest.raises(InvalidInputError):
        Producer("postgresql://x/y", "q", "h", 1, heartbeat_interval=0)


async def test_closed_producer(tasks_dsn: str) -> None:
    producer = Producer(tasks_dsn, "tasks", "p", 1)
    await producer.enqueue({"a": 1})
    await producer.close()
    await producer.close()  # twice is fine
    assert producer.closed
    with pytest.raises(ClosedError):
        await producer.enqueue({"a": 2})
    with pytest.raises(PgqrsError):
        await producer.heartbeat()
