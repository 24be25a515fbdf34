"""The gates of the pressure suite, per mode, and their evaluation over the samples.

Always asserted: the run completes with every phase sampled, 0 lost, 0 doubled.
The pin gates (throughput and claim cost while the xmin horizon is pinned) hold
only when claims do not walk the dead index entries a pin leaves behind: they
are asserted when FRONTIER_GATES is on, and computed and reported either way.
"""
from __future__ import annotations

import os
import statistics
from dataclasses import dataclass

# The single switch of the pin gates (PGQRS_FRONTIER_GATES=1|0 overrides it for a run).
FRONTIER_GATES = False

# The pins that are gated; the active readers' phase is reported only.
GATED_PINS = ("xid_holder", "rr_snapshot")


@dataclass(frozen=True)
class Gates:
    served_share: float      # offered shape: archived / enqueued in every minute of each pin
    entries_factor: float    # offered shape: entries per claim in every minute of each pin,
    #                          at most this times the baseline median
    trend_share: float       # offered shape: a linear fit of entries per claim over each pin
    #                          rises at most this share of the baseline median per minute
    capacity_share: float    # capacity shape: mean archived/s over each pin, at least this
    #                          share of the baseline mean
    minute_min_seconds: float = 30   # a trailing part of a minute shorter than this is not judged


GATES = {
    "short": Gates(served_share=0.99, entries_factor=2.0, trend_share=0.05, capacity_share=0.90),
    "long": Gates(served_share=0.99, entries_factor=2.0, trend_share=0.05, capacity_share=0.90),
}


def frontier_gates_on() -> bool:
    v = os.environ.get("PGQRS_FRONTIER_GATES")
    if v is None:
        return FRONTIER_GATES
    if v not in ("0", "1"):
        raise ValueError(f"PGQRS_FRONTIER_GATES must be 0 or 1, not {v!r}")
    return v == "1"


def of_phase(samples, phase):
    return [s for s in samples if s["phase"] == phase]


def audited(samples) -> set[int]:
    """The id() of the samples in which the frontier's periodic audit ran (its
    resets counter rose), and of the one after each (a backend reports its
    index reads up to a second or so later): one claim that walks the queue
    from the start, once per pgqrs.frontier_reset_seconds, by design
    (docs/claim-frontier.md). Its walk is reported (phase summary), not judged
    as the claims' cost."""
    out, last, after_audit = set(), None, False
    for s in samples:
        resets = s.get("frontier_resets")
        audit = isinstance(resets, int) and isinstance(last, int) and resets > last
        if audit or after_audit:
            out.add(id(s))
        after_audit = audit
        last = resets
    return out


def minutes(samples, min_seconds):
    """The samples of a phase grouped by minute of the phase (phase_t at their end);
    a trailing part shorter than min_seconds is left out unless it is all there is."""
    groups: dict[int, list] = {}
    for s in samples:
        groups.setdefault(int(max(s["phase_t"] - 0.5, 0) // 60), []).append(s)
    ordered = [g for _, g in sorted(groups.items())]
    judged = [g for g in ordered if sum(s["dt"] for s in g) >= min_seconds]
    return judged or ordered


def per_claim(samples):
    claims = sum(s["claims"] for s in samples)
    return sum(s["entries_read"] for s in samples) / claims if claims else None


def rate(samples):
    seconds = sum(s["dt"] for s in samples)
    return sum(s["archived"] for s in samples) / seconds if seconds else 0.0


def baseline_entries(samples):
    values = [s["entries_per_claim"] for s in of_phase(samples, "baseline")
              if s["entries_per_claim"] is not None]
    return statistics.median(values) if values else None


def slope_per_minute(samples):
    """Least-squares slope of entries per claim against the phase minute."""
    pts = [((s["phase_t"] - s["dt"] / 2) / 60, s["entries_per_claim"]) for s in samples
           if s["entries_per_claim"] is not None]
    if len(pts) < 3:
        return None
    mx = sum(x for x, _ in pts) / len(pts)
    my = sum(y for _, y in pts) / len(pts)
    sxx = sum((x - mx) ** 2 for x, _ in pts)
    return sum((x - mx) * (y - my) for x, y in pts) / sxx if sxx else None


def check(name, phase, value, limit, ok):
    return {"gate": name, "phase": phase,
            "value": round(value, 3) if isinstance(value, float) else value,
            "limit": round(limit, 3) if isinstance(limit, float) else limit, "ok": bool(ok)}


def pin_checks(shape_kind: str, samples, gates: Gates) -> list[dict]:
    """The pin gates of one shape ("offered" or "capacity")."""
    out = []
    if shape_kind == "offered":
        walks = audited(samples)
        base = baseline_entries([s for s in samples if id(s) not in walks])
        for pin in GATED_PINS:
            pin_samples = of_phase(samples, pin)
            groups = minutes(pin_samples, gates.minute_min_seconds)
            if not groups:
                out.append(check("pin minutes", pin, 0, 1, False))
            for i, g in enumerate(groups):
                enq = sum(s["enqueued"] for s in g)
                served = sum(s["archived"] for s in g) / enq if enq else 0.0
                out.append(check(f"served share, minute {i + 1}", pin, served,
                                 gates.served_share, served >= gates.served_share))
                epc = per_claim([s for s in g if id(s) not in walks])
                limit = gates.entries_factor * base if base is not None else None
                out.append(check(f"entries per claim, minute {i + 1}", pin, epc, limit,
                                 epc is not None and limit is not None and epc <= limit))
            slope = slope_per_minute([s for s in pin_samples if id(s) not in walks])
            limit = gates.trend_share * base if base is not None else None
            out.append(check("entries per claim trend per minute", pin, slope, limit,
                             slope is not None and limit is not None and slope <= limit))
    else:
        base = rate(of_phase(samples, "baseline"))
        for pin in GATED_PINS:
            share = rate(of_phase(samples, pin)) / base if base else 0.0
            out.append(check("throughput share of baseline", pin, share, gates.capacity_share,
                             share >= gates.capacity_share))
    return out


def frontier_checks(samples, available: bool) -> list[dict]:
    """With the frontier's introspection: no claimable row was ever found below it."""
    if not available:
        return [check("claim_frontier_stats() exists", "run", False, True, False)]
    last = samples[-1].get("frontier_found_below") if samples else None
    return [check("rows found below the frontier", "run", last, 0, last == 0)]


def always_checks(samples, phases, audit: dict, errors: list) -> list[dict]:
    sampled = {s["phase"] for s in samples}
    missing = [p for p in phases if p not in sampled]
    doubled = audit["redelivered"] + audit["archived_twice"] + audit["enqueued_twice"]
    return [
        check("no client error", "run", len(errors), 0, not errors),
        check("every phase sampled", "run", len(phases) - len(missing), len(phases), not missing),
        check("lost", "run", audit["lost"], 0, audit["lost"] == 0),
        check("ids never enqueued", "run", audit["not_enqueued_but_seen"], 0,
              audit["not_enqueued_but_seen"] == 0),
        check("doubled", "run", doubled, 0, doubled == 0),
    ]
