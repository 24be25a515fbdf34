"""Pressure suite: the queue while the xmin horizon is pinned.

Two shapes, each on its own cluster: an offered 1,000 msg/s from a
rate-limited producer (4 consumers), and capacity (a producer keeps ~3,000
messages waiting, 8 consumers). Consumers dequeue 10 with 30 s leases and
archive what they got (fenced archive_batch). Phases:

  warmup -> baseline -> xid_holder (BEGIN; SELECT txid_current(); idle)
  -> after_xid_holder -> rr_snapshot (REPEATABLE READ, one query, idle)
  -> after_rr_snapshot [-> rr_readers (4 RR readers scanning) -> after_rr_readers: long mode]

Pins last 60 s in the short mode (in `make test`), 15 min in the long mode
(baseline and recoveries 5 min); PGQRS_PRESSURE_PIN_SECONDS and
PGQRS_PRESSURE_STEADY_SECONDS (baseline and recoveries) override them, and
PGQRS_PRESSURE_READERS=0 leaves out the active readers' phase (reported, not gated), and
PGQRS_PRESSURE_SHARED_BUFFERS sets the cluster's shared_buffers. Every
10 s a sample (pressure_sample) goes to out/pressure_<shape>.jsonl and .csv,
the report with the gates to out/pressure_<shape>.json (summarize.py prints it).
The producer stops after the last phase and the consumers drain the queue, so
every message must have been archived exactly once. Gates: pressure_gates.
"""
from __future__ import annotations

import csv
import json
import math
import os
import re
import statistics
import time
from dataclasses import dataclass

import pytest

from cluster import Cluster, long_mode, pick, results_dir
from pressure_gates import (GATES, always_checks, audited, frontier_checks,
                            frontier_gates_on, of_phase, pin_checks, rate)
from pressure_load import (ActiveReaders, BacklogProducer, Consumer, Ledger, OfferedProducer,
                           PassiveSnapshot, XidHolder)
from pressure_sample import COLUMNS, Sampler, WaitPoller, frontier_available

QUEUE = "pressure"
BATCH_SIZE = 10
LOCK_SECONDS = 30
SAMPLE_SECONDS = 10
SETTINGS = {"autovacuum_naptime": "'5s'"}


def server_settings() -> dict[str, str]:
    """SETTINGS, and shared_buffers from PGQRS_PRESSURE_SHARED_BUFFERS (e.g. 1GB;
    PostgreSQL's default of 128MB otherwise)."""
    size = os.environ.get("PGQRS_PRESSURE_SHARED_BUFFERS")
    if size is None:
        return SETTINGS
    if not re.fullmatch(r"[1-9][0-9]*(kB|MB|GB)", size):
        raise ValueError(f"PGQRS_PRESSURE_SHARED_BUFFERS must be a size such as 1GB, not {size!r}")
    return {**SETTINGS, "shared_buffers": f"'{size}'"}


@dataclass(frozen=True)
class Shape:
    kind: str          # "offered" or "capacity" (pressure_gates.pin_checks)
    consumers: int
    rate: float = 0    # offered: messages per second
    backlog: int = 0   # capacity: messages kept waiting

    def producer(self, dsn, ledger):
        if self.kind == "offered":
            return OfferedProducer(dsn, QUEUE, ledger, self.rate)
        return BacklogProducer(dsn, QUEUE, ledger, self.backlog)


SHAPES = {
    "offered_1000": Shape("offered", consumers=4, rate=1000),
    "capacity": Shape("capacity", consumers=8, backlog=3000),
}


def env_seconds(name: str) -> float | None:
    v = os.environ.get(name)
    if v is None:
        return None
    try:
        seconds = float(v)
    except ValueError:
        seconds = -1
    if not 0 < seconds <= 86400:
        raise ValueError(f"{name} must be a number of seconds in (0, 86400], not {v!r}")
    return seconds


