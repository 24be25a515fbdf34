"""Producer: puts messages on one queue."""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from typing import Any

from ._client import Client, as_int
from ._params import encode_payload, encode_payloads, integer, text
from ._worker import WorkerClient
from .config import UNSET, Config, Unset
from .errors import WorkerError
from .types import Enqueued, MessageId, Published


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

    async def enqueue(
        self, payload: Mapping[str, Any], delay_seconds: int = 0, *, dedup_key: str | None = None
    ) -> int:
        """Adds one message, visible after delay_seconds; returns its id.

        With ``dedup_key``, nothing is inserted while a message of the queue holds
        the key (pending, delayed or leased, or archived within the queue's dedup
        window): the id returned is that message's (:meth:`enqueue_dedup` says which).
        A payload that is not a dict of JSON-serialisable values raises
        :class:`PayloadError` (a ``TypeError``) and nothing is sent."""
        if dedup_key is not None:
            return (await self.enqueue_dedup(payload, dedup_key, delay_seconds)).msg_id
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

    async def enqueue_dedup(
        self, payload: Mapping[str, Any], dedup_key: str, delay_seconds: int = 0
    ) -> Enqueued:
        """Adds one message unless a message of the queue holds dedup_key; returns
        the new message's id with ``inserted=True``, or the holder's with ``inserted=False``.
        Two producers enqueueing one key at once make one message."""
        body = encode_payload(payload)
        key = text(dedup_key, "dedup_key")
        delay = integer(delay_seconds, "delay_seconds")

        async def enqueue_as(worker_id: str) -> Enqueued:
            return await self._one(Enqueued, self._sql.json.enqueue_dedup, [self._queue, body, key, delay, worker_id])

        return await self._as_worker(enqueue_as)

    async def enqueue_batch_dedup(
        self,
        payloads: Iterable[Mapping[str, Any]],
        dedup_keys: Iterable[str | None],
        delay_seconds: int = 0,
    ) -> list[Enqueued]:
        """enqueue_dedup for each payload, in input order: one key (or None) per
        payload; a key repeated in the batch gets its first message's id."""
        body = encode_payloads(payloads)
        keys = list(dedup_keys)
        for key in keys:
            if key is not None:
                text(key, "dedup key")
        delay = integer(delay_seconds, "delay_seconds")
        if body == "[]" and not keys:
            return []
        keys_json = json.dumps(keys)

        async def enqueue_as(worker_id: str) -> list[Enqueued]:
            return await self._objects(
                Enqueued, self._sql.json.enqueue_batch_dedup, [self._queue, body, keys_json, delay, worker_id]
            )

        return await self._as_worker(enqueue_as)

    async def publish(self, topic: str, payload: Mapping[str, Any], delay_seconds: int = 0) -> list[Published]:
        """Adds one message to each queue subscribed to topic, in one statement, as
        this worker; returns them by queue name (an empty list when no queue is
        subscribed). Needs producer access to every subscribed queue, else nothing
        is added."""
        name = text(topic, "topic")
        body = encode_payload(payload)
        delay = integer(delay_seconds, "delay_seconds")

        async def publish_as(worker_id: str) -> list[Published]:
            return await self._objects(Published, self._sql.json.publish, [name, body, delay, worker_id])

        return await self._as_worker(publish_as)

    async def enqueue_batch(
        self,
        payloads: Iterable[Mapping[str, Any]],
        delay_seconds: int = 0,
        *,
        dedup_keys: Iterable[str | None] | None = None,
    ) -> list[MessageId]:
        """Adds messages in one statement; returns their ids in input order (ints
        that also answer ``.id``, like the messages pgqrs 0.4 returned). With
        ``dedup_keys`` (one per payload, None for none), a message whose key is
        held is not inserted and its holder's id takes its place."""
        if dedup_keys is not None:
            done = await self.enqueue_batch_dedup(payloads, dedup_keys, delay_seconds)
            return [MessageId(e.msg_id) for e in done]
        body = encode_payloads(payloads)
        delay = integer(delay_seconds, "delay_seconds")
        if body == "[]":
            return []

        async def enqueue_as(worker_id: str) -> list[str | None]:
            return await self._scalars(self._sql.enqueue_batch, [self._queue, body, delay, worker_id])

        return [MessageId(as_int(v)) for v in await self._as_worker(enqueue_as)]


__all__ = ["Producer"]
