"""Fire drills: does each route's SLO alerting page on its incidents, and only on them?

In: OUT (a `genops build` output directory) and the spec it was built from. Out: one line per
(route, scenario) with its verdict and, for the paging scenarios, the time to page; the
promtool test files under the work directory; exit status 1 when any check fails.

For every route with an availability or latency SLO, the generated LiteLLM config drives
simulated minutes of the route's traffic (`traffic.per_day`) through LiteLLM's own Router and
PrometheusLogger (gateway.py, traffic.py), and the exported series are checked against the
generated Prometheus rules with promtool (promtest.py). The expectations name alerts only by
the contract `severity="page"` and `slo="<slo>"`, plus the short window of the fastest page
alert to know when a page is due:

- healthy_is_quiet: healthy traffic fires no alert of the route's SLOs.
- fallback_absorbs_primary_outage_quiet: every deployment of the route's own groups fails with a
  5xx, its fallbacks answer: no page (routes with a fallback only).
- all_deployments_fail_pages_fast: every deployment fails with a 5xx: a page by the deadline
  (RouteDrill: the fast page's short window, or the time 100 % errors take to spend its share of
  the budget when longer, + its `for` + 2 minutes for a scrape and an evaluation).
- all_calls_time_out_pages_fast: every call times out (litellm.Timeout, 408): same deadline.
- double_burn_tickets_not_pages: routes with an availability SLO: 2x its error budget fails, as
  errors: no page (a ticket may fire).
- recovery_resets_fast: after the outage of all_deployments_fail_pages_fast ends, the fast page
  clears within its short window + the route's breaker cooldown + 2 minutes.
"""

import argparse
import asyncio
import os
import sys
import tempfile
import time

import yaml

import gateway
import promtest
import traffic
from traffic import Phase

FAST_BUDGET_SHARE_MINUTES = 0.02 * 30 * 24 * 60  # minutes of 100 % errors per unit of error budget
HISTORY = 60  # healthy minutes before an incident: the fast page's long window full of good traffic
SCENARIOS = (
    "healthy_is_quiet",
    "fallback_absorbs_primary_outage_quiet",
    "all_deployments_fail_pages_fast",
    "all_calls_time_out_pages_fast",
    "double_burn_tickets_not_pages",
    "recovery_resets_fast",
)


def percent(text):
    s = str(text).strip()
    return float(s[:-1]) / 100 if s.endswith("%") else float(s)


class Route:
    def __init__(self, name, spec_route, slos, gw):
        self.name = name
        per_day = ((spec_route or {}).get("traffic") or {}).get("per_day")
        self.per_minute = float(per_day) / 1440 if per_day else None
        self.slos = sorted(slos)
        # error budget (1 - objective) of each SLO that states an objective
        self.budgets = {n: 1 - percent(s["objective"]) for n, s in slos.items() if s.get("objective")}
        self.availability_budgets = {n: b for n, b in self.budgets.items() if slos[n]["sli"] == "availability"}
        cooldowns = [
            float(d["litellm_params"].get("cooldown_time") or 0)
            for d in gw.router.model_list
            if (d.get("model_info") or {}).get("genops_route") == name
        ]
        self.cooldown_minutes = max(cooldowns, default=0) / 60
        self.has_fallback = any(
            source == name and targets for entry in gw.router.fallbacks or [] for source, targets in entry.items()
        )


def route_slos(spec):
    """{route: {slo name: slo}} of the availability and latency SLOs."""
    out = {}
    for name, slo in (spec.get("slos") or {}).items():
        if (slo or {}).get("sli") in ("availability", "latency"):
            out.setdefault(slo["route"], {})[name] = slo
    return out


def pick(names, limit):
    """At most `limit` names, spread evenly over the sorted list (deterministic)."""
    names = sorted(names)
    if not limit or len(names) <= limit:
        return names
    step = len(names) / limit
    return [names[int(i * step)] for i in range(limit)]


