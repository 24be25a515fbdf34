"""One libpq connection in pipeline mode, driven by the running asyncio loop.

The C++ core (``pgqrs._core.AsyncConnection``) does the protocol steps; this
module only waits on its socket with ``loop.add_reader`` / ``loop.add_writer``.
Every request gets a future resolved when its result arrives, so concurrent
coroutines have their statements pipelined on the one connection. The
connection is opened lazily on the first request and reopened on the next
request after it was lost; a request in flight when it is lost fails with
:class:`PgqrsConnectionError` (it is never resent: it may have run).
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence

from . import _core
from .errors import ClosedError, PgqrsConnectionError, PgqrsError, error_from_server

#: The rows of one statement: column names and rows of text values (None is NULL).
Rows = tuple[tuple[str, ...], list[tuple[str | None, ...]]]


def _client_error(exc: Exception) -> PgqrsError:
    """A pgqrs error for an exception raised by the C++ core."""
    if isinstance(exc, _core.ClientError) and len(exc.args) == 2:
        sqlstate, message = exc.args
        return error_from_server(str(sqlstate), str(message))
    return PgqrsConnectionError(str(exc), _core.CONNECTION_LOST_STATE)


class Connection:
    """A pipelined, lazily (re)connecting connection bound to one event loop at a time."""

    def __init__(self, dsn: str, connect_timeout: float | None = 30.0) -> None:
        self._dsn = dsn
        self._connect_timeout = connect_timeout
        self._core: _core.AsyncConnection | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._fd = -1
        self._pending: dict[int, asyncio.Future[Rows]] = {}
        self._connecting: asyncio.Task[None] | None = None
        self._writing = False
        self._flush_scheduled = False
        self._closed = False

    @property
    def closed(self) -> bool:
        """True once :meth:`close` was called."""
        return self._closed

    @property
    def connected(self) -> bool:
        """True when a usable connection is open."""
        return self._core is not None and self._core.is_ready()

    async def execute(self, sql: str, params: Sequence[str | None] = ()) -> Rows:
        """Runs one statement (its own implicit transaction) and returns its rows."""
        loop = asyncio.get_running_loop()
        if self._closed:
            raise ClosedError("connection is closed")
        if self._loop is not loop or self._core is None or not self._core.is_ready():
            await self._ensure_connected(loop)
        core = self._core
        assert core is not None
        try:
            request_id = core.send(sql, list(params))
        except _core.ClientError as exc:
            self._drop()
            raise _client_error(exc) from None
        future: asyncio.Future[Rows] = loop.create_future()
        self._pending[request_id] = future
        self._schedule_flush()
        return await future

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

    def _schedule_flush(self) -> None:
        """Flushes once per loop iteration, so statements sent together go out together."""
        if not self._flush_scheduled and self._loop is not None:
            self._flush_scheduled = True
            self._loop.call_soon(self._flush)

    def _flush(self) -> None:
        self._flush_scheduled = False
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
        core.consume_input()
        if self._writing:
            self._flush()
        self._dispatch()

    def _dispatch(self) -> None:
        """Resolves the futures of the completed requests; drops a lost connection."""
        core = self._core
        if core is None:
            return
        for request_id, error, columns, rows in core.drain():
            future = self._pending.pop(request_id, None)
            if future is None or future.done():
                continue  # its caller was cancelled: the result is dropped
            if error is None:
                assert columns is not None and rows is not None
                future.set_result((columns, rows))
            else:
                _fail(future, error_from_server(*error))
        if core.is_broken():
            self._drop()

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
                    future = self._pending.pop(request_id, None)
                    if future is not None and error is not None:
                        _fail(future, reason or error_from_server(*error))
        self._writing = False
        self._fd = -1
        for future in self._pending.values():
            _fail(future, reason or PgqrsConnectionError("connection lost", "08006"))
        self._pending.clear()


def _fail(future: asyncio.Future[Rows], error: BaseException) -> None:
    """Fails a request's future unless it is settled or its loop is gone."""
    if not future.done() and not future.get_loop().is_closed():
        future.set_exception(error)
