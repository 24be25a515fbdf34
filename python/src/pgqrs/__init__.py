"""pgqrs: an async Python client for the pgqrs durable message queue in PostgreSQL.

The connection is the C++ client's non-blocking libpq core (``pgqrs._core``),
driven by the asyncio event loop: no threads; concurrent calls on one object
are pipelined on its connection.
"""

from .admin import Admin
from .config import Config
from .consumer import Consumer
from .errors import (
    ClosedError,
    ExtensionNotAvailableError,
    InvalidInputError,
    MessageNotFoundError,
    NotFoundError,
    NotInstalledError,
    PayloadError,
    PgqrsConnectionError,
    PgqrsError,
    QueryCanceledError,
    QueueExistsError,
    QueueNotFoundError,
    StateError,
    WorkerError,
    WorkerNotFoundError,
)
from .producer import Producer
from .tables import Archive, Messages, Queues, Workers
from .types import (
    ArchivedMessage,
    MessageId,
    QueueInfo,
    QueueMessage,
    QueueMetrics,
    RunStats,
    SystemStats,
    WorkerHealth,
    WorkerInfo,
    WorkerStats,
    WorkerStatus,
)

__version__ = "0.2.0"

__all__ = [
    "Admin",
    "ArchivedMessage",
    "Archive",
    "ClosedError",
    "Config",
    "Consumer",
    "ExtensionNotAvailableError",
    "InvalidInputError",
    "MessageId",
    "MessageNotFoundError",
    "Messages",
    "NotFoundError",
    "NotInstalledError",
    "PayloadError",
    "PgqrsConnectionError",
    "PgqrsError",
    "Producer",
    "QueryCanceledError",
    "QueueExistsError",
    "QueueInfo",
    "QueueMessage",
    "QueueMetrics",
    "QueueNotFoundError",
    "Queues",
    "RunStats",
    "StateError",
    "SystemStats",
    "WorkerError",
    "WorkerHealth",
    "WorkerInfo",
    "WorkerNotFoundError",
    "WorkerStats",
    "WorkerStatus",
    "Workers",
    "__version__",
]
