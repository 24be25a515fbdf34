"""Writes bench/results/REPORT.md and the plots from bench/results/latest.jsonl
and meta.json (bench/run.py calls it at the end; it can be rerun alone):

    .venv/bin/python bench/report.py
"""

from __future__ import annotations

import json
from collections import defaultdict
from pathlib import Path
from statistics import mean

RESULTS = Path(__file__).resolve().parent / "results"


# the rows of client/bench/enqueue_bench (reported in their own table)
BENCH_MODES = ("blocking enqueue loop", "pipelined enqueues", "pipelined, one commit")


def load() -> tuple[list[dict], dict]:
    rows = [json.loads(l) for l in (RESULTS / "latest.jsonl").read_text().splitlines() if l.strip()]
    meta = json.loads((RESULTS / "meta.json").read_text())
    return rows, meta


def pick(rows: list[dict], scenario: str, layer: str | None = None, system: str | None = None, **params) -> list[dict]:
    out = []
    for r in rows:
        if r["scenario"] != scenario or (layer and r["layer"] != layer) or (system and r["system"] != system):
            continue
        if all(r["params"].get(k) == v for k, v in params.items()):
            out.append(r)
    return out


def rate(rows: list[dict], scenario: str, layer: str | None = None, system: str | None = None, **params) -> float | None:
    sel = pick(rows, scenario, layer, system, **params)
    return mean(r["msgs_per_s"] for r in sel) if sel else None


def f(v: float | None, digits: int = 0) -> str:
    if v is None:
        return "–"
    return f"{v:,.{digits}f}"


def ratio(a: float | None, b: float | None) -> str:
    return f"{a / b:.2f}" if a and b else "–"


def lat(r: dict) -> str:
    if "p50" not in r:
        return "–"
    u = r.get("unit", "")
    if u == "us":
        return f"{r['p50'] / 1000:.2f} / {r['p95'] / 1000:.2f} / {r['p99'] / 1000:.2f}"
    return f"{r['p50']:.2f} / {r['p95']:.2f} / {r['p99']:.2f}"


def mean_of_rounds(rows: list[dict]) -> dict:
    """One row for the rounds of a cell: mean rate, mean of each latency percentile."""
    out = dict(rows[0])
    out["msgs_per_s"] = mean(r["msgs_per_s"] for r in rows)
    for k in ("p50", "p95", "p99"):
        if all(k in r for r in rows):
            out[k] = mean(r[k] for r in rows)
    return out


def table(header: list[str], body: list[list[str]]) -> str:
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(row) + " |" for row in body]
    return "\n".join(lines) + "\n"


def at_least(a: float | None, b: float | None, r: float) -> bool | None:
    """a / b >= r, or None when either is missing."""
    return None if not a or not b else a / b >= r


def verdict(ok: bool | None) -> str:
    return "–" if ok is None else ("**met**" if ok else "**MISSED**")


