#!/usr/bin/env python3
"""Runs every query of Prescient's Grafana dashboards against a real Prometheus.

Starts `prescient serve --demo --data-dir DIR` and a Prometheus that scrapes it (honor_labels:
true, every 5s), remote-writes `up` and `scrape_duration_seconds` to it, reads the demo's source
series back through Prescient's remote read, and loads
alerts/prescient-rules.yml. Once the demo's outputs are in Prometheus it takes every target of
every panel (nested rows included) of every dashboard in grafana/, fills in the dashboard
variables the way Grafana does (options found through Prometheus' API, regex-escaped for
multi-value variables) and Grafana's built-ins ($__rate_interval, $__interval, $__range), and
runs it (query_range for range targets, query for instant ones).

A query passes when it never fails to parse or evaluate and returns data for at least one choice
of the variables: each variable is varied over its options in turn, the others at their
defaults, as a user would click through them. The last line is "N passed, N failed"; the exit
status is non-zero on any failure.

    scripts/test-dashboards.py                      # PRESCIENT_BIN or .build/debug/prescient
    scripts/test-dashboards.py --prometheus URL     # an already running Prometheus instead
    scripts/test-dashboards.py --self-test          # offline: parsing and substitution only

Python 3 standard library only.
"""

import argparse
import json
import math
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import unittest
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

# What Grafana's built-in variables become. Prometheus here scrapes every 5s, so Grafana's
# $__rate_interval (at least four scrape intervals) would be 20s; a minute is safer with the
# demo's 15s feed. The range queries cover RANGE_SECONDS back from now.
RANGE_SECONDS = 3600
STEP_SECONDS = 15
BUILTINS = {
    "__rate_interval": "1m",
    "__interval": f"{STEP_SECONDS}s",
    "__interval_ms": str(STEP_SECONDS * 1000),
    "__range": "1h",
    "__range_s": str(RANGE_SECONDS),
    "__range_ms": str(RANGE_SECONDS * 1000),
}
ALL = "$__all"  # Grafana's value for "All"
VARIABLE = re.compile(r"\$(\w+)|\$\{(\w+)(?::(\w+))?\}|\[\[(\w+)\]\]")


# ------------------------------------------------------------------ dashboards


def load_dashboards(directory):
    """Dashboard JSON files in `directory`, by file name (provisioning files are YAML, skipped)."""
    return {p.name: json.loads(p.read_text()) for p in sorted(Path(directory).glob("*.json"))}


def panels(dashboard):
    """Every panel, depth first, including those inside rows (collapsed rows keep theirs in `panels`)."""
    def walk(items):
        for p in items:
            yield p
            yield from walk(p.get("panels", []))
    return list(walk(dashboard.get("panels", [])))


def queries(dashboard):
    """(panel title, refId, expr, instant) for every Prometheus target with an expression."""
    found = []
    for p in panels(dashboard):
        for t in p.get("targets", []):
            if t.get("expr", "").strip() and not t.get("hide", False):
                instant = bool(t.get("instant")) and not t.get("range", False)
                found.append((p.get("title", ""), t.get("refId", "?"), t["expr"], instant))
    return found


def variables(dashboard):
    return dashboard.get("templating", {}).get("list", [])


def variable_query(var):
    """The query text of a query variable (a string, or the object newer Grafana stores)."""
    q = var.get("query", "")
    return q.get("query", "") if isinstance(q, dict) else q


