"""Topics (Admin's topic calls, Producer.publish) and dedup keys (enqueue with a
dedup_key, enqueue_dedup, enqueue_batch_dedup, the queue's dedup window)."""

from __future__ import annotations

import asyncio

import pytest

from pgqrs import (
    Admin,
    Consumer,
    Enqueued,
    InvalidInputError,
    NotFoundError,
    Producer,
    Published,
    QueueExistsError,
)


async def test_publish_fans_out_to_subscribed_queues(tasks_dsn: str) -> None:
    async with Admin(tasks_dsn) as admin, Producer(tasks_dsn, "tasks", "p", 1) as producer:
        await admin.create_queue("audit")
        topic = await admin.create_topic("orders")
        assert (topic.topic_name, topic.queue_names) == ("orders", [])
        with pytest.raises(QueueExistsError):
            await admin.create_topic("orders")
        assert await producer.publish("orders", {"n": 0}) == []  # no subscriber: not an error

        assert await admin.subscribe("orders", "tasks") is True
        assert await admin.subscribe("orders", "audit") is True
        assert await admin.subscribe("orders", "audit") is False
        published = await producer.publish("orders", {"n": 1})
        assert [p.queue_name for p in published] == ["audit", "tasks"]
        assert all(isinstance(p, Published) for p in published)
        for p in published:
            message = await admin.get_messages().get(p.msg_id)
            assert message is not None and message.payload == {"n": 1}
            assert message.producer_worker_id == producer.worker_id
        [listed] = [t for t in await admin.list_topics() if t.topic_name == "orders"]
        assert listed.queue_names == ["audit", "tasks"]

        assert await admin.unsubscribe("orders", "audit") is True
        assert await admin.unsubscribe("orders", "audit") is False
        later = await producer.publish("orders", {"n": 2}, delay_seconds=3600)
        assert [p.queue_name for p in later] == ["tasks"]
        assert (await admin.queue_metrics("tasks")).delayed_messages == 1

        assert await admin.delete_topic("orders") is True
        with pytest.raises(NotFoundError):
            await producer.publish("orders", {"n": 3})
        with pytest.raises(NotFoundError):
            await admin.subscribe("orders", "tasks")


async def test_publish_wakes_a_waiting_consumer(tasks_dsn: str) -> None:
    async with Admin(tasks_dsn) as admin, Producer(tasks_dsn, "tasks", "p", 1) as producer, Consumer(
        tasks_dsn, "tasks", "c", 2
    ) as consumer:
        await admin.create_topic("wake")
        await admin.subscribe("wake", "tasks")
        waiting = asyncio.create_task(consumer.dequeue_wait(batch_size=1, wait_seconds=20))
        await asyncio.sleep(0.3)
        await producer.publish("wake", {"w": 1})
        [message] = await asyncio.wait_for(waiting, 10)
        assert message.payload == {"w": 1}


async def test_dedup_key_inserts_once(tasks_dsn: str) -> None:
    async with Admin(tasks_dsn) as admin, Producer(tasks_dsn, "tasks", "p", 1) as producer:
        first = await producer.enqueue_dedup({"order": 123}, "order-123")
        assert first.inserted and isinstance(first, Enqueued)
        again = await producer.enqueue_dedup({"order": 123, "again": True}, "order-123")
        assert again == Enqueued(first.msg_id, False)
        assert await producer.enqueue({"order": 123}, dedup_key="order-123") == first.msg_id
        assert await producer.enqueue({"order": 123}) != first.msg_id  # no key: always inserted
        message = await admin.get_messages().get(first.msg_id)
        assert message is not None and message.dedup_key == "order-123"

        ids = await producer.enqueue_batch([{"b": 1}, {"b": 2}, {"b": 3}], dedup_keys=["order-123", None, "b-3"])
        assert ids[0] == first.msg_id and len(set(ids)) == 3
        done = await producer.enqueue_batch_dedup([{"c": 1}, {"c": 2}], ["b-3", "c-2"])
        assert [d.inserted for d in done] == [False, True] and done[0].msg_id == ids[2]
        with pytest.raises(InvalidInputError):
            await producer.enqueue_dedup({"x": 1}, "")
        with pytest.raises(InvalidInputError):
            await producer.enqueue_batch_dedup([{"x": 1}, {"x": 2}], ["only-one"])


async def test_dedup_window_covers_archived_messages(tasks_dsn: str) -> None:
    async with Admin(tasks_dsn) as admin, Producer(tasks_dsn, "tasks", "p", 1) as producer, Consumer(
        tasks_dsn, "tasks", "c", 2
    ) as consumer:
        assert (await admin.set_dedup_window("tasks", 300)).dedup_window_seconds == 300
        first = await producer.enqueue_dedup({"k": 1}, "k")
        [message] = await consumer.dequeue(batch_size=1)
        assert await consumer.archive(message.id)
        assert await producer.enqueue_dedup({"k": 2}, "k") == Enqueued(first.msg_id, False)
        [archived] = await admin.get_archive().list()
        assert archived.dedup_key == "k"
        await admin.set_dedup_window("tasks", 0)
        assert (await producer.enqueue_dedup({"k": 3}, "k")).inserted


async def test_concurrent_enqueues_of_one_key_make_one_message(tasks_dsn: str) -> None:
    producers = [Producer(tasks_dsn, "tasks", "p", 10 + i) for i in range(4)]
    try:
        results = await asyncio.gather(*(p.enqueue_dedup({"p": i}, "same") for i, p in enumerate(producers)))
        assert sum(r.inserted for r in results) == 1
        assert len({r.msg_id for r in results}) == 1
        async with Admin(tasks_dsn) as admin:
            assert await admin.get_messages().count() == 1
    finally:
        for p in producers:
            await p.close()
