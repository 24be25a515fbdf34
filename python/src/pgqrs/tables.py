"""Read access to the pgqrs tables: Queues, Workers, Messages, Archive.

Each has ``count()``, ``list()`` and ``get(id)``; ``count`` and ``list`` of
Messages and Archive take an optional queue name. The objects are returned by
``Admin.get_queues()`` etc., and may also be awaited (``await admin.get_queues()``).
"""

from __future__ import annotations

import builtins
from collections.abc import Generator
from typing import Any, Generic, TypeVar

from ._archive_sql import ArchiveStatements
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

    def __init__(self, client: Client) -> None:
        self._client = client

    def __await__(self: _Self) -> Generator[Any, None, _Self]:
        """``await admin.get_queues()`` gives the object itself."""
        return _ready(self).__await__()

    def _statement(self, name: str, json: bool = False) -> str:
        """The C++ client's statement ``<table>_<name>`` (its JSON form when json)."""
        sql = self._client._sql
        return str(getattr(sql.json if json else sql, f"{self._table}_{name}"))

    async def count(self, queue: str | None = None) -> int:
        """Number of rows (of one queue, when named; QueueNotFoundError when it does not exist)."""
        value = await self._client._scalar(self._statement("count"), [_queue(queue)])
        return as_int(value)

    async def list(self, queue: str | None = None, limit: int | None = None) -> builtins.list[_Row]:
        """Rows by id (of one queue, when named; at most limit rows, when given)."""
        params = [_queue(queue)]
        if self._table in ("messages", "archive"):
            params.append(optional_integer(limit, "limit"))
            return await self._client._objects(self._row, self._statement("list", True), params)
        rows = await self._client._objects(self._row, self._statement("list", True), params)
        return rows if limit is None else rows[: int(integer(limit, "limit"))]

    async def get(self, id: int) -> _Row:
        """The row of that id; raises a NotFoundError subclass when there is none."""
        row_id = integer(id, "id")
        obj = await self._client._object(self._row, self._statement("get", True), [row_id])
        if obj is None:
            raise self._missing(f"{self._what} {row_id} does not exist", "P0002")
        return obj  # type: ignore[no-any-return]


def _queue(queue: str | None) -> str | None:
    return None if queue is None else text(queue, "queue")


async def _ready(value: _Self) -> _Self:
    return value


class Queues(_Table[QueueInfo]):
    """The ``queues`` table."""

    _table = "queues"
    _what = "queue"
    _row = QueueInfo
    _missing = QueueNotFoundError


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
    """The ``archive`` table: archived and dead-lettered messages.

    Besides ``count``, ``list`` and ``get``, the calls of pgqrs 0.4: by the
    consumer that archived them, dead letters, and deleting (which needs the
    rights of the extension's owner)."""

    _table = "archive"
    _what = "archived message"
    _row = ArchivedMessage
    _missing = MessageNotFoundError

    def __init__(self, client: Client) -> None:
        super().__init__(client)
        self._extra = ArchiveStatements(client._sql.qschema)

    async def list_by_worker(self, worker_id: int, limit: int = 100, offset: int = 0) -> builtins.list[ArchivedMessage]:
        """The messages archived by that consumer worker, by id, a page of limit from offset."""
        params = [integer(worker_id, "worker_id"), integer(limit, "limit"), integer(offset, "offset")]
        return await self._client._objects(ArchivedMessage, self._extra.list_by_worker, params)

    async def count_by_worker(self, worker_id: int) -> int:
        """How many messages that consumer worker archived."""
        return as_int(await self._client._scalar(self._extra.count_by_worker, [integer(worker_id, "worker_id")]))

    async def delete(self, id: int) -> int:
        """Deletes one archived message; returns 1, or 0 when there is none of that id."""
        return as_int(await self._client._scalar(self._extra.delete, [integer(id, "id")]))

    async def delete_by_worker(self, worker_id: int) -> int:
        """Deletes the messages that consumer worker archived; returns how many."""
        return as_int(await self._client._scalar(self._extra.delete_by_worker, [integer(worker_id, "worker_id")]))

    async def dlq_count(self, max_attempts: int | None = None) -> int:
        """How many dead letters there are (delivered at least max_attempts times, when given)."""
        return as_int(await self._client._scalar(self._extra.dlq_count, [optional_integer(max_attempts, "max_attempts")]))

    async def list_dlq_messages(
        self, max_attempts: int | None = None, limit: int = 100, offset: int = 0
    ) -> builtins.list[ArchivedMessage]:
        """The dead letters (delivered at least max_attempts times, when given), by id,
        a page of limit from offset."""
        params = [optional_integer(max_attempts, "max_attempts"), integer(limit, "limit"), integer(offset, "offset")]
        return await self._client._objects(ArchivedMessage, self._extra.list_dlq, params)


__all__ = ["Archive", "Messages", "Queues", "Workers"]
