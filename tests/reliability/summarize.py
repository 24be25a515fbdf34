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

pressure = load("pressure.json")
if pressure:
    print("\n## Pressure (report)\n")
    print("| phase | seconds | archived/s | dead tuples in messages at end |")
    print("|---|---|---|---|")
    for phase, rate in pressure["throughput_per_s"].items():
        dead = pressure["dead_tuples_at_phase_end"].get(phase, {}).get("messages_dead", "?")
        print(f"| {phase} | {pressure['phase_seconds'].get(phase)} | {rate} | {dead} |")
    print(f"\nRecovery to 80 % of the baseline (s): {pressure['recovery_seconds']}. "
          f"Settings: {pressure['settings']}.")

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
