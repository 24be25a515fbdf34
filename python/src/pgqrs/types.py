"""Value types returned by pgqrs: one frozen dataclass per row shape of the SQL API."""

from __future__ import annotations

import dataclasses
import enum
from datetime import datetime, timezone
from typing import Any, TypeVar

_T = TypeVar("_T")


# what a time after the year 9999 becomes, such as the vt of a message waiting
# behind its group's head (after the year 100000)
_BEYOND = datetime.max.replace(tzinfo=timezone.utc)


def _parse_time(value: Any) -> datetime | None:
    """A timestamptz as JSON text (ISO 8601 with offset) to an aware datetime;
    'infinity' and years of more than four digits give datetime.max (UTC)."""
    if value is None:
        return None
    if value == "infinity" or value.find("-") > 4:
        return _BEYOND
    return datetime.fromisoformat(value)


class WorkerStatus(enum.StrEnum):
    """A worker's state; each member equals its string (``WorkerStatus.Ready == "ready"``)."""

    Ready = "ready"
    Suspended = "suspended"
    Stopped = "stopped"


class MessageId(int):
    """A message id (an int) that also answers ``.id``, as the message objects
    ``enqueue_batch`` returned in pgqrs 0.4 did."""

    __slots__ = ()

    @property
    def id(self) -> int:
        """The id itself, as a plain int."""
        return int(self)


def from_row(cls: type[_T], row: dict[str, Any]) -> _T:
    """Builds cls from a row_to_json object; timestamps become datetimes."""
    values: dict[str, Any] = {}
    for f in dataclasses.fields(cls):  # type: ignore[arg-type]
        value = row.get(f.name)
        if "datetime" in str(f.type):
            value = _parse_time(value)
        elif f.type == "WorkerStatus":
            value = WorkerStatus(value)
        elif f.type == "dict[int, int]" and value is not None:
            # a JSON object's keys are strings: {"9": 3} is {9: 3}
            value = {int(k): int(v) for k, v in value.items()}
        values[f.name] = value
    return cls(**values)


@dataclasses.dataclass(frozen=True, slots=True)
class QueueInfo:
    """A queue (a row of ``queues``)."""

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
    """A recurring schedule (a row of ``schedules``): ``payload`` is enqueued to
    ``queue_name`` at each time of ``cron_expression`` in ``time_zone``;
    ``next_run_at`` is the first time not yet enqueued, ``last_run_at`` the last
    one enqueued, ``runs`` the messages enqueued, ``skipped_runs`` the missed
    times skipped (``catch_up`` false), ``last_error`` why the last run failed."""

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
    """A message (a row of ``messages``); ``read_ct`` is the delivery attempt.
    ``retry_at``: its next attempt, after a lease ended unfinished; ``last_error``:
    the error text of the last failed attempt; ``priority``: 0 to 9, higher
    delivered first; ``group_key``: its ordered group, if any; ``held_vt``: set
    while it waits behind an earlier message of its group (``vt`` is then
    ``datetime.max``: the server keeps it after the year 100000), the ``vt``
    it gets when it becomes the group's head."""

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
    """An archived or dead-lettered message (a row of ``archive``), with its
    original id, priority and group key."""

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
    def original_msg_id(self) -> int:
        """The id the message had in its queue: the archive keeps it as ``id``."""
        return self.id


@dataclasses.dataclass(frozen=True, slots=True)
class WorkerInfo:
    """A producer or consumer (a row of ``workers``)."""

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
    """Message counts of one queue. ``delayed_messages`` leaves out the
    ``held_messages`` (those waiting behind their group's head); ``groups``:
    groups with messages in the queue; ``pending_by_priority``: the visible,
    unleased messages by priority (only priorities that have some)."""

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
    pending_by_priority: dict[int, int] = dataclasses.field(default_factory=dict)


@dataclasses.dataclass(frozen=True, slots=True)
class RunStats:
    """What :meth:`Consumer.run` did: messages handled (the handler returned), of
    those archived (the others had lost their lease), and failed (the handler
    raised: released for another attempt)."""

    handled: int
    archived: int
    failed: int


@dataclasses.dataclass(frozen=True, slots=True)
class SystemStats:
    """Counts over all queues and workers."""

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
    """Worker counts of one queue."""

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
    """One worker's liveness: healthy when its heartbeat is recent enough."""

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
    """Where the claims of one queue start (docs/claim-frontier.md): no
    ``frontier_vt`` while they start at the beginning of the queue;
    ``found_below`` stays 0 unless messages were changed outside pgqrs;
    ``last_audit_seconds`` (None before the first audit) and ``next_audit_at``
    (None when audits are off) describe the periodic audit."""

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
    """What an enqueue with a dedup key did: ``msg_id`` is the new message when
    ``inserted``, else the message that holds the key (in the queue, or archived
    within the queue's dedup window)."""

    msg_id: int
    inserted: bool


@dataclasses.dataclass(frozen=True, slots=True)
class TopicInfo:
    """A topic and the queues subscribed to it (those the caller may see), by name."""

    topic_name: str
    created_at: datetime
    queue_names: list[str]


@dataclasses.dataclass(frozen=True, slots=True)
class Published:
    """One message a publish put into a subscribed queue."""

    queue_name: str
    msg_id: int


__all__ = [
    "ArchivedMessage",
    "ClaimFrontier",
    "Enqueued",
    "MessageId",
    "Published",
    "QueueInfo",
    "QueueMessage",
    "QueueMetrics",
    "ScheduleInfo",
    "RunStats",
    "SystemStats",
    "TopicInfo",
    "WorkerHealth",
    "WorkerInfo",
    "WorkerStats",
    "WorkerStatus",
]