def readers_phase() -> bool:
    v = os.environ.get("PGQRS_PRESSURE_READERS", "1")
    if v not in ("0", "1"):
        raise ValueError(f"PGQRS_PRESSURE_READERS must be 0 or 1, not {v!r}")
    return v == "1"


def phase_plan() -> list[tuple[str, float, type | None]]:
    pin = env_seconds("PGQRS_PRESSURE_PIN_SECONDS") or pick(60, 900)
    steady = env_seconds("PGQRS_PRESSURE_STEADY_SECONDS")
    baseline = steady or pick(20, 300)
    recovery = steady or pick(10, 300)
    plan = [("warmup", pick(5, 30), None), ("baseline", baseline, None),
            ("xid_holder", pin, XidHolder), ("after_xid_holder", recovery, None),
            ("rr_snapshot", pin, PassiveSnapshot), ("after_rr_snapshot", recovery, None)]
    if long_mode() and readers_phase():
        plan += [("rr_readers", pin, ActiveReaders), ("after_rr_readers", recovery, None)]
    return plan


@pytest.fixture
def cluster():
    c = Cluster("pressure", settings=server_settings())
    c.start()
    with c.connect() as conn:
        conn.execute("CREATE EXTENSION pgqrs")
        conn.execute("SELECT pgqrs.create_queue(%s, 1000000)", (QUEUE,))
    yield c
    c.destroy()


class Output:
    """The samples of a run as JSON lines and CSV, written as they come."""

    def __init__(self, shape: str):
        base = os.path.join(results_dir(), f"pressure_{shape}")
        self.jsonl = open(base + ".jsonl", "w")
        self.csv_file = open(base + ".csv", "w", newline="")
        self.csv = csv.DictWriter(self.csv_file, COLUMNS, extrasaction="ignore")
        self.csv.writeheader()
        self.report_path = base + ".json"

    def write(self, sample: dict) -> None:
        self.jsonl.write(json.dumps(sample) + "\n")
        self.jsonl.flush()
        self.csv.writerow(sample)
        self.csv_file.flush()

    def close(self) -> None:
        self.jsonl.close()
        self.csv_file.close()


def run_phases(cluster, plan, sampler, ledger, output):
    """Runs the plan, sampling every SAMPLE_SECONDS; returns the samples and, per
    phase, its monotonic start and end and its pin's report."""
    samples, spans = [], {}
    for name, length, pin_type in plan:
        pin = pin_type(cluster.dsn()) if pin_type else None
        start = time.monotonic()
        try:
            for k in range(1, math.ceil(length / SAMPLE_SECONDS) + 1):
                due = start + min(k * SAMPLE_SECONDS, length)
                while time.monotonic() < due and not ledger.errors:
                    time.sleep(min(0.5, max(0.0, due - time.monotonic())))
                sample = sampler.sample(name, start)
                samples.append(sample)
                output.write(sample)
                if ledger.errors:
                    return samples, spans
        finally:
            report = {}
            if pin:
                pin.stop()
                report = pin.report()
            spans[name] = {"start": start, "end": time.monotonic(), **report}
    return samples, spans


def drain(ledger, timeout):
    """Waits until everything enqueued is archived; returns the seconds it took."""
    start = time.monotonic()
    while ledger.archived_total < ledger.enqueued_total and not ledger.errors:
        if time.monotonic() - start > timeout:
            break
        time.sleep(0.1)
    return round(time.monotonic() - start, 1)


def recovery_seconds(per_second, start, end, target):
    """Seconds after start until two consecutive seconds average target archives."""
    for s in range(int(start) + 1, int(end) - 1):
        if (per_second.get(s, 0) + per_second.get(s + 1, 0)) / 2 >= target:
            return round(s - start, 1)
    return None