def static_problems(name, dashboard):
    """What is wrong with a dashboard before any query runs."""
    problems = []
    if not 36 <= dashboard.get("schemaVersion", 0) <= 41:
        problems.append(f"schemaVersion {dashboard.get('schemaVersion')} is not Grafana 10/11's")
    if not dashboard.get("uid"):
        problems.append("no uid")
    defined = {v["name"] for v in variables(dashboard)}
    if not any(v.get("type") == "datasource" and v.get("query") == "prometheus" for v in variables(dashboard)):
        problems.append("no Prometheus datasource variable")
    for p in panels(dashboard):
        if p.get("type") == "row":
            continue
        for t in p.get("targets", []):
            uid = (t.get("datasource") or p.get("datasource") or {}).get("uid")
            if uid != "${datasource}":
                problems.append(f"panel '{p.get('title')}' target {t.get('refId')}: datasource uid {uid!r}, want ${{datasource}}")
    texts = [(f"panel '{p.get('title')}'", t.get("expr", "")) for p in panels(dashboard) for t in p.get("targets", [])]
    texts += [(f"variable '{v['name']}'", variable_query(v)) for v in variables(dashboard) if v.get("type") == "query"]
    for where, text in texts:
        for m in VARIABLE.finditer(text):
            ref = m.group(1) or m.group(2) or m.group(4)
            if ref not in defined and ref not in BUILTINS and not ref.isdigit():
                problems.append(f"{where}: ${ref} is not a variable of this dashboard")
    for v in variables(dashboard):
        if v.get("type") == "query" and (v.get("multi") or v.get("includeAll")):
            # Grafana regex-escapes these (and All may be .*): they only work after =~ or !~.
            for where, text in texts:
                for m in re.finditer(r'(=~|!~|!=|=)\s*"[^"]*\$\{?%s\b' % re.escape(v["name"]), text):
                    if m.group(1) not in ("=~", "!~"):
                        problems.append(f"{where}: multi-value variable ${v['name']} used with {m.group(1)}, needs =~")
    return problems


# ------------------------------------------------------------------ variables


def regular_escape(value):
    """Grafana's escaping of a single-value variable in a Prometheus query."""
    return value.replace("\\", "\\\\").replace("'", "\\\\'")


def regex_escape(value):
    """Grafana's escaping of one value of a multi-value / include-All variable (used with =~)."""
    value = value.replace("\\", "\\\\\\\\")
    return re.sub(r"[$^*{}\[\]'+?.()|]", lambda m: "\\\\" + m.group(0), value)


def format_value(var, value, options):
    """What `$var` becomes in a query for the chosen value, as Grafana's Prometheus data source writes it."""
    if not var.get("multi") and not var.get("includeAll"):
        return regular_escape(value)
    if value == ALL:
        if var.get("allValue"):
            return var["allValue"]
        escaped = [regex_escape(o) for o in options]
        return escaped[0] if len(escaped) == 1 else "(" + "|".join(escaped) + ")"
    return regex_escape(value)


def interpolate(text, vars_by_name, chosen, options):
    """Replaces $var, ${var}, ${var:fmt}, [[var]] and Grafana's built-ins. Unknown names are left
    alone (PromQL's $1 in label_replace), and static_problems reports them."""
    def replace(m):
        name = m.group(1) or m.group(2) or m.group(4)
        if name in BUILTINS:
            return BUILTINS[name]
        if name not in chosen:
            return m.group(0)
        var = vars_by_name[name]
        if var.get("type") == "datasource":
            return chosen[name]
        return format_value(var, chosen[name], options.get(name, []))
    return VARIABLE.sub(replace, text)


def split_label_values(query):
    """`label_values(label)` -> (None, label); `label_values(selector, label)` -> (selector, label)."""
    m = re.fullmatch(r"\s*label_values\((.*)\)\s*", query, re.S)
    if not m:
        raise ValueError(f"unsupported variable query {query!r} (only label_values is used here)")
    inner = m.group(1)
    depth, quote, cut = 0, None, -1
    for i, c in enumerate(inner):  # the last comma outside braces and quotes
        if quote:
            if c == "\\":
                continue
            if c == quote:
                quote = None
        elif c in "\"'`":
            quote = c
        elif c in "{(":
            depth += 1
        elif c in "})":
            depth -= 1
        elif c == "," and depth == 0:
            cut = i
    if cut < 0:
        return None, inner.strip()
    return inner[:cut].strip(), inner[cut + 1:].strip()


def apply_regex(var, values):
    """Grafana's variable regex: keep matching values, taken from the first (or `value`) group."""
    pattern = var.get("regex") or ""
    if not pattern:
        return values
    m = re.fullmatch(r"/(.*)/([gimsuy]*)", pattern, re.S)
    body, flags = (m.group(1), m.group(2)) if m else (pattern, "")
    rx = re.compile(body.replace("(?<", "(?P<").replace("(?P<=", "(?<=").replace("(?P<!", "(?<!"),
                    re.I if "i" in flags else 0)
    kept = []
    for v in values:
        mm = rx.search(v)
        if not mm:
            continue
        if "value" in rx.groupindex:
            v = mm.group("value")
        elif rx.groups:
            v = mm.group(1)
        if v is not None and v not in kept:
            kept.append(v)
    return kept


