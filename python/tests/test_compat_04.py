"""Code written against pgqrs 0.4 runs unchanged: constructors from an Admin or a
Config, the Config settings, WorkerStatus, the 0.4 method names and return
types, not-found errors as ValueError, workers registered once built, and a
consumer whose worker was reclaimed going on."""

from __future__ import annotations

import asyncio
import logging
import time
from datetime import datetime

import pytest

import pgqrs
from pgqrs import (
    Admin,
    Config,
    Consumer,
    InvalidInputError,
    Producer,
    QueueNotFoundError,
    WorkerError,
    WorkerNotFoundError,
    WorkerStatus,
)

UNREACHABLE = "postgresql://postgres@10.255.255.1:5432/x"


# -- 1. constructors --------------------------------------------------------


async def test_workers_built_from_an_admin_share_its_settings(dsn: str) -> None:
    admin = Admin(dsn, schema="alt")
    await admin.install()
    await admin.create_queue("q")
    producer = Producer(admin, "q", "p", 1)
    consumer = Consumer(admin, "q", "c", 2)
    assert producer.schema == consumer.schema == "alt"
    msg_id = await producer.enqueue({"a": 1})
    [message] = await consumer.dequeue()
    assert message.id == msg_id
    assert await consumer.archive(msg_id) is True
    for client in (consumer, producer, admin):
        await client.close()


async def test_workers_built_from_a_config_or_a_dsn(tasks_dsn: str) -> None:
    config = Config(tasks_dsn)
    async with Producer(config, "tasks", "p", 1) as producer, Consumer(tasks_dsn, "tasks", "c", 2) as consumer:
        msg_id = await producer.enqueue({"a": 1})
        assert [m.id for m in await consumer.dequeue()] == [msg_id]


def test_constructor_needs_no_event_loop(tasks_dsn: str) -> None:
    admin = Admin(Config(tasks_dsn))
    producer = Producer(admin, "tasks", "p", 1)  # as at import time: no loop runs

    async def use() -> int:
        msg_id = await producer.enqueue({"a": 1})
        await producer.close()
        await admin.close()
        return msg_id

    assert asyncio.run(use()) > 0


async def test_constructor_rejects_what_is_not_a_dsn_config_or_admin() -> None:
    with pytest.raises(InvalidInputError, match="str, a pgqrs.Config or a pgqrs.Admin"):
        Producer(42, "tasks", "p", 1)  # type: ignore[arg-type]
    with pytest.raises(InvalidInputError):
        Admin(None)  # type: ignore[arg-type]


# -- 2. Config --------------------------------------------------------------


def test_config_settings_and_their_checks() -> None:
    config = Config.from_dsn("postgresql://x/y", schema="s")
    assert (config.dsn, config.schema, config.max_connections) == ("postgresql://x/y", "s", 1)
    assert config.max_read_ct == 5 and config.default_max_batch_size == 10
    config.max_connections = 42
    config.connection_timeout_seconds = 60
    config.default_lock_time_seconds = 120
    config.default_max_batch_size = 500
    config.max_read_ct = 10
    config.heartbeat_interval_seconds = 15
    assert (config.max_connections, config.connection_timeout_seconds, config.default_lock_time_seconds) == (42, 60, 120)
    assert (config.default_max_batch_size, config.max_read_ct, config.heartbeat_interval_seconds) == (500, 10, 15)
    for name, bad in [("max_connections", 0), ("max_read_ct", "5"), ("default_lock_time_seconds", -1),
                      ("heartbeat_interval_seconds", 0), ("default_max_batch_size", True), ("dsn", 3)]:
        before = getattr(config, name)
        with pytest.raises(ValueError, match=name):
            setattr(config, name, bad)
        assert getattr(config, name) == before


async def test_admin_producer_and_consumer_read_their_defaults_from_the_config(installed_dsn: str) -> None:
    config = Config.from_dsn(installed_dsn)
    config.max_read_ct = 2
    config.default_lock_time_seconds = 600
    config.default_max_batch_size = 3
    config.heartbeat_interval_seconds = 0.2
    admin = Admin(config)
    config.max_read_ct = 9  # read when the Admin was built: no effect on it
    assert (await admin.create_queue("q")).max_attempts == 2
    producer = Producer(admin, "q", "p", 1)
    consumer = Consumer(admin, "q", "c", 2)
    await producer.enqueue_batch([{"n": n} for n in range(5)])
    batch = await consumer.dequeue_batch()
    assert len(batch) == 3
    assert (batch[0].vt - batch[0].dequeued_at).total_seconds() == pytest.approx(600, abs=1)  # type: ignore[operator]
    worker_id = consumer.worker_id
    assert worker_id is not None
    first = (await admin.get_worker(worker_id)).heartbeat_at
    await asyncio.sleep(0.7)
    assert (await admin.get_worker(worker_id)).heartbeat_at > first
    for client in (consumer, producer, admin):
        await client.close()


# -- 3. WorkerStatus --------------------------------------------------------


