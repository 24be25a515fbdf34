"""Consumer: leases messages from one queue and settles them."""

from __future__ import annotations

import asyncio
import inspect
import math
import time
from collections.abc import AsyncGenerator, Awaitable, Callable, Iterable
from datetime import datetime, timedelta

from ._client import Client, as_bool, as_int, objects_of
from ._connection import Rows
from ._params import id_array, integer, optional_int_array, optional_integer, positive
from ._worker import WorkerClient, log
from .config import UNSET, Config, Unset
from .errors import ClosedError, InvalidInputError, PgqrsError, QueryCanceledError, WorkerError
from .types import QueueMessage, RunStats

# how many leases (message id -> attempt) a consumer remembers for fencing
_MAX_TRACKED_LEASES = 100_000
# the lease length of the server's dequeue when none is given
_SERVER_DEFAULT_LOCK_SECONDS = 5
# the server keeps this many bytes of an error text
_MAX_ERROR_BYTES = 4096


class Consumer(WorkerClient):
    """Dequeues messages from ``queue``, registered as worker ``(hostname, port)``.

    Settling calls (archive, delete, extend_visibility, release) pass the worker
    id and the delivery attempt (``read_ct``) this consumer got for the message,
    so they succeed only while this consumer still holds that very lease: after
    the lease expired and the message went to someone else they return False.
    ``lock_seconds`` is the default lease length (default: the Config's
    ``default_lock_time_seconds``; None: the server's default, 5 s).
    """

    def __init__(
        self,
        dsn: str | Config | Client,
        queue: str,
        hostname: str,
        port: int,
        *,
        schema: str | None = None,
        lock_seconds: int | None | Unset = UNSET,
        heartbeat_interval: float | None | Unset = UNSET,
        connect_timeout: float | None | Unset = UNSET,
        max_connections: int | Unset = UNSET,
    ) -> None:
        if not isinstance(lock_seconds, Unset):
            optional_integer(lock_seconds, "lock_seconds")
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
        self._lock_seconds = (
            self._config.default_lock_time_seconds if isinstance(lock_seconds, Unset) else lock_seconds
        )
        # message id -> (attempt, monotonic time after which it is forgotten)
        self._attempts: dict[int, tuple[int, float]] = {}
        self._last_sweep = 0.0
        self._background: set[asyncio.Task[None]] = set()

    async def dequeue(
        self,
        batch_size: int = 1,
        lock_seconds: int | None = None,
        wait: float | timedelta | None = None,
    ) -> list[QueueMessage]:
        """Leases up to batch_size visible messages, oldest first, for lock_seconds.

        With wait (seconds, rounded up; at most 3600), waits on the server that long
        for a message when none is visible (``dequeue_wait``): it returns as soon
        as one is leased, or [] at the end of the wait. While it waits the
        consumer's other calls are held back (they run after it). Cancelling the
        awaiting task cancels the statement on the server; messages it had leased
        already are released (or come back when their lease ends)."""
        wait_seconds = None if wait is None else _wait_seconds(wait)
        return await self._lease(batch_size, lock_seconds, wait_seconds, register_again=True)

    async def dequeue_wait(
        self, batch_size: int = 1, lock_seconds: int | None = None, wait_seconds: int = 30
    ) -> list[QueueMessage]:
        """``dequeue(batch_size, lock_seconds, wait=wait_seconds)``."""
        wait = int(integer(wait_seconds, "wait_seconds"))
        return await self._lease(batch_size, lock_seconds, wait, register_again=True)

    async def messages(
        self,
        batch_size: int = 1,
        lock_seconds: int | None = None,
        wait: float | timedelta = 10,
    ) -> AsyncGenerator[QueueMessage, None]:
        """Yields messages as they arrive, leasing up to batch_size at a time and
        waiting up to wait seconds per dequeue; the caller archives (or deletes,
        or releases) each one::

            async for message in consumer.messages(batch_size=10, lock_seconds=30):
                await handle(message.payload)
                await consumer.archive(message.id)

        It ends when the consumer is closed or its worker stopped (by
        ``shutdown``, an operator's ``shutdown_worker`` or ``reclaim_messages``:
        unlike ``dequeue``, it does not register afresh). Leaving the
        loop early (break, an exception, cancellation) releases the messages of
        the current batch not yet yielded."""
        wait_seconds = _wait_seconds(wait)
        size = int(integer(batch_size, "batch_size"))
        lock = optional_integer(lock_seconds, "lock_seconds")
        pending: list[QueueMessage] = []
        try:
            while True:
                try:
                    pending = await self._lease(
                        size, None if lock is None else int(lock), wait_seconds, register_again=False
                    )
                except (ClosedError, WorkerError):
                    return
                pending.reverse()
                while pending:
                    yield pending.pop()
        finally:
            if pending and not self._closed:
                self._release_later([m.id for m in pending])

    async def _lease(
        self, batch_size: int, lock_seconds: int | None, wait: int | None, *, register_again: bool
    ) -> list[QueueMessage]:
        size = integer(batch_size, "batch_size")
        lock = optional_integer(lock_seconds, "lock_seconds")
        if lock is None:
            lock = optional_integer(self._lock_seconds, "lock_seconds")
        lease = _SERVER_DEFAULT_LOCK_SECONDS if lock is None else int(lock)

        async def lease_as(worker_id: str) -> list[QueueMessage]:
            return await self._lease_as(worker_id, size, lock, wait, lease)

        if register_again:
            return await self._as_worker(lease_as)
        return await lease_as(str(await self._worker_id()))

    async def _lease_as(
        self, worker_id: str, size: str, lock: str | None, wait: int | None, lease: int
    ) -> list[QueueMessage]:
        json = self._sql.json
        if wait is None:
            sql, params = (
                (json.dequeue_default_lock, [self._queue, size, worker_id])
                if lock is None
                else (json.dequeue, [self._queue, size, lock, worker_id])
            )
        else:
            sql, params = (
                (json.dequeue_wait_default_lock, [self._queue, size, worker_id, str(wait)])
                if lock is None
                else (json.dequeue_wait, [self._queue, size, lock, worker_id, str(wait)])
            )
        try:
            rows = await self._execute(
                sql, params, waits=wait is not None, on_abandoned=lambda r: self._abandoned(r, lease)
            )
        except QueryCanceledError:
            if self._closing:  # close() ended the wait
                raise ClosedError(f"{type(self).__name__} is closed") from None
            raise
        messages = objects_of(QueueMessage, rows)
        self._remember(messages, lease)
        return messages

    def _remember(self, messages: list[QueueMessage], lease_seconds: int) -> None:
        """Remembers the attempts of freshly leased messages; forgets old leases."""
        now = time.monotonic()
        forget_after = now + 2 * max(lease_seconds, 1)
        for message in messages:
            self._attempts.pop(message.id, None)
            self._attempts[message.id] = (message.read_ct, forget_after)
        if now - self._last_sweep < 1.0 and len(self._attempts) <= _MAX_TRACKED_LEASES:
            return
        self._last_sweep = now
        # leases that ended as long ago as they lasted: nobody settles those any more
        for msg_id in [i for i, (_a, until) in self._attempts.items() if until < now]:
            del self._attempts[msg_id]
        excess = len(self._attempts) - _MAX_TRACKED_LEASES
        if excess > 0:
            oldest = sorted(self._attempts, key=lambda i: self._attempts[i][1])[:excess]
            for msg_id in oldest:
                del self._attempts[msg_id]

    def _abandoned(self, rows: Rows, lease_seconds: int) -> None:
        """Messages leased by a call whose caller was cancelled: release them now."""
        messages = objects_of(QueueMessage, rows[1])
        self._remember(messages, lease_seconds)
        if not self._closed:
            self._release_later([m.id for m in messages])

    def _release_later(self, ids: list[int]) -> None:
        """Releases messages in the background (best effort: else their leases end)."""

        async def release() -> None:
            try:
                await self.release(ids, delay_seconds=0)  # not tried: back at once
            except (PgqrsError, asyncio.CancelledError) as exc:
                log.debug("pgqrs: releasing messages %s failed: %s", ids, exc)

        try:
            task = asyncio.get_running_loop().create_task(release())
        except RuntimeError:  # no running loop: the leases end by themselves
            return
        self._background.add(task)
        task.add_done_callback(self._background.discard)

    async def dequeue_batch(
        self, batch_size: int | None = None, lock_seconds: int | None = None
    ) -> list[QueueMessage]:
        """Leases up to batch_size messages (default: the Config's
        ``default_max_batch_size``, 10)."""
        return await self.dequeue(self._config.default_max_batch_size if batch_size is None else batch_size, lock_seconds)

    async def dequeue_batch_with_delay(self, batch_size: int, lock_seconds: int) -> list[QueueMessage]:
        """``dequeue(batch_size, lock_seconds)``, under its pgqrs 0.4 name: the
        messages stay invisible to others (leased) for lock_seconds."""
        return await self.dequeue(batch_size, lock_seconds)

    async def archive(self, message_id: int) -> bool:
        """Moves a leased message to the archive; False when this consumer no longer holds it."""
        return await self._settle_one(self._sql.archive, message_id)

    async def delete(self, message_id: int) -> bool:
        """Deletes a leased message for good; False when this consumer no longer holds it."""
        return await self._settle_one(self._sql.delete_message, message_id)

    async def archive_batch(self, message_ids: Iterable[int]) -> list[bool]:
        """Archives leased messages; one bool per id, in order: True when archived,
        False when this consumer no longer holds that message."""
        return await self._settle_many(self._sql.archive_batch, message_ids)

    async def delete_batch(self, message_ids: Iterable[int]) -> list[bool]:
        """Deletes leased messages; one bool per id, in order: True when deleted."""
        return await self._settle_many(self._sql.delete_batch, message_ids)

    async def extend_visibility(self, message_id: int, seconds: int) -> bool:
        """Makes the lease end seconds from now; False when this consumer does not
        hold the lease (:meth:`extend_lease` returns the new end instead)."""
        return await self.extend_lease(message_id, seconds) is not None

    async def extend_lease(self, message_id: int, seconds: int) -> datetime | None:
        """Makes the lease end seconds from now; returns the new vt, or None when
        this consumer does not hold the lease."""
        msg_id = integer(message_id, "message_id")
        secs = integer(seconds, "seconds")
        worker_id = await self._worker_id()
        vt = await self._timestamp(
            self._sql.json.extend_visibility, [msg_id, secs, str(worker_id), self._attempt_param(int(msg_id))]
        )
        known = self._attempts.get(int(msg_id))
        if vt is not None and known is not None:
            self._attempts[int(msg_id)] = (known[0], time.monotonic() + 2 * max(int(secs), 1))
        return vt

    async def release(
        self, message_ids: Iterable[int], delay_seconds: int | None = None, error: str | None = None
    ) -> int:
        """Ends the leases now; the messages are visible again after delay_seconds,
        or, when None, after the queue's retry policy (at once for a queue without
        one). error is kept with them as ``last_error`` (the server keeps 4096
        bytes). Returns the count."""
        delay = optional_integer(delay_seconds, "delay_seconds")
        if error is not None and not isinstance(error, str):
            raise InvalidInputError(f"error must be a str, not {type(error).__name__}")
        results = await self._fenced_batch(self._sql.release, message_ids, [delay, error])
        return sum(as_int(value) for values in results for value in values)

    async def run(
        self,
        handler: Callable[[QueueMessage], Awaitable[object] | object],
        *,
        batch_size: int = 1,
        lock_seconds: int | None = None,
        wait: float | timedelta = 10,
        max_messages: int | None = None,
    ) -> RunStats:
        """The consumer loop: calls handler (a function or a coroutine function)
        for each message as :meth:`messages` yields them, archives the message
        when the handler returns, and when it raises releases it for another
        attempt after the queue's retry policy, keeping ``"<Type>: <message>"``
        of the exception as its ``last_error`` (cut to 4096 bytes); once
        ``max_attempts`` were made the next dequeue dead-letters it, error
        included. Returns after max_messages messages (when given), or when the
        consumer is closed or its worker stopped; messages of the batch not yet
        handled are released at once. Cancellation propagates: the message being
        handled is released at once, without counting as an attempt failed."""
        limit = None if max_messages is None else positive(max_messages, "max_messages")
        handled = archived = failed = 0
        stream = self.messages(batch_size, lock_seconds, wait)
        try:
            async for message in stream:
                try:
                    result = handler(message)
                    if inspect.isawaitable(result):
                        await result
                except Exception as exc:  # noqa: BLE001 - any failure of the handler is a failed attempt
                    failed += 1
                    await self._release_failed(message, exc)
                except BaseException:
                    self._release_later([message.id])
                    raise
                else:
                    handled += 1
                    if await self.archive(message.id):
                        archived += 1
                if limit is not None and handled + failed >= limit:
                    break
        finally:
            await stream.aclose()
        return RunStats(handled=handled, archived=archived, failed=failed)

    async def _release_failed(self, message: QueueMessage, exc: Exception) -> None:
        """Releases a message its handler raised for, after the retry policy, with the error."""
        try:
            await self.release([message.id], error=_error_text(exc))
        except PgqrsError as failure:  # the lease ends by itself; the policy applies then
            log.warning("pgqrs: releasing message %s failed: %s", message.id, failure)

    def attempt_of(self, message_id: int) -> int | None:
        """The attempt (read_ct) this consumer leased the message with, while it
        remembers it: until settled, and at most until its lease ended as long ago
        as it lasted. Without it, settling calls are fenced by the worker id only."""
        known = self._attempts.get(message_id)
        return None if known is None else known[0]

    async def _settle_one(self, sql: str, message_id: int) -> bool:
        msg_id = integer(message_id, "message_id")
        worker_id = await self._worker_id()
        value = await self._scalar(sql, [msg_id, str(worker_id), self._attempt_param(int(msg_id))])
        self._attempts.pop(int(msg_id), None)
        return as_bool(value)

    async def _settle_many(self, sql: str, message_ids: Iterable[int]) -> list[bool]:
        ids = [int(integer(i, "message_ids")) for i in _as_list(message_ids)]
        results = await self._fenced_batch(sql, ids)
        done = {as_int(v) for values in results for v in values}
        return [i in done for i in ids]

    async def _fenced_batch(
        self, sql: str, message_ids: Iterable[int], extra: list[str | None] | None = None
    ) -> list[list[str | None]]:
        """Runs a batch statement ($1 ids, $2 worker, $3 attempts, then extra): ids this
        consumer leased go with their attempt, the others with the worker id only (pipelined)."""
        more = extra or []
        ids = [int(integer(i, "message_ids")) for i in _as_list(message_ids)]
        if not ids:
            return []
        worker_id = str(await self._worker_id())
        known = [i for i in ids if i in self._attempts]
        unknown = [i for i in ids if i not in self._attempts]
        calls = []
        if known:
            attempts = optional_int_array([self._attempts[i][0] for i in known])
            calls.append(self._scalars(sql, [id_array(known, "message_ids"), worker_id, attempts, *more]))
        if unknown:
            calls.append(self._scalars(sql, [id_array(unknown, "message_ids"), worker_id, None, *more]))
        results = await asyncio.gather(*calls)
        for i in ids:
            self._attempts.pop(i, None)
        return list(results)

    def _attempt_param(self, message_id: int) -> str | None:
        known = self._attempts.get(message_id)
        return None if known is None else str(known[0])


