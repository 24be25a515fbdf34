"""The pgqrs exception hierarchy.

Every error is a ``RuntimeError`` (via :class:`PgqrsError`) whose text is the
server's message unchanged, so ``"already exists" in str(e)`` works for a
duplicate queue. ``sqlstate`` carries the SQLSTATE ("" for client-side errors).
The SQLSTATE-to-class mapping is the C++ client's (``pgqrs::raise``).
"""

from __future__ import annotations

from . import _core


class PgqrsError(RuntimeError):
    """Base of every pgqrs error; ``str(e)`` is the server's message."""

    sqlstate: str
    detail: str
    hint: str

    def __init__(self, message: str, sqlstate: str = "", detail: str = "", hint: str = "") -> None:
        super().__init__(message)
        self.sqlstate = sqlstate
        self.detail = detail
        self.hint = hint


class PgqrsConnectionError(PgqrsError, ConnectionError):
    """The server could not be reached or the connection was lost (SQLSTATE class 08)."""


class ExtensionNotAvailableError(PgqrsError):
    """The pgqrs extension files are not installed on the server."""


class NotInstalledError(PgqrsError):
    """The pgqrs schema or its functions are missing: run ``Admin.install()``."""


class NotFoundError(PgqrsError, ValueError):
    """Something looked up does not exist; also a ``ValueError``, as pgqrs 0.4 raised
    for an unknown queue or worker."""


class QueueNotFoundError(NotFoundError):
    """The named queue does not exist."""


class WorkerNotFoundError(NotFoundError):
    """The worker id does not exist."""


class MessageNotFoundError(NotFoundError):
    """No message (or archived message) has that id."""


class QueueExistsError(PgqrsError):
    """A queue of that name already exists (SQLSTATE 42710)."""


class ScheduleNotFoundError(NotFoundError):
    """The named schedule does not exist."""


class ScheduleExistsError(PgqrsError):
    """A schedule of that name already exists (SQLSTATE 42710)."""


class InvalidInputError(PgqrsError, ValueError):
    """Bad input rejected by the server: invalid name, number, payload or NULL."""


class PayloadError(PgqrsError, TypeError):
    """A payload is not a JSON object of JSON-serialisable values; nothing was sent."""


class StateError(PgqrsError):
    """The object is in the wrong state for the call (SQLSTATE class 55)."""


class WorkerError(StateError):
    """The worker is stopped, suspended or may not do what was asked."""


class QueryCanceledError(PgqrsError):
    """The statement was cancelled on the server (SQLSTATE 57014): by
    ``statement_timeout``, ``pg_cancel_backend`` or a cancel request. (Cancelling
    an awaiting task raises ``asyncio.CancelledError`` instead.)"""


class ClosedError(PgqrsError):
    """The Admin, Producer or Consumer was closed."""


_BY_NAME: dict[str, type[PgqrsError]] = {
    "ConnectionError": PgqrsConnectionError,
    "ExtensionNotAvailableError": ExtensionNotAvailableError,
    "NotInstalledError": NotInstalledError,
    "QueueNotFoundError": QueueNotFoundError,
    "WorkerNotFoundError": WorkerNotFoundError,
    "ScheduleNotFoundError": ScheduleNotFoundError,
    "ScheduleExistsError": ScheduleExistsError,
    "NotFoundError": NotFoundError,
    "QueueExistsError": QueueExistsError,
    "InvalidInputError": InvalidInputError,
    "WorkerError": WorkerError,
    "StateError": StateError,
    "CanceledError": QueryCanceledError,
    "Error": PgqrsError,
}


def error_from_server(sqlstate: str, message: str, detail: str = "", hint: str = "") -> PgqrsError:
    """The exception matching a server error, with the server's message as its text."""
    cls = _BY_NAME.get(_core.classify(sqlstate, message), PgqrsError)
    if sqlstate == "58P01" or (sqlstate == "0A000" and "extension" in message):
        cls = ExtensionNotAvailableError
    return cls(message, sqlstate, detail, hint)


__all__ = [
    "ClosedError",
    "ExtensionNotAvailableError",
    "InvalidInputError",
    "MessageNotFoundError",
    "NotFoundError",
    "NotInstalledError",
    "PayloadError",
    "PgqrsConnectionError",
    "PgqrsError",
    "QueryCanceledError",
    "QueueExistsError",
    "QueueNotFoundError",
    "ScheduleExistsError",
    "ScheduleNotFoundError",
    "StateError",
    "WorkerError",
    "WorkerNotFoundError",
    "error_from_server",
]
