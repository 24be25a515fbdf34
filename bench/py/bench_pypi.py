"""The peer of the Python layer: pgqrs 0.15 from PyPI (Rust/PyO3), the system
this project reimplements, driven through its own API on a database of its own.
Runs only in its own virtual environment (bench/.venv-pgqrs-pypi): the package
has the same name as ours. One JSON line per cell on stdout.

    bench/.venv-pgqrs-pypi/bin/python bench/py/bench_pypi.py DSN MODE QUEUE [options]

MODE: install (its Admin.install, once), fill (--messages N), enqueue (S1:
--producers N loops), batch (S2: produce_batch of --batch), drain (S3:
--consumers N --batch B until the queue is empty or --seconds pass).
Its driver does not read PGOPTIONS: bench/run.py sets synchronous_commit on the
database (ALTER DATABASE) instead.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sys
import time

import pgqrs

PAYLOAD = {"k": "v" * 54}
LAYER, SYSTEM = "python", "pgqrs-pypi"


def pcts(values: list[float], unit: str) -> dict[str, object]:
    v = sorted(values)
    if not v:
        return {"unit": unit, "p50": 0.0, "p95": 0.0, "p99": 0.0, "max": 0.0}

    def p(q: float) -> float:
        return round(v[min(len(v) - 1, int(q / 100 * (len(v) - 1) + 0.5))], 3)

    return {"unit": unit, "p50": p(50), "p95": p(95), "p99": p(99), "max": round(v[-1], 3)}


def emit(scenario: str, params: dict[str, object], msgs: int, seconds: float, **extra: object) -> None:
    row = {"scenario": scenario, "layer": LAYER, "system": SYSTEM, "params": params, "msgs": msgs,
           "seconds": round(seconds, 3), "msgs_per_s": round(msgs / seconds, 1) if seconds > 0 else 0.0}
    row.update(extra)
    print(json.dumps(row), flush=True)


async def store_for(dsn: str):  # type: ignore[no-untyped-def]
    cfg = pgqrs.Config.from_dsn(dsn)
    cfg.max_enqueue_per_second = None  # its default rate limit (1,000/s) would cap the bench
    cfg.max_connections = 16
    return await pgqrs.connect_with(cfg)


async def main(a: argparse.Namespace) -> None:
    store = await store_for(a.dsn)
    if a.mode == "install":
        await pgqrs.admin(store).install()
        return
    try:
        await store.queue(a.queue)  # creates the queue
    except pgqrs.QueueAlreadyExistsError:
        pass
    if a.mode == "fill":
        left = a.messages
        while left > 0:
            n = min(left, 1000)
            await pgqrs.produce_batch(store, a.queue, [PAYLOAD] * n)
            left -= n
        return

    lat: list[float] = []
    if a.mode in ("enqueue", "batch"):
        producers = [await store.producer(a.queue) for _ in range(a.producers)]
        counts = [0] * len(producers)
        end = time.perf_counter() + a.seconds
        body = [PAYLOAD] * a.batch

        async def loop(i: int, p) -> None:  # type: ignore[no-untyped-def]
            now = time.perf_counter()
            while now < end:
                if a.mode == "enqueue":
                    await p.enqueue(PAYLOAD)
                    counts[i] += 1
                else:
                    counts[i] += len(await pgqrs.produce_batch(store, a.queue, body))
                after = time.perf_counter()
                lat.append((after - now) * 1e6)
                now = after

        t0 = time.perf_counter()
        await asyncio.gather(*(loop(i, p) for i, p in enumerate(producers)))
        el = time.perf_counter() - t0
        if a.mode == "enqueue":
            emit("S1", {"producers": a.producers, "mode": "sequential loop"}, sum(counts), el, **pcts(lat, "us"))
        else:
            emit("S2", {"producers": a.producers, "batch": a.batch}, sum(counts), el, **pcts(lat, "us"))
        return

    if a.mode == "drain":
        consumers = [await store.consumer(a.queue) for _ in range(a.consumers)]
        counts = [0] * len(consumers)
        ends = [0.0] * len(consumers)
        deadline = time.perf_counter() + a.seconds

        async def drain(i: int, c) -> None:  # type: ignore[no-untyped-def]
            while True:
                t1 = time.perf_counter()
                if t1 >= deadline:
                    break
                msgs = await c.dequeue(batch_size=a.batch)
                if not msgs:
                    break
                if a.batch == 1:
                    await c.archive(msgs[0].id)
                else:
                    await c.archive_many([m.id for m in msgs])
                lat.append((time.perf_counter() - t1) * 1e6)
                counts[i] += len(msgs)
            ends[i] = time.perf_counter()

        t0 = time.perf_counter()
        await asyncio.gather(*(drain(i, c) for i, c in enumerate(consumers)))
        emit("S3", {"consumers": a.consumers, "batch": a.batch}, sum(counts), max(ends) - t0, **pcts(lat, "us"))


if __name__ == "__main__":
    ap = argparse.ArgumentParser()
    ap.add_argument("dsn")
    ap.add_argument("mode", choices=["install", "fill", "enqueue", "batch", "drain"])
    ap.add_argument("queue", nargs="?", default="bench")
    ap.add_argument("--producers", type=int, default=1)
    ap.add_argument("--consumers", type=int, default=1)
    ap.add_argument("--batch", type=int, default=1)
    ap.add_argument("--seconds", type=float, default=5)
    ap.add_argument("--messages", type=int, default=0)
    asyncio.run(main(ap.parse_args()))
    sys.stdout.flush()
    # the extension module's runtime can crash while the interpreter finalizes
    # (PyGILState_Release); all work is done and reported by now
    os._exit(0)