def phase_summary(samples, spans):
    out = {}
    audit_ids = audited(samples)
    for name, span in spans.items():
        ss = of_phase(samples, name)
        walks = [s["entries_read"] for s in ss if id(s) in audit_ids]
        epc = [s["entries_per_claim"] for s in ss if s["entries_per_claim"] is not None]
        p50 = [s["claim_p50_ms"] for s in ss if s["claim_p50_ms"] is not None]
        p99 = [s["claim_p99_ms"] for s in ss if s["claim_p99_ms"] is not None]
        lag = [s["frontier_lag_s"] for s in ss if isinstance(s["frontier_lag_s"], (int, float))]
        last = ss[-1] if ss else {}
        enq = sum(s["enqueued"] for s in ss)
        out[name] = {
            "seconds": round(span["end"] - span["start"], 1),
            "offered_per_s": round(enq / sum(s["dt"] for s in ss)) if ss else None,
            "archived_per_s": round(rate(ss)),
            "archived_per_s_min": min((s["archived_per_s"] for s in ss), default=None),
            "served": round(sum(s["archived"] for s in ss) / enq, 3) if enq else None,
            "entries_per_claim_median": round(statistics.median(epc), 1) if epc else None,
            "entries_per_claim_max": max(epc, default=None),
            "claim_p50_ms_median": round(statistics.median(p50), 2) if p50 else None,
            "claim_p99_ms_max": max(p99, default=None),
            "dead_tuples_end": last.get("dead_tuples"),
            "messages_mb_end": round(last.get("messages_bytes", 0) / 2**20, 1),
            "index_mb_end": round(last.get("index_bytes", 0) / 2**20, 1),
            "backlog_end": last.get("backlog"),
            "autovacuums": (last.get("autovacuum_count", 0) - ss[0]["autovacuum_count"]
                            if ss else None),
            "frontier_lag_s_max": max(lag) if lag else "n/a",
            # the periodic audit's claims from the start (not in the claim gates)
            "audits": len(walks),
            "audit_sample_entries_max": max(walks, default=None),
            **{k: v for k, v in span.items() if k not in ("start", "end")},
        }
    return out


def server_audit(cluster):
    with cluster.connect() as conn:
        conn.execute("SELECT pgqrs.verify()")
        return dict(zip(("left_in_queue", "archive_rows", "in_both"), conn.execute(
            "SELECT (SELECT count(*) FROM pgqrs.messages m JOIN pgqrs.queues q "
            "        ON q.id = m.queue_id WHERE q.queue_name = %(q)s), "
            "(SELECT count(*) FROM pgqrs.archive a JOIN pgqrs.queues q "
            "        ON q.id = a.queue_id WHERE q.queue_name = %(q)s AND NOT a.dead_letter), "
            "(SELECT count(*) FROM pgqrs.messages m JOIN pgqrs.archive a USING (id))",
            {"q": QUEUE}).fetchone()))


def print_report(shape, summary, checks, gates_on):
    print(f"\npressure {shape} (per phase; entries = claim-index entries read per claim):")
    print(f"  {'phase':18} {'s':>5} {'offered/s':>9} {'archived/s':>10} {'entries':>9} "
          f"{'entries max':>11} {'dead tuples':>11} {'p99 ms':>8}")
    for name, p in summary.items():
        print(f"  {name:18} {p['seconds']:5} {p['offered_per_s'] or 0:9} {p['archived_per_s']:10} "
              f"{p['entries_per_claim_median'] or 0:9} {p['entries_per_claim_max'] or 0:11} "
              f"{p['dead_tuples_end'] or 0:11} {p['claim_p99_ms_max'] or 0:8}")
    print(f"  gates (pin gates {'asserted' if gates_on else 'reported only'}):")
    for c in checks:
        print(f"    {'ok  ' if c['ok'] else 'FAIL'} {c['kind']:6} {c['phase']:12} {c['gate']}: "
              f"{c['value']} (limit {c['limit']})")


