"""Type stub of pgqrs."""

from .admin import Admin as Admin
from .config import Config as Config
from .consumer import Consumer as Consumer
from .errors import ClosedError as ClosedError, ExtensionNotAvailableError as ExtensionNotAvailableError, InvalidInputError as InvalidInputError, MessageNotFoundError as MessageNotFoundError, NotFoundError as NotFoundError, NotInstalledError as NotInstalledError, PayloadError as PayloadError, PgqrsConnectionError as PgqrsConnectionError, PgqrsError as PgqrsError, QueryCanceledError as QueryCanceledError, QueueExistsError as QueueExistsError, QueueNotFoundError as QueueNotFoundError, ScheduleExistsError as ScheduleExistsError, ScheduleNotFoundError as ScheduleNotFoundError, StateError as StateError, WorkerError as WorkerError, WorkerNotFoundError as WorkerNotFoundError
from .producer import Producer as Producer
from .tables import Archive as Archive, Messages as Messages, Queues as Queues, Workers as Workers
from .types import ArchivedMessage as ArchivedMessage, Enqueued as Enqueued, Published as Published, TopicInfo as TopicInfo, MessageId as MessageId, WorkerStatus as WorkerStatus, QueueInfo as QueueInfo, QueueMessage as QueueMessage, QueueMetrics as QueueMetrics, ScheduleInfo as ScheduleInfo, SystemStats as SystemStats, WorkerHealth as WorkerHealth, ClaimFrontier as ClaimFrontier, WorkerInfo as WorkerInfo, WorkerStats as WorkerStats, RunStats as RunStats

__all__ = ['Admin', 'Config', 'Consumer', 'MessageId', 'WorkerStatus', 'ClosedError', 'ExtensionNotAvailableError', 'InvalidInputError', 'MessageNotFoundError', 'NotFoundError', 'NotInstalledError', 'PayloadError', 'PgqrsConnectionError', 'PgqrsError', 'QueryCanceledError', 'QueueExistsError', 'QueueNotFoundError', 'StateError', 'WorkerError', 'WorkerNotFoundError', 'Producer', 'Archive', 'Messages', 'Queues', 'Workers', 'ArchivedMessage', 'QueueInfo', 'QueueMessage', 'QueueMetrics', 'SystemStats', 'WorkerHealth', 'ScheduleInfo', 'ClaimFrontier', 'WorkerInfo', 'WorkerStats', 'Enqueued', 'Published', 'TopicInfo', 'RunStats', '__version__']

__version__: str
