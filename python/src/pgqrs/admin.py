"""Admin: the schema, queues, dead letters, workers and metrics."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta

from ._client import Client, as_bool, as_int
from ._params import id_array, integer, seconds, text
from .types import (
    ArchivedMessage,
    QueueInfo,
    QueueMessage,
    QueueMetrics,
    SystemStats,
    WorkerHealth,
    WorkerInfo,
    WorkerStats,
)
from .tables import Archive, Messages, Queues, Workers

Duration = float | int | timedelta


class Admin(Client):
    """Queue and schema management for the pgqrs extension in one database.

    ``Admin(dsn)`` uses schema ``pgqrs``; ``Admin(dsn, schema="x")`` installs and
    uses the extension in schema ``x``. Building one does not connect.
    """

    def __init__(self, dsn: str, schema: str | None = None, *, connect_timeout: float | None = 30.0) -> None:
        super().__init__(dsn, schema=schema, connect_timeout=connect_timeout)

    # -- schema -------------------------------------------------------------

    async def install(self) -> None:
        """Creates the extension (``CREATE EXTENSION IF NOT EXISTS pgqrs``); running
        it again is harmless. With a schema, creates that schema first."""
        if self._schema == "pgqrs":
            await self._execute("CREATE EXTENSION IF NOT EXISTS pgqrs")
        else:
            await self._execute("CREATE SCHEMA IF NOT EXISTS {s}")
            await self._execute("CREATE EXTENSION IF NOT EXISTS pgqrs SCHEMA {s}")

    async def verify(self) -> None:
        """Raises when any object of the schema is missing or altered."""
        await self._execute("SELECT {s}.verify()")

    async def uninstall(self) -> None:
        """Drops the extension with its tables and data (``DROP EXTENSION pgqrs``)."""
        await self._execute("DROP EXTENSION IF EXISTS pgqrs")

    async def grant_access(self, role: str, access: str) -> None:
        """Lets a role use the queues: access is producer, consumer, monitor or admin."""
        await self._execute("SELECT {s}.grant_access($1, $2)", [text(role, "role"), text(access, "access")])

    async def version(self) -> str:
        """The version of the pgqrs library loaded in the server."""
        return await self._scalar("SELECT {s}.version()") or ""

    # -- queues -------------------------------------------------------------

    async def create_queue(self, name: str, max_attempts: int | None = None) -> QueueInfo:
        """Creates a queue; raises QueueExistsError ("... already exists") when it exists."""
        params = [text(name, "name")]
        call = "create_queue($1)"
        if max_attempts is not None:
            params.append(integer(max_attempts, "max_attempts"))
            call = "create_queue($1, $2)"
        return await self._one(QueueInfo, self._rowjson(call), params)

    async def get_queue(self, name: str) -> QueueInfo:
        """The queue of that name; raises QueueNotFoundError."""
        return await self._one(QueueInfo, self._rowjson("get_queue($1)"), [text(name, "name")])

    async def list_queues(self) -> list[QueueInfo]:
        """All queues, by id."""
        return await self._objects(QueueInfo, self._rowjson("list_queues()"))

    async def delete_queue(self, name: str, force: bool = False) -> bool:
        """Deletes a queue with its messages and archive; refuses while live workers
        hold leases unless force is true."""
        value = await self._scalar(
            "SELECT {s}.delete_queue($1, $2)", [text(name, "name"), "t" if force else "f"]
        )
        return as_bool(value)

    async def purge_queue(self, name: str) -> int:
        """Deletes every message of the queue (not its archive); returns the count."""
        return as_int(await self._scalar("SELECT {s}.purge_queue($1)", [text(name, "name")]))

    async def purge_archive(self, name: str, older_than: Duration | None = None) -> int:
        """Deletes the queue's archived messages (archived more than older_than ago,
        when given); returns the count."""
        if older_than is None:
            value = await self._scalar("SELECT {s}.purge_archive($1)", [text(name, "name")])
        else:
            value = await self._scalar(
                "SELECT {s}.purge_archive($1, pg_catalog.make_interval(secs => $2::float8))",
                [text(name, "name"), seconds(older_than, "older_than")],
            )
        return as_int(value)

    async def set_max_attempts(self, name: str, max_attempts: int) -> QueueInfo:
        """Sets how many deliveries a message of the queue gets before it is dead-lettered."""
        return await self._one(
            QueueInfo,
            self._rowjson("set_max_attempts($1, $2)"),
            [text(name, "name"), integer(max_attempts, "max_attempts")],
        )

    # -- dead letters -------------------------------------------------------

    async def dlq(self, name: str) -> list[ArchivedMessage]:
        """The dead-lettered messages of the queue, by id."""
        return await self._objects(ArchivedMessage, self._rowjson("dlq($1)"), [text(name, "name")])

    async def replay_dlq(self, name: str, message_ids: Iterable[int] | None = None) -> int:
        """Puts dead-lettered messages (all, or those ids) back in the queue; returns the count."""
        if message_ids is None:
            value = await self._scalar("SELECT {s}.replay_dlq($1)", [text(name, "name")])
        else:
            value = await self._scalar(
                "SELECT {s}.replay_dlq($1, $2::bigint[])",
                [text(name, "name"), id_array(message_ids, "message_ids")],
            )
        return as_int(value)

    # -- observation --------------------------------------------------------

    async def queue_metrics(self, name: str) -> QueueMetrics:
        """Message counts of one queue."""
        return await self._one(QueueMetrics, self._rowjson("queue_metrics($1)"), [text(name, "name")])

    async def all_queues_metrics(self) -> list[QueueMetrics]:
        """Message counts of every queue."""
        return await self._objects(QueueMetrics, self._rowjson("all_queues_metrics()"))

    async def system_stats(self) -> SystemStats:
        """Counts over all queues and workers."""
        return await self._one(SystemStats, self._rowjson("system_stats()"))

    # -- workers ------------------------------------------------------------

    async def reclaim_messages(self, queue: str | None = None, older_than: Duration = 60.0) -> int:
        """Releases the leases of workers (of one queue, when named) whose heartbeat
        is older than older_than, and marks them stopped; returns the messages released."""
        value = await self._scalar(
            "SELECT {s}.reclaim_messages($1, pg_catalog.make_interval(secs => $2::float8))",
            [None if queue is None else text(queue, "queue"), seconds(older_than, "older_than")],
        )
        return as_int(value)

    async def list_workers(self, queue: str | None = None) -> list[WorkerInfo]:
        """All workers (of one queue, when named), by id."""
        params = [None if queue is None else text(queue, "queue")]
        return await self._objects(WorkerInfo, self._rowjson("list_workers($1)"), params)

    async def get_worker(self, worker_id: int) -> WorkerInfo:
        """The worker of that id; raises WorkerNotFoundError."""
        return await self._worker_call("get_worker", worker_id)

    async def worker_status(self, worker_id: int) -> str:
        """ready, suspended or stopped."""
        return await self._scalar("SELECT {s}.worker_status($1)", [integer(worker_id, "worker_id")]) or ""

    async def suspend_worker(self, worker_id: int) -> WorkerInfo:
        """ready -> suspended."""
        return await self._worker_call("suspend_worker", worker_id)

    async def resume_worker(self, worker_id: int) -> WorkerInfo:
        """suspended -> ready."""
        return await self._worker_call("resume_worker", worker_id)

    async def shutdown_worker(self, worker_id: int) -> WorkerInfo:
        """ready or suspended -> stopped, releasing its messages."""
        return await self._worker_call("shutdown_worker", worker_id)

    async def heartbeat(self, worker_id: int) -> datetime:
        """Records a heartbeat for the worker; returns its time."""
        value = await self._timestamp("heartbeat($1)", [integer(worker_id, "worker_id")])
        assert value is not None
        return value

    async def worker_messages(self, worker_id: int) -> list[QueueMessage]:
        """The messages the worker holds a lease on."""
        return await self._objects(
            QueueMessage, self._rowjson("worker_messages($1)"), [integer(worker_id, "worker_id")]
        )

    async def delete_worker(self, worker_id: int) -> bool:
        """Deletes a worker row; refuses while it holds messages."""
        return as_bool(await self._scalar("SELECT {s}.delete_worker($1)", [integer(worker_id, "worker_id")]))

    async def purge_old_workers(self, older_than: Duration) -> int:
        """Deletes stopped workers silent for older_than that hold no messages; returns the count."""
        value = await self._scalar(
            "SELECT {s}.purge_old_workers(pg_catalog.make_interval(secs => $1::float8))",
            [seconds(older_than, "older_than")],
        )
        return as_int(value)

    async def worker_stats(self, queue: str) -> WorkerStats:
        """Worker counts of one queue."""
        return await self._one(WorkerStats, self._rowjson("worker_stats($1)"), [text(queue, "queue")])

    async def worker_health(self, queue: str | None = None, max_age: Duration = 60.0) -> list[WorkerHealth]:
        """Each worker not stopped (of one queue, when named), healthy when its
        heartbeat is younger than max_age."""
        return await self._objects(
            WorkerHealth,
            self._rowjson("worker_health($1, pg_catalog.make_interval(secs => $2::float8))"),
            [None if queue is None else text(queue, "queue"), seconds(max_age, "max_age")],
        )

    async def _worker_call(self, function: str, worker_id: int) -> WorkerInfo:
        return await self._one(WorkerInfo, self._rowjson(f"{function}($1)"), [integer(worker_id, "worker_id")])

    # -- tables -------------------------------------------------------------

    def get_queues(self) -> Queues:
        """The ``queues`` table (``count()``, ``list()``, ``get(id)``); may be awaited."""
        return Queues(self)

    def get_workers(self) -> Workers:
        """The ``workers`` table; may be awaited."""
        return Workers(self)

    def get_messages(self) -> Messages:
        """The ``messages`` table; may be awaited."""
        return Messages(self)

    def get_archive(self) -> Archive:
        """The ``archive`` table; may be awaited."""
        return Archive(self)


__all__ = ["Admin", "Duration"]
