"""Producer: puts messages on one queue."""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from typing import Any

from ._client import Client, as_bool, as_int
from ._ordering_sql import OrderingStatements
from ._params import encode_payload, encode_payloads, integer, optional_ints, optional_text, optional_texts, text
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
        self._ordering = OrderingStatements(self._sql.qschema)

    async def enqueue(
        self,
        payload: Mapping[str, Any],
        delay_seconds: int = 0,
        *,
        dedup_key: str | None = None,
        priority: int = 0,
        group_key: str | None = None,
    ) -> int:
        """Adds one message, visible after delay_seconds; returns its id.

        With ``dedup_key``, nothing is inserted while a message of the queue holds
        the key (pending, delayed or leased, or archived within the queue's dedup
        window): the id returned is that message's (:meth:`enqueue_dedup` says which).
        ``priority``: 0 to 9, higher delivered first, FIFO within a priority.
        ``group_key``: the messages of one group are delivered one at a time, in
        enqueue order. A payload that is not a dict of JSON-serialisable values
        raises :class:`PayloadError` (a ``TypeError``) and nothing is sent; a
        priority outside 0..9 or a group key that is empty or over 256 bytes
        raises :class:`InvalidInputError` and nothing is added."""
        if dedup_key is not None:
            done = await self.enqueue_dedup(payload, dedup_key, delay_seconds, priority=priority, group_key=group_key)
            return done.msg_id
        body = encode_payload(payload)
        delay = integer(delay_seconds, "delay_seconds")
        prio = integer(priority, "priority")
        group = optional_text(group_key, "group_key")
        if prio != "0" or group is not None:
            return await self._enqueue_ordered(body, delay, prio, group)
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

    async def _enqueue_ordered(self, body: str, delay: str, priority: str, group_key: str | None) -> int:
        """enqueue with a priority other than 0 or a group key."""

        async def enqueue_as(worker_id: str) -> str | None:
            return await self._scalar(self._ordering.enqueue, [self._queue, body, delay, worker_id, priority, group_key])

        return as_int(await self._as_worker(enqueue_as))

    async def enqueue_delayed(self, payload: Mapping[str, Any], delay_seconds: int) -> int:
        """Adds one message visible only after delay_seconds; returns its id."""
        return await self.enqueue(payload, delay_seconds)

    async def enqueue_dedup(
        self,
        payload: Mapping[str, Any],
        dedup_key: str,
        delay_seconds: int = 0,
        *,
        priority: int = 0,
        group_key: str | None = None,
    ) -> Enqueued:
        """Adds one message unless a message of the queue holds dedup_key; returns
        the new message's id with ``inserted=True``, or the holder's with ``inserted=False``.
        Two producers enqueueing one key at once make one message. ``priority``
        and ``group_key`` as for :meth:`enqueue` (a message not inserted keeps its own)."""
        body = encode_payload(payload)
        key = text(dedup_key, "dedup_key")
        delay = integer(delay_seconds, "delay_seconds")
        prio = integer(priority, "priority")
        group = optional_text(group_key, "group_key")
        if prio == "0" and group is None:
            sql, extra = self._sql.json.enqueue_dedup, []
        else:
            sql, extra = self._ordering.enqueue_dedup, [prio, group]

        async def enqueue_as(worker_id: str) -> Enqueued:
            return await self._one(Enqueued, sql, [self._queue, body, key, delay, worker_id, *extra])

        return await self._as_worker(enqueue_as)

    async def enqueue_batch_dedup(
        self,
        payloads: Iterable[Mapping[str, Any]],
        dedup_keys: Iterable[str | None],
        delay_seconds: int = 0,
        *,
        priorities: Iterable[int | None] | None = None,
        group_keys: Iterable[str | None] | None = None,
    ) -> list[Enqueued]:
        """enqueue_dedup for each payload, in input order: one key (or None) per
        payload; a key repeated in the batch gets its first message's id.
        ``priorities`` and ``group_keys`` as for :meth:`enqueue_batch`."""
        body = encode_payloads(payloads)
        keys = list(dedup_keys)
        for key in keys:
            if key is not None:
                text(key, "dedup key")
        delay = integer(delay_seconds, "delay_seconds")
        prios = optional_ints(priorities, "priorities")
        groups = optional_texts(group_keys, "group_keys")
        if body == "[]" and not keys and prios in (None, "{}") and groups in (None, "[]"):
            return []
        keys_json = json.dumps(keys)
        if prios is None and groups is None:
            sql, extra = self._sql.json.enqueue_batch_dedup, []
        else:
            sql, extra = self._ordering.enqueue_batch_dedup, [prios, groups]

        async def enqueue_as(worker_id: str) -> list[Enqueued]:
            return await self._objects(Enqueued, sql, [self._queue, body, keys_json, delay, worker_id, *extra])

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
        priorities: Iterable[int | None] | None = None,
        group_keys: Iterable[str | None] | None = None,
    ) -> list[MessageId]:
        """Adds messages in one statement; returns their ids in input order (ints
        that also answer ``.id``, like the messages pgqrs 0.4 returned). With
        ``dedup_keys`` (one per payload, None for none), a message whose key is
        held is not inserted and its holder's id takes its place. ``priorities``
        and ``group_keys``: one per payload (None: priority 0, no group), as for
        :meth:`enqueue`; a list of another length, or one bad element, raises
        :class:`InvalidInputError` and nothing is added."""
        if dedup_keys is not None:
            done = await self.enqueue_batch_dedup(
                payloads, dedup_keys, delay_seconds, priorities=priorities, group_keys=group_keys
            )
            return [MessageId(e.msg_id) for e in done]
        body = encode_payloads(payloads)
        delay = integer(delay_seconds, "delay_seconds")
        prios = optional_ints(priorities, "priorities")
        groups = optional_texts(group_keys, "group_keys")
        if body == "[]" and prios in (None, "{}") and groups in (None, "[]"):
            return []
        if prios is None and groups is None:
            sql, extra = self._sql.enqueue_batch, []
        else:
            sql, extra = self._ordering.enqueue_batch, [prios, groups]

        async def enqueue_as(worker_id: str) -> list[str | None]:
            return await self._scalars(sql, [self._queue, body, delay, worker_id, *extra])

        return [MessageId(as_int(v)) for v in await self._as_worker(enqueue_as)]

    async def set_priority(self, message_id: int, priority: int) -> bool:
        """Gives a message that is not leased (pending, delayed, or waiting behind
        its group's head) another priority; False when no such message exists
        (or it is in a queue the role may not produce to). A priority outside
        0..9 raises :class:`InvalidInputError`."""
        params = [integer(message_id, "message_id"), integer(priority, "priority")]
        return as_bool(await self._scalar(self._ordering.set_priority, params))


__all__ = ["Producer"]
