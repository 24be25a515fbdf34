"""Producer and Consumer are workers: registration on first use, heartbeats, lifecycle."""

from __future__ import annotations

import asyncio
import logging
import weakref
from datetime import datetime

from ._client import Client
from ._params import integer, text
from .errors import ClosedError, InvalidInputError, PgqrsError, WorkerError
from .types import WorkerInfo

log = logging.getLogger("pgqrs")

DEFAULT_HEARTBEAT_INTERVAL = 10.0


class WorkerClient(Client):
    """A client registered as a worker ``(hostname, port)`` of one queue.

    The worker row is registered on the first awaited call (re-registering the
    same ``(hostname, port)`` takes the row over), and from then on a background
    task sends a heartbeat every ``heartbeat_interval`` seconds (None: never).
    """

    def __init__(
        self,
        dsn: str,
        queue: str,
        hostname: str,
        port: int,
        *,
        schema: str | None = None,
        heartbeat_interval: float | None = DEFAULT_HEARTBEAT_INTERVAL,
        connect_timeout: float | None = 30.0,
        max_connections: int = 1,
    ) -> None:
        self._queue = text(queue, "queue")
        self._hostname = text(hostname, "hostname")
        self._port = int(integer(port, "port"))
        if heartbeat_interval is not None and heartbeat_interval <= 0:
            raise InvalidInputError("heartbeat_interval must be positive or None")
        super().__init__(
            dsn, schema=schema, connect_timeout=connect_timeout, max_connections=max_connections
        )
        self._heartbeat_interval = heartbeat_interval
        self._worker: WorkerInfo | None = None
        self._registering: asyncio.Task[WorkerInfo] | None = None
        self._heartbeat_task: asyncio.Task[None] | None = None
        self._closing = False

    @property
    def queue(self) -> str:
        """The queue name."""
        return self._queue

    @property
    def hostname(self) -> str:
        """The worker's hostname."""
        return self._hostname

    @property
    def port(self) -> int:
        """The worker's port."""
        return self._port

    @property
    def worker_id(self) -> int | None:
        """The worker id, once registered (None before the first call)."""
        return None if self._worker is None else self._worker.id

    async def worker(self) -> WorkerInfo:
        """The worker row, registering the worker first if needed."""
        await self._worker_id()
        return await self._one(WorkerInfo, self._sql.json.get_worker, [str(self._worker_id_now())])

    # -- lifecycle ----------------------------------------------------------

    async def heartbeat(self) -> datetime:
        """Records that the worker is alive; returns the heartbeat time."""
        worker_id = await self._worker_id()
        value = await self._timestamp(self._sql.json.heartbeat, [str(worker_id)])
        assert value is not None
        return value

    async def suspend(self) -> WorkerInfo:
        """ready -> suspended: the worker gets nothing from dequeue until resumed."""
        return await self._transition(self._sql.json.suspend_worker)

    async def resume(self) -> WorkerInfo:
        """suspended -> ready."""
        return await self._transition(self._sql.json.resume_worker)

    async def shutdown(self) -> WorkerInfo:
        """ready or suspended -> stopped, releasing the messages the worker holds."""
        info = await self._transition(self._sql.json.shutdown_worker)
        self._stop_heartbeats()
        return info

    async def status(self) -> str:
        """ready, suspended or stopped."""
        worker_id = await self._worker_id()
        value = await self._scalar(self._sql.worker_status, [str(worker_id)])
        return value or ""

    async def close(self) -> None:
        """Stops the heartbeats, shuts the worker down (when registered and not
        stopped) and closes the connection. Safe to call twice."""
        if self._closed:
            return
        self._stop_heartbeats()
        self._closing = True
        self._conn.cancel_waiting()  # a waiting dequeue would hold the shutdown back
        await self._adopt_registration()
        if self._worker is not None and self._worker.status != "stopped":
            try:
                await asyncio.wait_for(self._transition(self._sql.json.shutdown_worker), timeout=10)
            except (PgqrsError, asyncio.TimeoutError) as exc:
                log.debug("pgqrs: shutdown of worker %s on close failed: %s", self.worker_id, exc)
        await super().close()

    async def _transition(self, sql: str) -> WorkerInfo:
        worker_id = await self._worker_id()
        info = await self._one(WorkerInfo, sql, [str(worker_id)])
        self._worker = info
        return info

    # -- registration -------------------------------------------------------

    def _worker_id_now(self) -> int:
        assert self._worker is not None
        return self._worker.id

    def _registered_worker_id(self) -> int | None:
        """The worker id once registered (heartbeats checked), else None: the hot
        path of :meth:`_worker_id` without a coroutine."""
        if self._worker is None or self._closed:
            return None
        self._ensure_heartbeats()
        return self._worker.id

    async def _worker_id(self) -> int:
        """The worker id, registering on first use (one registration shared by all
        concurrent callers); starts the heartbeat task on the running loop."""
        self._check_open()
        if self._worker is None:
            task = self._registering
            loop = asyncio.get_running_loop()
            if task is None or task.get_loop() is not loop or (task.done() and task.exception()):
                task = self._registering = loop.create_task(self._register())
            await asyncio.shield(task)
            self._worker = task.result()
        self._ensure_heartbeats()
        return self._worker.id

    async def _adopt_registration(self) -> None:
        """Takes the outcome of a registration whose callers were all cancelled
        (it runs on, shielded), so that close() shuts that worker down too."""
        task = self._registering
        if self._worker is not None or task is None or task.cancelled():
            return
        if task.get_loop() is not asyncio.get_running_loop():
            return
        try:
            self._worker = await asyncio.wait_for(asyncio.shield(task), timeout=10)
        except (PgqrsError, asyncio.TimeoutError) as exc:
            log.debug("pgqrs: registration of worker %s:%s failed: %s", self._hostname, self._port, exc)

    async def _register(self) -> WorkerInfo:
        return await self._one(
            WorkerInfo, self._sql.json.register_worker, [self._hostname, str(self._port), self._queue]
        )

    # -- heartbeats ---------------------------------------------------------

    def _ensure_heartbeats(self) -> None:
        if self._heartbeat_interval is None or self._closed:
            return
        if self._worker is not None and self._worker.status == "stopped":
            return
        loop = asyncio.get_running_loop()
        task = self._heartbeat_task
        if task is None or task.done() or task.get_loop() is not loop:
            self._heartbeat_task = loop.create_task(
                _heartbeats(weakref.ref(self), self._heartbeat_interval),
                name=f"pgqrs-heartbeat-{self._hostname}:{self._port}",
            )

    def _stop_heartbeats(self) -> None:
        task, self._heartbeat_task = self._heartbeat_task, None
        if task is not None and not task.done() and not task.get_loop().is_closed():
            task.cancel()


async def _heartbeats(ref: weakref.ref[WorkerClient], interval: float) -> None:
    """Sends a heartbeat every interval seconds while the worker lives and runs."""
    while True:
        await asyncio.sleep(interval)
        worker = ref()
        if worker is None or worker.closed:
            return
        try:
            await worker.heartbeat()
        except (ClosedError, WorkerError):
            return
        except PgqrsError as exc:  # e.g. connection lost: try again next time
            log.warning("pgqrs: heartbeat of worker %s failed: %s", worker.worker_id, exc)
        del worker

