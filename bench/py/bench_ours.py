"""The Python layer of the benchmark: the canon's scenarios through this
repository's async ``pgqrs`` package, one JSON line per cell on stdout.

    .venv/bin/python bench/py/bench_ours.py DSN MODE QUEUE [options]

MODE: enqueue (S1: --producers N sequential loops, one Producer each),
concurrent (S1: --coroutines N sharing one Producer of --max-connections M), batch (S2: --batch B),
drain (S3: --consumers N --batch B until the queue is empty or --seconds pass),
latency (S4: --rate R for --seconds, --consumers C in dequeue_wait).
--loop uvloop runs it on uvloop instead of the standard asyncio loop.
Server settings such as synchronous_commit come from PGOPTIONS (libpq).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import sys
import time

from pgqrs import Consumer, Producer

PAYLOAD = {"k": "v" * 54}  # the ~60 B object of the pgbench scripts
LAYER, SYSTEM = "python", "pgqrs"


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


def ports() -> int:
    return random.randint(20000, 60000)


async def enqueue(a: argparse.Namespace) -> None:
    base = ports()
    producers = [Producer(a.dsn, a.queue, "bench-py", base + i, heartbeat_interval=None)
                 for i in range(a.producers)]
    for p in producers:
        await p.enqueue(PAYLOAD)  # connect and register outside the timing
    lat: list[float] = []
    end = time.perf_counter() + a.seconds
    counts = [0] * len(producers)

    async def loop(i: int, p: Producer) -> None:
        now = time.perf_counter()
        while now < end:
            await p.enqueue(PAYLOAD)
            after = time.perf_counter()
            lat.append((after - now) * 1e6)
            now = after
            counts[i] += 1

    t0 = time.perf_counter()
    await asyncio.gather(*(loop(i, p) for i, p in enumerate(producers)))
    el = time.perf_counter() - t0
    for p in producers:
        await p.close()
    emit("S1", {"producers": a.producers, "mode": "sequential loop"}, sum(counts), el, **pcts(lat, "us"))


async def concurrent(a: argparse.Namespace) -> None:
    p = Producer(a.dsn, a.queue, "bench-py", ports(), heartbeat_interval=None, max_connections=a.max_connections)
    await p.enqueue(PAYLOAD)
    lat: list[float] = []
    end = time.perf_counter() + a.seconds
    count = 0

    async def loop() -> None:
        nonlocal count
        now = time.perf_counter()
        while now < end:
            await p.enqueue(PAYLOAD)
            after = time.perf_counter()
            lat.append((after - now) * 1e6)
            now = after
            count += 1

    t0 = time.perf_counter()
    await asyncio.gather(*(loop() for _ in range(a.coroutines)))
    el = time.perf_counter() - t0
    await p.close()
    emit("S1", {"producers": 1, "coroutines": a.coroutines, "max_connections": a.max_connections,
                "mode": "coroutines sharing one Producer"},
         count, el, **pcts(lat, "us"))


async def batch(a: argparse.Namespace) -> None:
    base = ports()
    producers = [Producer(a.dsn, a.queue, "bench-py", base + i, heartbeat_interval=None)
                 for i in range(a.producers)]
    for p in producers:
        await p.enqueue(PAYLOAD)
    body = [PAYLOAD] * a.batch
    lat: list[float] = []
    end = time.perf_counter() + a.seconds
    counts = [0] * len(producers)

    async def loop(i: int, p: Producer) -> None:
        now = time.perf_counter()
        while now < end:
            counts[i] += len(await p.enqueue_batch(body))
            after = time.perf_counter()
            lat.append((after - now) * 1e6)
            now = after

    t0 = time.perf_counter()
    await asyncio.gather(*(loop(i, p) for i, p in enumerate(producers)))
    el = time.perf_counter() - t0
    for p in producers:
        await p.close()
    emit("S2", {"producers": a.producers, "batch": a.batch}, sum(counts), el, **pcts(lat, "us"))


async def drain(a: argparse.Namespace) -> None:
    base = ports()
    consumers = [Consumer(a.dsn, a.queue, "bench-py", base + i, heartbeat_interval=None)
                 for i in range(a.consumers)]
    for c in consumers:
        await c.heartbeat()  # connect and register outside the timing
    lat: list[float] = []
    counts = [0] * len(consumers)
    deadline = time.perf_counter() + a.seconds
    ends = [0.0] * len(consumers)

    async def loop(i: int, c: Consumer) -> None:
        while True:
            t1 = time.perf_counter()
            if t1 >= deadline:
                break
            msgs = await c.dequeue(a.batch, 30)
            if not msgs:
                break
            if a.batch == 1:
                await c.archive(msgs[0].id)
            else:
                await c.archive_batch([m.id for m in msgs])
            lat.append((time.perf_counter() - t1) * 1e6)
            counts[i] += len(msgs)
        ends[i] = time.perf_counter()

    t0 = time.perf_counter()
    await asyncio.gather(*(loop(i, c) for i, c in enumerate(consumers)))
    el = max(ends) - t0
    for c in consumers:
        await c.close()
    emit("S3", {"consumers": a.consumers, "batch": a.batch}, sum(counts), el, **pcts(lat, "us"))


async def latency(a: argparse.Namespace) -> None:
    base = ports()
    consumers = [Consumer(a.dsn, a.queue, "bench-py", base + 100 + i, heartbeat_interval=None)
                 for i in range(a.consumers)]
    for c in consumers:
        await c.heartbeat()
    lat: list[float] = []
    stop = False

    async def consume(c: Consumer) -> None:
        while not stop:
            msgs = await c.dequeue_wait(a.batch, 30, 1)
            now = time.time()
            for m in msgs:
                t = m.payload.get("t")
                if t is not None:
                    lat.append((now - t) * 1e3)
            if len(msgs) == 1:
                await c.archive(msgs[0].id)
            elif msgs:
                await c.archive_batch([m.id for m in msgs])

    tasks = [asyncio.create_task(consume(c)) for c in consumers]
    await asyncio.sleep(0.3)
    p = Producer(a.dsn, a.queue, "bench-py", base, heartbeat_interval=None)
    await p.heartbeat()
    total = int(a.rate * a.seconds)
    t0 = time.perf_counter()
    late = 0
    for i in range(total):
        due = t0 + i / a.rate
        now = time.perf_counter()
        if now < due:
            await asyncio.sleep(due - now)
        elif now - due > 0.01:
            late += 1
        await p.enqueue({"t": time.time(), "pad": "v" * 34})
    el = time.perf_counter() - t0
    await asyncio.sleep(1.5)
    stop = True
    await asyncio.gather(*tasks)
    for c in consumers:
        await c.close()
    await p.close()
    emit("S4", {"rate": a.rate, "consumers": a.consumers, "batch": a.batch}, total, el,
         received=len(lat), sends_late_10ms=late, **pcts(lat, "ms"))


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("dsn")
    ap.add_argument("mode", choices=["enqueue", "concurrent", "batch", "drain", "latency"])
    ap.add_argument("queue")
    ap.add_argument("--producers", type=int, default=1)
    ap.add_argument("--coroutines", type=int, default=100)
    ap.add_argument("--max-connections", type=int, default=1)
    ap.add_argument("--consumers", type=int, default=1)
    ap.add_argument("--batch", type=int, default=1)
    ap.add_argument("--seconds", type=float, default=5)
    ap.add_argument("--rate", type=int, default=1000)
    ap.add_argument("--loop", choices=["asyncio", "uvloop"], default="asyncio")
    a = ap.parse_args()
    fn = {"enqueue": enqueue, "concurrent": concurrent, "batch": batch, "drain": drain, "latency": latency}[a.mode]
    if a.loop == "uvloop":
        global SYSTEM
        import uvloop

        SYSTEM = "pgqrs on uvloop"
        uvloop.run(fn(a))
    else:
        asyncio.run(fn(a))


if __name__ == "__main__":
    sys.exit(main())
