"""Type stub of pgqrs.types."""

import dataclasses
import enum
from datetime import datetime
from typing import Any

__all__ = ['MessageId', 'WorkerStatus', 'QueueInfo', 'QueueMessage', 'ArchivedMessage', 'WorkerInfo', 'QueueMetrics', 'SystemStats', 'WorkerStats', 'WorkerHealth', 'Enqueued', 'TopicInfo', 'Published', 'ClaimFrontier', 'ScheduleInfo', 'RunStats']

class WorkerStatus(enum.StrEnum):
    Ready = "ready"
    Suspended = "suspended"
    Stopped = "stopped"

class MessageId(int):
    @property
    def id(self) -> int: ...

@dataclasses.dataclass(frozen=True, slots=True)
class QueueInfo:
    id: int
    queue_name: str
    created_at: datetime
    max_attempts: int = 5
    dedup_window_seconds: int = 0
    retry_backoff: str = "none"
    retry_delay_seconds: float = 0.0
    retry_max_delay_seconds: float = 0.0
    retry_jitter: float = 0.0

@dataclasses.dataclass(frozen=True, slots=True)
class ScheduleInfo:
    id: int
    schedule_name: str
    cron_expression: str
    time_zone: str
    queue_name: str
    payload: dict[str, Any]
    catch_up: bool
    paused: bool
    next_run_at: datetime
    last_run_at: datetime | None
    last_message_id: int | None
    runs: int
    skipped_runs: int
    last_error: str | None
    created_by: str | None
    created_at: datetime

@dataclasses.dataclass(frozen=True, slots=True)
class QueueMessage:
    id: int
    queue_id: int
    payload: dict[str, Any]
    vt: datetime
    enqueued_at: datetime
    read_ct: int
    dequeued_at: datetime | None
    producer_worker_id: int | None
    consumer_worker_id: int | None
    dedup_key: str | None = None
    retry_at: datetime | None = None
    last_error: str | None = None
    priority: int = 0
    group_key: str | None = None
    held_vt: datetime | None = None

@dataclasses.dataclass(frozen=True, slots=True)
class ArchivedMessage:
    id: int
    queue_id: int
    payload: dict[str, Any]
    vt: datetime
    enqueued_at: datetime
    read_ct: int
    dequeued_at: datetime | None
    producer_worker_id: int | None
    consumer_worker_id: int | None
    archived_at: datetime
    dead_letter: bool
    dedup_key: str | None = None
    last_error: str | None = None
    priority: int = 0
    group_key: str | None = None
    @property
    def original_msg_id(self) -> int: ...

@dataclasses.dataclass(frozen=True, slots=True)
class WorkerInfo:
    id: int
    hostname: str
    port: int
    queue_id: int | None
    started_at: datetime
    heartbeat_at: datetime
    shutdown_at: datetime | None
    status: WorkerStatus

@dataclasses.dataclass(frozen=True, slots=True)
class QueueMetrics:
    queue_name: str
    total_messages: int
    pending_messages: int
    locked_messages: int
    delayed_messages: int
    archived_messages: int
    dead_messages: int
    oldest_pending_at: datetime | None
    newest_enqueued_at: datetime | None
    retrying_messages: int = 0
    next_retry_at: datetime | None = None
    held_messages: int = 0
    groups: int = 0
    pending_by_priority: dict[int, int] = ...

@dataclasses.dataclass(frozen=True, slots=True)
class RunStats:
    handled: int
    archived: int
    failed: int

@dataclasses.dataclass(frozen=True, slots=True)
class SystemStats:
    total_queues: int
    total_workers: int
    ready_workers: int
    suspended_workers: int
    stopped_workers: int
    total_messages: int
    locked_messages: int
    archived_messages: int
    dead_messages: int
    schema_version: str | None

@dataclasses.dataclass(frozen=True, slots=True)
class WorkerStats:
    queue_name: str
    total_workers: int
    ready_workers: int
    suspended_workers: int
    stopped_workers: int
    messages_held: int
    oldest_heartbeat_at: datetime | None
    newest_heartbeat_at: datetime | None

@dataclasses.dataclass(frozen=True, slots=True)
class WorkerHealth:
    worker_id: int
    hostname: str
    port: int
    queue_name: str | None
    status: WorkerStatus
    heartbeat_at: datetime
    healthy: bool
    messages_held: int

@dataclasses.dataclass(frozen=True, slots=True)
class ClaimFrontier:
    queue_name: str
    frontier_vt: datetime | None
    frontier_id: int | None
    lag_seconds: float | None
    raises: int
    refused_raises: int
    lowerings: int
    resets: int
    found_below: int
    last_audit_seconds: float | None
    next_audit_at: datetime | None

@dataclasses.dataclass(frozen=True, slots=True)
class Enqueued:
    msg_id: int
    inserted: bool

@dataclasses.dataclass(frozen=True, slots=True)
class TopicInfo:
    topic_name: str
    created_at: datetime
    queue_names: list[str]

@dataclasses.dataclass(frozen=True, slots=True)
class Published:
    queue_name: str
    msg_id: int
