"""The limit at the Python layer: the statement pgqrs' Producer sends for one
enqueue, awaited in a loop on one connection by general-purpose asyncio drivers
(asyncpg, psycopg), on the standard asyncio loop. One JSON line on stdout.

    .venv/bin/python bench/py/bench_drivers.py DSN DRIVER QUEUE --seconds T

DRIVER: asyncpg or psycopg. The statement is prepared once, as the pgqrs clients do.
Server settings such as synchronous_commit come from PGOPTIONS (libpq and asyncpg
both read it).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import re
import time
from collections.abc import Awaitable, Callable

PAYLOAD = json.dumps({"k": "v" * 54}, separators=(",", ":"))
ENQUEUE = "SELECT pgqrs.enqueue($1, $2::jsonb, 0, $3)"
REGISTER = "SELECT id FROM pgqrs.register_worker($1, $2, $3)"


def server_settings() -> dict[str, str]:
    """PGOPTIONS' "-c name=value" pairs (asyncpg ignores PGOPTIONS)."""
    parts = os.environ.get("PGOPTIONS", "").split()
    return dict(p.split("=", 1) for p in parts if "=" in p)


def psycopg_placeholders(sql: str) -> str:
    """$1, $2, ... as psycopg's %s."""
    return re.sub(r"\$\d+", "%s", sql)


async def asyncpg_call(dsn: str, queue: str) -> tuple[Callable[[], Awaitable[object]], Callable[[], Awaitable[None]]]:
    import asyncpg

    conn = await asyncpg.connect(dsn, server_settings=server_settings())
    worker = await conn.fetchval(REGISTER, "bench-asyncpg", random.randint(20000, 60000), queue)
    statement = await conn.prepare(ENQUEUE)
    return (lambda: statement.fetchval(queue, PAYLOAD, worker)), conn.close


async def psycopg_call(dsn: str, queue: str) -> tuple[Callable[[], Awaitable[object]], Callable[[], Awaitable[None]]]:
    import psycopg

    conn = await psycopg.AsyncConnection.connect(dsn, autocommit=True, prepare_threshold=0)
    cur = await conn.execute(psycopg_placeholders(REGISTER), ("bench-psycopg", random.randint(20000, 60000), queue))
    row = await cur.fetchone()
    assert row is not None
    worker = row[0]
    sql = psycopg_placeholders(ENQUEUE)

    async def call() -> object:
        cur = await conn.execute(sql, (queue, PAYLOAD, worker))
        return await cur.fetchone()

    return call, conn.close


async def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("dsn")
    ap.add_argument("driver", choices=("asyncpg", "psycopg"))
    ap.add_argument("queue")
    ap.add_argument("--seconds", type=float, default=5)
    a = ap.parse_args()
    call, close = await (asyncpg_call if a.driver == "asyncpg" else psycopg_call)(a.dsn, a.queue)
    await call()  # prepared outside the timing
    count = 0
    t0 = now = time.perf_counter()
    end = t0 + a.seconds
    while now < end:
        await call()
        now = time.perf_counter()
        count += 1
    elapsed = now - t0
    await close()
    print(json.dumps({"scenario": "S1", "layer": "python", "system": f"limit: {a.driver} (same SQL)",
                      "params": {"producers": 1, "mode": "sequential loop"}, "msgs": count,
                      "seconds": round(elapsed, 3), "msgs_per_s": round(count / elapsed, 1)}), flush=True)


if __name__ == "__main__":
    asyncio.run(main())
