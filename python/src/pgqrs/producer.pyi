"""Type stub of pgqrs.producer."""

from ._client import Client
from ._worker import WorkerClient
from .config import Config, Unset
from .types import MessageId
from collections.abc import Iterable, Mapping
from typing import Any

__all__ = ['Producer']

class Producer(WorkerClient):
    def __init__(self, dsn: str | Config | Client, queue: str, hostname: str, port: int, *, schema: str | None = None, heartbeat_interval: float | None | Unset = ..., connect_timeout: float | None | Unset = ..., max_connections: int | Unset = ...) -> None: ...
    async def enqueue(self, payload: Mapping[str, Any], delay_seconds: int = 0) -> int: ...
    async def enqueue_delayed(self, payload: Mapping[str, Any], delay_seconds: int) -> int: ...
    async def enqueue_batch(self, payloads: Iterable[Mapping[str, Any]], delay_seconds: int = 0) -> list[MessageId]: ...
