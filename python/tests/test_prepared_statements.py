"""Prepared statements: one per SQL text on a connection, however many calls fail."""

from __future__ import annotations

import pytest

from pgqrs import Admin, Producer, QueueNotFoundError

FAILURES = 2000


async def prepared_count(client: Admin | Producer) -> int:
    """The statements prepared in the session of the client's connection."""
    value = await client._scalar("SELECT pg_catalog.count(*) FROM pg_catalog.pg_prepared_statements")
    assert value is not None
    return int(value)


async def test_failed_calls_add_no_prepared_statements(installed_dsn: str) -> None:
    async with Admin(installed_dsn) as admin, Producer(installed_dsn, "later", "p", 1) as producer:
        admin_before = await prepared_count(admin)
        producer_before = await prepared_count(producer)
        for _ in range(FAILURES):
            with pytest.raises(QueueNotFoundError):
                await admin.queue_metrics("later")
            with pytest.raises(QueueNotFoundError):
                await producer.enqueue({})  # registering on a missing queue
        assert await prepared_count(admin) == admin_before + 1
        # the producer may have prepared its registration already when it was built
        assert await prepared_count(producer) <= producer_before + 1
        await admin.create_queue("later")
        assert await producer.enqueue({}) > 0  # the statement kept works once it can
        assert (await admin.queue_metrics("later")).total_messages == 1