@pytest.mark.parametrize("shape", list(SHAPES))
def test_pressure(cluster, shape):
    spec = SHAPES[shape]
    mode = "long" if long_mode() else "short"
    gates_on = frontier_gates_on()
    plan = phase_plan()
    ledger = Ledger()
    producer = spec.producer(cluster.dsn(), ledger)
    consumers = [Consumer(cluster.dsn(), QUEUE, ledger, i, BATCH_SIZE, LOCK_SECONDS)
                 for i in range(spec.consumers)]
    monitor = cluster.connect()
    waits = WaitPoller(cluster.dsn())
    output = Output(shape)
    producer.start()
    waits.start()
    for c in consumers:
        c.start()
    try:
        sampler = Sampler(monitor, QUEUE, ledger, waits)
        samples, spans = run_phases(cluster, plan, sampler, ledger, output)
        producer.stop()
        drain_seconds = drain(ledger, pick(60, 600))
    finally:
        producer.stop()
        for c in consumers:
            c.stop()
        waits.stop()
        output.close()
    available = frontier_available(monitor)
    monitor.close()

    audit = {**ledger.audit(), **server_audit(cluster)}
    phases = [name for name, _, _ in plan]
    checks = [{**c, "kind": "always"} for c in always_checks(samples, phases, audit, ledger.errors)]
    checks.append({"gate": "server agrees: queue empty, archive = archived, none in both",
                   "phase": "run", "kind": "always",
                   "value": [audit["left_in_queue"], audit["archive_rows"], audit["in_both"]],
                   "limit": [0, audit["archived"], 0],
                   "ok": [audit["left_in_queue"], audit["archive_rows"], audit["in_both"]]
                   == [0, audit["archived"], 0]})
    pins = pin_checks(spec.kind, samples, GATES[mode])
    if gates_on or available:
        pins += frontier_checks(samples, available)
    checks += [{**c, "kind": "pin"} for c in pins]

    per_second = dict(ledger.per_second)
    base = [per_second.get(s, 0) for s in range(int(spans["baseline"]["start"]) + 1,
                                                int(spans["baseline"]["end"]))]
    target = 0.8 * statistics.median(base) if base else 0
    summary = phase_summary(samples, spans)
    claims = sum(s["claims"] for s in samples)
    calls = sum(s["dequeue_calls"] for s in samples)
    report = {
        "shape": shape, "mode": mode, "frontier_gates": gates_on,
        "frontier_stats": "sampled" if available else "n/a",
        "settings": {"kind": spec.kind, "consumers": spec.consumers, "offered_per_s": spec.rate,
                     "backlog": spec.backlog, "batch_size": BATCH_SIZE,
                     "lock_seconds": LOCK_SECONDS, "sample_seconds": SAMPLE_SECONDS,
                     "autovacuum_naptime": "5s", "machine_cores": os.cpu_count(),
                     "shared_buffers": os.environ.get("PGQRS_PRESSURE_SHARED_BUFFERS", "128MB"),
                     "gates": GATES[mode].__dict__},
        "phases": summary,
        "recovery_seconds_to_80pct": {
            name: recovery_seconds(per_second, spans[name]["start"], spans[name]["end"], target)
            for name in spans if name.startswith("after_")},
        # only dequeue scans the claim index: about 1 index scan per dequeue call
        "index_scans_per_dequeue_call": round(claims / calls, 3) if calls else None,
        "drain_seconds": drain_seconds,
        "audit": audit,
        "checks": checks,
    }
    with open(output.report_path, "w") as f:
        json.dump(report, f, indent=1)
    print_report(shape, summary, checks, gates_on)

    failed = [c for c in checks if not c["ok"] and (c["kind"] == "always" or gates_on)]
    assert not failed, "\n".join(f"{c['phase']}: {c['gate']}: {c['value']} (limit {c['limit']})"
                                 for c in failed) + f"\nclient errors: {ledger.errors[:5]}"
