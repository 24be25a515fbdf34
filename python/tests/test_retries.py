"""Retries with backoff: the queue's retry policy, Consumer.run releasing a
failed message after it with the error text, dead letters keeping the error."""

from __future__ import annotations

import asyncio
from datetime import datetime, timezone

import pytest

from pgqrs import Admin, Consumer, InvalidInputError, Producer, QueueMessage, QueueNotFoundError, RunStats


async def test_a_failed_message_comes_back_after_the_delay_with_its_error(installed_dsn: str) -> None:
    async with Admin(installed_dsn) as admin:
        await admin.create_queue("jobs")
        policy = await admin.set_retry_policy("jobs", "fixed", 1.5)
        assert (policy.retry_backoff, policy.retry_delay_seconds, policy.retry_max_delay_seconds) == ("fixed", 1.5, 1.5)
        async with Producer(installed_dsn, "jobs", "p", 1) as producer, Consumer(installed_dsn, "jobs", "c", 2) as consumer:
            msg_id = await producer.enqueue({"job": 1})

            def handler(message: QueueMessage) -> None:
                raise ValueError(f"cannot do job {message.payload['job']}")

            stats = await consumer.run(handler, lock_seconds=60, wait=1, max_messages=1)
            assert stats == RunStats(handled=0, archived=0, failed=1)
            row = await admin.get_messages().get(msg_id)
            assert row.last_error == "ValueError: cannot do job 1"
            assert row.retry_at is not None and row.retry_at == row.vt
            assert row.retry_at > datetime.now(timezone.utc)
            metrics = await admin.queue_metrics("jobs")
            assert (metrics.retrying_messages, metrics.locked_messages, metrics.pending_messages) == (1, 0, 0)
            assert metrics.next_retry_at == row.retry_at
            assert await consumer.dequeue(lock_seconds=60) == []  # not yet
            await asyncio.sleep(1.6)
            again = await consumer.dequeue(lock_seconds=60)
            assert [m.id for m in again] == [msg_id]
            assert again[0].read_ct == 2 and again[0].last_error == "ValueError: cannot do job 1"
            assert again[0].retry_at is None  # leased again


async def test_reaching_max_attempts_dead_letters_the_message_with_its_error(installed_dsn: str) -> None:
    async with Admin(installed_dsn) as admin:
        await admin.create_queue("jobs", max_attempts=3)
        await admin.set_retry_policy("jobs", "exponential", 0.2, 0.3)
        async with Producer(installed_dsn, "jobs", "p", 1) as producer, Consumer(installed_dsn, "jobs", "c", 2) as consumer:
            msg_id = await producer.enqueue({"job": 2})
            attempts: list[int] = []

            async def handler(message: QueueMessage) -> None:
                attempts.append(message.read_ct)
                raise RuntimeError(f"attempt {message.read_ct} failed")

            stats = await consumer.run(handler, lock_seconds=60, wait=2, max_messages=3)
            assert stats.failed == 3 and attempts == [1, 2, 3]
            assert await consumer.dequeue(lock_seconds=60) == []  # the claim buries it
            dead = await admin.dlq("jobs")
            assert [(d.id, d.read_ct, d.dead_letter, d.last_error) for d in dead] == [
                (msg_id, 3, True, "RuntimeError: attempt 3 failed")
            ]
            assert (await admin.queue_metrics("jobs")).dead_messages == 1


async def test_run_archives_what_the_handler_finishes_sync_or_async(installed_dsn: str) -> None:
    async with Admin(installed_dsn) as admin:
        await admin.create_queue("jobs")
        await admin.set_retry_policy("jobs", "fixed", 600)
        async with Producer(installed_dsn, "jobs", "p", 1) as producer, Consumer(installed_dsn, "jobs", "c", 2) as consumer:
            await producer.enqueue_batch([{"n": 1}, {"n": 2}])
            seen: list[int] = []

            async def handler(message: QueueMessage) -> None:
                seen.append(message.payload["n"])

            assert await consumer.run(handler, wait=1, max_messages=1) == RunStats(1, 1, 0)
            assert await consumer.run(lambda m: seen.append(m.payload["n"]), wait=1, max_messages=1) == RunStats(1, 1, 0)
            assert seen == [1, 2]
            assert await admin.get_archive().count() == 2


