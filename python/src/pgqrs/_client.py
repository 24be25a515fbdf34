"""What Admin, Producer and Consumer share: a lazy connection, the schema, closing."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime
from types import TracebackType
from typing import TypeVar

from . import _core
from ._connection import Rows
from ._params import decode_json
from ._pool import ConnectionPool
from .config import UNSET, Config, Unset
from .errors import ClosedError, InvalidInputError
from .types import from_row

_T = TypeVar("_T")
_Self = TypeVar("_Self", bound="Client")

DEFAULT_SCHEMA = _core.DEFAULT_SCHEMA


class Client:
    """A connection to one database and the pgqrs schema in it, built from a DSN, a
    :class:`Config` or another client (an Admin: a copy of its settings); keyword
    arguments override the settings. Building one needs no event loop and does
    not connect: the first awaited call does. Concurrent
    calls are pipelined on the connection; with ``max_connections`` > 1 they are
    spread over up to that many connections, opened only while every open one is busy.

    Every SQL text comes from the C++ client (``_core.Statements``, built once
    for the schema): ``self._sql.<name>`` for the text results and
    ``self._sql.json.<name>`` for rows as JSON objects."""

    def __init__(
        self,
        dsn: str | Config | Client,
        *,
        schema: str | None = None,
        connect_timeout: float | None | Unset = UNSET,
        max_connections: int | Unset = UNSET,
    ) -> None:
        config = config_of(dsn)
        if schema is not None:
            config.schema = schema
        if not isinstance(connect_timeout, Unset):
            config.connection_timeout_seconds = connect_timeout
        if not isinstance(max_connections, Unset):
            config.max_connections = max_connections
        self._config = config
        self._dsn = config.dsn
        self._schema = config.schema
        self._sql = _core.Statements(self._schema)
        self._conn = ConnectionPool(self._dsn, config.connection_timeout_seconds, config.max_connections)
        self._closed = False

    @property
    def config(self) -> Config:
        """A copy of the settings this object was built with."""
        return self._config.copy()

    @property
    def schema(self) -> str:
        """The schema holding the pgqrs tables and functions."""
        return self._schema

    @property
    def closed(self) -> bool:
        """True once :meth:`close` was called."""
        return self._closed

    async def close(self) -> None:
        """Closes the connection; later calls raise :class:`ClosedError`."""
        self._closed = True
        self._conn.close()

    async def __aenter__(self: _Self) -> _Self:
        self._check_open()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.close()

    def _check_open(self) -> None:
        if self._closed:
            raise ClosedError(f"{type(self).__name__} is closed")

    # -- statements ---------------------------------------------------------

    async def _execute(
        self,
        sql: str,
        params: Sequence[str | None] = (),
        *,
        waits: bool = False,
        on_abandoned: Callable[[Rows], None] | None = None,
    ) -> list[tuple[str | None, ...]]:
        """Runs a statement and returns its rows (see :meth:`Connection.execute`)."""
        self._check_open()
        _columns, rows = await self._conn.execute(sql, params, waits=waits, on_abandoned=on_abandoned)
        return rows

    async def _scalar(self, sql: str, params: Sequence[str | None] = ()) -> str | None:
        """The first column of the first row (None when no row or NULL)."""
        rows = await self._execute(sql, params)
        return rows[0][0] if rows else None

    async def _scalars(self, sql: str, params: Sequence[str | None] = ()) -> list[str | None]:
        """The first column of every row."""
        return [row[0] for row in await self._execute(sql, params)]

    async def _objects(self, cls: type[_T], sql: str, params: Sequence[str | None] = ()) -> list[_T]:
        """The rows of a JSON statement (``self._sql.json``) as instances of cls."""
        return objects_of(cls, await self._execute(sql, params))

    async def _object(self, cls: type[_T], sql: str, params: Sequence[str | None] = ()) -> _T | None:
        """The first row as an instance of cls, or None."""
        objects = await self._objects(cls, sql, params)
        return objects[0] if objects else None

    async def _one(self, cls: type[_T], sql: str, params: Sequence[str | None] = ()) -> _T:
        """The one row a function returning a composite always gives."""
        obj = await self._object(cls, sql, params)
        if obj is None:
            raise RuntimeError("the server returned no row")
        return obj

    async def _timestamp(self, sql: str, params: Sequence[str | None] = ()) -> datetime | None:
        """A JSON statement giving one timestamp, as an aware datetime (None for NULL)."""
        value = decode_json(await self._scalar(sql, params))
        return None if value is None else datetime.fromisoformat(value)


def config_of(target: object) -> Config:
    """A fresh Config from a DSN, a copy of a Config or of another client's settings."""
    if isinstance(target, str):
        return Config(target)
    if isinstance(target, Config):
        return target.copy()
    if isinstance(target, Client):
        return target._config.copy()
    raise InvalidInputError(
        f"dsn must be a str, a pgqrs.Config or a pgqrs.Admin, not {type(target).__name__}"
    )


def objects_of(cls: type[_T], rows: list[tuple[str | None, ...]]) -> list[_T]:
    """Rows whose first column is a JSON object, as instances of cls."""
    return [from_row(cls, decode_json(row[0])) for row in rows]


def as_int(value: str | None) -> int:
    """An integer column (0 for NULL)."""
    return 0 if value is None else int(value)


def as_bool(value: str | None) -> bool:
    """A boolean column."""
    return value == "t"

