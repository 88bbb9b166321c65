"""The drill's series and expectations as promtool unit tests, run against the generated rules.

In: OUT's Prometheus rule files, per scenario the series a drill produced and the checks to make
on them. Out: one `<scenario>.test.yaml` per scenario (kept, so `promtool test rules` can be rerun
by hand), the verdict of each check and what each probe read.

The checks read only the alert contract: `ALERTS{alertstate="firing", severity="page",
slo="<slo>"}` (and, to tell the fast page from the slower ones, the alerts' own windows). They are
`promql_expr_test`s over `ALERTS` rather than `alert_rule_test`s, which would have to spell every
label of an alert. A probe is an expression whose expected value is a sentinel no result has
(-1): promtool then prints what it got, which is how the drill reads time to page and what fired.
Each expression carries a PromQL comment `# drill:<tag>` that names its check in promtool's
output.
"""

import os
import re
import subprocess

import yaml

SENTINEL = -1

_DURATION = re.compile(r"(\d+)([smhdwy])")
_UNIT_MINUTES = {"s": 1 / 60, "m": 1, "h": 60, "d": 1440, "w": 10080, "y": 525600}


def minutes(duration):
    """Minutes in a Prometheus duration such as `1h30m`."""
    total = 0.0
    for n, unit in _DURATION.findall(duration or "0s"):
        total += int(n) * _UNIT_MINUTES[unit]
    return total


def rule_files(out_dir):
    d = os.path.join(out_dir, "alarms", "prometheus")
    if not os.path.isdir(d):
        raise SystemExit(f"drill: {out_dir} is not a genops build: no {d}")
    files = sorted(
        os.path.join(d, f) for f in os.listdir(d) if f.endswith((".yaml", ".yml")) and ".test." not in f
    )
    if not files:
        raise SystemExit(f"drill: no Prometheus rule file in {d}")
    return files


_NAME = r"[a-zA-Z_:][a-zA-Z0-9_:]*"
_RANGE = re.compile(r"\[([0-9smhdwy]+)(?::[0-9smhdwy]*)?\]")
_SELECTOR = re.compile(r"(" + _NAME + r")\s*(\{[^}]*\})?")
_EQUAL = re.compile(r'(' + _NAME + r')\s*=\s*"([^"]*)"')


def _top_level_and(expr):
    """The operands of `a and b and c` at parenthesis depth 0 (the whole expr when none)."""
    parts, depth, start, i = [], 0, 0, 0
    while i < len(expr):
        c = expr[i]
        if c in "([{":
            depth += 1
        elif c in ")]}":
            depth -= 1
        elif depth == 0 and expr.startswith(" and ", i):
            parts.append(expr[start:i])
            start = i + 5
            i += 4
        i += 1
    return parts + [expr[start:]]


class Rules:
    """What the drill reads of the rule files: the series names they read, and for each page
    alert the SLOs it can carry and its short window.

    An alert's short window is the smallest lookback among the operands of its top-level `and`
    (the window whose clearing ends the alert); an operand's lookback is its longest range plus
    the lookback of the recorded series it reads (a 5m average of a 5m rate looks back 10m).
    An alert carries slo X when its own labels say so, or when a recorded series it joins in
    (matching the selector's `label="value"` matchers) has the static label slo=X."""

    def __init__(self, files):
        self.files = files
        self.names_read = set()
        self._records = {}  # name -> [(expr, static labels)]
        alerts = []
        for path in files:
            with open(path) as f:
                doc = yaml.safe_load(f) or {}
            for group in doc.get("groups") or []:
                for rule in group.get("rules") or []:
                    self.names_read.update(re.findall(_NAME, rule.get("expr", "")))
                    if "record" in rule:
                        self._records.setdefault(rule["record"], []).append((rule["expr"], rule.get("labels") or {}))
                    elif "alert" in rule:
                        alerts.append(rule)
        self._lookbacks = {}
        self.pages = []  # (alert name, SLOs it can carry, short window min, for min)
        for rule in alerts:
            labels = rule.get("labels") or {}
            if labels.get("severity") != "page":
                continue
            slos = {labels["slo"]} if "slo" in labels else self._slos_joined(rule["expr"])
            short = min(self._lookback(op, set()) for op in _top_level_and(rule["expr"]))
            if slos and short > 0:
                self.pages.append((rule["alert"], slos, short, minutes(rule.get("for"))))

    def _slos_joined(self, expr):
        out = set()
        for name, matchers in _SELECTOR.findall(expr):
            want = dict(_EQUAL.findall(matchers or ""))
            for _expr, labels in self._records.get(name, []):
                if "slo" in labels and all(str(labels.get(k)) == v for k, v in want.items() if k in labels):
                    out.add(str(labels["slo"]))
        return out

    def _lookback(self, expr, seen):
        inner = 0.0
        for name in set(re.findall(_NAME, expr)):
            if name in self._records and name not in seen:
                if name not in self._lookbacks:
                    self._lookbacks[name] = max(self._lookback(e, seen | {name}) for e, _l in self._records[name])
                inner = max(inner, self._lookbacks[name])
        ranges = [minutes(w) for w in _RANGE.findall(expr)]
        return (max(ranges) if ranges else 0.0) + inner

    def fast(self, slos):
        """(names of the route's fastest page alerts, their short window, their `for`) in
        minutes, among the page alerts that can carry one of `slos`."""
        pages = [p for p in self.pages if p[1] & set(slos)]
        if not pages:
            return [], None, None
        short = min(p[2] for p in pages)
        fastest = [p for p in pages if p[2] == short]
        return sorted({p[0] for p in fastest}), short, max(p[3] for p in fastest)


