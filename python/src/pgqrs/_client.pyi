"""Type stub: what Admin, Producer and Consumer share."""

from types import TracebackType
from typing import TypeVar

_Self = TypeVar("_Self", bound="Client")

DEFAULT_SCHEMA: str

class Client:
    def __init__(self, dsn: str, *, schema: str | None = None, connect_timeout: float | None = 30.0, max_connections: int = 1) -> None: ...
    @property
    def schema(self) -> str: ...
    @property
    def closed(self) -> bool: ...
    async def close(self) -> None: ...
    async def __aenter__(self: _Self) -> _Self: ...
    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None: ...
