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
    ScheduleExistsError,
    ScheduleNotFoundError,
    StateError,
    WorkerError,
    WorkerNotFoundError,
)
from .producer import Producer
from .tables import Archive, Messages, Queues, Workers
from .types import (
    ArchivedMessage,
    ClaimFrontier,
    Enqueued,
    MessageId,
    Published,
    QueueInfo,
    QueueMessage,
    QueueMetrics,
    ScheduleInfo,
    RunStats,
    SystemStats,
    TopicInfo,
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
    "ClaimFrontier",
    "ClosedError",
    "Config",
    "Consumer",
    "Enqueued",
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
    "Published",
    "QueryCanceledError",
    "QueueExistsError",
    "QueueInfo",
    "QueueMessage",
    "QueueMetrics",
    "QueueNotFoundError",
    "Queues",
    "ScheduleExistsError",
    "ScheduleInfo",
    "ScheduleNotFoundError",
    "RunStats",
    "StateError",
    "SystemStats",
    "TopicInfo",
    "WorkerError",
    "WorkerHealth",
    "WorkerInfo",
    "WorkerNotFoundError",
    "WorkerStats",
    "WorkerStatus",
    "Workers",
    "__version__",
]
