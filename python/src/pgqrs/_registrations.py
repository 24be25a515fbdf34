"""Workers built and not registered yet, by database: what an Admin waits for.

A Producer or Consumer registers its worker row in the background once built
(see ``WorkerClient``); an Admin of the same DSN and schema first lets those
registrations end, so that ``admin.get_workers()`` counts a worker as soon as
its object exists, as in pgqrs 0.4, without the constructor blocking.
"""

from __future__ import annotations

import asyncio
import weakref
from typing import Any, Protocol


class Registering(Protocol):
    """A worker object (``WorkerClient``) as seen from here."""

    def _start_registration(self, loop: asyncio.AbstractEventLoop) -> asyncio.Task[Any]: ...


_unregistered: dict[tuple[str, str], weakref.WeakSet[Registering]] = {}


def remember(worker: Registering, dsn: str, schema: str) -> None:
    """worker is built and its registration has not ended yet."""
    _unregistered.setdefault((dsn, schema), weakref.WeakSet()).add(worker)


def forget(worker: Registering, dsn: str, schema: str) -> None:
    """worker's registration ended (registered or failed), or worker was closed."""
    workers = _unregistered.get((dsn, schema))
    if workers is not None:
        workers.discard(worker)
        if not workers:
            del _unregistered[(dsn, schema)]


def pending(dsn: str, schema: str) -> bool:
    """True while a worker of that database is built and not registered."""
    return (dsn, schema) in _unregistered


async def settle(dsn: str, schema: str) -> None:
    """Lets the registrations of the workers of that database end, starting those
    not started yet on the running loop; their failures are left to the workers."""
    workers = _unregistered.get((dsn, schema))
    if not workers:
        return
    loop = asyncio.get_running_loop()
    tasks = [w._start_registration(loop) for w in list(workers)]
    await asyncio.wait(tasks)
