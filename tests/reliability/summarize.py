"""Prints the figures of the last run (out/*.json) as Markdown, for docs/reliability.md.

    .venv/bin/python tests/reliability/summarize.py [OUT_DIR]
"""
import datetime
import json
import os
import subprocess
import sys

here = os.path.dirname(os.path.abspath(__file__))
out = sys.argv[1] if len(sys.argv) > 1 else os.path.join(here, "out")


def load(name):
    path = os.path.join(out, name)
    if not os.path.exists(path):
        return None
    with open(path) as f:
        return json.load(f)


def pg_version():
    try:
        return subprocess.check_output(["pg_config", "--version"], text=True).strip()
    except OSError:
        return "?"


print(f"- date: {datetime.date.today().isoformat()}")
print(f"- machine: {os.cpu_count()} cores, {pg_version()}")

crash = load("crash_audit.json")
if crash:
    print("\n## Crash audit\n")
    print("| crashes | backend kill -9 | postmaster kill -9 + restart | acknowledged ids | "
          "in doubt (committed) | archived (acknowledged) | redelivered after | lost | doubled |")
    print("|---|---|---|---|---|---|---|---|---|")
    print(f"| {crash['crashes']} | {crash['backend_kills']} | {crash['postmaster_kills']} | "
          f"{crash['acknowledged']} | {crash['in_doubt']} ({crash['in_doubt_committed']}) | "
          f"{crash['archived_acknowledged']} | {crash['redelivered']} | 0 | 0 |")

delivery = load("delivery_audit.json")
if delivery:
    print("\n## Delivery audit (8 consumers)\n")
    print("| run | messages | lease | seconds | messages/s | deliveries | redeliveries | "
          "late archives refused |")
    print("|---|---|---|---|---|---|---|---|")
    for name, r in delivery.items():
        print(f"| {name} | {r['messages']} | {r['lock_seconds']} s | {r['seconds']} | "
              f"{r['per_second']} | {r['deliveries']} | {r['redeliveries']} | "
              f"{r['refused_archives']} |")

for shape in ("offered_1000", "capacity"):
    pressure = load(f"pressure_{shape}.json")
    if not pressure:
        continue
    st = pressure["settings"]
    print(f"\n## Pressure: {shape} ({pressure['mode']} mode)\n")
    print(f"{st['consumers']} consumers (dequeue {st['batch_size']}, {st['lock_seconds']} s leases, "
          f"fenced archive_batch), "
          + (f"offered {st['offered_per_s']:.0f} msg/s" if st["kind"] == "offered"
             else f"backlog kept at {st['backlog']}")
          + f"; frontier stats: {pressure['frontier_stats']}; index scans per dequeue call: "
          f"{pressure['index_scans_per_dequeue_call']}.\n")
    print("| phase | s | offered/s | archived/s | min archived/s (10 s) | entries/claim median | "
          "entries/claim max | claim p50 ms | claim p99 ms max | dead tuples at end | "
          "messages MB | index MB | autovacuums | frontier lag max (s) | "
          "audits (entries read in their 10 s, max) |")
    print("|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|")
    for phase, p in pressure["phases"].items():
        print(f"| {phase} | {p['seconds']} | {p['offered_per_s']} | {p['archived_per_s']} | "
              f"{p['archived_per_s_min']} | {p['entries_per_claim_median']} | "
              f"{p['entries_per_claim_max']} | {p['claim_p50_ms_median']} | "
              f"{p['claim_p99_ms_max']} | {p['dead_tuples_end']} | {p['messages_mb_end']} | "
              f"{p['index_mb_end']} | {p['autovacuums']} | {p['frontier_lag_s_max']} | "
              f"{p.get('audits', 'n/a')} ({p.get('audit_sample_entries_max')}) |")
    a = pressure["audit"]
    print(f"\nAudit after the final drain: {a['enqueued']} enqueued, {a['archived']} archived, "
          f"{a['lost']} lost, {a['redelivered'] + a['archived_twice']} doubled. "
          f"Recovery to 80 % of the baseline (s): {pressure['recovery_seconds_to_80pct']}.\n")
    readers = pressure["phases"].get("rr_readers")
    if readers:
        print(f"Active readers (reported, not gated): {readers['reader_scans']} scans of both "
              f"tables, median {readers['reader_scan_ms_median']} ms, "
              f"longest {readers['reader_scan_ms_max']} ms.\n")
    gated = "asserted" if pressure["frontier_gates"] else "reported, not asserted"
    print(f"| gate | kind | phase | value | limit | result |")
    print("|---|---|---|---|---|---|")
    for c in pressure["checks"]:
        kind = "always" if c["kind"] == "always" else f"pin ({gated})"
        print(f"| {c['gate']} | {kind} | {c['phase']} | {c['value']} | {c['limit']} | "
              f"{'pass' if c['ok'] else 'FAIL'} |")

fuzz = load("fuzz.json")
if fuzz:
    print("\n## Fuzz\n")
    print(f"{fuzz['calls']} calls of {fuzz['functions']} functions in {fuzz['seconds']} s "
          f"({fuzz['calls_per_second']}/s), seed {fuzz['seed']}: {fuzz['ok']} results, "
          f"{fuzz['errors']} errors, no crash, no internal error.\n")
    print("| SQLSTATE | calls |")
    print("|---|---|")
    for state, n in fuzz["sqlstates"].items():
        print(f"| {state} | {n} |")
