"""Producer: puts messages on one queue."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from ._client import Client, as_int
from ._params import encode_payload, encode_payloads, integer
from ._worker import WorkerClient
from .config import UNSET, Config, Unset
from .errors import WorkerError
from .types import MessageId


class Producer(WorkerClient):
    """Enqueues JSON-object messages on ``queue``, registered as worker ``(hostname, port)``.

    ``Producer(dsn, "tasks", "localhost", 3000)`` needs no event loop and never
    blocks; ``Producer(admin, ...)`` or ``Producer(config, ...)`` take the settings
    of an Admin or a Config. See :class:`WorkerClient` for when the worker registers.
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
        super().__init__(
            dsn,
            queue,
            hostname,
            port,
            schema=schema,
            heartbeat_interval=heartbeat_interval,
            connect_timeout=connect_timeout,
            max_connections=max_connections,
        )

    async def enqueue(self, payload: Mapping[str, Any], delay_seconds: int = 0) -> int:
        """Adds one message, visible after delay_seconds; returns its id.

        A payload that is not a dict of JSON-serialisable values raises
        :class:`PayloadError` (a ``TypeError``) and nothing is sent."""
        body = encode_payload(payload)
        delay = integer(delay_seconds, "delay_seconds")
        worker_id = self._registered_worker_id()
        if worker_id is None:
            worker_id = await self._worker_id()
        generation = self._generation
        try:
            value = await self._scalar(self._sql.enqueue, [self._queue, body, delay, str(worker_id)])
        except WorkerError as exc:  # the hot path of _as_worker, inlined
            if not self._stopped_by_server(exc):
                raise
            worker_id = await self._register_again(generation)
            value = await self._scalar(self._sql.enqueue, [self._queue, body, delay, str(worker_id)])
        return as_int(value)

    async def enqueue_delayed(self, payload: Mapping[str, Any], delay_seconds: int) -> int:
        """Adds one message visible only after delay_seconds; returns its id."""
        return await self.enqueue(payload, delay_seconds)

    async def enqueue_batch(
        self, payloads: Iterable[Mapping[str, Any]], delay_seconds: int = 0
    ) -> list[MessageId]:
        """Adds messages in one statement; returns their ids in input order (ints
        that also answer ``.id``, like the messages pgqrs 0.4 returned)."""
        body = encode_payloads(payloads)
        delay = integer(delay_seconds, "delay_seconds")
        if body == "[]":
            return []

        async def enqueue_as(worker_id: str) -> list[str | None]:
            return await self._scalars(self._sql.enqueue_batch, [self._queue, body, delay, worker_id])

        return [MessageId(as_int(v)) for v in await self._as_worker(enqueue_as)]


__all__ = ["Producer"]