def main() -> None:
    rows, meta = load()
    md: list[str] = []
    pgs = meta["pg"]
    md.append("# pgqrs benchmark report\n")
    md.append(f"{meta['date']}, `{meta['mode']}` mode (`make bench{'-quick' if meta['mode'] == 'quick' else ''}`),"
              f" {meta.get('duration_min', '?')} min. Machine: {meta['nproc']} cores ({meta['cpu']}),"
              f" {meta['mem_gb']} GB, Linux {meta['kernel']}; shared with other work, so every cell runs its"
              f" systems back to back and the ratios are the figures to trust.\n")
    md.append(f"PostgreSQL {pgs['server_version']}, one throwaway cluster for all systems: "
              + ", ".join(f"{k} = {v}" for k, v in pgs.items() if k != "server_version") + ".\n")
    cfg = meta["cfg"]
    md.append(f"Cells: S1 {cfg['seconds']} s each, in {cfg.get('rounds', 1)} interleaved rounds (rates are the mean "
              f"of the rounds); S2 {cfg['seconds']} s each; S3 drains a {cfg['backlog']:,} backlog until empty or "
              f"{cfg['drain_seconds']} s (SQL layer: pgbench -t, batch 1 capped at {cfg['sql_drain1_cap']:,} msgs); "
              f"S4 {cfg['latency_seconds']} s at 1,000 msg/s; payload ~60 B JSON object. Latency columns are "
              f"p50 / p95 / p99 in ms (per call for throughput cells, enqueue→dequeue for S4). "
              f"Raw rows: `latest.jsonl`.\n")
    md.append("Layers: **sql** = pgbench -M prepared calling the extension's functions (no client overhead); "
              "**cpp** = the C++ client (`bench/cpp/pgqrs_bench.cpp`, one connection per thread); "
              "**python** = the asyncio package (`bench/py/bench_ours.py`). Peers: the limit (`SELECT 1`, bare "
              "`INSERT ... RETURNING id` and a bare `FOR UPDATE SKIP LOCKED` claim + move on tables of the same "
              "shape), PgQ (`pgq.insert_event`), pgqrs 0.15.3 from PyPI (Rust/PyO3, its own database on the same "
              "server, `bench/py/bench_pypi.py`).\n")

    # ---- targets ----
    targets: list[list[str]] = []

    def target(name: str, measured: str, ok: bool | None) -> None:
        targets.append([name, measured, verdict(ok)])

    w0 = rate(rows, "S1", "cpp", test="waiters", waiters=0, pinned=True)
    w8s = rate(rows, "S1", "cpp", test="waiters", waiters=8, waiters_on="same queue", pinned=True)
    w8o = rate(rows, "S1", "cpp", test="waiters", waiters=8, waiters_on="other queue", pinned=True)
    u0 = rate(rows, "S1", "cpp", test="waiters", waiters=0, pinned=None)
    u8s = rate(rows, "S1", "cpp", test="waiters", waiters=8, waiters_on="same queue", pinned=None)
    if w0:
        target("S1 enqueue with 8 consumers in dequeue_wait on the queue ≥ 95% of none (C++, 1 producer, sync off; "
               "the waiters take and archive every message on their own CPU: the cost of waiting to the producer)",
               f"{f(w8s)} vs {f(w0)} msg/s = {ratio(w8s, w0)}", at_least(w8s, w0, 0.95))
        target("… the same with the 8 waiters idle on another queue (the bookkeeping cost alone)",
               f"{f(w8o)} vs {f(w0)} msg/s = {ratio(w8o, w0)}", at_least(w8o, w0, 0.95))
    if u0:
        target("(for reference, not a target) 8 waiters on the queue sharing the 2 CPUs with the producer: "
               "their dequeue + archive per message takes the producer's CPU", f"{f(u8s)} vs {f(u0)} msg/s = "
               f"{ratio(u8s, u0)}", None)
    wk = {r["params"]["waiters"]: r for r in pick(rows, "wake")}
    if 1 in wk and 8 in wk:
        a, b = wk[1]["claim_scans_per_msg"], wk[8]["claim_scans_per_msg"]
        target("wake-one: claim scans per message with 8 waiters ≈ with 1 (ratio ≤ 1.25; wake-all would add ~7)",
               f"{b:.2f} vs {a:.2f} scans/msg = {b / a if a else 0:.2f}×; extra {b - a:+.2f} per message; "
               f"empty returns {wk[8]['empty_returns']}", bool(a and b / a <= 1.25))
    for sync in ("off", "on"):
        sql_c = rate(rows, "S1", "sql", "pgqrs (client SQL)", producers=1, sync=sync)
        c1 = rate([r for r in rows if "test" not in r["params"]], "S1", "cpp", "pgqrs", producers=1, sync=sync, waiters=0)
        target(f"C++ blocking Producer::enqueue loop ≥ 70% of pgbench, same SQL, 1 connection, sync {sync}",
               f"{f(c1)} vs {f(sql_c)} msg/s = {ratio(c1, sql_c)}", at_least(c1, sql_c, 0.7) if sync == "off" else None)
        p1 = rate(rows, "S1", "python", "pgqrs", producers=1, sync=sync, mode="sequential loop")
        target(f"Python: one Producer awaiting enqueue in a loop ≥ 70% of pgbench, same SQL, sync {sync}",
               f"{f(p1)} vs {f(sql_c)} msg/s = {ratio(p1, sql_c)}", at_least(p1, sql_c, 0.7))
        refs = [(name, rate(rows, "S1", "python", system, producers=1, sync=sync))
                for name, system in (("asyncpg", "limit: asyncpg (same SQL)"), ("psycopg", "limit: psycopg (same SQL)"),
                                     ("pgqrs on uvloop", "pgqrs on uvloop"))]
        if any(v for _, v in refs):
            target(f"(for reference, not a target) the same awaited loop, same SQL, sync {sync}, through: "
                   + ", ".join(f"{name} {f(v)} msg/s = {ratio(v, sql_c)}" for name, v in refs), "of pgbench", None)
        pc = rate(rows, "S1", "python", "pgqrs", sync=sync, coroutines=100, max_connections=1)
        pc8 = rate(rows, "S1", "python", "pgqrs", sync=sync, coroutines=100, max_connections=8)
        best = max(pc or 0, pc8 or 0) or None
        target(f"Python: 100 coroutines sharing one Producer ≥ 3× the sequential loop, sync {sync}",
               f"one connection {f(pc)} msg/s = {ratio(pc, p1)}×; max_connections=8 {f(pc8)} msg/s = "
               f"{ratio(pc8, p1)}× (loop {f(p1)} msg/s)", at_least(best, p1, 3))
        pp = rate(rows, "S1", "python", "pgqrs-pypi", producers=1, sync=sync)
        target(f"Python vs pgqrs from PyPI, enqueue (1 producer) ≥ 5×, sync {sync}",
               f"{f(p1)} vs {f(pp)} msg/s = {ratio(p1, pp)}×", at_least(p1, pp, 5))
        d1 = rate(rows, "S3", "python", "pgqrs", consumers=1, batch=1, sync=sync)
        dp = rate(rows, "S3", "python", "pgqrs-pypi", consumers=1, batch=1, sync=sync)
        target(f"Python vs pgqrs from PyPI, drain batch 1 (1 consumer) ≥ 5×, sync {sync}",
               f"{f(d1)} vs {f(dp)} msg/s = {ratio(d1, dp)}×", at_least(d1, dp, 5))
    bl = rate(rows, "S1", "cpp", mode="blocking enqueue loop")
    pl = rate(rows, "S1", "cpp", mode="pipelined enqueues")
    pt = rate(rows, "S1", "cpp", mode="pipelined, one commit")
    if bl:
        target("C++ pipelined enqueues (1,000 on one connection, each its own transaction) vs blocking loop, sync off "
               "(no numeric target)", f"{f(pl)} vs {f(bl)} msg/s = {ratio(pl, bl)}×; in one transaction "
               f"{f(pt)} msg/s = {ratio(pt, bl)}×", None)
    md.append("## Targets\n")
    wbr = {r["params"]["mode"]: r["msgs_per_s"] for r in rows if r["scenario"] == "waitbatch"}
    if "poll" in wbr and "wait" in wbr:
        target("16 consumers in dequeue_wait archive at least as many msg/s as 16 polling every 50 ms "
               "(batch 64, producers enqueueing batches of 128)",
               f"{f(wbr['wait'])} vs {f(wbr['poll'])} msg/s = {ratio(wbr['wait'], wbr['poll'])}",
               at_least(wbr["wait"], wbr["poll"], 1.0))
    md.append(table(["target", "measured", "verdict"], targets))

    # ---- S1 ----
    md.append("## S1 enqueue (one message per transaction) and S5 durability\n")
    body = []
    for sync in ("on", "off"):
        for n in (1, 4):
            sel = [r for r in pick(rows, "S1", producers=n, sync=sync) if "test" not in r["params"]
                   and r["params"].get("mode") not in BENCH_MODES]
            bare = rate(rows, "S1", "sql", "limit: bare INSERT", producers=n, sync=sync)
            sel1 = rate(rows, "S1", "sql", "limit: SELECT 1", producers=n)
            pgq = rate(rows, "S1", "sql", "PgQ", producers=n, sync=sync)
            groups: dict[tuple[str, str], list[dict]] = defaultdict(list)
            for r in sel:
                conns = r["params"].get("max_connections", 1)
                name = r["system"] + (f" (100 coroutines, max_connections {conns})" if "coroutines" in r["params"] else "")
                groups[(r["layer"], name)].append(r)
            for (layer, name), rs in groups.items():
                r = mean_of_rounds(rs)
                body.append([sync, str(n), layer, name, f(r["msgs_per_s"]), lat(r), ratio(r["msgs_per_s"], bare),
                             ratio(r["msgs_per_s"], sel1), ratio(r["msgs_per_s"], pgq)])
    md.append(table(["sync", "producers", "layer", "system", "msg/s", "p50/p95/p99 ms", "÷ bare INSERT",
                     "÷ SELECT 1", "÷ PgQ"], body))

    # ---- S2 ----
    md.append("## S2 enqueue_batch (100 messages per call, sync on)\n")
    body = []
    for n in (1, 4):
        bare = rate(rows, "S2", "sql", "limit: bare INSERT", producers=n)
        pgq = rate(rows, "S2", "sql", "PgQ", producers=n)
        py_pypi = rate(rows, "S2", "python", "pgqrs-pypi", producers=n)
        for r in pick(rows, "S2", producers=n):
            body.append([str(n), r["layer"], r["system"], f(r["msgs_per_s"]), lat(r), ratio(r["msgs_per_s"], bare),
                         ratio(r["msgs_per_s"], pgq), ratio(r["msgs_per_s"], py_pypi)])
    md.append(table(["producers", "layer", "system", "msg/s", "p50/p95/p99 ms per call", "÷ bare INSERT", "÷ PgQ",
                     "÷ PyPI pgqrs"], body))

    # ---- S3 ----
    md.append("## S3 drain (dequeue + archive per batch) and S5 durability\n")
    body = []
    for sync in ("on", "off"):
        for batch in (1, 50):
            for n in (1, 4):
                bare = rate(rows, "S3", "sql", "limit: bare SQL", consumers=n, batch=batch, sync=sync)
                pypi = rate(rows, "S3", "python", "pgqrs-pypi", consumers=n, batch=batch, sync=sync)
                for r in pick(rows, "S3", consumers=n, batch=batch, sync=sync):
                    body.append([sync, str(batch), str(n), r["layer"], r["system"], f(r["msgs_per_s"]), f(r["msgs"]),
                                 lat(r), ratio(r["msgs_per_s"], bare), ratio(r["msgs_per_s"], pypi)])
    md.append(table(["sync", "batch", "consumers", "layer", "system", "msg/s", "msgs drained", "p50/p95/p99 ms per batch",
                     "÷ bare SQL", "÷ PyPI pgqrs"], body))

    # ---- S5 summary ----
    md.append("## S5 synchronous_commit off ÷ on\n")
    body = []
    for layer, system in (("sql", "pgqrs"), ("sql", "limit: bare INSERT"), ("sql", "PgQ"), ("cpp", "pgqrs"),
                          ("python", "pgqrs"), ("python", "pgqrs-pypi")):
        for n in (1, 4):
            on = rate([r for r in rows if "test" not in r["params"] and "coroutines" not in r["params"]
                       and r["params"].get("mode") in (None, "sequential loop")], "S1", layer, system, producers=n, sync="on")
            off = rate([r for r in rows if "test" not in r["params"] and "coroutines" not in r["params"]
                        and r["params"].get("mode") in (None, "sequential loop")], "S1", layer, system, producers=n, sync="off")
            if on:
                body.append(["S1", f"{n} producers", layer, system, f(on), f(off), ratio(off, on)])
    for layer, system in (("sql", "pgqrs"), ("sql", "limit: bare SQL"), ("cpp", "pgqrs"), ("python", "pgqrs"),
                          ("python", "pgqrs-pypi")):
        for batch in (1, 50):
            for n in (1, 4):
                on = rate(rows, "S3", layer, system, consumers=n, batch=batch, sync="on")
                off = rate(rows, "S3", layer, system, consumers=n, batch=batch, sync="off")
                if on:
                    body.append(["S3", f"{n} × batch {batch}", layer, system, f(on), f(off), ratio(off, on)])
    md.append(table(["scenario", "cell", "layer", "system", "sync on msg/s", "sync off msg/s", "off ÷ on"], body))

    # ---- S4 ----
    md.append("## S4 latency (enqueue → dequeue, producer at 1,000 msg/s, consumers in dequeue_wait, sync off)\n")
    md.append("synchronous_commit is off for S4: with it on, one producer on this machine's disk commits only a few "
              "hundred times a second and could not hold 1,000 msg/s. The send time travels in the payload.\n")
    body = []
    for r in pick(rows, "S4"):
        body.append([r["layer"], str(r["params"]["consumers"]), f(r["msgs_per_s"]), str(r.get("received", "")),
                     f(r.get("p50"), 2), f(r.get("p95"), 2), f(r.get("p99"), 2), f(r.get("max"), 2),
                     str(r.get("sends_late_10ms", "–"))])
    md.append(table(["layer", "consumers", "sent msg/s", "received", "p50 ms", "p95 ms", "p99 ms", "max ms",
                     "sends >10 ms late"], body))

    # ---- waiting ----
    md.append("## Waiting consumers and wake-one\n")
    body = []
    for r in pick(rows, "S1", "cpp", test="waiters"):
        cpus = "producer CPU 0, waiters CPU 1" if r["params"].get("pinned") else "shared"
        body.append([str(r["params"]["rep"]), cpus, str(r["params"]["waiters"]), r["params"].get("waiters_on", "–"),
                     f(r["msgs_per_s"]), lat(r), str(r.get("waiters_got", "–"))])
    md.append(table(["round", "CPUs", "waiters", "waiting on", "enqueue msg/s", "p50/p95/p99 ms",
                     "messages the waiters took"], body))
    md.append("""The 95% criterion is read on the pinned rounds: the producer's thread and backend are bound to
CPU 0 and the waiters' threads and backends to CPU 1 (`pgqrs_bench --pin 1`, the same binding with and
without waiters). On a 2-core machine a consumer that takes and archives every message needs about twice
the producer's CPU, so in the shared rounds the producer slows down by the consumers' own work — any
consumer would do that, waiting or polling. Binding leaves what the waiting mechanism itself costs the
producer: the wake-up scan at its commit, the latch it sets, and the lock traffic of the consumers'
statements.
""")
    md.append("""How wake-one is measured: 1, then 8, consumers sit in `dequeue_wait(batch 1, lock 300 s, wait 300 s)`
(they never time out during a phase and do not archive) while one producer enqueues at 100 msg/s. Every
consumer that wakes runs the claim statement, an index scan of `pgqrs.messages`; a consumer woken for a
message someone else took scans again and goes back to sleep without returning. So the server-side scans
per enqueued message count the wakes: with wake-one they are the same for 8 waiters as for 1; with
wake-all they grow by about one per extra waiter (~7 more). The scans are read from
`pg_stat_user_tables` (idx_scan + seq_scan of `pgqrs.messages`) after the consumers disconnected (which
flushes their counters), minus an idle phase with the same waiters and no producer (the once-a-second
safety-net probes and the stop messages). Empty returns count `dequeue_wait` calls that came back empty
before their timeout (a spurious wake seen by the client).
""")
    body = []
    for k, r in sorted(wk.items()):
        body.append([str(k), str(r["msgs"]), str(r["delivered"]), str(r["scans_busy"]), str(r["scans_idle"]),
                     f"{r['claim_scans_per_msg']:.2f}", str(r["empty_returns"])])
    md.append(table(["waiters", "messages", "delivered", "scans (producer phase)", "scans (idle phase)",
                     "claim scans per message", "empty returns"], body))

    # ---- waiting vs polling under batched producers ----
    wb = {r["params"]["mode"]: r for r in rows if r["scenario"] == "waitbatch"}
    if wb:
        md.append("## Waiting vs polling consumers under batched producers (SQL layer, sync off)\n")
        md.append("16 consumers taking up to 64 messages a call and archiving them, producers enqueueing batches of "
                  "128 at a fixed rate (`bench/py/bench_wait_batched.py`): consumers in `dequeue_wait` (1 s waits) "
                  "against consumers polling `dequeue` every 50 ms when they got nothing, in the same run. Index "
                  "entries are those of `messages_queue_vt_idx` read per archived message (`pg_stat_user_indexes`).\n")
        body = []
        for mode in ("poll", "wait"):
            if mode in wb:
                r = wb[mode]
                body.append([mode, f(r["params"]["rate"]), f(r["msgs_per_s"]), f(r["backlog"]), f(r["msgs_per_call"], 1),
                             f(r["index_entries_per_msg"], 1)])
        md.append(table(["consumers", "producer msg/s", "archived msg/s", "backlog left", "msgs per call",
                         "index entries per msg"], body))

    # ---- pipelined ----
    md.append("## C++ pipelined enqueues (client/bench/enqueue_bench, 1,000 messages, one connection, sync off)\n")
    body = []
    for mode in ("blocking enqueue loop", "pipelined enqueues", "pipelined, one commit"):
        v = rate(rows, "S1", "cpp", mode=mode)
        body.append([mode, f(v), ratio(v, bl)])
    md.append(table(["mode", "msg/s (mean of rounds)", "÷ blocking"], body))

    md.append("## Plots\n\n![throughput vs consumers](throughput_vs_consumers.png)\n"
              "![throughput vs batch size](throughput_vs_batch.png)\n![latency](latency.png)\n")
    (RESULTS / "REPORT.md").write_text("\n".join(md))
    plots(rows)


