"""Many coroutines on one object: pipelined requests, no threads, cancellation."""

from __future__ import annotations

import asyncio
import threading

from pgqrs import Admin, Consumer, Producer


async def test_thousand_concurrent_enqueues(tasks_dsn: str) -> None:
    threads_before = threading.active_count()
    async with Producer(tasks_dsn, "tasks", "p", 1) as producer, Admin(tasks_dsn) as admin:
        ids = await asyncio.wait_for(
            asyncio.gather(*(producer.enqueue({"n": n}) for n in range(1000))), timeout=120
        )
        assert threading.active_count() == threads_before  # no thread per call, no pool
        assert len(set(ids)) == 1000
        messages = await admin.get_messages().list("tasks")
        assert {m.id for m in messages} == set(ids)
        assert sorted(m.payload["n"] for m in messages) == list(range(1000))
        by_id = {m.id: m.payload["n"] for m in messages}
        assert all(by_id[msg_id] == n for n, msg_id in enumerate(ids))  # each caller got its own id
        workers = await admin.get_workers().list()
        assert len(workers) == 1  # one registration shared by all the callers


async def test_concurrent_consumers_never_share_a_message(tasks_dsn: str) -> None:
    async with Producer(tasks_dsn, "tasks", "p", 1) as producer:
        await producer.enqueue_batch([{"n": n} for n in range(200)])
    consumers = [Consumer(tasks_dsn, "tasks", "c", 10 + i) for i in range(4)]
    seen: list[int] = []

    async def drain(consumer: Consumer) -> None:
        while batch := await consumer.dequeue(batch_size=7, lock_seconds=60):
            seen.extend(m.id for m in batch)
            assert len(await consumer.archive_batch([m.id for m in batch])) == len(batch)

    await asyncio.wait_for(asyncio.gather(*(drain(c) for c in consumers)), timeout=60)
    assert len(seen) == 200 and len(set(seen)) == 200
    for consumer in consumers:
        await consumer.close()


async def test_cancelled_call_leaves_connection_usable(admin: Admin) -> None:
    await admin.create_queue("q")
    slow = asyncio.ensure_future(admin._execute("SELECT pg_catalog.pg_sleep(1)"))
    await asyncio.sleep(0.1)
    slow.cancel()
    try:
        await slow
    except asyncio.CancelledError:
        pass
    # the next statements are answered on the same connection, after the sleep
    queue = await asyncio.wait_for(admin.get_queue("q"), timeout=10)
    assert queue.queue_name == "q"
    assert await asyncio.wait_for(admin.list_queues(), timeout=10) == [queue]


async def test_wait_for_timeout_then_reuse(tasks_dsn: str) -> None:
    async with Producer(tasks_dsn, "tasks", "p", 1) as producer:
        await producer.enqueue({"warm": True})
        calls = [asyncio.ensure_future(producer.enqueue({"n": n})) for n in range(50)]
        await asyncio.sleep(0)
        for call in calls[::2]:
            call.cancel()
        results = await asyncio.gather(*calls, return_exceptions=True)
        finished = [r for r in results if isinstance(r, int)]
        assert len(finished) >= 25
        assert await asyncio.wait_for(producer.enqueue({"after": True}), timeout=10) > 0


async def test_calls_are_pipelined_not_queued(admin: Admin) -> None:
    """While one statement runs, the others are already sent on the same connection."""
    await admin.create_queue("q")
    slow = asyncio.ensure_future(admin._execute("SELECT pg_catalog.pg_sleep(0.5)"))
    quick = [asyncio.ensure_future(admin.get_queue("q")) for _ in range(10)]
    await asyncio.sleep(0.1)
    core = admin._conn.connections[0]._core
    assert core is not None and core.pending() == 11  # all in flight at once
    assert not any(q.done() for q in quick)  # answered in order, after the sleep
    await asyncio.wait_for(asyncio.gather(slow, *quick), timeout=10)
    assert core.pending() == 0