async def test_worker_status_is_an_enum_equal_to_its_string(tasks_dsn: str) -> None:
    async with Admin(tasks_dsn) as admin, Producer(admin, "tasks", "p", 1) as producer:
        [worker] = await admin.get_workers().list()
        assert worker.status == pgqrs.WorkerStatus.Ready and worker.status == "ready"
        assert isinstance(worker.status, WorkerStatus) and str(worker.status) == "ready"
        await producer.suspend()
        assert await producer.status() is WorkerStatus.Suspended
        assert await admin.worker_status(worker.id) == "suspended"
        [health] = await admin.worker_health("tasks")
        assert health.status is WorkerStatus.Suspended


# -- 4. methods of 0.4 --------------------------------------------------------


async def test_archive_calls_of_0_4(tasks_dsn: str) -> None:
    async with Admin(tasks_dsn) as admin, Producer(admin, "tasks", "p", 1) as producer, \
            Consumer(admin, "tasks", "c", 2) as consumer, Consumer(admin, "tasks", "d", 3) as other:
        ids = await producer.enqueue_batch([{"n": n} for n in range(4)])
        assert await consumer.archive_batch([m.id for m in await consumer.dequeue_batch(3)]) == [True] * 3
        [last] = await other.dequeue()
        assert await other.archive(last.id)
        archive = await admin.get_archive()
        cid, oid = consumer.worker_id, other.worker_id
        assert cid is not None and oid is not None
        page = await archive.list_by_worker(cid, 2, 1)
        assert [m.original_msg_id for m in page] == [m.id for m in page] == ids[1:3]
        assert await archive.count_by_worker(cid) == 3 and await archive.count_by_worker(oid) == 1
        assert await archive.dlq_count() == 0 and await archive.list_dlq_messages(5, 10, 0) == []
        assert await archive.delete(ids[0]) == 1 and await archive.delete(ids[0]) == 0
        assert await archive.delete_by_worker(cid) == 2
        assert await archive.count() == 1
        with pytest.raises(InvalidInputError):
            await archive.list_by_worker("1", 10, 0)  # type: ignore[arg-type]


async def test_dead_letters_through_the_archive(dsn: str) -> None:
    async with Admin(dsn) as admin:
        await admin.install()
        await admin.create_queue("q", max_attempts=1)
        async with Producer(admin, "q", "p", 1) as producer, Consumer(admin, "q", "c", 2) as consumer:
            msg_id = await producer.enqueue({"a": 1})
            assert len(await consumer.dequeue_batch_with_delay(1, 1)) == 1
            await asyncio.sleep(1.2)
            assert await consumer.dequeue() == []  # moved to the dead letters instead
        archive = admin.get_archive()
        assert await archive.dlq_count() == 1 and await archive.dlq_count(2) == 0
        assert [m.id for m in await archive.list_dlq_messages()] == [msg_id]


async def test_dequeue_batch_with_delay_leases_for_that_long(tasks_dsn: str) -> None:
    async with Producer(tasks_dsn, "tasks", "p", 1) as producer, \
            Consumer(tasks_dsn, "tasks", "a", 2) as a, Consumer(tasks_dsn, "tasks", "b", 3) as b:
        await producer.enqueue_batch([{"n": n} for n in range(3)])
        assert len(await a.dequeue_batch_with_delay(2, 2)) == 2
        assert len(await b.dequeue_batch(5)) == 1
        await asyncio.sleep(2.2)
        assert len(await b.dequeue_batch(5)) == 2


# -- 5. names and types -------------------------------------------------------


async def test_return_types_of_0_4(tasks_dsn: str) -> None:
    async with Producer(tasks_dsn, "tasks", "p", 1) as producer, Consumer(tasks_dsn, "tasks", "c", 2) as consumer:
        sent = await producer.enqueue_batch([{"n": n} for n in range(3)])
        assert [m.id for m in sent] == sent and all(type(m.id) is int for m in sent)
        leased = await consumer.dequeue_batch(2, lock_seconds=30)
        assert await consumer.extend_visibility(leased[0].id, 60) is True
        assert await consumer.extend_visibility(sent[2], 60) is False  # not leased by it
        vt = await consumer.extend_lease(leased[0].id, 90)
        assert isinstance(vt, datetime)
        # one bool per id, in order: the message not leased by this consumer is False
        assert await consumer.archive_batch([sent[2], leased[1].id, leased[0].id]) == [False, True, True]


async def test_reclaim_messages_takes_older_than_seconds(tasks_dsn: str) -> None:
    async with Admin(tasks_dsn) as admin, Producer(admin, "tasks", "p", 1, heartbeat_interval=None) as producer:
        await producer.enqueue({"a": 1})
        assert await admin.reclaim_messages("tasks", older_than_seconds=3600.0) == 0
        assert await producer.status() == "ready"
        await asyncio.sleep(0.3)
        await admin.reclaim_messages("tasks", older_than_seconds=0.1)
        assert await admin.worker_status(producer.worker_id or 0) == "stopped"
        with pytest.raises(InvalidInputError, match="not both"):
            await admin.reclaim_messages("tasks", older_than=1, older_than_seconds=1.0)


