"""Simulated minutes of one route's traffic through the gateway, as exported series.

In: a Gateway, a route, its traffic per minute and a list of phases (what its deployments do,
which share of requests fails, for how many minutes). Out: one dict per simulated minute,
{(metric name, labels): increase in that minute} for every counter and histogram series
LiteLLM's PrometheusLogger exports, scaled to the route's real traffic.

Python cannot make 40 requests a second for hours, so each driven minute makes a sample of real
requests and scales their counter increases to the route's per-minute traffic (the rules read
ratios, which scaling keeps). A phase drives its first `driven` minutes for real; its other
minutes repeat the mean increase of the last driven ones (after a breaker has opened, an
outage repeats itself with the cooldown's period). Requests chosen to fail on their own
(the error-ratio scenarios) are driven as a separate sample so that a ratio of 0.2 % is exact
without driving 500 requests a minute.
"""

from dataclasses import dataclass

import gateway
from prometheus_client import REGISTRY

MINUTE = 60.0


@dataclass
class Phase:
    minutes: int
    mode: str = gateway.HEALTHY  # what every deployment of the route does
    primary_only: bool = False  # only the route's own groups take `mode`, not its fallbacks
    fail_ratio: float = 0.0  # share of requests that fail on every deployment (their own mock)
    driven: int = 3  # minutes driven for real; the rest repeat their mean


def _snapshot():
    """Every LiteLLM counter/histogram sample in the exporter's registry."""
    out = {}
    for family in REGISTRY.collect():
        if not family.name.startswith("litellm_") or family.type not in ("counter", "histogram"):
            continue
        for s in family.samples:
            if s.name.endswith("_created"):
                continue
            out[(s.name, tuple(sorted(s.labels.items())))] = s.value
    return out


def _delta(before, after, scale):
    return {k: (v - before.get(k, 0.0)) * scale for k, v in after.items() if v != before.get(k, 0.0)}


def _add(into, delta):
    for k, v in delta.items():
        into[k] = into.get(k, 0.0) + v


def steady(driven):
    """The mean increase of the last (up to 3) driven minutes: what a steady phase repeats."""
    tail = driven[-3:]
    mean = {}
    for d in tail:
        _add(mean, {k: v / len(tail) for k, v in d.items()})
    return mean


async def _drive(gw, route, n, fail, clock, span):
    """n requests spread evenly over `span` seconds of simulated time from `clock`."""
    ok = 0
    for i in range(n):
        gateway.advance_to(clock + span * i / max(n, 1))
        ok += await gw.request(route, fail=fail)
    await gw.flush()
    return ok


async def simulate(gw, route, per_minute, phases, sample):
    """Per-minute increases of every exported series while `route` lives through `phases`."""
    await gw.start()
    minutes = []
    clock = gateway.sim_now()
    for phase in phases:
        driven = []
        for m in range(phase.minutes):
            if m >= phase.driven:
                minutes.append(steady(driven))
                clock += MINUTE
                continue
            gw.set_mode(route, gateway.HEALTHY)
            if phase.mode != gateway.HEALTHY:
                gw.set_mode(route, phase.mode, only_primary=phase.primary_only)
            increase = {}
            failing = per_minute * phase.fail_ratio
            if failing > 0:
                # one real request that fails everywhere stands for this minute's failing share
                before = _snapshot()
                await _drive(gw, route, 1, True, clock, 1.0)
                _add(increase, _delta(before, _snapshot(), failing))
            good = per_minute - failing
            n = max(1, min(sample, round(good)))
            before = _snapshot()
            await _drive(gw, route, n, False, clock + 1.0, MINUTE - 1.0)
            _add(increase, _delta(before, _snapshot(), good / n))
            driven.append(increase)
            minutes.append(increase)
            clock += MINUTE
            gateway.advance_to(clock)
    return minutes


def cumulative(per_minute_increases):
    """{series: [value at minute 0, 1, ...]} with None before a series first appears."""
    keys = set()
    for inc in per_minute_increases:
        keys.update(inc)
    out = {}
    for k in keys:
        total = None
        values = []
        for inc in per_minute_increases:
            if k in inc:
                total = (total or 0.0) + inc[k]
            values.append(total)
        out[k] = values
    return out