def _wait_seconds(wait: object) -> int:
    """A wait in seconds (int, float or timedelta), rounded up to whole seconds."""
    if isinstance(wait, timedelta):
        wait = wait.total_seconds()
    if isinstance(wait, bool) or not isinstance(wait, (int, float)) or math.isnan(wait):
        raise InvalidInputError(f"wait must be seconds or a timedelta, not {type(wait).__name__}")
    if wait < 0 or math.isinf(wait):
        raise InvalidInputError(f"wait must be between 0 and 3600 seconds, not {wait}")
    return math.ceil(wait)


def _error_text(exc: BaseException) -> str:
    """The error text kept with a failed message: type and message, at most
    _MAX_ERROR_BYTES of UTF-8, without NUL characters (PostgreSQL text has none)."""
    text = f"{type(exc).__name__}: {exc}".replace("\x00", "")
    data = text.encode("utf-8", "replace")
    if len(data) <= _MAX_ERROR_BYTES:
        return data.decode("utf-8")
    return data[:_MAX_ERROR_BYTES].decode("utf-8", "ignore")


def _as_list(values: Iterable[int]) -> list[int]:
    if isinstance(values, (str, bytes)) or not isinstance(values, Iterable):
        raise InvalidInputError("message_ids must be a list of ints")
    return list(values)


__all__ = ["Consumer"]
