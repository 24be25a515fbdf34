"""Priorities: enqueue(..., priority=), enqueue_batch(..., priorities=),
set_priority, the per-priority counts of queue_metrics, and the bad input that
adds nothing (priorities and group keys alike)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

import pytest

from pgqrs import Admin, Consumer, InvalidInputError, Producer


async def one_by_one(consumer: Consumer, count: int) -> list[int]:
    """The ids of the next count messages, leased one per dequeue."""
    ids = []
    for _ in range(count):
        [message] = await consumer.dequeue(batch_size=1)
        ids.append(message.id)
    return ids


async def test_higher_priority_first_fifo_within_a_priority(tasks_dsn: str) -> None:
    async with Producer(tasks_dsn, "tasks", "p", 1) as producer, Consumer(tasks_dsn, "tasks", "c", 2) as consumer:
        low1 = await producer.enqueue({"n": "low1"})
        high1 = await producer.enqueue({"n": "high1"}, priority=9)
        mid = await producer.enqueue({"n": "mid"}, priority=5)
        await producer.enqueue({"n": "later"}, 3600, priority=9)  # not visible yet: not first
        high2 = await producer.enqueue({"n": "high2"}, priority=9)
        low2 = await producer.enqueue({"n": "low2"}, priority=0)
        assert await one_by_one(consumer, 5) == [high1, high2, mid, low1, low2]
        assert await consumer.dequeue(batch_size=10) == []


async def test_batch_takes_one_priority_per_message(tasks_dsn: str) -> None:
    async with Admin(tasks_dsn) as admin, Producer(tasks_dsn, "tasks", "p", 1) as producer, Consumer(
        tasks_dsn, "tasks", "c", 2
    ) as consumer:
        ids = await producer.enqueue_batch([{"b": n} for n in range(4)], priorities=[None, 7, 0, 7])
        assert [(await admin.get_messages().get(i)).priority for i in ids] == [0, 7, 0, 7]
        assert await one_by_one(consumer, 4) == [ids[1], ids[3], ids[0], ids[2]]
        # the same through enqueue_batch_dedup, keys or not
        done = await producer.enqueue_batch_dedup([{"d": 0}, {"d": 1}], ["d-0", None], priorities=[2, 6])
        [first] = await consumer.dequeue(batch_size=1)
        assert first.id == done[1].msg_id and first.priority == 6


async def test_dedup_enqueues_take_a_priority(tasks_dsn: str) -> None:
    async with Admin(tasks_dsn) as admin, Producer(tasks_dsn, "tasks", "p", 1) as producer:
        first = await producer.enqueue_dedup({"k": 1}, "k", priority=6)
        assert first.inserted
        assert (await producer.enqueue_dedup({"k": 2}, "k", priority=1)).msg_id == first.msg_id
        by_key = await producer.enqueue({"k": 3}, dedup_key="other", priority=3)
        ids = await producer.enqueue_batch([{"k": 4}], dedup_keys=["third"], priorities=[8])
        messages = admin.get_messages()
        assert [(await messages.get(i)).priority for i in (first.msg_id, by_key, ids[0])] == [6, 3, 8]


async def test_set_priority_reorders_waiting_messages_only(tasks_dsn: str) -> None:
    async with Admin(tasks_dsn) as admin, Producer(tasks_dsn, "tasks", "p", 1) as producer, Consumer(
        tasks_dsn, "tasks", "c", 2
    ) as consumer:
        a = await producer.enqueue({"n": "a"})
        b = await producer.enqueue({"n": "b"})
        c = await producer.enqueue({"n": "c"}, priority=4)
        assert await producer.set_priority(b, 8) is True
        assert await admin.set_priority(c, 0) is True
        [first] = await consumer.dequeue(batch_size=1)
        assert (first.id, first.priority) == (b, 8)
        assert await producer.set_priority(b, 9) is False  # leased
        assert await admin.set_priority(b, 9) is False
        assert await producer.set_priority(a + c + 1000, 9) is False  # no such message
        with pytest.raises(InvalidInputError):
            await producer.set_priority(a, 10)
        with pytest.raises(InvalidInputError):
            await admin.set_priority(a, -1)
        assert (await admin.get_messages().get(a)).priority == 0
        assert await one_by_one(consumer, 2) == [a, c]
        # a message waiting behind its group's head, or delayed, is not leased either
        head = await producer.enqueue({"n": "head"}, group_key="g")
        held = await producer.enqueue({"n": "held"}, group_key="g")
        delayed = await producer.enqueue({"n": "delayed"}, 3600)
        assert await producer.set_priority(held, 9) and await producer.set_priority(delayed, 9)
        [m] = await consumer.dequeue(batch_size=10)
        assert m.id == head  # raised to 9, the held one still waits for its head
        assert await consumer.archive(head)
        [m] = await consumer.dequeue(batch_size=10)
        assert (m.id, m.priority) == (held, 9)
        assert (await admin.get_messages().get(delayed)).priority == 9


async def test_metrics_count_pending_messages_by_priority(tasks_dsn: str) -> None:
    async with Admin(tasks_dsn) as admin, Producer(tasks_dsn, "tasks", "p", 1) as producer, Consumer(
        tasks_dsn, "tasks", "c", 2
    ) as consumer:
        empty = await admin.queue_metrics("tasks")
        assert (empty.pending_by_priority, empty.held_messages, empty.groups) == ({}, 0, 0)
        await producer.enqueue_batch([{"n": n} for n in range(3)], priorities=[0, 9, 0])
        await producer.enqueue({"n": "delayed"}, 3600, priority=3)  # not visible: not pending
        metrics = await admin.queue_metrics("tasks")
        assert metrics.pending_by_priority == {0: 2, 9: 1}
        assert all(type(k) is int for k in metrics.pending_by_priority)
        await consumer.dequeue(batch_size=1)  # leased: no longer pending
        assert (await admin.queue_metrics("tasks")).pending_by_priority == {0: 2}
        [listed] = [m for m in await admin.all_queues_metrics() if m.queue_name == "tasks"]
        assert listed.pending_by_priority == {0: 2}


def bad_calls(producer: Producer) -> list[Callable[[], Awaitable[object]]]:
    """Calls with a bad priority or group key: each must raise and add nothing."""
    two = [{"x": 1}, {"x": 2}]
    return [
        lambda: producer.enqueue({"x": 1}, priority=10),
        lambda: producer.enqueue({"x": 1}, priority=-1),
        lambda: producer.enqueue({"x": 1}, group_key=""),
        lambda: producer.enqueue({"x": 1}, group_key="g" * 257),
        lambda: producer.enqueue({"x": 1}, group_key="é" * 129),  # 258 bytes
        lambda: producer.enqueue({"x": 1}, dedup_key="k", priority=10),
        lambda: producer.enqueue_dedup({"x": 1}, "k", group_key=""),
        lambda: producer.enqueue_batch(two, priorities=[0, 10]),
        lambda: producer.enqueue_batch(two, priorities=[1]),
        lambda: producer.enqueue_batch(two, priorities=[1, 2, 3]),
        lambda: producer.enqueue_batch(two, group_keys=["g"]),
        lambda: producer.enqueue_batch(two, group_keys=["g", ""]),
        lambda: producer.enqueue_batch(two, dedup_keys=["k1", "k2"], priorities=[3]),
        lambda: producer.enqueue_batch_dedup(two, ["k1", "k2"], group_keys=["g", "g", "g"]),
        lambda: producer.enqueue_batch_dedup(two, ["k1", "k2"], priorities=[0, 99]),
        # refused before anything is sent: not an int, not a str, not a list
        lambda: producer.enqueue({"x": 1}, priority="9"),  # type: ignore[arg-type]
        lambda: producer.enqueue({"x": 1}, priority=True),
        lambda: producer.enqueue({"x": 1}, priority=1.5),  # type: ignore[arg-type]
        lambda: producer.enqueue({"x": 1}, group_key=5),  # type: ignore[arg-type]
        lambda: producer.enqueue_batch(two, priorities="12"),  # type: ignore[arg-type]
        lambda: producer.enqueue_batch(two, group_keys=["g", 2]),  # type: ignore[list-item]
    ]


async def test_bad_priorities_and_group_keys_add_nothing(tasks_dsn: str) -> None:
    async with Admin(tasks_dsn) as admin, Producer(tasks_dsn, "tasks", "p", 1) as producer:
        for number, call in enumerate(bad_calls(producer)):
            with pytest.raises(InvalidInputError):
                await call()
            assert await admin.get_messages().count() == 0, f"bad call {number} added a message"
        metrics = await admin.queue_metrics("tasks")
        assert (metrics.total_messages, metrics.groups, metrics.pending_by_priority) == (0, 0, {})
        # the limits themselves are accepted
        assert await producer.enqueue({"x": 1}, priority=9, group_key="g" * 256) > 0
        assert await producer.enqueue({"x": 2}, priority=0, group_key="é" * 128) > 0
