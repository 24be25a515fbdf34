"""One libpq connection in pipeline mode, driven by the running asyncio loop.

The C++ core (``pgqrs._core.AsyncConnection``) does the protocol steps; this
module only waits on its socket with ``loop.add_reader`` / ``loop.add_writer``.
Every request gets a future resolved when its result arrives, so concurrent
coroutines have their statements pipelined on the one connection. The
connection is opened lazily on the first request and reopened on the next
request after it was lost; a request in flight when it is lost fails with
:class:`PgqrsConnectionError` (it is never resent: it may have run).

A *waiting* request (``waits=True``, e.g. ``dequeue_wait``) has the connection
to itself: requests made while it runs are held here, unsent, until it ends.
Cancelling the caller of a waiting request sends a libpq cancel request for it
(``_core.AsyncConnection.cancel``, on the loop's default executor because
libpq 15 has no non-blocking cancel), and the held requests go out only after
the cancelled statement ended and the cancel request was delivered, so a
cancel can never hit another statement. If the statement has not ended
``cancel_timeout`` seconds later the connection is dropped (the next request
reconnects). Rows a cancelled caller did not take are passed to its
``on_abandoned`` callback (the Consumer releases such messages), also when they
arrived just before the cancellation, while the caller's task was not resumed yet.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Sequence

from . import _core
from .errors import ClosedError, PgqrsConnectionError, PgqrsError, error_from_server

log = logging.getLogger("pgqrs")

#: The rows of one statement: column names and rows of text values (None is NULL).
Rows = tuple[tuple[str, ...], list[tuple[str | None, ...]]]


def _client_error(exc: Exception) -> PgqrsError:
    """A pgqrs error for an exception raised by the C++ core."""
    if isinstance(exc, _core.ClientError) and len(exc.args) == 2:
        sqlstate, message = exc.args
        return error_from_server(str(sqlstate), str(message))
    return PgqrsConnectionError(str(exc), _core.CONNECTION_LOST_STATE)


class _Request:
    """A request sent and not completed yet."""

    __slots__ = ("future", "waits", "on_abandoned", "cancel_requested", "cancel_sent")

    def __init__(
        self, future: asyncio.Future[Rows], waits: bool, on_abandoned: Callable[[Rows], None] | None
    ) -> None:
        self.future = future
        self.waits = waits
        self.on_abandoned = on_abandoned
        self.cancel_requested = False
        self.cancel_sent = False


class Connection:
    """A pipelined, lazily (re)connecting connection bound to one event loop at a time."""

    def __init__(
        self, dsn: str, connect_timeout: float | None = 30.0, cancel_timeout: float = 10.0
    ) -> None:
        self._dsn = dsn
        self._connect_timeout = connect_timeout
        self._cancel_timeout = cancel_timeout
        self._core: _core.AsyncConnection | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._fd = -1
        self._pending: dict[int, _Request] = {}
        # the waiting request in flight, and the gate the others wait on meanwhile
        self._exclusive: int | None = None
        self._gate: asyncio.Future[None] | None = None
        self._cancel_job: asyncio.Future[str | None] | None = None
        self._cancel_timer: asyncio.TimerHandle | None = None
        self._connecting: asyncio.Task[None] | None = None
        self._writing = False
        self._closed = False
        self._load = 0  # calls of execute not finished yet (sent, held or connecting)

    @property
    def closed(self) -> bool:
        """True once :meth:`close` was called."""
        return self._closed

    @property
    def load(self) -> int:
        """Requests not completed yet, counting those still held or connecting."""
        return self._load

    @property
    def connected(self) -> bool:
        """True when a usable connection is open."""
        return self._core is not None and self._core.is_ready()

    async def execute(
        self,
        sql: str,
        params: Sequence[str | None] = (),
        *,
        waits: bool = False,
        on_abandoned: Callable[[Rows], None] | None = None,
    ) -> Rows:
        """Runs one statement (its own implicit transaction) and returns its rows.

        waits: the statement may wait on the server (it gets the connection to
        itself, and cancelling the caller cancels it on the server).
        on_abandoned: called with the rows if the caller was cancelled before it
        took them."""
        loop = asyncio.get_running_loop()
        self._load += 1
        try:
            while True:
                if self._closed:
                    raise ClosedError("connection is closed")
                if self._loop is not loop or self._core is None or not self._core.is_ready():
                    await self._ensure_connected(loop)
                gate = self._gate
                if gate is None or gate.done():
                    break
                # a waiting statement (or its cancellation) has the connection
                await asyncio.shield(gate)
            core = self._core
            assert core is not None
            try:
                request_id = core.send(sql, list(params))
            except _core.ClientError as exc:
                self._drop()
                raise _client_error(exc) from None
            future: asyncio.Future[Rows] = loop.create_future()
            request = _Request(future, waits, on_abandoned)
            self._pending[request_id] = request
            if waits:
                self._exclusive = request_id
                self._gate = loop.create_future()
            self._flush()
            try:
                return await future
            except asyncio.CancelledError:
                if waits and self._pending.get(request_id) is request:
                    request.cancel_requested = True
                    self._maybe_cancel()
                elif not future.cancelled() and future.exception() is None:
                    # cancelled after the rows arrived, before this task resumed
                    columns, rows = future.result()
                    if rows and on_abandoned is not None:
                        _call_abandoned(on_abandoned, (columns, rows))
                raise
        finally:
            self._load -= 1

    def cancel_waiting(self) -> None:
        """Cancels the waiting request in flight, if any (its caller gets
        :class:`QueryCanceledError`); the held requests run after it."""
        request = None if self._exclusive is None else self._pending.get(self._exclusive)
        if request is not None and not request.cancel_requested:
            request.cancel_requested = True
            self._maybe_cancel()

    def close(self) -> None:
        """Closes the connection; requests in flight fail with :class:`ClosedError`."""
        self._closed = True
        if self._connecting is not None and not self._connecting.done():
            self._connecting.cancel()
        self._drop(ClosedError("connection closed"))

    # -- connecting ---------------------------------------------------------

    async def _ensure_connected(self, loop: asyncio.AbstractEventLoop) -> None:
        """Connects on this loop, sharing one attempt among concurrent callers."""
        if self._loop is not loop:
            self._drop()
            self._connecting = None
        task = self._connecting
        if task is None or task.done():
            self._drop()
            self._loop = loop
            task = self._connecting = loop.create_task(self._connect(loop))
        try:
            # shielded: a caller cancelled while waiting must not abort the others' attempt
            await asyncio.shield(task)
        finally:
            if task.done() and self._connecting is task:
                self._connecting = None
        if self._closed:
            raise ClosedError("connection is closed")

    async def _connect(self, loop: asyncio.AbstractEventLoop) -> None:
        core = _core.AsyncConnection(self._dsn)
        try:
            async with asyncio.timeout(self._connect_timeout):
                try:
                    core.start_connect()
                except _core.ClientError as exc:
                    raise _client_error(exc) from None
                while True:
                    status = core.poll_connect()
                    if status == _core.PollStatus.OK:
                        break
                    if status == _core.PollStatus.FAILED:
                        raise PgqrsConnectionError(
                            core.error_message() or "connection failed", "08001"
                        )
                    await self._wait_socket(loop, core.socket(), status == _core.PollStatus.READING)
        except TimeoutError:
            core.close()
            raise PgqrsConnectionError(
                f"connection timed out after {self._connect_timeout} seconds", "08001"
            ) from None
        except BaseException:
            core.close()
            raise
        if self._closed:
            core.close()
            return
        self._core = core
        self._fd = core.socket()
        loop.add_reader(self._fd, self._on_readable)

    @staticmethod
    async def _wait_socket(loop: asyncio.AbstractEventLoop, fd: int, readable: bool) -> None:
        """Waits until the socket is readable (or writable)."""
        if fd < 0:
            raise PgqrsConnectionError("connection has no socket", "08001")
        waiter: asyncio.Future[None] = loop.create_future()

        def ready() -> None:
            if not waiter.done():
                waiter.set_result(None)

        if readable:
            loop.add_reader(fd, ready)
        else:
            loop.add_writer(fd, ready)
        try:
            await waiter
        finally:
            if readable:
                loop.remove_reader(fd)
            else:
                loop.remove_writer(fd)

    # -- the socket callbacks ----------------------------------------------

    def _flush(self) -> None:
        """Sends what libpq still holds, waiting for the socket only when it is full
        (libpq writes at every statement's Sync already: no loop turn is spent here)."""
        core, loop = self._core, self._loop
        if core is None or loop is None:
            return
        done = core.flush()
        if done and self._writing:
            loop.remove_writer(self._fd)
            self._writing = False
        elif not done and not self._writing:
            loop.add_writer(self._fd, self._flush)
            self._writing = True
        if core.is_broken():
            self._dispatch()

    def _on_readable(self) -> None:
        core = self._core
        if core is None:
            return
        self._dispatch(core.read())
        if self._writing:
            self._flush()

    def _dispatch(self, completed: list[_core.Completed] | None = None) -> None:
        """Resolves the futures of the completed requests (those given, else those
        ready); drops a lost connection."""
        core = self._core
        if core is None:
            return
        for request_id, error, columns, rows in core.drain() if completed is None else completed:
            request = self._pending.pop(request_id, None)
            if request_id == self._exclusive:
                self._end_exclusive()
            if request is None:
                continue
            future = request.future
            if future.done():
                # its caller was cancelled: the result is dropped
                if error is None and rows and request.on_abandoned is not None:
                    assert columns is not None
                    _call_abandoned(request.on_abandoned, (columns, rows))
                continue
            if error is None:
                assert columns is not None and rows is not None
                future.set_result((columns, rows))
            else:
                _fail(future, error_from_server(*error))
        if core.is_broken():
            self._drop()
        elif self._exclusive is not None:  # only a waiting request is ever cancelled
            self._maybe_cancel()

    # -- cancelling a waiting statement ------------------------------------

    def _maybe_cancel(self) -> None:
        """Sends the cancel request of a cancelled waiting request once the server runs it
        (it is the oldest request in flight)."""
        if not self._pending or self._cancel_job is not None:
            return
        request_id, request = next(iter(self._pending.items()))
        core, loop = self._core, self._loop
        if not request.cancel_requested or request.cancel_sent or core is None or loop is None:
            return
        request.cancel_sent = True
        job = self._cancel_job = loop.run_in_executor(None, core.cancel)
        job.add_done_callback(lambda j: self._cancel_sent(core, request_id, j))
        if self._cancel_timer is None:
            self._cancel_timer = loop.call_later(self._cancel_timeout, self._cancel_expired, core, request_id)

    def _cancel_sent(self, core: _core.AsyncConnection, request_id: int, job: asyncio.Future[str | None]) -> None:
        if self._cancel_job is job:
            self._cancel_job = None
        failure = None if job.cancelled() else (job.exception() or job.result())
        if core is self._core and request_id in self._pending:
            if failure is not None:
                # the statement would run to its end: give the connection up instead
                self._drop(PgqrsConnectionError(f"could not cancel the waiting statement: {failure}", "08006"))
            elif self._loop is not None:
                # a request that reached the server before the statement started is
                # ignored there: send another one unless the statement ends first
                self._loop.call_later(0.5, self._resend_cancel, core, request_id)
        self._open_gate()

    def _resend_cancel(self, core: _core.AsyncConnection, request_id: int) -> None:
        request = self._pending.get(request_id)
        if core is self._core and request is not None and self._cancel_timer is not None:
            request.cancel_sent = False
            self._maybe_cancel()

    def _cancel_expired(self, core: _core.AsyncConnection, request_id: int) -> None:
        self._cancel_timer = None
        if core is self._core and request_id in self._pending:
            self._drop(
                PgqrsConnectionError(
                    f"the cancelled statement did not end within {self._cancel_timeout} s", "08006"
                )
            )

    def _end_exclusive(self) -> None:
        """The waiting request completed: the held requests may go once no cancel is in flight."""
        self._exclusive = None
        if self._cancel_timer is not None:
            self._cancel_timer.cancel()
            self._cancel_timer = None
        self._open_gate()

    def _open_gate(self) -> None:
        gate = self._gate
        if gate is not None and self._exclusive is None and self._cancel_job is None:
            self._gate = None
            if not gate.done() and not gate.get_loop().is_closed():
                gate.set_result(None)

    def _drop(self, reason: PgqrsError | None = None) -> None:
        """Forgets the current connection; the next request reconnects."""
        core, loop = self._core, self._loop
        self._core = None
        if core is not None:
            if loop is not None and not loop.is_closed():
                loop.remove_reader(self._fd)
                if self._writing:
                    loop.remove_writer(self._fd)
            core.close()
            if self._pending:
                # completions of the requests closed above: each gets a clear error
                for request_id, error, _columns, _rows in core.drain():
                    request = self._pending.pop(request_id, None)
                    if request is not None and error is not None:
                        _fail(request.future, reason or error_from_server(*error))
        self._writing = False
        self._fd = -1
        for request in self._pending.values():
            _fail(request.future, reason or PgqrsConnectionError("connection lost", "08006"))
        self._pending.clear()
        # nothing runs any more: a cancel request still in flight cannot hit a new statement
        self._cancel_job = None
        self._end_exclusive()


def _call_abandoned(callback: Callable[[Rows], None], rows: Rows) -> None:
    try:
        callback(rows)
    except Exception:  # a failing callback must not break the connection
        log.exception("pgqrs: handling the rows of a cancelled call failed")


def _fail(future: asyncio.Future[Rows], error: BaseException) -> None:
    """Fails a request's future unless it is settled or its loop is gone."""
    if not future.done() and not future.get_loop().is_closed():
        future.set_exception(error)