# ------------------------------------------------------------------ Prometheus


class PromError(Exception):
    pass


class Prometheus:
    def __init__(self, url):
        self.url = url.rstrip("/")

    def get(self, path, params=()):
        url = self.url + path + ("?" + urllib.parse.urlencode(list(params)) if params else "")
        try:
            with urllib.request.urlopen(url, timeout=30) as r:
                body = json.load(r)
        except urllib.error.HTTPError as e:
            try:
                body = json.load(e)
            except ValueError:
                raise PromError(f"HTTP {e.code}") from None
        if body.get("status") != "success":
            raise PromError(f"{body.get('errorType', 'error')}: {body.get('error', body)}")
        return body["data"], body.get("warnings", [])

    def label_values(self, selector, label, now):
        if selector is None:
            data, _ = self.get(f"/api/v1/label/{urllib.parse.quote(label)}/values")
            return sorted(data)
        data, _ = self.get("/api/v1/series", [("match[]", selector), ("start", now - RANGE_SECONDS), ("end", now)])
        return sorted({s[label] for s in data if label in s})

    def run(self, expr, instant, now):
        if instant:
            data, warnings = self.get("/api/v1/query", [("query", expr), ("time", now)])
        else:
            data, warnings = self.get("/api/v1/query_range", [("query", expr), ("start", now - RANGE_SECONDS),
                                                                ("end", now), ("step", STEP_SECONDS)])
        return data, warnings


def series_with_data(data):
    """How many series of a query result hold at least one number that is not NaN."""
    kind, result = data["resultType"], data["result"]
    if kind == "scalar":
        return 0 if math.isnan(float(result[1])) else 1
    if kind == "vector":
        return sum(1 for s in result if not math.isnan(float(s["value"][1])))
    if kind == "matrix":
        return sum(1 for s in result if any(not math.isnan(float(v)) for _, v in s["values"]))
    return 0


# ------------------------------------------------------------------ choices of variables


def resolve(dashboard, prom, now, fixed, max_options):
    """Walks the variables in order, as Grafana does: each query variable's options come from
    Prometheus with the earlier choices filled in. `fixed` pins some variables to a value.
    Returns (chosen values, options per variable)."""
    vars_by_name = {v["name"]: v for v in variables(dashboard)}
    chosen, options = {}, {}
    for var in variables(dashboard):
        name, kind = var["name"], var.get("type")
        if kind == "datasource":
            chosen[name] = "prometheus"
            continue
        if kind == "query":
            selector, label = split_label_values(interpolate(variable_query(var), vars_by_name, chosen, options))
            values = apply_regex(var, prom.label_values(selector, label, now))[:max_options]
        elif kind == "custom":
            values = [o.strip() for o in var.get("query", "").split(",") if o.strip()]
        elif kind in ("constant", "textbox"):
            values = [var.get("query", "")]
        else:  # adhoc filters are added to queries by Grafana, not written in them
            continue
        options[name] = values
        current = (var.get("current") or {}).get("value")
        if isinstance(current, list):
            current = current[0] if current else None
        if name in fixed:
            chosen[name] = fixed[name]
        elif var.get("includeAll"):
            chosen[name] = ALL
        elif current in values:
            chosen[name] = current
        else:
            chosen[name] = values[0] if values else ""  # Grafana's "None"
    return chosen, options


def choices(dashboard, prom, now, max_options):
    """The defaults, then each variable varied over its options with the others at their defaults."""
    base, options = resolve(dashboard, prom, now, {}, max_options)
    seen, out = set(), []

    def add(c, o):
        key = tuple(sorted(c.items()))
        if key not in seen:
            seen.add(key)
            out.append((c, o))

    add(base, options)
    for var in variables(dashboard):
        name = var["name"]
        if var.get("type") not in ("query", "custom") or var.get("hide") == 2:
            continue
        fixed = {n: base[n] for n in base if list(base).index(n) < list(base).index(name)}
        for value in ([ALL] if var.get("includeAll") else []) + options.get(name, []):
            c, o = resolve(dashboard, prom, now, dict(fixed, **{name: value}), max_options)
            add(c, o)
    return out


