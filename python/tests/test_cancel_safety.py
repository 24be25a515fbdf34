"""Cancel safety: a dequeue cancelled at any point leaves no message leased to nobody.

Whatever point of the call a cancellation hits (task.cancel(), asyncio.timeout,
asyncio.wait_for, a failing TaskGroup sibling), every message either reaches
the caller or is released at once. The hardest point is the loop turn between
the result's arrival (the connection resolved the call's future) and the
caller's task resuming: cancelled there, the task never sees the rows.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Awaitable, Callable, Coroutine
from typing import Any

import pytest

from pgqrs import Admin, Consumer, Producer, QueueMessage

LEASE = 300  # far longer than any check below: a lost lease shows as a locked message
# Blocking the loop this long lets the server answer a request already sent, so
# that the result is read on the next loop turn, together with any due timer.
BLOCK = 0.5

Call = Callable[[Consumer], Coroutine[Any, Any, object]]


async def dequeue(consumer: Consumer) -> list[QueueMessage]:
    return await consumer.dequeue(batch_size=2, lock_seconds=LEASE)


async def dequeue_wait(consumer: Consumer) -> list[QueueMessage]:
    return await consumer.dequeue(batch_size=2, lock_seconds=LEASE, wait=5)


async def first_of_messages(consumer: Consumer) -> list[QueueMessage]:
    """The first message of the messages() loop; leaving it releases the rest of the batch."""
    async with contextlib.aclosing(consumer.messages(batch_size=2, lock_seconds=LEASE, wait=5)) as stream:
        async for message in stream:
            return [message]
    return []


CALLS = pytest.mark.parametrize("call", [dequeue, dequeue_wait, first_of_messages], ids=lambda c: c.__name__)


async def settle(admin: Admin, consumer: Consumer, outcome: object) -> None:
    """Archives the messages the call returned; then checks within a few seconds
    that no message is leased any more."""
    for message in outcome if isinstance(outcome, list) else []:
        assert await consumer.archive(message.id)
    for _ in range(100):
        if (await admin.queue_metrics("tasks")).locked_messages == 0:
            return
        await asyncio.sleep(0.05)
    metrics = await admin.queue_metrics("tasks")
    raise AssertionError(f"{metrics.locked_messages} messages stay leased after the call was cancelled")


async def outcome_of(task: asyncio.Future[object]) -> object:
    """The task's result, or the exception it ended with."""
    try:
        return await task
    except (asyncio.CancelledError, TimeoutError, ExceptionGroup) as exc:
        return exc


async def cancel_at_point(task: asyncio.Task[object], point: int, resumable_only: bool = False) -> bool:
    """Cancels task at the point-th point of its call: a point is a future the task
    is suspended on, while pending and once done (or only once done, when
    resumable_only). This coroutine runs before the task on each loop turn, so a
    done future here means the task has not resumed yet. False when the task
    finished first."""
    seen: set[tuple[int, bool]] = set()
    while not task.done():
        waiter = task._fut_waiter  # type: ignore[attr-defined]  # what the task is suspended on
        if waiter is not None and (waiter.done() or not resumable_only):
            state = (id(waiter), waiter.done())
            if state not in seen:
                seen.add(state)
                if len(seen) == point:
                    task.cancel()
                    return True
        await asyncio.sleep(0)
    return False


async def sweep(tasks_dsn: str, call: Call, fresh: bool) -> int:
    """Runs call once per point, cancelling it there, until it finishes before
    the cancel; each trial ends with nothing leased. A fresh consumer per trial
    also covers connecting and registering (and is closed after it, leaving no
    worker registered). Returns the number of trials."""
    async with Admin(tasks_dsn) as admin, Producer(tasks_dsn, "tasks", "p", 1) as producer:
        shared = Consumer(tasks_dsn, "tasks", "c", 2)
        await shared.status()
        try:
            for point in range(1, 100):
                await producer.enqueue_batch([{"point": point}, {"point": point}])
                consumer = Consumer(tasks_dsn, "tasks", "c", 3) if fresh else shared
                try:
                    task = asyncio.ensure_future(call(consumer))
                    cancelled = await cancel_at_point(task, point)
                    await settle(admin, consumer, await outcome_of(task))
                finally:
                    if fresh:
                        await consumer.close()
                if fresh:  # registered or not when cancelled, it is shut down on close
                    assert [w.status for w in await admin.list_workers() if w.port == 3] in ([], ["stopped"])
                if not cancelled:
                    return point
        finally:
            await shared.close()
    raise AssertionError("the call never finished")


