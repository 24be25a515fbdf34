"""Waiting consumers against polling ones under batched producers (bench step
`waitbatch`): 16 consumers taking up to 64 messages a call, producers
enqueueing batches of 128 at a fixed rate, in two cells of the same run:

- wait: each consumer calls dequeue_wait (1 s waits) and archives what it got;
- poll: each consumer calls dequeue, archives, and sleeps 50 ms when it got nothing.

For each cell: messages archived per second during the cell, the backlog left,
and the entries of the claim index (messages_queue_vt_idx) read per archived
message, from pg_stat_user_indexes (counted when every backend has ended).
One JSON line per cell on stdout, as bench/run.py records them.

    .venv/bin/python bench/py/bench_wait_batched.py DSN [--seconds 8] [--rate 4000]

Runs on its own in about 2 × (seconds + 3) s; the queues it makes (wb_wait,
wb_poll) are deleted at the end. Server settings come from PGOPTIONS.
"""

from __future__ import annotations

import argparse
import json
import threading
import time

import psycopg

PAYLOAD = '{"k":"' + "v" * 54 + '"}'


def index_reads(dsn: str) -> tuple[int, int]:
    with psycopg.connect(dsn, autocommit=True) as c:
        return c.execute("SELECT idx_scan, idx_tup_read FROM pg_stat_user_indexes "
                         "WHERE indexrelname = 'messages_queue_vt_idx'").fetchone()


def consumer(dsn: str, queue: str, mode: str, a: argparse.Namespace, stop: threading.Event,
             counts: list[int], calls: list[int], i: int, conns: list) -> None:
    conn = psycopg.connect(dsn, autocommit=True)
    conns[i] = conn
    try:
        while not stop.is_set():
            if mode == "wait":
                rows = conn.execute("SELECT id FROM pgqrs.dequeue_wait(%s, %s, 30, NULL, 1)",
                                    (queue, a.batch)).fetchall()
            else:
                rows = conn.execute("SELECT id FROM pgqrs.dequeue(%s, %s, 30)", (queue, a.batch)).fetchall()
            calls[i] += 1
            if rows:
                conn.execute("SELECT count(*) FROM pgqrs.archive_batch(%s)", ([r[0] for r in rows],))
                if not stop.is_set():
                    counts[i] += len(rows)
            elif mode == "poll":
                time.sleep(a.poll_ms / 1000)
    except psycopg.errors.QueryCanceled:
        pass
    finally:
        conn.close()


def producer(dsn: str, queue: str, a: argparse.Namespace, stop: threading.Event, sent: list[int], share: float) -> None:
    conn = psycopg.connect(dsn, autocommit=True)
    batch = [PAYLOAD] * a.producer_batch
    interval = a.producer_batch / (a.rate * share)
    next_at = time.monotonic()
    while not stop.is_set():
        conn.execute("SELECT count(*) FROM pgqrs.enqueue_batch(%s, %s::jsonb[])", (queue, batch))
        sent[0] += a.producer_batch
        next_at += interval
        delay = next_at - time.monotonic()
        if delay > 0:
            time.sleep(delay)
    conn.close()


def cell(dsn: str, mode: str, a: argparse.Namespace) -> dict:
    queue = f"wb_{mode}"
    with psycopg.connect(dsn, autocommit=True) as c:
        c.execute("SELECT pgqrs.delete_queue(queue_name, true) FROM pgqrs.list_queues() WHERE queue_name = %s",
                  (queue,))
        c.execute("SELECT pgqrs.create_queue(%s)", (queue,))
        c.execute("VACUUM ANALYZE pgqrs.messages")
    scans0, reads0 = index_reads(dsn)
    stop, pstop = threading.Event(), threading.Event()
    counts, calls, conns = [0] * a.consumers, [0] * a.consumers, [None] * a.consumers
    threads = [threading.Thread(target=consumer, args=(dsn, queue, mode, a, stop, counts, calls, i, conns))
               for i in range(a.consumers)]
    for t in threads:
        t.start()
    time.sleep(1)   # consumers connected and waiting
    sent = [0]
    producers = [threading.Thread(target=producer, args=(dsn, queue, a, pstop, sent, 1 / a.producers))
                 for _ in range(a.producers)]
    t0 = time.monotonic()
    for p in producers:
        p.start()
    time.sleep(a.seconds)
    pstop.set()
    stop.set()
    done = sum(counts)
    elapsed = time.monotonic() - t0
    for p in producers:
        p.join()
    for c in conns:
        if c is not None:
            c.cancel()
    for t in threads:
        t.join()
    time.sleep(0.5)   # the backends' counters reach pg_stat when they exit
    scans1, reads1 = index_reads(dsn)
    with psycopg.connect(dsn, autocommit=True) as c:
        left = c.execute("SELECT count(*) FROM pgqrs.messages m JOIN pgqrs.queues q ON q.id = m.queue_id "
                         "WHERE q.queue_name = %s", (queue,)).fetchone()[0]
        archived = c.execute("SELECT count(*) FROM pgqrs.archive a JOIN pgqrs.queues q ON q.id = a.queue_id "
                             "WHERE q.queue_name = %s", (queue,)).fetchone()[0]
        c.execute("SELECT pgqrs.delete_queue(%s, true)", (queue,))
    return {"scenario": "waitbatch", "layer": "sql", "system": f"pgqrs {mode}",
            "params": {"consumers": a.consumers, "batch": a.batch, "producer_batch": a.producer_batch,
                       "rate": a.rate, "mode": mode},
            "msgs": done, "seconds": round(elapsed, 3), "msgs_per_s": round(done / elapsed, 1),
            "sent": sent[0], "backlog": left, "msgs_per_call": round(done / max(sum(calls), 1), 1),
            "index_entries_per_msg": round((reads1 - reads0) / max(archived, 1), 2)}


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("dsn")
    ap.add_argument("--seconds", type=float, default=8)
    ap.add_argument("--consumers", type=int, default=16)
    ap.add_argument("--batch", type=int, default=64)
    ap.add_argument("--producers", type=int, default=2)
    ap.add_argument("--producer-batch", type=int, default=128)
    ap.add_argument("--rate", type=int, default=4000, help="messages per second, all producers together")
    ap.add_argument("--poll-ms", type=int, default=50)
    ap.add_argument("--modes", default="poll,wait")
    a = ap.parse_args()
    for mode in a.modes.split(","):
        print(json.dumps(cell(a.dsn, mode, a)), flush=True)


if __name__ == "__main__":
    main()