def describe(chosen):
    return ", ".join(f"{k}={'All' if v == ALL else v}" for k, v in chosen.items() if k != "datasource") or "no variables"


def check_dashboards(prom, dashboards, now, max_options):
    passed = failed = 0
    for file, dashboard in dashboards.items():
        title = dashboard.get("title", file)
        print(f"\n== {title} ({file})")
        for problem in static_problems(file, dashboard):
            print(f"FAIL  {problem}")
            failed += 1
        vars_by_name = {v["name"]: v for v in variables(dashboard)}
        try:
            combos = choices(dashboard, prom, now, max_options)
        except (PromError, ValueError) as e:
            print(f"FAIL  variables: {e}")
            failed += 1
            continue
        print(f"      {len(combos)} choices of variables: " + "; ".join(describe(c) for c, _ in combos[:3])
              + (" ..." if len(combos) > 3 else ""))
        cache = {}
        for panel, ref, expr, instant in queries(dashboard):
            error, hit, hits_expr = None, None, None
            for chosen, options in combos:
                text = interpolate(expr, vars_by_name, chosen, options)
                key = (text, instant)
                if key not in cache:
                    try:
                        data, _ = prom.run(text, instant, now)
                        cache[key] = (series_with_data(data), None)
                    except PromError as e:
                        cache[key] = (0, str(e))
                n, err = cache[key]
                if err:
                    error = (err, text, chosen)
                    break
                if n and hit is None:
                    hit, hits_expr = (n, chosen), text
            kind = "instant" if instant else "range"
            if error:
                print(f"FAIL  {panel} [{ref}] ({kind}): {error[0]}\n        query: {error[1]}\n        with: {describe(error[2])}")
                failed += 1
            elif hit is None:
                print(f"FAIL  {panel} [{ref}] ({kind}): no data for any choice of variables\n        query: {expr}")
                failed += 1
            else:
                print(f"ok    {panel} [{ref}] ({kind}): {hit[0]} series with {describe(hit[1])}")
                passed += 1
    return passed, failed


# ------------------------------------------------------------------ processes


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_until(what, predicate, timeout, alive=lambda: None, interval=2):
    deadline = time.time() + timeout
    last_note = 0
    while time.time() < deadline:
        alive()
        try:
            if predicate():
                return
        except (OSError, PromError, ValueError):
            pass
        if time.time() - last_note > 30:
            print(f"      waiting for {what} ...", flush=True)
            last_note = time.time()
        time.sleep(interval)
    raise TimeoutError(f"timed out after {timeout:.0f}s waiting for {what}")


def http_ok(url):
    try:
        with urllib.request.urlopen(url, timeout=5) as r:
            return r.status == 200
    except OSError:
        return False