@CALLS
async def test_cancel_at_every_point_of_a_first_call(tasks_dsn: str, call: Call) -> None:
    # registering, then the statement: each pending, then done before the task resumed
    assert await sweep(tasks_dsn, call, fresh=True) >= 5


@CALLS
async def test_cancel_at_every_point_of_a_call(tasks_dsn: str, call: Call) -> None:
    # the statement pending, then its rows arrived before the task resumed
    assert await sweep(tasks_dsn, call, fresh=False) >= 3


@CALLS
async def test_cancel_right_after_the_rows_arrived(tasks_dsn: str, call: Call) -> None:
    async with Admin(tasks_dsn) as admin, Producer(tasks_dsn, "tasks", "p", 1) as producer:
        msg_ids = await producer.enqueue_batch([{"n": 1}, {"n": 2}])
        async with Consumer(tasks_dsn, "tasks", "c", 2) as consumer:
            await consumer.status()
            task = asyncio.ensure_future(call(consumer))
            await asyncio.sleep(0)  # the call sends its statement
            time.sleep(BLOCK)  # the server answers meanwhile
            # the rows are read and the task's future resolved; cancelled before it resumes
            assert await cancel_at_point(task, 1, resumable_only=True)
            assert isinstance(await outcome_of(task), asyncio.CancelledError)
            await settle(admin, consumer, None)
            again = await consumer.dequeue(batch_size=2)
            assert sorted(m.id for m in again) == sorted(msg_ids)
            assert all(m.read_ct == 2 for m in again)  # the server had leased them once


async def block_then_turn(turns: int) -> None:
    """Blocks the loop while the server answers, then lets turns loop turns pass."""
    time.sleep(BLOCK)
    for _ in range(turns):
        await asyncio.sleep(0)


async def with_timeout(call: Call, consumer: Consumer, seconds: float) -> object:
    async with asyncio.timeout(seconds):
        return await call(consumer)


async def with_wait_for(call: Call, consumer: Consumer, seconds: float) -> object:
    return await asyncio.wait_for(call(consumer), seconds)


@CALLS
@pytest.mark.parametrize("deadline", [with_timeout, with_wait_for], ids=["timeout", "wait_for"])
async def test_deadline_passing_as_the_rows_arrive(
    tasks_dsn: str, call: Call, deadline: Callable[[Call, Consumer, float], Awaitable[object]]
) -> None:
    async with Admin(tasks_dsn) as admin, Producer(tasks_dsn, "tasks", "p", 1) as producer:
        async with Consumer(tasks_dsn, "tasks", "c", 2) as consumer:
            await consumer.status()
            # expired before the rows arrive, as they arrive (the same loop turn), never
            for seconds in (0, BLOCK / 5, 2 * BLOCK):
                await producer.enqueue_batch([{"n": 1}, {"n": 2}])
                task = asyncio.ensure_future(deadline(call, consumer, seconds))
                await asyncio.sleep(0)  # the call sends its statement and sets its deadline
                time.sleep(BLOCK)
                await settle(admin, consumer, await outcome_of(task))


@CALLS
async def test_task_group_failing_as_the_rows_arrive(tasks_dsn: str, call: Call) -> None:
    async with Admin(tasks_dsn) as admin, Producer(tasks_dsn, "tasks", "p", 1) as producer:
        async with Consumer(tasks_dsn, "tasks", "c", 2) as consumer:
            await consumer.status()
            for turns in range(4):
                await producer.enqueue_batch([{"n": 1}, {"n": 2}])
                calls: list[asyncio.Task[object]] = []

                async def failing() -> None:
                    await asyncio.sleep(0)  # the call sends its statement
                    await block_then_turn(turns)
                    raise LookupError("a sibling failed")

                with pytest.raises(ExceptionGroup):
                    async with asyncio.TaskGroup() as group:
                        calls.append(group.create_task(call(consumer)))
                        group.create_task(failing())
                [task] = calls
                await settle(admin, consumer, None if task.cancelled() else task.result())
