"""Read access to the pgqrs tables: Queues, Workers, Messages, Archive.

Each has ``count()``, ``list()`` and ``get(id)``; ``count`` and ``list`` of
Messages and Archive take an optional queue name. The objects are returned by
``Admin.get_queues()`` etc., and may also be awaited (``await admin.get_queues()``).
"""

from __future__ import annotations

import builtins
from collections.abc import Generator
from typing import Any, Generic, TypeVar

from ._client import Client, as_int
from ._params import integer, optional_integer, text
from .errors import MessageNotFoundError, NotFoundError, QueueNotFoundError, WorkerNotFoundError
from .types import ArchivedMessage, QueueInfo, QueueMessage, WorkerInfo

_Row = TypeVar("_Row")
_Self = TypeVar("_Self", bound="_Table[Any]")


class _Table(Generic[_Row]):
    """One table of the schema, read through the owner's connection."""

    _table = ""
    _what = ""
    _row: type[Any] = object
    _missing: type[NotFoundError] = NotFoundError
    _by_queue = True

    def __init__(self, client: Client) -> None:
        self._client = client

    def __await__(self: _Self) -> Generator[Any, None, _Self]:
        """``await admin.get_queues()`` gives the object itself."""
        return _ready(self).__await__()

    async def count(self, queue: str | None = None) -> int:
        """Number of rows (of one queue, when named)."""
        where, params = self._where(queue)
        value = await self._client._scalar(f"SELECT pg_catalog.count(*) FROM {{s}}.{self._table} t{where}", params)
        return as_int(value)

    async def list(self, queue: str | None = None, limit: int | None = None) -> builtins.list[_Row]:
        """Rows by id (of one queue, when named; at most limit rows, when given)."""
        where, params = self._where(queue)
        sql = f"SELECT pg_catalog.row_to_json(t)::text FROM {{s}}.{self._table} t{where} ORDER BY t.id"
        lim = optional_integer(limit, "limit")
        if lim is not None:
            params.append(lim)
            sql += f" LIMIT ${len(params)}"
        return await self._client._objects(self._row, sql, params)

    async def get(self, id: int) -> _Row:
        """The row of that id; raises a NotFoundError subclass when there is none."""
        row_id = integer(id, "id")
        sql = f"SELECT pg_catalog.row_to_json(t)::text FROM {{s}}.{self._table} t WHERE t.id = $1"
        obj = await self._client._object(self._row, sql, [row_id])
        if obj is None:
            raise self._missing(f"{self._what} {row_id} does not exist", "P0002")
        return obj  # type: ignore[no-any-return]

    def _where(self, queue: str | None) -> tuple[str, builtins.list[str | None]]:
        if queue is None:
            return "", []
        name = text(queue, "queue")
        if not self._by_queue:
            return " WHERE t.queue_name = $1", [name]
        return " WHERE t.queue_id = (SELECT q.id FROM {s}.get_queue($1) q)", [name]


async def _ready(value: _Self) -> _Self:
    return value


class Queues(_Table[QueueInfo]):
    """The ``queues`` table."""

    _table = "queues"
    _what = "queue"
    _row = QueueInfo
    _missing = QueueNotFoundError
    _by_queue = False


class Workers(_Table[WorkerInfo]):
    """The ``workers`` table."""

    _table = "workers"
    _what = "worker"
    _row = WorkerInfo
    _missing = WorkerNotFoundError


class Messages(_Table[QueueMessage]):
    """The ``messages`` table: waiting, delayed and leased messages."""

    _table = "messages"
    _what = "message"
    _row = QueueMessage
    _missing = MessageNotFoundError


class Archive(_Table[ArchivedMessage]):
    """The ``archive`` table: archived and dead-lettered messages."""

    _table = "archive"
    _what = "archived message"
    _row = ArchivedMessage
    _missing = MessageNotFoundError


__all__ = ["Archive", "Messages", "Queues", "Workers"]
