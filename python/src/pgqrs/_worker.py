"""Producer and Consumer are workers: registration, heartbeats, lifecycle."""

from __future__ import annotations

import asyncio
import logging
import weakref
from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import TypeVar

from ._client import Client
from ._params import integer, text
from ._registrations import forget, remember
from .config import UNSET, Config, Unset, positive_seconds
from .errors import ClosedError, PgqrsError, WorkerError
from .types import WorkerInfo, WorkerStatus

log = logging.getLogger("pgqrs")

_T = TypeVar("_T")


class WorkerClient(Client):
    """A client registered as a worker ``(hostname, port)`` of one queue.

    Built while an event loop runs, it starts registering its worker row at once
    (in the background: building never blocks); built without one (at import
    time), it registers on the loop of the first awaited call that needs it. An
    :class:`Admin` of the same DSN and schema waits for registrations in flight
    before each of its statements, so it sees the worker as soon as the object
    exists. Re-registering the same ``(hostname, port)`` takes the row over.
    Once registered, a background task sends a heartbeat every
    ``heartbeat_interval`` seconds (None: never).

    When the server stopped the worker behind this object's back (an operator's
    ``shutdown_worker``, or ``reclaim_messages`` after it went silent), the next
    ``enqueue`` or ``dequeue`` registers it afresh (logged as a warning) and goes
    on; the leases it held stay fenced (see docs/semantics.md).
    """

    def __init__(
        self,
        dsn: str | Config | Client,
        queue: str,
        hostname: str,
        port: int,
        *,
        schema: str | None = None,
        heartbeat_interval: float | None | Unset = UNSET,
        connect_timeout: float | None | Unset = UNSET,
        max_connections: int | Unset = UNSET,
    ) -> None:
        self._queue = text(queue, "queue")
        self._hostname = text(hostname, "hostname")
        self._port = int(integer(port, "port"))
        if not isinstance(heartbeat_interval, Unset) and heartbeat_interval is not None:
            positive_seconds(heartbeat_interval, "heartbeat_interval")
        super().__init__(dsn, schema=schema, connect_timeout=connect_timeout, max_connections=max_connections)
        if not isinstance(heartbeat_interval, Unset):
            self._config.heartbeat_interval_seconds = heartbeat_interval
        self._heartbeat_interval = self._config.heartbeat_interval_seconds
        self._worker: WorkerInfo | None = None
        self._registering: asyncio.Task[WorkerInfo] | None = None
        # counts registrations, so concurrent calls that found the worker stopped register it once
        self._generation = 0
        self._heartbeat_task: asyncio.Task[None] | None = None
        self._closing = False
        remember(self, self._dsn, self._schema)
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:  # no loop yet (e.g. import time): registered on first use
            return
        self._start_registration(loop)

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
        """The worker id, once registered (None while the registration is in flight)."""
        return None if self._worker is None else self._worker.id

    async def worker(self) -> WorkerInfo:
        """The worker row, registering the worker first if needed."""
        worker_id = await self._worker_id()
        return await self._one(WorkerInfo, self._sql.json.get_worker, [str(worker_id)])

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
        """ready or suspended -> stopped, releasing the messages the worker holds.
        Later calls raise WorkerError (this worker is not registered afresh)."""
        info = await self._transition(self._sql.json.shutdown_worker)
        self._stop_heartbeats()
        return info

    async def status(self) -> WorkerStatus:
        """ready, suspended or stopped."""
        worker_id = await self._worker_id()
        return WorkerStatus(await self._scalar(self._sql.worker_status, [str(worker_id)]))

    async def close(self) -> None:
        """Stops the heartbeats, shuts the worker down (when registered, or once
        its registration in flight ended, and not stopped) and closes the
        connection. Safe to call twice."""
        if self._closed:
            return
        self._stop_heartbeats()
        self._closing = True
        forget(self, self._dsn, self._schema)
        self._conn.cancel_waiting()  # a waiting dequeue would hold the shutdown back
        task = self._registering
        if self._worker is None and task is not None and not task.done():
            if task.get_loop() is asyncio.get_running_loop():
                await asyncio.wait([task], timeout=10)
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
        while self._worker is None:  # again when registered afresh meanwhile
            await asyncio.shield(self._start_registration(asyncio.get_running_loop()))
            self._check_open()
        self._ensure_heartbeats()
        return self._worker.id

    def _start_registration(self, loop: asyncio.AbstractEventLoop) -> asyncio.Task[WorkerInfo]:
        """The registration in flight on loop, or a new one (none yet, or the last
        one failed or belongs to another loop)."""
        task = self._registering
        if task is None or task.get_loop() is not loop or (task.done() and _failed(task)):
            task = self._registering = loop.create_task(self._register())
            task.add_done_callback(self._registration_ended)
        return task

    async def _register(self) -> WorkerInfo:
        info = await self._one(
            WorkerInfo, self._sql.json.register_worker, [self._hostname, str(self._port), self._queue]
        )
        self._worker = info
        self._generation += 1
        self._ensure_heartbeats()
        return info

    def _registration_ended(self, task: asyncio.Task[WorkerInfo]) -> None:
        """An Admin no longer waits for this worker; a failure is raised again by
        the worker's next call (which retries), not here."""
        forget(self, self._dsn, self._schema)
        if not task.cancelled() and task.exception() is not None:
            log.debug("pgqrs: registration of worker %s:%s failed: %s", self._hostname, self._port, task.exception())

    def _stopped_by_server(self, exc: WorkerError) -> bool:
        """True when the server says the worker is stopped though this object did
        not stop it: an operator's shutdown_worker, or reclaim_messages."""
        stopped_here = self._worker is not None and self._worker.status == WorkerStatus.Stopped
        return " is stopped" in str(exc) and not stopped_here and not self._closing

    async def _register_again(self, generation: int) -> int:
        """Registers afresh after a call of registration ``generation`` found the
        worker stopped; concurrent callers share one new registration."""
        if generation == self._generation and self._worker is not None:
            log.warning(
                "pgqrs: worker %s (%s:%s) was stopped by the server (reclaimed or shut down); "
                "registering again",
                self._worker.id,
                self._hostname,
                self._port,
            )
            self._worker = None
            self._registering = None
        return await self._worker_id()

    async def _as_worker(self, call: Callable[[str], Awaitable[_T]]) -> _T:
        """Runs call(worker id); registers afresh and runs it again once when the
        server stopped the worker (the failed statement changed nothing)."""
        worker_id = self._registered_worker_id()
        if worker_id is None:
            worker_id = await self._worker_id()
        generation = self._generation
        try:
            return await call(str(worker_id))
        except WorkerError as exc:
            if not self._stopped_by_server(exc):
                raise
        return await call(str(await self._register_again(generation)))

    # -- heartbeats ---------------------------------------------------------

    def _ensure_heartbeats(self) -> None:
        if self._heartbeat_interval is None or self._closed or self._closing:
            return
        if self._worker is not None and self._worker.status == WorkerStatus.Stopped:
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


def _failed(task: asyncio.Task[WorkerInfo]) -> bool:
    return task.cancelled() or task.exception() is not None


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
