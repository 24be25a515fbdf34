"""Admin: the schema, queues, dead letters, workers and metrics."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from datetime import datetime, timedelta

from ._client import Client, as_bool, as_int
from ._connection import Rows
from ._ordering_sql import OrderingStatements
from ._params import decode_json, encode_payload, id_array, integer, interval, seconds, text
from ._registrations import pending, settle
from .config import DEFAULT_MAX_ATTEMPTS, UNSET, Config, Unset
from .errors import InvalidInputError, NotInstalledError, PgqrsError
from .types import (
    ArchivedMessage,
    ClaimFrontier,
    QueueInfo,
    QueueMessage,
    QueueMetrics,
    ScheduleInfo,
    SystemStats,
    TopicInfo,
    WorkerHealth,
    WorkerInfo,
    WorkerStats,
    WorkerStatus,
)
from .tables import Archive, Messages, Queues, Workers

Duration = float | int | timedelta

class Admin(Client):
    """Queue and schema management for the pgqrs extension in one database.

    ``Admin(dsn)`` uses schema ``pgqrs``; ``Admin(dsn, schema="x")`` installs and
    uses the extension in schema ``x``; ``Admin(config)`` takes the settings of a
    :class:`Config`. Building one does not connect.

    Before each statement it lets the registrations of Producers and Consumers
    of the same DSN and schema that are still in flight end, so it sees every
    worker whose object exists.
    """

    def __init__(
        self,
        dsn: str | Config | Client,
        schema: str | None = None,
        *,
        connect_timeout: float | None | Unset = UNSET,
        max_connections: int | Unset = UNSET,
    ) -> None:
        super().__init__(dsn, schema=schema, connect_timeout=connect_timeout, max_connections=max_connections)
        self._ordering = OrderingStatements(self._sql.qschema)

    async def _execute(
        self,
        sql: str,
        params: Sequence[str | None] = (),
        *,
        waits: bool = False,
        on_abandoned: Callable[[Rows], None] | None = None,
    ) -> list[tuple[str | None, ...]]:
        if pending(self._dsn, self._schema):
            await settle(self._dsn, self._schema)
        return await super()._execute(sql, params, waits=waits, on_abandoned=on_abandoned)

    # -- schema -------------------------------------------------------------

    async def install(self) -> None:
        """Creates the schema and the extension in it (``CREATE EXTENSION IF NOT
        EXISTS pgqrs SCHEMA ...``); running it again is harmless."""
        if await self.is_installed():
            return
        await self._execute(self._sql.create_schema)
        await self._execute(self._sql.create_extension)

    async def is_installed(self) -> bool:
        """True when the extension is installed in this database."""
        return bool(await self._execute(self._sql.extension_info))

    async def verify(self) -> None:
        """Raises when the extension is missing (NotInstalledError) or any object of
        the schema is missing or altered."""
        rows = await self._execute(self._sql.extension_info)
        if not rows:
            raise NotInstalledError('extension "pgqrs" is not installed in this database', "42704")
        if rows[0][1] != self._schema:
            raise NotInstalledError(
                f'extension "pgqrs" is installed in schema "{rows[0][1]}", not "{self._schema}"', "3F000"
            )
        await self._execute(self._sql.verify)

    async def uninstall(self) -> None:
        """Drops the extension with its tables and data, then the schema when
        nothing else lives in it."""
        await self._execute(self._sql.drop_extension)
        if self._schema in ("public", "pg_catalog"):
            return
        try:
            await self._execute(self._sql.drop_schema)
        except PgqrsError as exc:
            if exc.sqlstate != "2BP01":  # other objects live there: keep the schema
                raise

    async def grant_access(self, role: str, access: str) -> None:
        """Lets a role use the queues: access is producer, consumer, monitor or admin."""
        await self._execute(self._sql.grant_access, [text(role, "role"), text(access, "access")])

    async def version(self) -> str:
        """The version of the pgqrs library loaded in the server."""
        return await self._scalar(self._sql.version) or ""

    # -- queues -------------------------------------------------------------

    async def create_queue(self, name: str, max_attempts: int | None = None) -> QueueInfo:
        """Creates a queue; raises QueueExistsError ("... already exists") when it exists.
        max_attempts: deliveries before a message is dead-lettered (default: the
        Config's ``max_read_ct``, 5)."""
        attempts = integer(self._config.max_read_ct if max_attempts is None else max_attempts, "max_attempts")
        return await self._one(QueueInfo, self._sql.json.create_queue, [text(name, "name"), attempts])

    async def get_queue(self, name: str) -> QueueInfo:
        """The queue of that name; raises QueueNotFoundError."""
        return await self._one(QueueInfo, self._sql.json.get_queue, [text(name, "name")])

    async def list_queues(self) -> list[QueueInfo]:
        """All queues, by id."""
        return await self._objects(QueueInfo, self._sql.json.list_queues)

    async def delete_queue(self, name: str, force: bool = False) -> bool:
        """Deletes a queue with its messages and archive; refuses while live workers
        hold leases unless force is true."""
        value = await self._scalar(self._sql.delete_queue, [text(name, "name"), "t" if force else "f"])
        return as_bool(value)

    async def purge_queue(self, name: str) -> int:
        """Deletes every message of the queue (not its archive); returns the count."""
        return as_int(await self._scalar(self._sql.purge_queue, [text(name, "name")]))

    async def purge_archive(self, name: str, older_than: Duration | None = None) -> int:
        """Deletes the queue's archived messages (archived more than older_than ago,
        when given); returns the count."""
        older = None if older_than is None else interval(older_than, "older_than")
        return as_int(await self._scalar(self._sql.purge_archive, [text(name, "name"), older]))

    async def set_max_attempts(self, name: str, max_attempts: int) -> QueueInfo:
        """Sets how many deliveries a message of the queue gets before it is dead-lettered."""
        return await self._one(
            QueueInfo,
            self._sql.json.set_max_attempts,
            [text(name, "name"), integer(max_attempts, "max_attempts")],
        )

    async def set_dedup_window(self, name: str, seconds: int) -> QueueInfo:
        """Sets how long an archived message of the queue keeps its dedup key from
        being enqueued again (0: only while the message is in the queue)."""
        return await self._one(
            QueueInfo, self._sql.json.set_dedup_window, [text(name, "name"), integer(seconds, "seconds")]
        )

    async def set_priority(self, message_id: int, priority: int) -> bool:
        """Gives a message that is not leased (pending, delayed, or waiting behind
        its group's head) another priority, 0 to 9; False when no such message
        exists (or it is in a queue the role may not produce to)."""
        params = [integer(message_id, "message_id"), integer(priority, "priority")]
        return as_bool(await self._scalar(self._ordering.set_priority, params))

    # -- topics -------------------------------------------------------------

    async def create_topic(self, name: str) -> TopicInfo:
        """Creates a topic (no queue subscribed yet); raises QueueExistsError
        ("topic ... already exists") when it exists."""
        return await self._one(TopicInfo, self._sql.json.create_topic, [text(name, "name")])

    async def delete_topic(self, name: str) -> bool:
        """Deletes a topic and its subscriptions (not the queues or their messages)."""
        return as_bool(await self._scalar(self._sql.delete_topic, [text(name, "name")]))

    async def list_topics(self) -> list[TopicInfo]:
        """All topics by name, each with its subscribed queues."""
        return await self._objects(TopicInfo, self._sql.json.list_topics)

    async def subscribe(self, topic: str, queue: str) -> bool:
        """Subscribes a queue to a topic; False when it was already."""
        return as_bool(await self._scalar(self._sql.subscribe, [text(topic, "topic"), text(queue, "queue")]))

    async def unsubscribe(self, topic: str, queue: str) -> bool:
        """Ends a subscription; False when there was none."""
        return as_bool(await self._scalar(self._sql.unsubscribe, [text(topic, "topic"), text(queue, "queue")]))

    async def set_retry_policy(
        self,
        name: str,
        backoff: str,
        delay_seconds: float | None = None,
        max_delay_seconds: float | None = None,
        jitter: float = 0.0,
    ) -> QueueInfo:
        """Sets how long a message of the queue whose attempt failed waits before
        the next one: backoff ``"none"``, ``"fixed"`` (delay_seconds each time) or
        ``"exponential"`` (delay_seconds doubled per attempt after the first,
        capped at max_delay_seconds, default 365 days); jitter (0 to 1) shortens
        each delay by up to that fraction. Raises InvalidInputError for negative
        delays, a cap below the delay or jitter outside [0, 1]."""
        delay = None if delay_seconds is None else seconds(delay_seconds, "delay_seconds")
        cap = None if max_delay_seconds is None else seconds(max_delay_seconds, "max_delay_seconds")
        return await self._one(
            QueueInfo,
            self._sql.json.set_retry_policy,
            [text(name, "name"), text(backoff, "backoff"), delay, cap, seconds(jitter, "jitter")],
        )

    # -- dead letters -------------------------------------------------------

    async def dlq(self, name: str) -> list[ArchivedMessage]:
        """The dead-lettered messages of the queue, by id."""
        return await self._objects(ArchivedMessage, self._sql.json.dlq, [text(name, "name")])

    async def replay_dlq(self, name: str, message_ids: Iterable[int] | None = None) -> int:
        """Puts dead-lettered messages (all, or those ids) back in the queue; returns the count."""
        ids = None if message_ids is None else id_array(message_ids, "message_ids")
        return as_int(await self._scalar(self._sql.replay_dlq, [text(name, "name"), ids]))

    # -- schedules ----------------------------------------------------------

    async def create_schedule(
        self,
        name: str,
        cron_expression: str,
        queue: str,
        payload: object,
        time_zone: str = "UTC",
        catch_up: bool = True,
    ) -> ScheduleInfo:
        """Enqueues payload to the queue at each time of the cron expression (five
        fields or @hourly, @daily, ...), in time_zone, from the server with no client
        running. catch_up: the times missed while no runner ran are each enqueued
        (True) or all but the latest skipped. Raises InvalidInputError for a bad
        expression or time zone, ScheduleExistsError, QueueNotFoundError."""
        return await self._one(
            ScheduleInfo,
            self._sql.json.create_schedule,
            [
                text(name, "name"),
                text(cron_expression, "cron_expression"),
                text(queue, "queue"),
                encode_payload(payload),
                text(time_zone, "time_zone"),
                "t" if catch_up else "f",
            ],
        )

    async def list_schedules(self) -> list[ScheduleInfo]:
        """All schedules, by id."""
        return await self._objects(ScheduleInfo, self._sql.json.list_schedules)

    async def pause_schedule(self, name: str) -> ScheduleInfo:
        """Stops a schedule until it is resumed; raises ScheduleNotFoundError."""
        return await self._one(ScheduleInfo, self._sql.json.pause_schedule, [text(name, "name")])

    async def resume_schedule(self, name: str) -> ScheduleInfo:
        """Restarts a paused schedule from its first time after now."""
        return await self._one(ScheduleInfo, self._sql.json.resume_schedule, [text(name, "name")])

    async def delete_schedule(self, name: str) -> bool:
        """Deletes a schedule; raises ScheduleNotFoundError."""
        return as_bool(await self._scalar(self._sql.delete_schedule, [text(name, "name")]))

    async def run_due_schedules(self) -> int:
        """Enqueues every scheduled time that has come, each once whoever else runs
        schedules (the server's background worker does this when pgqrs is
        preloaded); returns the messages enqueued."""
        return as_int(await self._scalar(self._sql.run_due_schedules))

    async def cron_times(
        self, cron_expression: str, time_zone: str = "UTC", after: datetime | None = None, count: int = 5
    ) -> list[datetime]:
        """The next count times of a cron expression after `after` (default now)."""
        start = "now" if after is None else after.isoformat()
        values = await self._scalars(
            self._sql.json.cron_times,
            [text(cron_expression, "cron_expression"), text(time_zone, "time_zone"), start, integer(count, "count")],
        )
        return [datetime.fromisoformat(decode_json(v)) for v in values]

    # -- observation --------------------------------------------------------

    async def queue_metrics(self, name: str) -> QueueMetrics:
        """Message counts of one queue."""
        return await self._one(QueueMetrics, self._sql.json.queue_metrics, [text(name, "name")])

    async def all_queues_metrics(self) -> list[QueueMetrics]:
        """Message counts of every queue."""
        return await self._objects(QueueMetrics, self._sql.json.all_queues_metrics)

    async def system_stats(self) -> SystemStats:
        """Counts over all queues and workers."""
        return await self._one(SystemStats, self._sql.json.system_stats)

    async def claim_frontier_stats(self) -> list[ClaimFrontier]:
        """The claim frontier of each queue that has one (pgqrs preloaded)."""
        return await self._objects(ClaimFrontier, self._sql.json.claim_frontier_stats)

    async def reset_claim_frontier(self, queue: str | None = None) -> int:
        """Makes the next claims of the queue (every queue when None) scan from
        its start, after messages were changed outside pgqrs; returns the
        frontiers reset."""
        params = [None if queue is None else text(queue, "queue")]
        return as_int(await self._scalar(self._sql.reset_claim_frontier, params))

    # -- workers ------------------------------------------------------------

    async def reclaim_messages(
        self,
        queue: str | None = None,
        older_than: Duration | None = None,
        *,
        older_than_seconds: float | None = None,
    ) -> int:
        """Releases the leases of workers (of one queue, when named) whose heartbeat
        is older than older_than (default 60 s; ``older_than_seconds`` is the pgqrs
        0.4 name), and marks them stopped; returns the messages released."""
        if older_than is not None and older_than_seconds is not None:
            raise InvalidInputError("give older_than or older_than_seconds, not both")
        age = older_than if older_than is not None else older_than_seconds
        value = await self._scalar(
            self._sql.reclaim_messages,
            [
                None if queue is None else text(queue, "queue"),
                interval(60.0 if age is None else age, "older_than"),
            ],
        )
        return as_int(value)

    async def list_workers(self, queue: str | None = None) -> list[WorkerInfo]:
        """All workers (of one queue, when named), by id."""
        params = [None if queue is None else text(queue, "queue")]
        return await self._objects(WorkerInfo, self._sql.json.list_workers, params)

    async def get_worker(self, worker_id: int) -> WorkerInfo:
        """The worker of that id; raises WorkerNotFoundError."""
        return await self._worker_call(self._sql.json.get_worker, worker_id)

    async def worker_status(self, worker_id: int) -> WorkerStatus:
        """ready, suspended or stopped."""
        return WorkerStatus(await self._scalar(self._sql.worker_status, [integer(worker_id, "worker_id")]))

    async def suspend_worker(self, worker_id: int) -> WorkerInfo:
        """ready -> suspended."""
        return await self._worker_call(self._sql.json.suspend_worker, worker_id)

    async def resume_worker(self, worker_id: int) -> WorkerInfo:
        """suspended -> ready."""
        return await self._worker_call(self._sql.json.resume_worker, worker_id)

    async def shutdown_worker(self, worker_id: int) -> WorkerInfo:
        """ready or suspended -> stopped, releasing its messages."""
        return await self._worker_call(self._sql.json.shutdown_worker, worker_id)

    async def heartbeat(self, worker_id: int) -> datetime:
        """Records a heartbeat for the worker; returns its time."""
        value = await self._timestamp(self._sql.json.heartbeat, [integer(worker_id, "worker_id")])
        assert value is not None
        return value

    async def worker_messages(self, worker_id: int) -> list[QueueMessage]:
        """The messages the worker holds a lease on."""
        return await self._objects(
            QueueMessage, self._sql.json.worker_messages, [integer(worker_id, "worker_id")]
        )

    async def release_worker_messages(self, worker_id: int) -> int:
        """Ends the leases the worker holds now (their messages are visible again); returns the count."""
        return as_int(await self._scalar(self._sql.release_worker_messages, [integer(worker_id, "worker_id")]))

    async def delete_worker(self, worker_id: int) -> bool:
        """Deletes a worker row; refuses while it holds messages."""
        return as_bool(await self._scalar(self._sql.delete_worker, [integer(worker_id, "worker_id")]))

    async def purge_old_workers(self, older_than: Duration) -> int:
        """Deletes stopped workers silent for older_than that hold no messages; returns the count."""
        value = await self._scalar(self._sql.purge_old_workers, [interval(older_than, "older_than")])
        return as_int(value)

    async def worker_stats(self, queue: str) -> WorkerStats:
        """Worker counts of one queue."""
        return await self._one(WorkerStats, self._sql.json.worker_stats, [text(queue, "queue")])

    async def worker_health(self, queue: str | None = None, max_age: Duration = 60.0) -> list[WorkerHealth]:
        """Each worker not stopped (of one queue, when named), healthy when its
        heartbeat is younger than max_age."""
        return await self._objects(
            WorkerHealth,
            self._sql.json.worker_health,
            [None if queue is None else text(queue, "queue"), interval(max_age, "max_age")],
        )

    async def _worker_call(self, sql: str, worker_id: int) -> WorkerInfo:
        return await self._one(WorkerInfo, sql, [integer(worker_id, "worker_id")])

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


__all__ = ["Admin", "DEFAULT_MAX_ATTEMPTS", "Duration"]
