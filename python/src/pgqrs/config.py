"""Config: the settings an Admin, Producer or Consumer reads its defaults from.

``Admin(config)``, ``Producer(config_or_admin, queue, hostname, port)`` and
``Consumer(...)`` take one instead of a DSN (a Producer or Consumer built from
an Admin uses a copy of the Admin's). A keyword argument given to a constructor
overrides the setting of the same meaning. Settings are read when the object is
built: changing a Config later changes nothing for objects built before.
"""

from __future__ import annotations

import copy
import enum

from . import _core
from ._params import check_schema, positive
from .errors import InvalidInputError


class Unset(enum.Enum):
    """The default of a constructor argument that falls back to the Config."""

    UNSET = 0


UNSET = Unset.UNSET

#: Deliveries a message of a new queue gets before it is dead-lettered.
DEFAULT_MAX_ATTEMPTS = 5


def positive_seconds(value: object, name: str) -> float:
    """A positive duration in seconds (int or float; bool and NaN rejected)."""
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not value > 0:
        raise InvalidInputError(f"{name} must be a positive number of seconds, not {value!r}")
    return value


class Config:
    """Connection and default settings, named as in pgqrs 0.4.

    - ``dsn``: the libpq connection string or URI;
    - ``schema``: the schema of the pgqrs extension (default ``pgqrs``);
    - ``max_connections``: connections one object may open under load (default 1);
    - ``connection_timeout_seconds``: how long a connect may take (default 30; None: no limit);
    - ``default_lock_time_seconds``: a Consumer's lease length when a dequeue names
      none (default None: the server's, 5 s);
    - ``default_max_batch_size``: the batch size of ``Consumer.dequeue_batch()`` (default 10);
    - ``max_read_ct``: deliveries a message of a queue created by ``Admin.create_queue``
      gets before it is dead-lettered (default 5);
    - ``heartbeat_interval_seconds``: how often a Producer or Consumer sends a
      heartbeat (default 10; None: never).

    Setting a value of the wrong type or range raises InvalidInputError
    (a ``ValueError``) and keeps the old value.
    """

    __slots__ = (
        "_dsn",
        "_schema",
        "_max_connections",
        "_connection_timeout_seconds",
        "_default_lock_time_seconds",
        "_default_max_batch_size",
        "_max_read_ct",
        "_heartbeat_interval_seconds",
    )

    def __init__(self, dsn: str, schema: str | None = None) -> None:
        self.dsn = dsn
        self.schema = _core.DEFAULT_SCHEMA if schema is None else schema
        self._max_connections = 1
        self._connection_timeout_seconds: float | None = 30.0
        self._default_lock_time_seconds: int | None = None
        self._default_max_batch_size = 10
        self._max_read_ct = DEFAULT_MAX_ATTEMPTS
        self._heartbeat_interval_seconds: float | None = 10.0

    @classmethod
    def from_dsn(cls, dsn: str, schema: str | None = None) -> Config:
        """``Config(dsn, schema)``."""
        return cls(dsn, schema)

    def copy(self) -> Config:
        """An independent copy."""
        return copy.copy(self)

    def __repr__(self) -> str:
        return f"Config(schema={self._schema!r}, max_connections={self._max_connections})"

    @property
    def dsn(self) -> str:
        return self._dsn

    @dsn.setter
    def dsn(self, value: str) -> None:
        if not isinstance(value, str):
            raise InvalidInputError(f"dsn must be a str, not {type(value).__name__}")
        self._dsn = value

    @property
    def schema(self) -> str:
        return self._schema

    @schema.setter
    def schema(self, value: str) -> None:
        self._schema = check_schema(value)

    @property
    def max_connections(self) -> int:
        return self._max_connections

    @max_connections.setter
    def max_connections(self, value: int) -> None:
        self._max_connections = positive(value, "max_connections")

    @property
    def connection_timeout_seconds(self) -> float | None:
        return self._connection_timeout_seconds

    @connection_timeout_seconds.setter
    def connection_timeout_seconds(self, value: float | None) -> None:
        self._connection_timeout_seconds = (
            None if value is None else positive_seconds(value, "connection_timeout_seconds")
        )

    @property
    def default_lock_time_seconds(self) -> int | None:
        return self._default_lock_time_seconds

    @default_lock_time_seconds.setter
    def default_lock_time_seconds(self, value: int | None) -> None:
        self._default_lock_time_seconds = (
            None if value is None else positive(value, "default_lock_time_seconds")
        )

    @property
    def default_max_batch_size(self) -> int:
        return self._default_max_batch_size

    @default_max_batch_size.setter
    def default_max_batch_size(self, value: int) -> None:
        self._default_max_batch_size = positive(value, "default_max_batch_size")

    @property
    def max_read_ct(self) -> int:
        return self._max_read_ct

    @max_read_ct.setter
    def max_read_ct(self, value: int) -> None:
        self._max_read_ct = positive(value, "max_read_ct")

    @property
    def heartbeat_interval_seconds(self) -> float | None:
        return self._heartbeat_interval_seconds

    @heartbeat_interval_seconds.setter
    def heartbeat_interval_seconds(self, value: float | None) -> None:
        self._heartbeat_interval_seconds = (
            None if value is None else positive_seconds(value, "heartbeat_interval_seconds")
        )


__all__ = ["Config"]
