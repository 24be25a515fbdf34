"""The connections of one client object: one, or up to ``max_connections`` under load.

Each request goes to the connection with the fewest requests in flight; a new
connection is opened (lazily, on its first request) only when every open one is
busy and the limit allows it. A loop awaiting one call at a time therefore
never uses more than one connection, while many concurrent coroutines spread
over several server backends, whose commits then overlap (one backend commits
its statements one after the other, each waiting for its own WAL flush when
``synchronous_commit`` is on). A waiting request (``dequeue_wait``) occupies its
connection; the other requests go to the other connections.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from ._connection import Connection, Rows


class ConnectionPool:
    """Up to max_connections lazily opened connections to one DSN."""

    def __init__(self, dsn: str, connect_timeout: float | None, max_connections: int) -> None:
        self._dsn = dsn
        self._connect_timeout = connect_timeout
        self._max = max_connections
        self._connections = [Connection(dsn, connect_timeout)]

    @property
    def connections(self) -> list[Connection]:
        """The connections made so far (the first one always exists)."""
        return self._connections

    def _pick(self) -> Connection:
        connections = self._connections
        best = connections[0]
        if best.load == 0 or self._max == 1:
            return best
        best = min(connections, key=lambda c: c.load)
        if best.load > 0 and len(connections) < self._max:
            best = Connection(self._dsn, self._connect_timeout)
            connections.append(best)
        return best

    async def execute(
        self,
        sql: str,
        params: Sequence[str | None] = (),
        *,
        waits: bool = False,
        on_abandoned: Callable[[Rows], None] | None = None,
    ) -> Rows:
        """Runs one statement on the least busy connection (see :meth:`Connection.execute`)."""
        return await self._pick().execute(sql, params, waits=waits, on_abandoned=on_abandoned)

    def cancel_waiting(self) -> None:
        """Cancels the waiting request of every connection."""
        for connection in self._connections:
            connection.cancel_waiting()

    def close(self) -> None:
        """Closes every connection; requests in flight fail with ClosedError."""
        for connection in self._connections:
            connection.close()
