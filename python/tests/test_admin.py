"""Admin: schema, queues, metrics, dead letters."""

from __future__ import annotations

import pytest

from pgqrs import (
    Admin,
    ClosedError,
    Consumer,
    InvalidInputError,
    NotInstalledError,
    Producer,
    QueueExistsError,
    QueueInfo,
    QueueNotFoundError,
)


async def test_install_is_idempotent_and_verifies(dsn: str) -> None:
    async with Admin(dsn) as admin:
        await admin.install()
        await admin.install()
        await admin.verify()
        assert await admin.version() == "0.2.0"


async def test_uninstall_removes_schema(dsn: str) -> None:
    async with Admin(dsn) as admin:
        await admin.install()
        await admin.create_queue("q")
        await admin.uninstall()
        with pytest.raises(NotInstalledError):
            await admin.verify()
        await admin.install()
        assert await admin.list_queues() == []


async def test_custom_schema(dsn: str) -> None:
    async with Admin(dsn, schema="jobs") as admin:
        await admin.install()
        await admin.verify()
        await admin.create_queue("q")
        async with Producer(dsn, "q", "h", 1, schema="jobs") as producer:
            msg_id = await producer.enqueue({"a": 1})
        async with Consumer(dsn, "q", "h", 2, schema="jobs") as consumer:
            [message] = await consumer.dequeue()
        assert message.id == msg_id
        assert [q.queue_name for q in await admin.get_queues().list()] == ["q"]


async def test_queue_lifecycle(admin: Admin) -> None:
    created = await admin.create_queue("orders")
    assert isinstance(created, QueueInfo)
    assert created.queue_name == "orders" and created.max_attempts == 5
    assert created.created_at.tzinfo is not None
    assert await admin.get_queue("orders") == created
    with pytest.raises(QueueExistsError, match='queue "orders" already exists') as info:
        await admin.create_queue("orders")
    assert info.value.sqlstate == "42710"
    other = await admin.create_queue("other", max_attempts=2)
    assert other.max_attempts == 2
    assert (await admin.set_max_attempts("other", 7)).max_attempts == 7
    assert [q.queue_name for q in await admin.list_queues()] == ["orders", "other"]
    assert await admin.delete_queue("orders") is True
    with pytest.raises(QueueNotFoundError, match='"orders"'):
        await admin.get_queue("orders")


async def test_purge_queue_and_archive(admin: Admin, installed_dsn: str) -> None:
    await admin.create_queue("q")
    async with Producer(installed_dsn, "q", "p", 1) as producer, Consumer(installed_dsn, "q", "c", 2) as consumer:
        await producer.enqueue_batch([{"i": i} for i in range(5)])
        [first] = await consumer.dequeue()
        assert await consumer.archive(first.id)
    assert await admin.purge_queue("q") == 4
    assert await admin.purge_archive("q", older_than=3600) == 0
    assert await admin.purge_archive("q") == 1
    metrics = await admin.queue_metrics("q")
    assert (metrics.total_messages, metrics.archived_messages) == (0, 0)


async def test_metrics(admin: Admin, installed_dsn: str) -> None:
    await admin.create_queue("a")
    await admin.create_queue("b")
    async with Producer(installed_dsn, "a", "p", 1) as producer, Consumer(installed_dsn, "a", "c", 2) as consumer:
        await producer.enqueue_batch([{"i": i} for i in range(3)])
        await producer.enqueue({"later": True}, delay_seconds=3600)
        await consumer.dequeue()
        metrics = await admin.queue_metrics("a")
        assert metrics.queue_name == "a"
        assert metrics.total_messages == 4
        assert metrics.pending_messages == 2
        assert metrics.locked_messages == 1
        assert metrics.delayed_messages == 1
        assert metrics.oldest_pending_at is not None
    everything = {m.queue_name: m for m in await admin.all_queues_metrics()}
    assert set(everything) == {"a", "b"} and everything["b"].total_messages == 0
    stats = await admin.system_stats()
    assert stats.total_queues == 2 and stats.total_messages == 4
    assert stats.schema_version == "0.2.0"


