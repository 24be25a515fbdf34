"""Worker lifecycle of producers and consumers, heartbeats, worker admin."""

from __future__ import annotations

import asyncio

import pytest

from pgqrs import Admin, Consumer, Producer, WorkerError, WorkerInfo, WorkerNotFoundError


async def test_lifecycle(tasks_dsn: str) -> None:
    async with Producer(tasks_dsn, "tasks", "host-a", 3000) as producer, Admin(tasks_dsn) as admin:
        assert producer.worker_id is None  # its registration, started when built, is in flight
        assert await producer.status() == "ready"
        worker = await producer.worker()
        assert isinstance(worker, WorkerInfo)
        assert (worker.hostname, worker.port, worker.status) == ("host-a", 3000, "ready")
        assert worker.queue_id == (await admin.get_queue("tasks")).id
        before = worker.heartbeat_at
        assert await producer.heartbeat() >= before
        assert (await producer.suspend()).status == "suspended"
        assert await producer.status() == "suspended"
        with pytest.raises(WorkerError):
            await producer.suspend()  # illegal transition
        assert (await producer.resume()).status == "ready"
        stopped = await producer.shutdown()
        assert stopped.status == "stopped" and stopped.shutdown_at is not None
        with pytest.raises(WorkerError, match="stopped"):
            await producer.enqueue({"a": 1})


async def test_same_host_port_takes_the_row_over(tasks_dsn: str) -> None:
    async with Producer(tasks_dsn, "tasks", "h", 1) as first:
        await first.enqueue({"a": 1})
        first_id = first.worker_id
    async with Producer(tasks_dsn, "tasks", "h", 1) as second:
        await second.enqueue({"a": 2})
        assert second.worker_id == first_id
        assert await second.status() == "ready"


async def test_context_manager_shuts_down(tasks_dsn: str) -> None:
    async with Consumer(tasks_dsn, "tasks", "c", 1) as consumer:
        await consumer.dequeue()
        worker_id = consumer.worker_id
    assert worker_id is not None
    async with Admin(tasks_dsn) as admin:
        assert await admin.worker_status(worker_id) == "stopped"


async def test_background_heartbeats(tasks_dsn: str) -> None:
    async with Producer(tasks_dsn, "tasks", "h", 1, heartbeat_interval=0.2) as producer, Admin(tasks_dsn) as admin:
        await producer.enqueue({"a": 1})
        assert producer.worker_id is not None
        first = (await admin.get_worker(producer.worker_id)).heartbeat_at
        await asyncio.sleep(0.7)
        later = (await admin.get_worker(producer.worker_id)).heartbeat_at
        assert later > first


async def test_worker_admin(tasks_dsn: str) -> None:
    async with Admin(tasks_dsn) as admin, Producer(tasks_dsn, "tasks", "p", 1) as producer:
        consumer = Consumer(tasks_dsn, "tasks", "c", 2, heartbeat_interval=None)
        await producer.enqueue_batch([{"i": i} for i in range(3)])
        held = await consumer.dequeue(batch_size=2, lock_seconds=600)
        cid = consumer.worker_id
        assert cid is not None
        # both registered as they were built, in whichever order their connections came up
        assert sorted(w.port for w in await admin.list_workers("tasks")) == [1, 2]
        assert [m.id for m in await admin.worker_messages(cid)] == [m.id for m in held]
        stats = await admin.worker_stats("tasks")
        assert stats.total_workers == 2 and stats.messages_held == 2
        health = {h.worker_id: h for h in await admin.worker_health("tasks", max_age=3600)}
        assert health[cid].healthy and health[cid].messages_held == 2
        with pytest.raises(Exception):
            await admin.delete_worker(cid)  # still holds messages
        assert (await admin.suspend_worker(cid)).status == "suspended"
        assert (await admin.resume_worker(cid)).status == "ready"
        await admin.heartbeat(cid)
        await asyncio.sleep(0.2)
        # both workers went silent (heartbeats every 10 s by default): the
        # consumer's leases are reclaimed and both are stopped
        assert await admin.reclaim_messages("tasks", older_than=0.1) == 2
        assert await admin.worker_status(cid) == "stopped"
        assert await producer.status() == "stopped"
        assert await admin.worker_messages(cid) == []
        assert await admin.delete_worker(cid) is True
        with pytest.raises(WorkerNotFoundError):
            await admin.get_worker(cid)
        assert await admin.purge_old_workers(0) == 1
        await consumer.close()