def plots(rows: list[dict]) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    series = [("sql", "pgqrs"), ("sql", "limit: bare SQL"), ("cpp", "pgqrs"), ("python", "pgqrs"),
              ("python", "pgqrs-pypi")]
    fig, axes = plt.subplots(1, 2, figsize=(11, 4.2))
    for ax, batch in zip(axes, (1, 50)):
        for layer, system in series:
            xs, ys = [], []
            for n in (1, 4):
                v = rate(rows, "S3", layer, system, consumers=n, batch=batch, sync="off")
                if v:
                    xs.append(n)
                    ys.append(v)
            if ys:
                ax.plot(xs, ys, marker="o", label=f"{layer}: {system}")
        ax.set_title(f"S3 drain, batch {batch}, sync off")
        ax.set_xlabel("consumers")
        ax.set_ylabel("msg/s")
        ax.set_xticks([1, 4])
        ax.grid(alpha=0.3)
    axes[0].legend(fontsize=7)
    fig.tight_layout()
    fig.savefig(RESULTS / "throughput_vs_consumers.png", dpi=110)
    plt.close(fig)

    fig, axes = plt.subplots(1, 2, figsize=(11, 4.2))
    ax = axes[0]
    for layer, system in series:
        xs, ys = [], []
        for b in (1, 50):
            v = rate(rows, "S3", layer, system, consumers=1, batch=b, sync="off")
            if v:
                xs.append(b)
                ys.append(v)
        if ys:
            ax.plot(xs, ys, marker="o", label=f"{layer}: {system}")
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_title("S3 drain, 1 consumer, sync off")
    ax.set_xlabel("batch size")
    ax.set_ylabel("msg/s")
    ax.legend(fontsize=7)
    ax.grid(alpha=0.3)
    ax = axes[1]
    for layer, system in (("sql", "pgqrs"), ("sql", "limit: bare INSERT"), ("sql", "PgQ"), ("cpp", "pgqrs"),
                          ("python", "pgqrs"), ("python", "pgqrs-pypi")):
        one = rate([r for r in rows if "test" not in r["params"] and "coroutines" not in r["params"]
                    and r["params"].get("mode") in (None, "sequential loop")], "S1", layer, system, producers=1, sync="on")
        hundred = rate(rows, "S2", layer, system, producers=1)
        if one and hundred:
            ax.plot([1, 100], [one, hundred], marker="o", label=f"{layer}: {system}")
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_title("enqueue, 1 producer, sync on: S1 (1) vs S2 (100)")
    ax.set_xlabel("messages per call")
    ax.set_ylabel("msg/s")
    ax.legend(fontsize=7)
    ax.grid(alpha=0.3)
    fig.tight_layout()
    fig.savefig(RESULTS / "throughput_vs_batch.png", dpi=110)
    plt.close(fig)

    s4 = pick(rows, "S4")
    fig, ax = plt.subplots(figsize=(8, 4.2))
    labels = [f"{r['layer']}, {r['params']['consumers']} cons." for r in s4]
    width = 0.2
    for i, key in enumerate(("p50", "p95", "p99", "max")):
        ax.bar([j + i * width for j in range(len(s4))], [r.get(key, 0) for r in s4], width, label=key)
    ax.set_xticks([j + 1.5 * width for j in range(len(s4))])
    ax.set_xticklabels(labels, fontsize=8)
    ax.set_yscale("log")
    ax.set_ylabel("enqueue → dequeue, ms")
    ax.set_title("S4 latency at 1,000 msg/s (sync off)")
    ax.legend()
    ax.grid(alpha=0.3, axis="y")
    fig.tight_layout()
    fig.savefig(RESULTS / "latency.png", dpi=110)
    plt.close(fig)


if __name__ == "__main__":
    main()