# -- 6. errors ---------------------------------------------------------------


async def test_not_found_errors_are_value_errors(tasks_dsn: str) -> None:
    async with Admin(tasks_dsn) as admin:
        with pytest.raises(ValueError):
            await admin.get_queue("nope")
        with pytest.raises(ValueError):
            await admin.get_worker(424242)
        with pytest.raises(QueueNotFoundError):
            await admin.get_queue("nope")
        producer = Producer(admin, "nope", "p", 1)
        assert await admin.get_queues().count() == 1  # the failed registration is not the admin's
        with pytest.raises(ValueError, match="nope"):
            await producer.enqueue({"a": 1})
        await producer.close()
    assert issubclass(WorkerNotFoundError, ValueError) and issubclass(QueueNotFoundError, RuntimeError)


# -- 7. workers exist once built ------------------------------------------------


async def test_admin_counts_a_worker_as_soon_as_it_is_built(tasks_dsn: str) -> None:
    async with Admin(tasks_dsn) as admin:
        consumer = Consumer(admin, "tasks", "c", 1)
        producer = Producer(tasks_dsn, "tasks", "p", 2)
        assert await admin.get_workers().count() == 2
        assert consumer.worker_id is not None and producer.worker_id is not None
        await consumer.close()
        await producer.close()


def test_a_worker_built_without_a_loop_is_counted_by_the_first_admin_call(tasks_dsn: str) -> None:
    consumer = Consumer(tasks_dsn, "tasks", "c", 1)

    async def count() -> int:
        async with Admin(tasks_dsn) as admin:
            workers = await admin.get_workers().count()
        await consumer.close()
        return workers

    assert asyncio.run(count()) == 1


async def test_building_a_worker_never_blocks_the_loop() -> None:
    start = time.monotonic()
    producer = Producer(UNREACHABLE, "tasks", "p", 1, connect_timeout=0.5)
    assert time.monotonic() - start < 0.1
    with pytest.raises(pgqrs.PgqrsConnectionError):
        await producer.enqueue({"a": 1})
    await producer.close()


async def test_closing_while_the_registration_is_in_flight_stops_the_worker(tasks_dsn: str) -> None:
    producer = Producer(tasks_dsn, "tasks", "p", 1)
    await producer.close()
    async with Admin(tasks_dsn) as admin:
        [worker] = await admin.list_workers()
        assert worker.status == "stopped"


# -- 8. a worker stopped behind the consumer's back ------------------------------


async def test_a_reclaimed_consumer_registers_afresh_and_goes_on(
    tasks_dsn: str, caplog: pytest.LogCaptureFixture
) -> None:
    async with Admin(tasks_dsn) as admin, Producer(admin, "tasks", "p", 1, heartbeat_interval=None) as producer, \
            Consumer(admin, "tasks", "slow", 2, heartbeat_interval=None) as slow, \
            Consumer(admin, "tasks", "other", 3) as other:
        first = await producer.enqueue({"n": 1})
        [leased] = await slow.dequeue(lock_seconds=600)
        worker_id = slow.worker_id
        await asyncio.sleep(1.0)
        await admin.heartbeat(other.worker_id or 0)  # only slow and the producer went silent
        assert await admin.reclaim_messages("tasks", older_than=0.8) == 1
        assert await admin.worker_status(worker_id or 0) == "stopped"
        [taken] = await other.dequeue(lock_seconds=600)  # the reclaimed message, a new attempt
        assert taken.id == leased.id and taken.read_ct == 2
        with caplog.at_level(logging.WARNING, logger="pgqrs"):
            second = await producer.enqueue({"n": 2})  # the producer goes on too
            [fresh] = await slow.dequeue()
        assert fresh.id == second and slow.worker_id == worker_id
        assert await slow.status() == "ready"
        assert sum("registering again" in r.getMessage() for r in caplog.records) == 2
        # the lease slow held before it was reclaimed stays fenced
        assert await slow.archive(first) is False
        assert await other.archive(first) is True


async def test_concurrent_calls_of_a_reclaimed_consumer_register_it_once(
    tasks_dsn: str, caplog: pytest.LogCaptureFixture
) -> None:
    async with Admin(tasks_dsn) as admin, Consumer(admin, "tasks", "c", 1, heartbeat_interval=None) as consumer:
        await consumer.dequeue()
        await asyncio.sleep(0.3)
        await admin.reclaim_messages("tasks", older_than=0.2)
        with caplog.at_level(logging.WARNING, logger="pgqrs"):
            results = await asyncio.gather(*(consumer.dequeue() for _ in range(5)))
        assert results == [[]] * 5
        assert sum("registering again" in r.getMessage() for r in caplog.records) == 1


async def test_a_worker_shut_down_by_itself_stays_stopped(tasks_dsn: str) -> None:
    async with Consumer(tasks_dsn, "tasks", "c", 1) as consumer:
        await consumer.shutdown()
        with pytest.raises(WorkerError, match="stopped"):
            await consumer.dequeue()
