"""The table accessors: Queues, Workers, Messages, Archive."""

from __future__ import annotations

import pytest

from pgqrs import (
    Admin,
    ArchivedMessage,
    Archive,
    Consumer,
    MessageNotFoundError,
    Messages,
    Producer,
    QueueMessage,
    QueueNotFoundError,
    Queues,
    WorkerInfo,
    WorkerNotFoundError,
    Workers,
)


async def test_tables(admin: Admin, installed_dsn: str) -> None:
    a = await admin.create_queue("a")
    await admin.create_queue("b")
    async with Producer(installed_dsn, "a", "p", 1) as producer, Consumer(installed_dsn, "a", "c", 2) as consumer:
        ids = await producer.enqueue_batch([{"i": i} for i in range(3)])
        [first] = await consumer.dequeue()
        assert await consumer.archive(first.id)

        queues = admin.get_queues()
        assert isinstance(queues, Queues)
        assert await queues.count() == 2
        assert (await queues.get(a.id)).queue_name == "a"
        assert [q.queue_name for q in await queues.list()] == ["a", "b"]

        workers = await admin.get_workers()  # the accessors may also be awaited
        assert isinstance(workers, Workers)
        assert await workers.count() == 2
        assert await workers.count("a") == 2
        listed = await workers.list()
        assert all(isinstance(w, WorkerInfo) for w in listed)
        assert {(w.hostname, w.port) for w in listed} == {("p", 1), ("c", 2)}
        assert (await workers.get(listed[0].id)).id == listed[0].id

        messages = admin.get_messages()
        assert isinstance(messages, Messages)
        assert await messages.count() == 2
        assert await messages.count("b") == 0
        assert [m.id for m in await messages.list("a")] == ids[1:]
        assert len(await messages.list(limit=1)) == 1
        got = await messages.get(ids[1])
        assert isinstance(got, QueueMessage) and got.payload == {"i": 1}

        archive = admin.get_archive()
        assert isinstance(archive, Archive)
        assert await archive.count("a") == 1
        [archived] = await archive.list()
        assert isinstance(archived, ArchivedMessage)
        assert archived.id == first.id and not archived.dead_letter
        assert (await archive.get(first.id)).archived_at is not None

        with pytest.raises(MessageNotFoundError):
            await messages.get(first.id)
        with pytest.raises(MessageNotFoundError):
            await archive.get(ids[2])
        with pytest.raises(QueueNotFoundError):
            await queues.get(999)
        with pytest.raises(WorkerNotFoundError):
            await workers.get(999)
        with pytest.raises(QueueNotFoundError):
            await messages.count("nope")