class Stack:
    """prescient serve --demo and a Prometheus scraping it, in a temporary directory."""

    def __init__(self, binary, prometheus_bin, workdir):
        self.dir = Path(workdir)
        self.prescient_port, self.prometheus_port = free_port(), free_port()
        self.binary, self.prometheus_bin = binary, prometheus_bin
        self.procs = []

    def start(self):
        log = open(self.dir / "prescient.log", "wb")
        # With a data directory, as in production, so the write-ahead log and snapshot panels
        # have something to show.
        self.prescient = subprocess.Popen([self.binary, "serve", "--demo", "--listen", f"127.0.0.1:{self.prescient_port}",
                                           "--data-dir", str(self.dir / "prescient-data")],
                                          stdout=log, stderr=subprocess.STDOUT, cwd=self.dir)
        self.procs.append(self.prescient)
        wait_until("Prescient to be ready", lambda: http_ok(f"http://127.0.0.1:{self.prescient_port}/-/ready"), 60,
                   alive=self.check_alive)
        rules = self.dir / "prescient-rules.yml"
        shutil.copy(ROOT / "alerts" / "prescient-rules.yml", rules)
        config = self.dir / "prometheus.yml"
        config.write_text(f"""global:
  scrape_interval: 5s
  evaluation_interval: 5s
rule_files: [{rules}]
scrape_configs:
  - job_name: prescient
    honor_labels: true
    static_configs:
      - targets: ["127.0.0.1:{self.prescient_port}"]
# The demo's source series live only in Prescient: read them back (raw windows) the way a
# Prometheus without them would.
remote_read:
  - url: http://127.0.0.1:{self.prescient_port}/api/v1/read
    read_recent: true
# And write a few of its own series to it, as a Prometheus beside Prescient does: through the
# write-ahead log (the durability panels), not only the demo's in-process feed.
remote_write:
  - url: http://127.0.0.1:{self.prescient_port}/api/v1/write
    write_relabel_configs:
      - source_labels: [__name__]
        regex: up|scrape_duration_seconds
        action: keep
    queue_config:
      batch_send_deadline: 5s
""")
        log = open(self.dir / "prometheus.log", "wb")
        self.prometheus = subprocess.Popen([self.prometheus_bin, f"--config.file={config}",
                                            f"--storage.tsdb.path={self.dir / 'data'}",
                                            f"--web.listen-address=127.0.0.1:{self.prometheus_port}"],
                                           stdout=log, stderr=subprocess.STDOUT, cwd=self.dir)
        self.procs.insert(0, self.prometheus)  # stopped first, so it does not retry against a stopped Prescient
        self.started = time.time()
        wait_until("Prometheus to be ready", lambda: http_ok(f"http://127.0.0.1:{self.prometheus_port}/-/ready"), 60,
                   alive=self.check_alive)
        return f"http://127.0.0.1:{self.prometheus_port}"

    def check_alive(self):
        for p, name in ((getattr(self, "prescient", None), "prescient"), (getattr(self, "prometheus", None), "prometheus")):
            if p is not None and p.poll() is not None:
                tail = (self.dir / f"{name}.log").read_text(errors="replace").splitlines()[-15:]
                raise RuntimeError(f"{name} exited with status {p.returncode}:\n  " + "\n  ".join(tail))

    def reject_one_request(self):
        """One write with a wrong Content-Type, so prescient_requests_rejected_total has a series."""
        req = urllib.request.Request(f"http://127.0.0.1:{self.prescient_port}/api/v1/write", data=b"x",
                                     headers={"Content-Type": "text/plain"}, method="POST")
        try:
            urllib.request.urlopen(req, timeout=5)
        except urllib.error.HTTPError as e:
            return e.code
        return 200

    def stop(self):
        for p in self.procs:
            if p.poll() is None:
                p.terminate()
                try:
                    p.wait(timeout=20)
                except subprocess.TimeoutExpired:
                    p.kill()
                    p.wait()


