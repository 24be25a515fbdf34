"""Ordered message groups: enqueue(..., group_key=), enqueue_batch(...,
group_keys=); one message of a group at a time, in enqueue order; a head whose
lease ends comes back first; the group counts of queue_metrics."""

from __future__ import annotations

import asyncio
from datetime import datetime, timezone

from pgqrs import Admin, Consumer, Producer


async def test_next_of_a_group_waits_until_its_head_is_archived(tasks_dsn: str) -> None:
    async with Producer(tasks_dsn, "tasks", "p", 1) as producer, Consumer(tasks_dsn, "tasks", "c", 2) as consumer:
        a1 = await producer.enqueue({"n": "a1"}, group_key="a")
        a2 = await producer.enqueue({"n": "a2"}, group_key="a")
        b1 = await producer.enqueue({"n": "b1"}, group_key="b")
        free = await producer.enqueue({"n": "free"})
        leased = await consumer.dequeue(batch_size=10)
        assert {m.id: m.group_key for m in leased} == {a1: "a", b1: "b", free: None}
        assert await consumer.dequeue(batch_size=10) == []  # a2 waits while a1 is leased
        assert await consumer.archive(a1)
        [next_of_a] = await consumer.dequeue(batch_size=10)
        assert (next_of_a.id, next_of_a.group_key, next_of_a.payload) == (a2, "a", {"n": "a2"})


async def test_groups_are_delivered_in_parallel(tasks_dsn: str) -> None:
    async with Producer(tasks_dsn, "tasks", "p", 1) as producer, Consumer(
        tasks_dsn, "tasks", "c", 2
    ) as first, Consumer(tasks_dsn, "tasks", "c", 3) as second:
        ids = await producer.enqueue_batch([{"n": n} for n in range(4)], group_keys=["x", "x", "y", "y"])
        [x1] = await first.dequeue(batch_size=1)
        [y1] = await second.dequeue(batch_size=1)  # not x's second message, though older
        assert (x1.id, y1.id) == (ids[0], ids[2])
        assert await second.dequeue(batch_size=10) == []
        assert await first.delete(x1.id)  # a head deleted lets the next one go too
        assert await second.archive(y1.id)
        rest = await asyncio.gather(first.dequeue(batch_size=1), second.dequeue(batch_size=1))
        assert sorted(m.id for batch in rest for m in batch) == [ids[1], ids[3]]


async def test_released_head_comes_back_before_the_rest(tasks_dsn: str) -> None:
    async with Producer(tasks_dsn, "tasks", "p", 1) as producer, Consumer(tasks_dsn, "tasks", "c", 2) as consumer:
        head = await producer.enqueue({"n": "head"}, group_key="g")
        following = await producer.enqueue({"n": "next"}, group_key="g", priority=9)
        [m] = await consumer.dequeue(batch_size=10)
        assert m.id == head
        assert await consumer.release([head], delay_seconds=0) == 1
        [again] = await consumer.dequeue(batch_size=10, lock_seconds=1)
        assert (again.id, again.read_ct) == (head, 2)
        await asyncio.sleep(1.5)  # a lease that expires leaves it the head as well
        [third] = await consumer.dequeue(batch_size=10)
        assert (third.id, third.read_ct) == (head, 3)
        assert await consumer.archive(head)
        [last] = await consumer.dequeue(batch_size=10)
        assert (last.id, last.priority) == (following, 9)


async def test_dead_lettered_head_lets_the_next_go(installed_dsn: str) -> None:
    async with Admin(installed_dsn) as admin:
        await admin.create_queue("once", max_attempts=1)
        async with Producer(installed_dsn, "once", "p", 1) as producer, Consumer(
            installed_dsn, "once", "c", 2
        ) as consumer:
            head = await producer.enqueue({"n": "head"}, group_key="g", priority=4)
            following = await producer.enqueue({"n": "next"}, group_key="g")
            [m] = await consumer.dequeue(batch_size=10)
            assert m.id == head
            await consumer.release([head], delay_seconds=0)
            [m] = await consumer.dequeue(batch_size=10)  # dead-letters the head, delivers the next
            assert m.id == following
            [dead] = await admin.dlq("once")
            assert (dead.id, dead.priority, dead.group_key) == (head, 4, "g")


async def test_metrics_count_groups_and_held_messages(tasks_dsn: str) -> None:
    async with Admin(tasks_dsn) as admin, Producer(tasks_dsn, "tasks", "p", 1) as producer, Consumer(
        tasks_dsn, "tasks", "c", 2
    ) as consumer:
        await producer.enqueue_batch(
            [{"n": n} for n in range(5)], priorities=[4, 5, 5, None, 1], group_keys=["g", "g", "g", "h", None]
        )
        metrics = await admin.queue_metrics("tasks")
        assert (metrics.groups, metrics.held_messages, metrics.delayed_messages) == (2, 2, 0)
        assert metrics.pending_by_priority == {4: 1, 0: 1, 1: 1}  # held messages are not pending
        leased = await consumer.dequeue(batch_size=10)
        assert len(leased) == 3
        for message in leased:
            assert await consumer.archive(message.id)
        metrics = await admin.queue_metrics("tasks")
        assert (metrics.groups, metrics.held_messages, metrics.pending_by_priority) == (1, 1, {5: 1})
        archived = {m.payload["n"]: (m.priority, m.group_key) for m in await admin.get_archive().list("tasks")}
        assert archived == {0: (4, "g"), 3: (0, "h"), 4: (1, None)}


async def test_held_messages_can_be_read(tasks_dsn: str) -> None:
    async with Admin(tasks_dsn) as admin, Producer(tasks_dsn, "tasks", "p", 1) as producer:
        head = await producer.enqueue({"n": "head"}, group_key="g")
        held = await producer.enqueue({"n": "held"}, group_key="g")
        first, second = await admin.get_messages().list("tasks")
        assert (first.id, first.held_vt) == (head, None)
        assert second.id == held and second.group_key == "g"
        assert second.vt == datetime.max.replace(tzinfo=timezone.utc)  # after the year 9999 until it is the head
        assert second.held_vt is not None and first.vt <= second.held_vt <= datetime.now(timezone.utc)
        assert await admin.get_messages().get(held) == second