class Scenario:
    """One scenario's promtool file: every drilled route's minutes, checks, and the judges that
    turn promtool's verdict into results."""

    def __init__(self, name):
        self.name = name
        self.increases = []  # per route: [{series: increase} per minute]
        self.checks = []  # (tag, expr, eval minute, expected samples)
        self.judges = []  # callables(failed) -> None


def probe(tag, expr, t):
    """A check that always fails, so promtool prints what `expr` gave at minute `t`."""
    return (tag, expr, t, [{"labels": "{}", "value": promtest.SENTINEL}])


def ceil(x):
    return int(-(-x // 1))


class RouteDrill:
    """The scenarios of one route: what to drive, what to check, how to judge."""

    def __init__(self, drill, route):
        self.drill = drill
        self.r = route
        self.fast_names, short, for_ = drill.rules.fast(route.slos)
        # The deadline of a page after an outage starts: the fast page's short window has filled
        # and, at 100 % errors, its long window has spent its share of the budget (the SRE
        # workbook's 2 % of a 30-day budget; Sloth's 8 % of a 7-day one is about the same);
        # then its `for` passes, and one scrape and one evaluation.
        self.short = ceil(short or 0)
        spend = min((ceil(FAST_BUDGET_SHARE_MINUTES * b) for b in route.budgets.values()), default=0)
        self.deadline = max(self.short, spend) + ceil(for_ or 0) + 2
        self.outage = self.deadline + 3
        self.clear_deadline = self.short + 2 + ceil(route.cooldown_minutes)
        self.any_sel = promtest.selector(route.slos)
        self.page_sel = promtest.selector(route.slos, severity="page")

    def result(self, scenario, ok, detail="", minutes=None):
        self.drill.results.append((self.r.name, scenario, ok, detail, minutes))

    async def simulate(self, phases):
        return await traffic.simulate(self.drill.gw, self.r.name, self.r.per_minute, phases, self.drill.args.sample)

    def fired(self, tag, t, window):
        expr = f"max by (alertname, severity, slo) (max_over_time({self.any_sel}[{int(window)}m]))"
        return probe(tag + "/fired", expr, t)

    def fired_text(self, failed, tag):
        got = failed.get(tag + "/fired") or []
        return "; ".join("{" + labels + "}" for labels, _ in got) or "nothing"

    async def plan(self, scenarios):
        r = self.r
        print(f"drill: {self.drill.system}: route {r.name} (SLOs {', '.join(r.slos)}; {r.per_minute:.1f} req/min)", file=sys.stderr, flush=True)
        # Healthy traffic is driven once per route: it is healthy_is_quiet, and the history before
        # every incident (each incident then starts on a fresh replica, as after healthy minutes).
        driven = await self.simulate([Phase(3, driven=3)])
        calm = traffic.steady(driven)
        history = [calm] * HISTORY
        total = HISTORY + 30
        self.quiet(scenarios["healthy_is_quiet"], driven + [calm] * (total - len(driven)), 0, total, self.any_sel, "alert")

        outage = await self.simulate(
            [Phase(self.outage, gateway.ERROR_5XX, driven=5), Phase(self.clear_deadline + 3, driven=4)]
        )
        self.pages(scenarios["all_deployments_fail_pages_fast"], history + outage)
        self.recovers(scenarios["all_deployments_fail_pages_fast"], len(history + outage) - 1)

        timeouts = await self.simulate([Phase(self.outage, gateway.TIMEOUT, driven=5)])
        self.pages(scenarios["all_calls_time_out_pages_fast"], history + timeouts)

        if r.has_fallback:
            length = 65  # past the fast page's long window
            absorbed = await self.simulate([Phase(length, gateway.ERROR_5XX, primary_only=True, driven=5)])
            self.quiet(scenarios["fallback_absorbs_primary_outage_quiet"], history + absorbed, HISTORY, length, self.page_sel, "page")

        # Availability budgets are shares of requests; a latency SLO's may be a share of time
        # slices, where 2x as failed requests would be far more than 2x: errors burn the former.
        if r.availability_budgets:
            length = 70  # past the fast page's long window; at 2x no longer window reaches a page
            ratio = 2 * min(r.availability_budgets.values())
            burn = await self.simulate([Phase(length, fail_ratio=ratio, driven=3)])
            self.quiet(scenarios["double_burn_tickets_not_pages"], history + burn, HISTORY, length, self.page_sel, "page")

    def quiet(self, sc, increases, start, length, sel, what):
        """No `sel` alert fires in minutes [start, start + length)."""
        tag = f"{sc.name}/{self.r.name}"
        t = start + length - 1
        sc.increases.append(increases)
        sc.checks += [(tag, f"count_over_time({sel}[{length}m])", t, []), self.fired(tag, t, length)]

        def judge(failed):
            ok = tag not in failed
            detail = "" if ok else f"expected no {what} of {', '.join(self.r.slos)}; fired: {self.fired_text(failed, tag)}"
            self.result(sc.name, ok, detail)

        sc.judges.append(judge)

    def pages(self, sc, increases):
        """A page of the route's SLOs fires within the deadline of the outage that starts at HISTORY."""
        tag = f"{sc.name}/{self.r.name}"
        last = HISTORY + self.outage - 1
        sc.increases.append(increases)
        sc.checks += [
            (tag, f"max({self.page_sel})", HISTORY - 1 + self.deadline, [{"labels": "{}", "value": 1}]),
            probe(tag + "/first", f"min_over_time(timestamp(max({self.page_sel}))[{self.outage}m:1m])", last),
            self.fired(tag, last, self.outage),
        ]

        def judge(failed):
            if not self.fast_names:
                self.result(sc.name, False, f"no page alert can carry slo {', '.join(self.r.slos)}")
                return
            ok = tag not in failed
            first = failed.get(tag + "/first") or []
            # minute m's sample holds minute m's requests: the outage starts at HISTORY - 1
            ttp = first[0][1] / 60 - (HISTORY - 1) if first else None
            detail = ""
            if not ok:
                when = f"it paged after {ttp:g} min" if ttp is not None else "no page"
                detail = (
                    f"expected a page (severity=page, slo in {', '.join(self.r.slos)}) within {self.deadline} min; "
                    f"{when}; fired: {self.fired_text(failed, tag)}"
                )
            self.result(sc.name, ok, detail, ttp)

        sc.judges.append(judge)

    def recovers(self, sc, end):
        """After the outage of `sc`, the fast page clears within its short window + the cooldown."""
        scenario = "recovery_resets_fast"
        if not self.fast_names:
            sc.judges.append(lambda failed: self.result(scenario, False, f"no page alert can carry slo {', '.join(self.r.slos)}"))
            return
        tag = f"{scenario}/{self.r.name}"
        ended = HISTORY + self.outage  # first healthy minute
        fast_sel = promtest.selector(self.r.slos, severity="page", alertnames=self.fast_names)
        sc.checks += [
            (tag, f"max({fast_sel})", ended - 1 + self.clear_deadline, []),
            probe(tag + "/last", f"max_over_time(timestamp(max({fast_sel}))[{end - HISTORY + 1}m:1m])", end),
        ]

        def judge(failed):
            ok = tag not in failed
            last = failed.get(tag + "/last") or []
            cleared = last[0][1] / 60 + 1 - (ended - 1) if last else None
            detail = ""
            if not failed.get(f"{sc.name}/{self.r.name}/first"):
                ok, detail = False, "the outage never paged, so there was no page to clear"
            elif not last:
                ok, detail = False, f"the fast page ({', '.join(self.fast_names)}) never fired in the outage, so it cannot be seen to clear"
            elif not ok:
                detail = f"expected the fast page ({', '.join(self.fast_names)}) to clear within {self.clear_deadline} min of the outage's end; " + (
                    f"it cleared after {cleared:g} min" if ended + cleared <= end + 1 else "still firing at the end"
                )
            self.result(scenario, ok, detail, cleared)

        sc.judges.append(judge)


class Drill:
    def __init__(self, args, out, spec):
        self.args = args
        self.out = out
        with open(spec) as f:
            self.spec = yaml.safe_load(f)
        self.system = self.spec["system"]["name"]
        self.rules = promtest.Rules(promtest.rule_files(out))
        if args.work:
            self.work = os.path.join(args.work, os.path.basename(os.path.normpath(out)))
            os.makedirs(self.work, exist_ok=True)
        else:
            self.work = tempfile.mkdtemp(prefix=f"genops-drill-{self.system}-")
        self.gw = gateway.Gateway(os.path.join(out, "gateway", "litellm", "config.yaml"), self.work)
        self.results = []  # (route, scenario, ok, detail, minutes to page/clear or None)

    async def run(self):
        await self.gw.start()
        self.results.append(
            (
                "*",
                "config_exports_metrics",
                self.gw.exports_metrics,
                "" if self.gw.exports_metrics else 'litellm_settings.callbacks has no "prometheus": the proxy exports no series',
                None,
            )
        )
        by_route = route_slos(self.spec)
        scenarios = {name: Scenario(name) for name in SCENARIOS if name != "recovery_resets_fast"}
        for name in pick(by_route, self.args.max_routes):
            route = Route(name, (self.spec.get("routes") or {}).get(name), by_route[name], self.gw)
            if route.per_minute is None:
                self.results.append((name, "traffic", False, "the route states no traffic.per_day to drill at", None))
                continue
            await RouteDrill(self, route).plan(scenarios)
        files = []
        for sc in scenarios.values():
            if sc.checks:
                path = os.path.join(self.work, f"{sc.name}.test.yaml")
                promtest.write_test(path, self.rules, traffic.cumulative(merge(sc.increases)), sc.checks)
                files.append(path)
        failed = promtest.run(self.args.promtool, files) if files else {}
        for sc in scenarios.values():
            for judge in sc.judges:
                judge(failed)
        self.results[1:] = sorted(self.results[1:], key=lambda x: (x[0], SCENARIOS.index(x[1]) if x[1] in SCENARIOS else -1))

    def report(self):
        width = max([len(r[0]) for r in self.results] + [5])
        print(f"\nfire drill of {self.system} ({self.out}); promtool files in {self.work}")
        print(f"{'route':<{width}}  {'scenario':<38}  {'result':<6}  minutes")
        for route, scenario, ok, _detail, mins in self.results:
            m = "" if mins is None else f"{mins:g}"
            print(f"{route:<{width}}  {scenario:<38}  {'ok' if ok else 'FAIL':<6}  {m}")
        failures = [x for x in self.results if not x[2]]
        for route, scenario, _ok, detail, _m in failures:
            print(f"drill: FAIL {self.system} route {route} {scenario}: {detail}")
        print(f"drill: {self.system}: {len(self.results) - len(failures)} passed, {len(failures)} failed")
        return not failures


def merge(per_route):
    """Sum per-minute increases of several routes (each driven through its own replica)."""
    length = max(len(x) for x in per_route)
    out = [{} for _ in range(length)]
    for increases in per_route:
        for i, inc in enumerate(increases):
            traffic._add(out[i], inc)
    return out


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("targets", nargs="+", metavar="OUT SPEC", help="a genops build output directory and the spec it was built from; several pairs share one start of LiteLLM")
    p.add_argument("--sample", type=int, default=20, help="real requests per driven minute per route (default 20)")
    p.add_argument("--max-routes", type=int, default=0, help="drill at most N routes, spread over the sorted names")
    p.add_argument("--work", help="where to write the promtool tests, one directory per OUT (default: new temporary directories)")
    p.add_argument("--promtool", default=os.environ.get("PROMTOOL", "promtool"))
    args = p.parse_args()
    if len(args.targets) % 2:
        p.error("give OUT SPEC pairs")
    sys.exit(0 if asyncio.run(drill_all(args)) else 1)


async def drill_all(args):
    """Every OUT SPEC pair in turn, in one event loop (LiteLLM's logging worker lives in it)."""
    ok = True
    for out, spec in zip(args.targets[::2], args.targets[1::2]):
        started = time.monotonic()
        d = Drill(args, out, spec)
        await d.run()
        ok = d.report() and ok
        print(f"drill: {d.system}: {time.monotonic() - started:.0f}s")
    return ok


if __name__ == "__main__":
    main()