def check_rules_loaded(prom, now):
    """The alert rules load in a real Prometheus and the recording rule yields series from the demo."""
    passed = failed = 0
    data, _ = prom.get("/api/v1/rules")
    bad = [f"{r['name']}: {r.get('lastError')}" for g in data["groups"] for r in g["rules"] if r.get("health") not in ("ok", "unknown")]
    count = sum(len(g["rules"]) for g in data["groups"])
    if bad or count == 0:
        print(f"FAIL  alert rules in Prometheus: {count} rules, unhealthy: {bad}")
        failed += 1
    else:
        print(f"ok    alert rules in Prometheus: {count} rules loaded and healthy")
        passed += 1
    data, _ = prom.run("prescient:forecast_interval_relative_halfwidth:min", True, now)
    if series_with_data(data):
        print(f"ok    recording rule prescient:forecast_interval_relative_halfwidth:min: {series_with_data(data)} series")
        passed += 1
    else:
        print("FAIL  recording rule prescient:forecast_interval_relative_halfwidth:min: no series from the demo")
        failed += 1
    data, _ = prom.get("/api/v1/alerts")
    active = sorted(f"{a['labels']['alertname']}({a['state']})" for a in data["alerts"])
    print("      alerts pending or firing on the demo (for information): " + (", ".join(active) or "none"))
    return passed, failed


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--dashboards", default=str(ROOT / "grafana"))
    ap.add_argument("--binary", default=os.environ.get("PRESCIENT_BIN", str(ROOT / ".build/debug/prescient")))
    ap.add_argument("--prometheus-bin", default=os.environ.get("PROMETHEUS_BIN", "prometheus"))
    ap.add_argument("--prometheus", help="use this running Prometheus instead of starting Prescient and Prometheus")
    ap.add_argument("--timeout", type=float, default=300, help="seconds to wait for the demo's outputs")
    ap.add_argument("--history", type=float, default=420,
                    help="seconds of scraped history to wait for, so `offset $horizon` queries at the shortest horizon have data")
    ap.add_argument("--max-options", type=int, default=12, help="options tried per variable")
    ap.add_argument("--self-test", action="store_true", help="run the offline tests of parsing and substitution")
    args = ap.parse_args()

    if args.self_test:
        sys.argv = sys.argv[:1]
        unittest.main(module=__name__, verbosity=1)

    dashboards = load_dashboards(args.dashboards)
    if not dashboards:
        print(f"no dashboards in {args.dashboards}\n0 passed, 1 failed")
        return 1
    stack, workdir = None, None
    passed = failed = 0
    try:
        if args.prometheus:
            prom = Prometheus(args.prometheus)
        else:
            if not os.access(args.binary, os.X_OK):
                print(f"no prescient binary at {args.binary} (swift build, or set PRESCIENT_BIN)\n0 passed, 1 failed")
                return 1
            workdir = tempfile.mkdtemp(prefix="prescient-dashboards-")
            stack = Stack(args.binary, args.prometheus_bin, workdir)
            print(f"      starting prescient serve --demo and Prometheus in {workdir}", flush=True)
            prom = Prometheus(stack.start())
            print(f"      a bad write is answered {stack.reject_one_request()} (for the rejected-requests panel)")
        needed = ["anomaly_score", "prescient_model_info", "prescient_forecast_mase",
                  "predicted_exhaustion_seconds", "recommended_replicas", "prescient_scaler_current_replicas"]
        alive = stack.check_alive if stack else (lambda: None)
        wait_until("the demo's outputs in Prometheus (" + ", ".join(needed) + ")",
                   lambda: all(prom.run(f"count({n})", True, time.time())[0]["result"] for n in needed), args.timeout, alive)
        if stack:
            wait_until(f"{args.history:.0f}s of scraped history",
                       lambda: time.time() - stack.started >= args.history, args.history + 10, alive, interval=5)
        now = time.time()
        if stack:
            p, f = check_rules_loaded(prom, now)
            passed, failed = passed + p, failed + f
        p, f = check_dashboards(prom, dashboards, now, args.max_options)
        passed, failed = passed + p, failed + f
    except (RuntimeError, TimeoutError, PromError) as e:
        print(f"FAIL  {e}")
        failed += 1
    finally:
        if stack:
            stack.stop()
            if failed == 0:
                shutil.rmtree(workdir, ignore_errors=True)
            else:
                print(f"      logs kept in {workdir}")
    print(f"{passed} passed, {failed} failed")
    return 1 if failed else 0


# ------------------------------------------------------------------ offline tests