async def test_messages_left_in_the_batch_come_back_at_once(installed_dsn: str) -> None:
    async with Admin(installed_dsn) as admin:
        await admin.create_queue("jobs")
        await admin.set_retry_policy("jobs", "fixed", 600)
        async with Producer(installed_dsn, "jobs", "p", 1) as producer, Consumer(installed_dsn, "jobs", "c", 2) as consumer:
            ids = await producer.enqueue_batch([{"n": 1}, {"n": 2}])
            stats = await consumer.run(lambda m: None, batch_size=2, lock_seconds=300, wait=1, max_messages=1)
            assert stats == RunStats(1, 1, 0)
            for _ in range(50):  # released in the background
                back = await consumer.dequeue(lock_seconds=300)
                if back:
                    break
                await asyncio.sleep(0.1)
            assert [m.id for m in back] == [ids[1]] and back[0].last_error is None


async def test_the_error_text_is_bounded(installed_dsn: str) -> None:
    async with Admin(installed_dsn) as admin:
        await admin.create_queue("jobs")
        async with Producer(installed_dsn, "jobs", "p", 1) as producer, Consumer(installed_dsn, "jobs", "c", 2) as consumer:
            msg_id = await producer.enqueue({})

            def handler(message: QueueMessage) -> None:
                raise ValueError("é" * 10_000 + "\x00")

            await consumer.run(handler, wait=1, max_messages=1)
            row = await admin.get_messages().get(msg_id)
            assert row.last_error is not None and row.last_error.startswith("ValueError: éé")
            assert len(row.last_error.encode()) <= 4096


async def test_release_takes_a_delay_or_the_policy(installed_dsn: str) -> None:
    async with Admin(installed_dsn) as admin:
        await admin.create_queue("jobs")
        await admin.set_retry_policy("jobs", "fixed", 600)
        async with Producer(installed_dsn, "jobs", "p", 1) as producer, Consumer(installed_dsn, "jobs", "c", 2) as consumer:
            msg_id = await producer.enqueue({})
            await consumer.dequeue(lock_seconds=60)
            assert await consumer.release([msg_id], delay_seconds=0, error="given back") == 1
            [m] = await consumer.dequeue(lock_seconds=60)
            assert m.last_error == "given back"
            with pytest.raises(InvalidInputError):
                await consumer.release([msg_id], delay_seconds=-1)
            with pytest.raises(InvalidInputError):
                await consumer.release([msg_id], delay_seconds=1.5)  # type: ignore[arg-type]
            assert await consumer.release([msg_id]) == 1  # the policy: 600 s
            assert await consumer.dequeue(lock_seconds=60) == []


async def test_bad_policies_are_refused_and_change_nothing(installed_dsn: str) -> None:
    async with Admin(installed_dsn) as admin:
        await admin.create_queue("jobs")
        await admin.set_retry_policy("jobs", "exponential", 2, 60, 0.5)
        for args in [("fixed", -1), ("exponential", 10, 5), ("fixed", 1, None, 1.5), ("fixed", 1, None, -0.5),
                     ("linear", 1), ("fixed",), ("none", 5)]:
            with pytest.raises(InvalidInputError):
                await admin.set_retry_policy("jobs", *args)  # type: ignore[arg-type]
        with pytest.raises(QueueNotFoundError):
            await admin.set_retry_policy("nope", "fixed", 1)
        q = await admin.get_queue("jobs")
        assert (q.retry_backoff, q.retry_delay_seconds, q.retry_max_delay_seconds, q.retry_jitter) == (
            "exponential", 2.0, 60.0, 0.5)
        assert (await admin.set_retry_policy("jobs", "none")).retry_backoff == "none"
