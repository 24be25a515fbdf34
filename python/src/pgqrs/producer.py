"""Producer: puts messages on one queue."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from ._client import as_int
from ._params import encode_payload, encode_payloads, integer
from ._worker import DEFAULT_HEARTBEAT_INTERVAL, WorkerClient


class Producer(WorkerClient):
    """Enqueues JSON-object messages on ``queue``, registered as worker ``(hostname, port)``.

    ``Producer(dsn, "tasks", "localhost", 3000)`` needs no event loop and does not
    connect; the first awaited call connects and registers the worker.
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
        value = await self._scalar(self._sql.enqueue, [self._queue, body, delay, str(worker_id)])
        return as_int(value)

    async def enqueue_delayed(self, payload: Mapping[str, Any], delay_seconds: int) -> int:
        """Adds one message visible only after delay_seconds; returns its id."""
        return await self.enqueue(payload, delay_seconds)

    async def enqueue_batch(
        self, payloads: Iterable[Mapping[str, Any]], delay_seconds: int = 0
    ) -> list[int]:
        """Adds messages in one statement; returns their ids in input order."""
        body = encode_payloads(payloads)
        delay = integer(delay_seconds, "delay_seconds")
        if body == "[]":
            return []
        worker_id = await self._worker_id()
        values = await self._scalars(self._sql.enqueue_batch, [self._queue, body, delay, str(worker_id)])
        return [as_int(v) for v in values]


__all__ = ["Producer"]
