"""Consumer: leases messages from one queue and settles them."""

from __future__ import annotations

import asyncio
from collections.abc import Iterable
from datetime import datetime

from ._client import as_bool, as_int
from ._params import id_array, integer, optional_int_array, optional_integer
from ._worker import DEFAULT_HEARTBEAT_INTERVAL, WorkerClient
from .errors import InvalidInputError
from .types import QueueMessage

# how many leases (message id -> attempt) a consumer remembers for fencing
_MAX_TRACKED_LEASES = 100_000


class Consumer(WorkerClient):
    """Dequeues messages from ``queue``, registered as worker ``(hostname, port)``.

    Settling calls (archive, delete, extend_visibility, release) pass the worker
    id and the delivery attempt (``read_ct``) this consumer got for the message,
    so they succeed only while this consumer still holds that very lease: after
    the lease expired and the message went to someone else they return False / 0.
    ``lock_seconds`` is the default lease length (None: the server's default, 5 s).
    """

    def __init__(
        self,
        dsn: str,
        queue: str,
        hostname: str,
        port: int,
        *,
        schema: str | None = None,
        lock_seconds: int | None = None,
        heartbeat_interval: float | None = DEFAULT_HEARTBEAT_INTERVAL,
        connect_timeout: float | None = 30.0,
    ) -> None:
        optional_integer(lock_seconds, "lock_seconds")
        super().__init__(
            dsn,
            queue,
            hostname,
            port,
            schema=schema,
            heartbeat_interval=heartbeat_interval,
            connect_timeout=connect_timeout,
        )
        self._lock_seconds = lock_seconds
        self._attempts: dict[int, int] = {}

    async def dequeue(self, batch_size: int = 1, lock_seconds: int | None = None) -> list[QueueMessage]:
        """Leases up to batch_size visible messages, oldest first, for lock_seconds."""
        return await self._lease("dequeue", batch_size, lock_seconds, None)

    async def dequeue_wait(
        self, batch_size: int = 1, lock_seconds: int | None = None, wait_seconds: int = 30
    ) -> list[QueueMessage]:
        """Like dequeue, but waits up to wait_seconds on the server for a message.

        The wait occupies this consumer's connection: its other calls are
        answered after this one returns."""
        return await self._lease("dequeue_wait", batch_size, lock_seconds, integer(wait_seconds, "wait_seconds"))

    async def _lease(
        self, function: str, batch_size: int, lock_seconds: int | None, wait: str | None
    ) -> list[QueueMessage]:
        size = integer(batch_size, "batch_size")
        lock = optional_integer(lock_seconds, "lock_seconds")
        if lock is None:
            lock = optional_integer(self._lock_seconds, "lock_seconds")
        worker_id = await self._worker_id()
        params = [self._queue, size, str(worker_id)]
        args = ["queue_name => $1", "batch_size => $2", "worker_id => $3"]
        if lock is not None:
            params.append(lock)
            args.append(f"lock_seconds => ${len(params)}")
        if wait is not None:
            params.append(wait)
            args.append(f"wait_seconds => ${len(params)}")
        call = f"{function}({', '.join(args)})"
        messages = await self._objects(QueueMessage, self._rowjson(call), params)
        for message in messages:
            self._attempts.pop(message.id, None)  # re-insert: newest last
            self._attempts[message.id] = message.read_ct
        if len(self._attempts) > _MAX_TRACKED_LEASES:
            # leases never settled (expired long ago): forget the oldest
            for stale in list(self._attempts)[: len(self._attempts) - _MAX_TRACKED_LEASES]:
                del self._attempts[stale]
        return messages

    async def dequeue_batch(self, batch_size: int = 10, lock_seconds: int | None = None) -> list[QueueMessage]:
        """Leases up to batch_size messages (dequeue with a larger default batch)."""
        return await self.dequeue(batch_size, lock_seconds)

    async def archive(self, message_id: int) -> bool:
        """Moves a leased message to the archive; False when this consumer no longer holds it."""
        return await self._settle_one("archive", message_id)

    async def delete(self, message_id: int) -> bool:
        """Deletes a leased message for good; False when this consumer no longer holds it."""
        return await self._settle_one("delete", message_id)

    async def archive_batch(self, message_ids: Iterable[int]) -> list[int]:
        """Archives leased messages; returns the ids archived."""
        return await self._settle_many("archive_batch", message_ids)

    async def delete_batch(self, message_ids: Iterable[int]) -> list[int]:
        """Deletes leased messages; returns the ids deleted."""
        return await self._settle_many("delete_batch", message_ids)

    async def extend_visibility(self, message_id: int, seconds: int) -> datetime | None:
        """Makes the lease end seconds from now; returns the new vt, or None when
        this consumer does not hold the lease."""
        msg_id = integer(message_id, "message_id")
        secs = integer(seconds, "seconds")
        worker_id = await self._worker_id()
        attempt = self._attempts.get(int(msg_id))
        return await self._timestamp(
            "extend_visibility($1, $2, $3, $4)",
            [msg_id, secs, str(worker_id), None if attempt is None else str(attempt)],
        )

    async def release(self, message_ids: Iterable[int]) -> int:
        """Ends the leases now so the messages are visible again; returns the count."""
        ids = [int(integer(i, "message_ids")) for i in _as_list(message_ids)]
        if not ids:
            return 0
        worker_id = await self._worker_id()
        known = [i for i in ids if i in self._attempts]
        unknown = [i for i in ids if i not in self._attempts]
        calls = []
        if known:
            calls.append(
                self._scalar(
                    "SELECT {s}.release($1::bigint[], $2, $3::int[])",
                    [id_array(known, "message_ids"), str(worker_id), self._attempt_array(known)],
                )
            )
        if unknown:
            calls.append(
                self._scalar(
                    "SELECT {s}.release($1::bigint[], $2)", [id_array(unknown, "message_ids"), str(worker_id)]
                )
            )
        counts = await asyncio.gather(*calls)
        for i in ids:
            self._attempts.pop(i, None)
        return sum(as_int(c) for c in counts)

    async def _settle_one(self, function: str, message_id: int) -> bool:
        msg_id = integer(message_id, "message_id")
        worker_id = await self._worker_id()
        attempt = self._attempts.get(int(msg_id))
        value = await self._scalar(
            "SELECT {s}." + function + "($1, $2, $3)",
            [msg_id, str(worker_id), None if attempt is None else str(attempt)],
        )
        self._attempts.pop(int(msg_id), None)
        return as_bool(value)

    async def _settle_many(self, function: str, message_ids: Iterable[int]) -> list[int]:
        ids = [int(integer(i, "message_ids")) for i in _as_list(message_ids)]
        if not ids:
            return []
        worker_id = await self._worker_id()
        # ids this consumer leased go with their attempt; others with the worker id only
        known = [i for i in ids if i in self._attempts]
        unknown = [i for i in ids if i not in self._attempts]
        calls = []
        if known:
            calls.append(
                self._scalars(
                    "SELECT {s}." + function + "($1::bigint[], $2, $3::int[])",
                    [id_array(known, "message_ids"), str(worker_id), self._attempt_array(known)],
                )
            )
        if unknown:
            calls.append(
                self._scalars(
                    "SELECT {s}." + function + "($1::bigint[], $2)",
                    [id_array(unknown, "message_ids"), str(worker_id)],
                )
            )
        results = await asyncio.gather(*calls)
        for i in ids:
            self._attempts.pop(i, None)
        done = {as_int(v) for values in results for v in values}
        return [i for i in ids if i in done]

    def _attempt_array(self, ids: list[int]) -> str:
        return optional_int_array([self._attempts[i] for i in ids])


def _as_list(values: Iterable[int]) -> list[int]:
    if isinstance(values, (str, bytes)) or not isinstance(values, Iterable):
        raise InvalidInputError("message_ids must be a list of ints")
    return list(values)


__all__ = ["Consumer"]
