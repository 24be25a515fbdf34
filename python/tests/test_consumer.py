"""Consumer: leases, settling, fencing."""

from __future__ import annotations

import asyncio
from datetime import datetime

import pytest

from pgqrs import Admin, ClosedError, Consumer, InvalidInputError, Producer, QueueMessage, QueueNotFoundError


async def test_dequeue_and_settle(tasks_dsn: str) -> None:
    async with Producer(tasks_dsn, "tasks", "p", 1) as producer, Consumer(tasks_dsn, "tasks", "c", 2) as consumer:
        ids = await producer.enqueue_batch([{"i": i} for i in range(6)])
        batch = await consumer.dequeue(batch_size=4, lock_seconds=30)
        assert [m.id for m in batch] == ids[:4]
        m = batch[0]
        assert isinstance(m, QueueMessage)
        assert m.read_ct == 1 and m.consumer_worker_id == consumer.worker_id
        assert m.queue_id > 0 and isinstance(m.vt, datetime) and m.dequeued_at is not None
        assert m.enqueued_at <= m.dequeued_at
        assert await consumer.archive(ids[0]) is True
        assert await consumer.archive(ids[0]) is False  # already done
        assert await consumer.delete(ids[1]) is True
        assert await consumer.archive_batch([ids[2]]) == [True]
        assert await consumer.delete_batch([ids[3], 424242]) == [True, False]
        assert await consumer.archive_batch([]) == []
        rest = await consumer.dequeue_batch()
        assert [r.id for r in rest] == ids[4:]
        new_vt = await consumer.extend_lease(ids[4], 120)
        assert new_vt is not None and new_vt > rest[0].vt
        assert await consumer.extend_visibility(ids[4], 120) is True
        assert await consumer.release([ids[4], ids[5]]) == 2
        again = await consumer.dequeue(batch_size=10)
        assert [a.id for a in again] == ids[4:] and again[0].read_ct == 2
    async with Admin(tasks_dsn) as admin:
        assert await admin.get_archive().count() == 2


async def test_lease_expiry_and_fencing(tasks_dsn: str) -> None:
    async with Producer(tasks_dsn, "tasks", "p", 1) as producer, \
            Consumer(tasks_dsn, "tasks", "slow", 2) as slow, \
            Consumer(tasks_dsn, "tasks", "fast", 3) as fast:
        msg_id = await producer.enqueue({"job": 1})
        [leased] = await slow.dequeue(lock_seconds=1)
        assert await fast.dequeue() == []  # invisible while leased
        await asyncio.sleep(1.3)
        [again] = await fast.dequeue(lock_seconds=30)  # the lease expired: redelivered
        assert again.id == msg_id and again.read_ct == leased.read_ct + 1
        # the first consumer's lease is gone: it may not settle the message
        assert await slow.archive(msg_id) is False
        assert await slow.extend_lease(msg_id, 60) is None
        assert await slow.extend_visibility(msg_id, 60) is False
        assert await slow.release([msg_id]) == 0
        assert await fast.archive(msg_id) is True


async def test_consumer_default_lock_seconds(tasks_dsn: str) -> None:
    async with Producer(tasks_dsn, "tasks", "p", 1) as producer, \
            Consumer(tasks_dsn, "tasks", "c", 2, lock_seconds=600) as consumer:
        await producer.enqueue({"a": 1})
        [m] = await consumer.dequeue()
        assert m.dequeued_at is not None
        assert (m.vt - m.dequeued_at).total_seconds() == pytest.approx(600, abs=1)


async def test_bad_input(tasks_dsn: str) -> None:
    async with Consumer(tasks_dsn, "tasks", "c", 2) as consumer:
        with pytest.raises(InvalidInputError, match="batch_size"):
            await consumer.dequeue(batch_size=0)
        with pytest.raises(InvalidInputError):
            await consumer.dequeue(batch_size=10**6)
        with pytest.raises(InvalidInputError):
            await consumer.dequeue(lock_seconds=-5)
        with pytest.raises(InvalidInputError):
            await consumer.archive("1")  # type: ignore[arg-type]
        with pytest.raises(InvalidInputError):
            await consumer.archive_batch("12")  # type: ignore[arg-type]
        assert await consumer.dequeue() == []  # still usable
    consumer = Consumer(tasks_dsn, "nope", "c", 3)
    with pytest.raises(QueueNotFoundError):
        await consumer.dequeue()
    await consumer.close()
    with pytest.raises(ClosedError):
        await consumer.dequeue()


async def test_dequeue_wait(tasks_dsn: str) -> None:
    async with Producer(tasks_dsn, "tasks", "p", 1) as producer, Consumer(tasks_dsn, "tasks", "c", 2) as consumer:
        assert await asyncio.wait_for(consumer.dequeue_wait(wait_seconds=1), timeout=10) == []
        waiting = asyncio.ensure_future(consumer.dequeue_wait(batch_size=5, lock_seconds=30, wait_seconds=20))
        await asyncio.sleep(0.3)
        msg_id = await producer.enqueue({"late": True})
        [message] = await asyncio.wait_for(waiting, timeout=10)
        assert message.id == msg_id
        assert await consumer.archive(msg_id)
