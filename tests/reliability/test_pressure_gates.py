"""The pressure gates judged on made-up samples: a flat pin passes, a pin that
slows down or whose claims grow fails (no server needed)."""
from pressure_gates import (GATES, always_checks, frontier_checks, minutes, pin_checks,
                            slope_per_minute)

G = GATES["short"]


def samples(phase, seconds, enqueued=10000, archived=10000, claims=1000, entries=5000, **extra):
    """10 s samples over `seconds`; the callables get the sample's end in seconds."""
    out = []
    for end in range(10, seconds + 1, 10):
        def v(x):
            return x(end) if callable(x) else x
        out.append({"phase": phase, "phase_t": float(end), "dt": 10.0,
                    "enqueued": v(enqueued), "archived": v(archived), "claims": v(claims),
                    "entries_read": v(entries), "entries_per_claim": v(entries) / v(claims),
                    **{k: v(x) for k, x in extra.items()}})
    return out


def run(kind, pin_samples, base=None):
    base = base or samples("baseline", 30)
    pins = pin_samples + [dict(s, phase="rr_snapshot") for s in pin_samples]
    return pin_checks(kind, base + pins, G)


def failed(checks):
    return [c["gate"] for c in checks if not c["ok"]]


def test_flat_pin_passes():
    assert failed(run("offered", samples("xid_holder", 120))) == []
    assert failed(run("capacity", samples("xid_holder", 120))) == []


def test_served_share_below_99_percent_fails():
    pin = samples("xid_holder", 120, archived=lambda t: 10000 if t <= 60 else 9800)
    assert failed(run("offered", pin)) == ["served share, minute 2"] * 2


def test_entries_above_twice_the_baseline_fail():
    pin = samples("xid_holder", 60, entries=11000)
    assert "entries per claim, minute 1" in failed(run("offered", pin))


def test_rising_entries_fail_the_trend_even_below_twice_the_baseline():
    # 5.0 -> 6.5 entries per claim in 3 minutes: 0.5 per minute against 5 % of 5.0
    pin = samples("xid_holder", 180, entries=lambda t: 5000 + 1500 * (t - 10) / 170)
    assert failed(run("offered", pin)) == ["entries per claim trend per minute"] * 2
    assert abs(slope_per_minute(pin) - 0.53) < 0.01


def test_capacity_below_90_percent_fails():
    pin = samples("xid_holder", 60, archived=8900)
    assert failed(run("capacity", pin)) == ["throughput share of baseline"] * 2


def test_a_short_trailing_minute_is_not_judged_alone():
    assert [len(g) for g in minutes(samples("p", 80), 30)] == [6]
    assert [len(g) for g in minutes(samples("p", 90), 30)] == [6, 3]
    assert [len(g) for g in minutes(samples("p", 20), 30)] == [2]


def test_frontier_checks():
    assert failed(frontier_checks([], available=False)) == ["claim_frontier_stats() exists"]
    assert failed(frontier_checks([{"frontier_found_below": 0}], available=True)) == []
    assert failed(frontier_checks([{"frontier_found_below": 2}], available=True)) \
        == ["rows found below the frontier"]


def test_always_checks():
    audit = {"lost": 0, "not_enqueued_but_seen": 0, "redelivered": 0, "archived_twice": 0,
             "enqueued_twice": 0}
    ss = samples("baseline", 10) + samples("xid_holder", 10)
    assert failed(always_checks(ss, ["baseline", "xid_holder"], audit, [])) == []
    assert failed(always_checks(ss, ["baseline", "xid_holder", "after"], dict(audit, lost=1),
                                ["consumer 1: boom"])) \
        == ["no client error", "every phase sampled", "lost"]
    assert failed(always_checks(ss, ["baseline"], dict(audit, redelivered=1), [])) == ["doubled"]


def test_the_audit_walk_is_not_judged_as_claims():
    # once a minute the periodic audit walks the pile from the start (one claim):
    # its 10 s sample is left out of the claim gates, the other claims' are judged
    walk = samples("xid_holder", 180, entries=lambda t: 400000 if t % 60 == 0 else 5000,
                   frontier_resets=lambda t: t // 60)
    assert failed(run("offered", walk)) == []
    late = samples("xid_holder", 180,
                   entries=lambda t: 400000 if t % 60 == 10 and t > 60 else 5000,
                   frontier_resets=lambda t: t // 60)  # its reads reported in the next sample
    assert failed(run("offered", late)) == []
    grows = samples("xid_holder", 180, entries=lambda t: 400000 if t % 60 == 20 else 5000,
                    frontier_resets=lambda t: t // 60)  # a walk outside an audit's samples
    assert "entries per claim, minute 1" in failed(run("offered", grows))


def test_the_served_share_counts_the_audit_samples():
    # a slow sample made up in the audit's sample: the minute served everything
    stall = samples("xid_holder", 180, archived=lambda t: {80: 9000, 120: 11000}.get(t, 10000),
                    frontier_resets=lambda t: t // 60)
    assert failed(run("offered", stall)) == []
