"""A fully annotated program using every public class and method of pgqrs.

``mypy --strict`` must accept it (tests/test_typing.py), and it runs against a
real database: ``main(dsn)``.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncGenerator
from datetime import datetime, timedelta
from typing import Any

import pgqrs
from pgqrs import (
    Admin,
    ArchivedMessage,
    Archive,
    ClosedError,
    Config,
    Consumer,
    Enqueued,
    ExtensionNotAvailableError,
    InvalidInputError,
    MessageId,
    MessageNotFoundError,
    Messages,
    NotFoundError,
    NotInstalledError,
    PayloadError,
    PgqrsConnectionError,
    PgqrsError,
    Producer,
    Published,
    QueueExistsError,
    QueueInfo,
    QueueMessage,
    QueueMetrics,
    QueueNotFoundError,
    Queues,
    StateError,
    SystemStats,
    TopicInfo,
    WorkerError,
    WorkerHealth,
    WorkerInfo,
    WorkerNotFoundError,
    WorkerStats,
    WorkerStatus,
    Workers,
)

ERRORS: tuple[type[PgqrsError], ...] = (
    ClosedError,
    ExtensionNotAvailableError,
    InvalidInputError,
    MessageNotFoundError,
    NotFoundError,
    NotInstalledError,
    PayloadError,
    PgqrsConnectionError,
    QueueExistsError,
    QueueNotFoundError,
    StateError,
    WorkerError,
    WorkerNotFoundError,
)


async def admin_calls(admin: Admin) -> None:
    await admin.install()
    await admin.verify()
    version: str = await admin.version()
    assert version
    info: QueueInfo = await admin.create_queue("typed", max_attempts=3)
    same: QueueInfo = await admin.get_queue(info.queue_name)
    assert same.id == info.id and isinstance(info.created_at, datetime)
    try:
        await admin.create_queue("typed")
    except QueueExistsError as exc:
        state: str = exc.sqlstate
        assert state == "42710"
    updated: QueueInfo = await admin.set_max_attempts("typed", 4)
    assert updated.max_attempts == 4
    queues: list[QueueInfo] = await admin.list_queues()
    assert queues
    await admin.create_queue("scratch")
    purged: int = await admin.purge_queue("scratch")
    archived_purged: int = await admin.purge_archive("scratch", older_than=timedelta(days=1))
    assert purged == 0 and archived_purged == 0
    assert await admin.purge_archive("scratch") == 0
    deleted: bool = await admin.delete_queue("scratch", force=True)
    assert deleted
    metrics: QueueMetrics = await admin.queue_metrics("typed")
    every: list[QueueMetrics] = await admin.all_queues_metrics()
    stats: SystemStats = await admin.system_stats()
    assert metrics.total_messages >= 0 and every and stats.total_queues >= 1


async def producer_calls(dsn: str) -> list[int]:
    async with Producer(dsn, "typed", "typed-host", 1, heartbeat_interval=30.0, max_connections=2) as producer:
        one: int = await producer.enqueue({"n": 1})
        later: int = await producer.enqueue_delayed({"n": 2}, 3600)
        more: list[MessageId] = await producer.enqueue_batch([{"n": 3}, {"n": 4}], delay_seconds=0)
        assert [m.id for m in more] == more
        payload: dict[str, Any] = {"n": 5}
        five: int = await producer.enqueue(payload, delay_seconds=0)
        beat: datetime = await producer.heartbeat()
        status: WorkerStatus = await producer.status()
        me: WorkerInfo = await producer.worker()
        suspended: WorkerInfo = await producer.suspend()
        resumed: WorkerInfo = await producer.resume()
        assert beat and status == "ready" and me.id == producer.worker_id
        assert suspended.status == "suspended" and resumed.status == "ready"
        assert producer.queue == "typed" and producer.hostname == "typed-host" and producer.port == 1
        assert producer.schema == "pgqrs" and not producer.closed
        return [one, later, five, *more]


async def consumer_calls(dsn: str) -> None:
    consumer = Consumer(dsn, "typed", "typed-host", 2, lock_seconds=30)
    messages: list[QueueMessage] = await consumer.dequeue()
    batch: list[QueueMessage] = await consumer.dequeue_batch(10, lock_seconds=60)
    nothing: list[QueueMessage] = await consumer.dequeue_wait(1, lock_seconds=30, wait_seconds=0)
    assert nothing == []
    waited: list[QueueMessage] = await consumer.dequeue(1, lock_seconds=30, wait=timedelta(seconds=1))
    assert waited == []
    assert await consumer.dequeue(wait=0.5) == []
    first: QueueMessage = messages[0]
    known: int | None = consumer.attempt_of(first.id)
    assert known == 1
    payload: dict[str, Any] = first.payload
    attempt: int = first.read_ct
    assert payload and attempt == 1
    vt: datetime | None = await consumer.extend_lease(first.id, 90)
    extended: bool = await consumer.extend_visibility(first.id, 90)
    assert vt is not None and extended
    done: bool = await consumer.archive(first.id)
    gone: bool = await consumer.delete(batch[0].id)
    archived: list[bool] = await consumer.archive_batch([batch[1].id])
    removed: list[bool] = await consumer.delete_batch([batch[2].id])
    released: int = await consumer.release([m.id for m in batch[3:]])
    assert done and gone and all(archived) and all(removed) and released >= 0
    stream: AsyncGenerator[QueueMessage, None] = consumer.messages(batch_size=2, lock_seconds=30, wait=1)
    try:
        message: QueueMessage = await asyncio.wait_for(anext(stream), timeout=2)
        await consumer.archive(message.id)
    except TimeoutError:
        pass  # nothing left in the queue
    finally:
        await stream.aclose()
    stopped: WorkerInfo = await consumer.shutdown()
    assert stopped.status == "stopped"
    await consumer.close()
    try:
        await consumer.dequeue()
    except ClosedError:
        pass


async def table_calls(admin: Admin) -> None:
    queues: Queues = admin.get_queues()
    workers: Workers = await admin.get_workers()
    messages: Messages = admin.get_messages()
    archive: Archive = admin.get_archive()
    queue_count: int = await queues.count()
    queue_list: list[QueueInfo] = await queues.list()
    one_queue: QueueInfo = await queues.get(queue_list[0].id)
    worker_list: list[WorkerInfo] = await workers.list("typed")
    one_worker: WorkerInfo = await workers.get(worker_list[0].id)
    message_list: list[QueueMessage] = await messages.list("typed", limit=10)
    archived: list[ArchivedMessage] = await archive.list("typed")
    one_archived: ArchivedMessage = await archive.get(archived[0].id)
    counts: list[int] = [await workers.count(), await messages.count("typed"), await archive.count()]
    assert queue_count and one_queue and one_worker and one_archived and counts
    if message_list:
        one_message: QueueMessage = await messages.get(message_list[0].id)
        assert one_message.queue_id == one_queue.id


async def worker_admin_calls(admin: Admin, dsn: str) -> None:
    target = Producer(dsn, "typed", "admin-target", 9, heartbeat_interval=None)
    await target.heartbeat()  # registers it
    workers: list[WorkerInfo] = await admin.list_workers("typed")
    worker_id = workers[-1].id
    assert worker_id == target.worker_id
    got: WorkerInfo = await admin.get_worker(worker_id)
    status: WorkerStatus = await admin.worker_status(worker_id)
    beat: datetime = await admin.heartbeat(worker_id)
    held: list[QueueMessage] = await admin.worker_messages(worker_id)
    wstats: WorkerStats = await admin.worker_stats("typed")
    health: list[WorkerHealth] = await admin.worker_health("typed", max_age=60)
    suspended: WorkerInfo = await admin.suspend_worker(worker_id)
    resumed: WorkerInfo = await admin.resume_worker(worker_id)
    stopped: WorkerInfo = await admin.shutdown_worker(worker_id)
    reclaimed: int = await admin.reclaim_messages("typed", older_than=timedelta(minutes=5))
    dead: list[ArchivedMessage] = await admin.dlq("typed")
    replayed: int = await admin.replay_dlq("typed", [m.id for m in dead])
    replayed_all: int = await admin.replay_dlq("typed")
    removed: bool = await admin.delete_worker(worker_id)
    purged: int = await admin.purge_old_workers(timedelta(0))
    assert got and status and beat and wstats and health is not None and held is not None
    assert suspended and resumed and stopped and reclaimed >= 0 and replayed >= 0
    assert replayed_all >= 0 and removed and purged >= 0
    await target.close()


async def compat_calls(dsn: str) -> None:
    """The pgqrs 0.4 forms: a Config, workers built from an Admin, the 0.4 names."""
    config: Config = Config.from_dsn(dsn)
    config.default_lock_time_seconds = 30
    config.default_max_batch_size = 5
    config.max_read_ct = 3
    config.heartbeat_interval_seconds = 15
    config.connection_timeout_seconds = 10
    config.max_connections = 2
    admin = Admin(config)
    await admin.create_queue("compat")
    producer = Producer(admin, "compat", "compat-host", 1)
    consumer = Consumer(config, "compat", "compat-host", 2)
    await producer.enqueue_batch([{"n": n} for n in range(3)])
    first: list[QueueMessage] = await consumer.dequeue_batch_with_delay(1, 30)
    rest: list[QueueMessage] = await consumer.dequeue_batch()
    assert await consumer.archive_batch([m.id for m in first + rest]) == [True, True, True]
    archive: Archive = admin.get_archive()
    worker_id = consumer.worker_id
    assert worker_id is not None
    by_worker: list[ArchivedMessage] = await archive.list_by_worker(worker_id, 10, 0)
    original: int = by_worker[0].original_msg_id
    count: int = await archive.count_by_worker(worker_id)
    dead: int = await archive.dlq_count(3)
    dead_list: list[ArchivedMessage] = await archive.list_dlq_messages(3, 10, 0)
    one: int = await archive.delete(original)
    rest_deleted: int = await archive.delete_by_worker(worker_id)
    assert (count, dead, dead_list, one, rest_deleted) == (3, 0, [], 1, 2)
    reclaimed: int = await admin.reclaim_messages("compat", older_than_seconds=3600.0)
    ready: bool = (await admin.get_worker(worker_id)).status == WorkerStatus.Ready
    assert reclaimed == 0 and ready
    for client in (consumer, producer, admin):
        await client.close()


async def topic_and_dedup_calls(admin: Admin, dsn: str) -> None:
    await admin.create_queue("typed_keys")
    window: QueueInfo = await admin.set_dedup_window("typed_keys", 60)
    assert window.dedup_window_seconds == 60
    topic: TopicInfo = await admin.create_topic("typed_topic")
    subscribed: bool = await admin.subscribe("typed_topic", "typed_keys")
    topics: list[TopicInfo] = await admin.list_topics()
    assert topic.topic_name == "typed_topic" and subscribed and topics[0].queue_names == ["typed_keys"]
    async with Producer(dsn, "typed_keys", "typed-host", 3) as producer:
        published: list[Published] = await producer.publish("typed_topic", {"fan": 1}, delay_seconds=0)
        first: Enqueued = await producer.enqueue_dedup({"k": 1}, "typed-key", delay_seconds=0)
        same: int = await producer.enqueue({"k": 2}, dedup_key="typed-key")
        batch: list[Enqueued] = await producer.enqueue_batch_dedup([{"k": 3}, {"k": 4}], ["typed-key", None])
        ids: list[MessageId] = await producer.enqueue_batch([{"k": 5}], dedup_keys=["other-key"])
        assert published[0].queue_name == "typed_keys" and first.inserted and same == first.msg_id
        assert not batch[0].inserted and batch[1].inserted and len(ids) == 1
        await ordering_calls(admin, producer)
    unsubscribed: bool = await admin.unsubscribe("typed_topic", "typed_keys")
    deleted: bool = await admin.delete_topic("typed_topic")
    assert unsubscribed and deleted


async def ordering_calls(admin: Admin, producer: Producer) -> None:
    """Priorities and ordered groups on the queue "typed_keys"."""
    urgent: int = await producer.enqueue({"p": 1}, priority=9, group_key="typed-group")
    ranked: list[MessageId] = await producer.enqueue_batch(
        [{"p": 2}, {"p": 3}], priorities=[5, None], group_keys=["typed-group", None]
    )
    keyed: Enqueued = await producer.enqueue_dedup({"p": 4}, "prio-key", priority=1, group_key=None)
    keyed_batch: list[Enqueued] = await producer.enqueue_batch_dedup(
        [{"p": 5}], ["prio-key-2"], priorities=[2], group_keys=["other-group"]
    )
    by_key: int = await producer.enqueue({"p": 6}, dedup_key="prio-key-3", priority=3)
    bumped: bool = await producer.set_priority(ranked[1], 7)
    lowered: bool = await admin.set_priority(by_key, 0)
    assert urgent and keyed.inserted and keyed_batch[0].inserted and bumped and lowered
    message: QueueMessage = await admin.get_messages().get(urgent)
    priority: int = message.priority
    group: str | None = message.group_key
    not_held: datetime | None = message.held_vt
    assert (priority, group, not_held) == (9, "typed-group", None)
    metrics: QueueMetrics = await admin.queue_metrics("typed_keys")
    held: int = metrics.held_messages
    groups: int = metrics.groups
    by_priority: dict[int, int] = metrics.pending_by_priority
    assert held == 1 and groups == 2 and by_priority[9] == 1
    archived: list[ArchivedMessage] = await admin.get_archive().list("typed_keys")
    assert all(isinstance(a.priority, int) and a.group_key is None for a in archived)


async def main(dsn: str) -> None:
    async with Admin(dsn) as admin:
        assert admin.schema == "pgqrs"
        await admin_calls(admin)
        ids = await producer_calls(dsn)
        assert len(set(ids)) == 5
        await consumer_calls(dsn)
        await table_calls(admin)
        await worker_admin_calls(admin, dsn)
        await compat_calls(dsn)
        await topic_and_dedup_calls(admin, dsn)
        await admin.uninstall()
    assert pgqrs.__version__
    assert all(issubclass(e, RuntimeError) for e in ERRORS)


if __name__ == "__main__":
    import asyncio
    import sys

    asyncio.run(main(sys.argv[1]))