def _series_text(name, labels):
    inner = ", ".join(f'{k}="{_escape(v)}"' for k, v in labels)
    return f"{name}{{{inner}}}"


def _escape(value):
    return str(value).replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")


def _values_text(values):
    out = []
    for v in values:
        out.append("_" if v is None else repr(round(v, 6)))
    return " ".join(out)


def _alternatives(names):
    """A PromQL regex matching exactly `names` (regex metacharacters escaped for PromQL)."""
    return "|".join(re.sub(r"([.+*?()\[\]{}|^$\\])", r"\\\\\1", n) for n in names)


def selector(slos, severity=None, alertnames=None):
    parts = ['alertstate="firing"', f'slo=~"{_alternatives(slos)}"']
    if severity:
        parts.append(f'severity="{severity}"')
    if alertnames:
        parts.append(f'alertname=~"{_alternatives(alertnames)}"')
    return "ALERTS{" + ",".join(parts) + "}"


def write_test(path, rules, series, checks):
    """A promtool test file: `series` {key: [values per minute]}, `checks` [(tag, expr, t, exp)].
    Series no rule reads are left out: they cannot change an alert."""
    series = {k: v for k, v in series.items() if k[0] in rules.names_read}
    doc = {
        "rule_files": [os.path.abspath(r) for r in rules.files],
        "evaluation_interval": "1m",
        "tests": [
            {
                "interval": "1m",
                "input_series": [
                    {"series": _series_text(name, labels), "values": _values_text(values)}
                    for (name, labels), values in sorted(series.items())
                ],
                "promql_expr_test": [
                    {
                        "expr": f"{expr} # drill:{tag}",
                        "eval_time": f"{int(t)}m",
                        "exp_samples": exp,
                    }
                    for tag, expr, t, exp in checks
                ],
            }
        ],
    }
    with open(path, "w") as f:
        yaml.safe_dump(doc, f, sort_keys=False, width=1 << 20)


_FAIL = re.compile(r'^\s*expr: "(?P<expr>.*)", time: (?P<time>\S+),\s*$')
_SAMPLE = re.compile(r'\{(?P<labels>[^}]*)\} (?P<value>[-+0-9.eE]+|NaN|[+-]Inf)')
_TAG = re.compile(r"# drill:([^\"\\]+)")


def run(promtool, files):
    """Run promtool on `files`; {tag: got samples [(labels, value)]} of every check that failed."""
    proc = subprocess.run([promtool, "test", "rules", *files], capture_output=True, text=True)
    lines = (proc.stdout + "\n" + proc.stderr).splitlines()
    failed = {}
    for i, line in enumerate(lines):
        m = _FAIL.match(line)
        if not m:
            continue
        tag = _TAG.search(m.group("expr"))
        got_line = next((x for x in lines[i + 1 : i + 4] if x.strip().startswith("got:")), None)
        if tag is None or got_line is None:
            continue
        samples = [(s.group("labels"), float(s.group("value"))) for s in _SAMPLE.finditer(got_line)]
        failed[tag.group(1).strip()] = samples
    if proc.returncode != 0 and not failed:
        raise SystemExit(f"drill: promtool could not run the tests:\n{proc.stdout}\n{proc.stderr}")
    return failed
