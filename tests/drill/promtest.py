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
    files = sorted(
        os.path.join(d, f) for f in os.listdir(d) if f.endswith((".yaml", ".yml")) and ".test." not in f
    )
    if not files:
        raise SystemExit(f"drill: no Prometheus rule file in {d}")
    return files


class Rules:
    """What the drill reads of the rule files: the series names they read, and the page alerts
    with the shortest window each one reads."""

    def __init__(self, files):
        self.files = files
        self.names_read = set()
        records = {}
        self._slo_records = set()  # recording rules that put an `slo` label on their series
        alerts = []
        for path in files:
            with open(path) as f:
                doc = yaml.safe_load(f) or {}
            for group in doc.get("groups") or []:
                for rule in group.get("rules") or []:
                    self.names_read.update(re.findall(r"[a-zA-Z_:][a-zA-Z0-9_:]*", rule.get("expr", "")))
                    if "record" in rule:
                        records.setdefault(rule["record"], []).append(rule["expr"])
                        if "slo" in (rule.get("labels") or {}):
                            self._slo_records.add(rule["record"])
                    elif "alert" in rule:
                        alerts.append(rule)
        self.pages = []  # (alert name, static slo label or None, shortest window min, for min)
        for rule in alerts:
            labels = rule.get("labels") or {}
            if labels.get("severity") != "page":
                continue
            seen = set()
            windows = self._windows(rule["expr"], records, seen)
            slo = labels.get("slo")
            # an alert without its own slo label carries one only if a series it reads has it
            if not windows or (slo is None and not (seen & self._slo_records) and '"slo"' not in rule["expr"]):
                continue
            self.pages.append((rule["alert"], slo, min(windows), minutes(rule.get("for"))))

    def _windows(self, expr, records, seen):
        """Every range window `expr` reads, through the recording rules it names (into `seen`)."""
        found = [minutes(w) for w in re.findall(r"\[([0-9smhdwy]+)(?::[0-9smhdwy]*)?\]", expr)]
        for name in set(re.findall(r"[a-zA-Z_:][a-zA-Z0-9_:]*", expr)):
            if name in records and name not in seen:
                seen.add(name)
                for sub in records[name]:
                    found += self._windows(sub, records, seen)
        return found

    def for_slos(self, slos):
        """Page alerts that can carry one of `slos` (their own slo label, or one they join in)."""
        return [p for p in self.pages if p[1] is None or p[1] in slos]

    def fast(self, slos):
        """(names of the fastest page alerts, their short window, their `for`), in minutes."""
        pages = self.for_slos(slos)
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