async def test_claim_frontier(admin: Admin, installed_dsn: str) -> None:
    # the test server preloads pgqrs: a queue's second claim raises its frontier
    await admin.create_queue("f")
    async with Consumer(installed_dsn, "f", "c", 3) as consumer:
        await consumer.dequeue()
        await consumer.dequeue()
    (frontier,) = [f for f in await admin.claim_frontier_stats() if f.queue_name == "f"]
    assert frontier.frontier_vt is not None and frontier.lag_seconds is not None
    assert frontier.raises >= 1 and frontier.found_below == 0
    # no audit yet; the next one is due pgqrs.frontier_reset_seconds after the slot was taken
    assert frontier.last_audit_seconds is None and frontier.next_audit_at is not None
    assert await admin.reset_claim_frontier("f") == 1
    (frontier,) = [f for f in await admin.claim_frontier_stats() if f.queue_name == "f"]
    assert frontier.frontier_vt is None and frontier.frontier_id is None and frontier.resets == 1
    assert await admin.reset_claim_frontier() >= 1
    with pytest.raises(QueueNotFoundError):
        await admin.reset_claim_frontier("nope")


async def test_dead_letters_and_replay(admin: Admin, installed_dsn: str) -> None:
    await admin.create_queue("q", max_attempts=1)
    async with Producer(installed_dsn, "q", "p", 1) as producer, Consumer(installed_dsn, "q", "c", 2) as consumer:
        msg_id = await producer.enqueue({"poison": True})
        [message] = await consumer.dequeue()
        assert message.read_ct == 1
        assert await consumer.release([msg_id]) == 1
        assert await consumer.dequeue() == []  # attempts used up: dead-lettered
        [dead] = await admin.dlq("q")
        assert dead.id == msg_id and dead.dead_letter and dead.payload == {"poison": True}
        assert (await admin.queue_metrics("q")).dead_messages == 1
        assert await admin.replay_dlq("q", [msg_id]) == 1
        assert await admin.dlq("q") == []
        [again] = await consumer.dequeue()
        assert again.id == msg_id and again.read_ct == 1
        assert await admin.replay_dlq("q") == 0


async def test_bad_input(admin: Admin) -> None:
    with pytest.raises(InvalidInputError, match="invalid queue name"):
        await admin.create_queue("bad name!")
    with pytest.raises(QueueNotFoundError, match='queue "nope" does not exist'):
        await admin.queue_metrics("nope")
    with pytest.raises(QueueNotFoundError):
        await admin.purge_queue("nope")
    with pytest.raises(InvalidInputError):
        await admin.create_queue(123)  # type: ignore[arg-type]
    with pytest.raises(InvalidInputError):
        Admin(None)  # type: ignore[arg-type]
    assert await admin.list_queues() == []


async def test_grant_access(admin: Admin) -> None:
    await admin._execute("CREATE ROLE pgqrs_test_reader")
    try:
        await admin.grant_access("pgqrs_test_reader", "monitor")
        with pytest.raises(InvalidInputError):
            await admin.grant_access("pgqrs_test_reader", "everything")
    finally:
        await admin._execute("DROP OWNED BY pgqrs_test_reader")
        await admin._execute("DROP ROLE pgqrs_test_reader")


async def test_closed_admin(installed_dsn: str) -> None:
    admin = Admin(installed_dsn)
    await admin.list_queues()
    await admin.close()
    with pytest.raises(ClosedError):
        await admin.list_queues()
    with pytest.raises(ClosedError):
        await admin.get_queues().count()


async def test_not_installed(dsn: str) -> None:
    async with Admin(dsn) as admin:
        with pytest.raises(NotInstalledError):
            await admin.create_queue("q")