class OfflineTests(unittest.TestCase):
    """Parsing and substitution, without Prometheus."""

    def test_nested_row_panels_are_found(self):
        d = {"panels": [{"type": "row", "collapsed": True, "panels": [
            {"title": "inner", "targets": [{"refId": "A", "expr": "up", "instant": True, "range": False}]}]},
            {"title": "outer", "targets": [{"refId": "B", "expr": "rate(x[5m])"}, {"refId": "C", "expr": ""}]}]}
        self.assertEqual(queries(d), [("inner", "A", "up", True), ("outer", "B", "rate(x[5m])", False)])

    def test_single_value_variables_are_inserted_as_they_are(self):
        vars_ = {"metric": {"name": "metric", "type": "query"}, "horizon": {"name": "horizon", "type": "query"}}
        text = interpolate('{__name__="predicted_${metric}_lower", horizon="$horizon"} offset $horizon',
                           vars_, {"metric": "demo_cpu", "horizon": "1h30m"}, {})
        self.assertEqual(text, '{__name__="predicted_demo_cpu_lower", horizon="1h30m"} offset 1h30m')

    def test_multi_value_variables_are_regex_escaped_and_all_uses_all_value(self):
        var = {"name": "instance", "type": "query", "multi": True, "includeAll": True, "allValue": ".*"}
        vars_ = {"instance": var}
        self.assertEqual(interpolate('up{instance=~"$instance"}', vars_, {"instance": "10.0.0.1:9100"}, {}),
                         'up{instance=~"10\\\\.0\\\\.0\\\\.1:9100"}')
        self.assertEqual(interpolate('up{instance=~"$instance"}', vars_, {"instance": ALL}, {}), 'up{instance=~".*"}')
        del var["allValue"]
        self.assertEqual(interpolate('up{instance=~"[[instance]]"}', vars_, {"instance": ALL}, {"instance": ["a.b", "c"]}),
                         'up{instance=~"(a\\\\.b|c)"}')

    def test_builtins_and_promql_group_references(self):
        text = interpolate('label_replace(rate(x[$__rate_interval]), "a", "$1", "b", "(.*)") [$__range:$__interval]', {}, {}, {})
        self.assertEqual(text, 'label_replace(rate(x[1m]), "a", "$1", "b", "(.*)") [1h:15s]')

    def test_label_values_forms(self):
        self.assertEqual(split_label_values("label_values(job)"), (None, "job"))
        self.assertEqual(split_label_values('label_values({__name__="predicted_x", a=~"b,c"}, horizon)'),
                         ('{__name__="predicted_x", a=~"b,c"}', "horizon"))
        self.assertEqual(split_label_values("label_values(up{job=~\"a|b\"}, instance)"), ('up{job=~"a|b"}', "instance"))
        with self.assertRaises(ValueError):
            split_label_values("query_result(up)")

    def test_variable_regex_keeps_matches_and_takes_the_group(self):
        var = {"regex": "/^(.+_(?:total|count|sum|bucket))_rate$/"}
        self.assertEqual(apply_regex(var, ["demo_http_requests_total_rate", "demo_cpu", "error_rate"]),
                         ["demo_http_requests_total"])
        self.assertEqual(apply_regex({"regex": "/(?<value>node-\\d)/"}, ["node-1:9100", "x"]), ["node-1"])
        self.assertEqual(apply_regex({"regex": ""}, ["a"]), ["a"])

    def test_results_of_only_nan_count_as_empty(self):
        self.assertEqual(series_with_data({"resultType": "vector", "result": [{"value": [1, "NaN"]}]}), 0)
        self.assertEqual(series_with_data({"resultType": "matrix", "result": [{"values": [[1, "NaN"], [2, "3"]]}]}), 1)

    def test_the_repository_dashboards_are_consistent(self):
        dashboards = load_dashboards(ROOT / "grafana")
        self.assertGreaterEqual(len(dashboards), 3)
        uids = [d["uid"] for d in dashboards.values()]
        self.assertEqual(len(uids), len(set(uids)))
        for name, d in dashboards.items():
            self.assertEqual(static_problems(name, d), [], name)
            self.assertTrue(queries(d), name)
            for v in variables(d):
                if v.get("type") == "query":
                    split_label_values(variable_query(v))  # parses

    def test_a_dashboard_with_an_undefined_variable_is_reported(self):
        d = {"schemaVersion": 39, "uid": "x", "templating": {"list": [{"name": "datasource", "type": "datasource", "query": "prometheus"}]},
             "panels": [{"title": "p", "datasource": {"uid": "${datasource}"}, "targets": [{"refId": "A", "expr": 'up{job="$job"}'}]}]}
        self.assertEqual(static_problems("x", d), ["panel 'p': $job is not a variable of this dashboard"])

    def test_a_multi_value_variable_after_equals_is_reported(self):
        d = {"schemaVersion": 39, "uid": "x", "templating": {"list": [
                {"name": "datasource", "type": "datasource", "query": "prometheus"},
                {"name": "job", "type": "query", "query": "label_values(job)", "multi": True, "includeAll": True}]},
             "panels": [{"title": "p", "datasource": {"uid": "${datasource}"}, "targets": [
                {"refId": "A", "expr": 'up{job="$job"} or up{job=~"$job"}'}]}]}
        self.assertEqual(static_problems("x", d), ["panel 'p': multi-value variable $job used with =, needs =~"])


if __name__ == "__main__":
    sys.exit(main())
