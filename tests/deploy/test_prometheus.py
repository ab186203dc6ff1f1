"""deploy/prometheus/: alert rules, their unit tests, the example config and the Grafana dashboard.

promtool (Debian package `prometheus`) checks the rules and runs alerts_test.yml;
a deliberately broken copy of one rule must make those unit tests fail. The
metric names and label names that the rules and the dashboard query are
compared with what a real keel (KEEL_BINARY) exports on /metrics after a few
requests, so a renamed metric breaks this test rather than a dashboard in
production. Every alert must carry summary/description annotations and a
runbook_url naming an existing section of docs/operations/monitoring.md.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess

import httpx
import pytest
import yaml

from conftest import DEPLOY, REPO
from keel_harness import KeelServer, parse_metrics

PROM_DIR = os.path.join(DEPLOY, "prometheus")
RULES = os.path.join(PROM_DIR, "alerts.yml")
RULE_TESTS = os.path.join(PROM_DIR, "alerts_test.yml")
EXAMPLE_CONFIG = os.path.join(PROM_DIR, "prometheus.yml")
DASHBOARD = os.path.join(PROM_DIR, "grafana-dashboard.json")
GUIDE = os.path.join(REPO, "docs", "operations", "monitoring.md")
GUIDE_REF = "docs/operations/monitoring.md"

# Metrics that do not come from keel: Prometheus' own scrape health and the
# blackbox_exporter probing the public HTTPS endpoint through nginx.
EXTERNAL_METRICS = {"up", "probe_success", "probe_ssl_earliest_cert_expiry"}
# Labels Prometheus attaches to every scraped series.
TARGET_LABELS = {"job", "instance"}
# Labels whose every value keel exports from the start (gauges per state, a
# counter per policy), so a selected value must be one of the exported ones.
CLOSED_LABELS = {"state", "policy"}
PROMQL_WORDS = {"and", "or", "unless", "bool", "offset", "inf", "nan", "by", "without",
                "on", "ignoring", "group_left", "group_right"}


def promtool() -> str:
    path = shutil.which("promtool")
    if path is None:
        pytest.fail("promtool not found: install the Debian package `prometheus` (scripts/setup does)")
    return path


def run_promtool(*args: str, cwd: str = PROM_DIR) -> subprocess.CompletedProcess:
    return subprocess.run([promtool(), *args], cwd=cwd, capture_output=True, text=True, timeout=60)


def load_yaml(path: str):
    with open(path) as f:
        return yaml.safe_load(f)


def alert_rules(doc=None) -> list[dict]:
    doc = doc if doc is not None else load_yaml(RULES)
    return [rule for group in doc["groups"] for rule in group["rules"] if "alert" in rule]


# --------------------------------------------------------------------------- PromQL scanning


def strip_promql(expr: str) -> str:
    """strip_promql removes what is not a metric name: label matchers, ranges, grouping clauses, strings."""
    expr = re.sub(r"#[^\n]*", "", expr)
    expr = re.sub(r"\{[^}]*\}", "", expr)
    expr = re.sub(r"\[[^\]]*\]", "", expr)
    expr = re.sub(r"\b(by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)", " ", expr)
    return re.sub(r'"(?:[^"\\]|\\.)*"', '""', expr)


def metric_names(expr: str) -> set[str]:
    """metric_names lists the metric names a PromQL expression (or Grafana label_values query) selects."""
    m = re.fullmatch(r"\s*label_values\((.*)\)\s*", expr, re.S)
    if m:
        args = m.group(1)
        if "," not in strip_promql(args):
            return set()  # label_values(label): no metric named
        expr = args.rsplit(",", 1)[0]
    names = set()
    for m in re.finditer(r"(?<![\w:$.])([a-zA-Z_:][\w:]*)(?![\w:])(?!\s*\()", strip_promql(expr)):
        if m.group(1) not in PROMQL_WORDS:
            names.add(m.group(1))
    return names


def selectors(expr: str) -> list[tuple[str, list[tuple[str, str, str]]]]:
    """selectors lists (metric, [(label, op, value)]) for every `metric{...}` in an expression."""
    found = []
    for m in re.finditer(r"([a-zA-Z_:][\w:]*)\s*\{([^}]*)\}", expr):
        matchers = re.findall(r'(\w+)\s*(=~|!~|!=|=)\s*"((?:[^"\\]|\\.)*)"', m.group(2))
        found.append((m.group(1), matchers))
    return found


def test_promql_scanner_finds_metrics_and_ignores_everything_else():
    expr = ('histogram_quantile(0.99, sum by (le, route) (rate(http_request_duration_seconds_bucket'
            '{job="$job", route!~"a|b"}[$__rate_interval]))) / on (job) group_left '
            'max without (x) (keel_jobs_depth offset 5m) > bool 2 and time() - up')
    assert metric_names(expr) == {"http_request_duration_seconds_bucket", "keel_jobs_depth", "up"}
    assert metric_names('label_values(keel_build_info{job="$job"}, instance)') == {"keel_build_info"}
    assert metric_names("label_values(job)") == set()
    assert selectors('rate(x_total{a="1", b=~"2|3"}[5m])') == [("x_total", [("a", "=", "1"), ("b", "=~", "2|3")])]


# --------------------------------------------------------------------------- a real keel


def form_post(server: KeelServer, path: str, data: dict[str, str]) -> httpx.Response:
    return httpx.post(server.url(path), data=data, timeout=10)


@pytest.fixture(scope="module")
def exported():
    """exported is a real keel's /metrics after typical traffic: (names, {name: {label: values}}, samples)."""
    server = KeelServer().start()
    try:
        for path in ("/health", "/readiness", "/api/v1/items", "/no-such-path", "/openapi.json"):
            httpx.get(server.url(path), timeout=10)
        for path in ("/api/v1/auth/token", "/login/access-token"):
            reply = form_post(server, path, {"grant_type": "password", "username": "nobody@example.com",
                                             "password": "not-the-password-1"})
            assert reply.status_code in (400, 401), f"failed sign-in on {path} answered {reply.status_code}"
        reply = httpx.get(server.url("/metrics"), timeout=10)
        assert reply.status_code == 200, reply.text
        text = reply.text
    finally:
        server.close()
        server.remove_tmp()
    names: set[str] = set()
    for m in re.finditer(r"^# TYPE (\S+) (\S+)$", text, re.M):
        name, kind = m.groups()
        if kind == "histogram":
            names.update({name + "_bucket", name + "_sum", name + "_count"})
        elif kind == "summary":
            names.update({name, name + "_sum", name + "_count"})
        else:
            names.add(name)
    samples = parse_metrics(text)
    labels: dict[str, dict[str, set[str]]] = {}
    for s in samples:
        names.add(s.name)
        for label, value in s.labels.items():
            labels.setdefault(s.name, {}).setdefault(label, set()).add(value)
    assert "http_requests_total" in names and len(names) > 20, f"suspiciously few metrics: {sorted(names)}"
    return names, labels, samples


def check_query(expr: str, where: str, names: set[str], labels: dict[str, dict[str, set[str]]]) -> list[str]:
    """check_query returns the problems of one query: unknown metrics, label names or closed label values."""
    problems = []
    used = metric_names(expr)
    if not used:
        problems.append(f"{where}: no metric found in {expr!r}")
    for name in sorted(used - names - EXTERNAL_METRICS):
        problems.append(f"{where}: keel does not export {name!r}")
    for name, matchers in selectors(expr):
        if name in EXTERNAL_METRICS or name not in labels:
            continue  # no sample to compare label names with (e.g. a counter still at zero)
        for label, op, value in matchers:
            if label not in TARGET_LABELS and label not in labels[name]:
                problems.append(f"{where}: {name} has no label {label!r} (it has {sorted(labels[name])})")
            elif label in CLOSED_LABELS and op in ("=", "=~") and re.fullmatch(r"[\w|]+", value):
                for wanted in set(value.split("|")) - labels[name][label]:
                    problems.append(f"{where}: {name} has no {label}={wanted!r} "
                                    f"(it has {sorted(labels[name][label])})")
    return problems


# --------------------------------------------------------------------------- rules


def test_promtool_check_rules_accepts_every_rule():
    result = run_promtool("check", "rules", RULES)
    assert result.returncode == 0, result.stdout + result.stderr
    count = sum(len(group["rules"]) for group in load_yaml(RULES)["groups"])
    assert f"SUCCESS: {count} rules found" in result.stdout, result.stdout


def test_promtool_rule_unit_tests_pass():
    result = run_promtool("test", "rules", RULE_TESTS)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "SUCCESS" in result.stdout and "FAILED" not in result.stdout, result.stdout


def test_yamllint_passes_on_the_prometheus_files():
    """test_manifests.py lints deploy/**/*.yaml; these files are *.yml, as Prometheus' docs name them."""
    files = [RULES, RULE_TESTS, EXAMPLE_CONFIG]
    done = subprocess.run(["yamllint", "-s", "-f", "parsable", "-c", os.path.join(DEPLOY, ".yamllint.yaml"), *files],
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stdout + done.stderr


def test_every_alert_has_a_firing_and_a_quiet_unit_test():
    alerts = {rule["alert"] for rule in alert_rules()}
    fires, quiet = set(), set()
    for case in load_yaml(RULE_TESTS)["tests"]:
        for check in case.get("alert_rule_test", []):
            assert check["alertname"] in alerts, f"test of unknown alert {check['alertname']}"
            (fires if check.get("exp_alerts") else quiet).add(check["alertname"])
    assert alerts - fires == set(), f"alerts without a firing case: {sorted(alerts - fires)}"
    assert alerts - quiet == set(), f"alerts without a not-firing case: {sorted(alerts - quiet)}"


def test_rule_unit_tests_catch_a_broken_threshold(tmp_path):
    """The unit tests bite: KeelHighErrorRate at 50% instead of 5% makes them fail."""
    doc = load_yaml(RULES)
    rule = next(r for r in alert_rules(doc) if r["alert"] == "KeelHighErrorRate")
    assert "> 0.05" in rule["expr"]
    rule["expr"] = rule["expr"].replace("> 0.05", "> 0.5")
    (tmp_path / "alerts.yml").write_text(yaml.safe_dump(doc))
    tests = load_yaml(RULE_TESTS)
    tests["tests"] = [case for case in tests["tests"]
                      if any(c["alertname"] == "KeelHighErrorRate" for c in case.get("alert_rule_test", []))]
    (tmp_path / "alerts_test.yml").write_text(yaml.safe_dump(tests))
    result = run_promtool("test", "rules", "alerts_test.yml", cwd=str(tmp_path))
    report = result.stdout + result.stderr
    assert result.returncode != 0, report
    assert "FAILED" in report and "alertname: KeelHighErrorRate" in report and "got:[]" in report, report


def github_anchors(markdown: str) -> set[str]:
    """github_anchors are the fragment ids GitHub gives the headings of a Markdown file."""
    anchors = set()
    in_code = False
    for line in markdown.splitlines():
        if line.startswith("```"):
            in_code = not in_code
        m = None if in_code else re.match(r"^#{1,6}\s+(.*?)\s*#*\s*$", line)
        if m:
            text = re.sub(r"[`*_]|\[([^\]]*)\]\([^)]*\)", lambda g: g.group(1) or "", m.group(1))
            anchors.add(re.sub(r"[^\w\- ]", "", text.lower()).replace(" ", "-"))
    return anchors


def test_every_alert_is_documented_with_a_runbook_section():
    with open(GUIDE) as f:
        anchors = github_anchors(f.read())
    for rule in alert_rules():
        name = rule["alert"]
        annotations = rule.get("annotations", {})
        assert annotations.get("summary", "").strip(), f"{name}: no summary"
        assert len(annotations.get("description", "").strip()) > 40, f"{name}: no real description"
        assert rule.get("labels", {}).get("severity") in ("warning", "critical"), f"{name}: severity"
        url = annotations.get("runbook_url", "")
        path, _, anchor = url.partition("#")
        assert path == GUIDE_REF and anchor, f"{name}: runbook_url {url!r} is not {GUIDE_REF}#<section>"
        assert anchor in anchors, f"{name}: {GUIDE_REF} has no section #{anchor}"
        assert anchor == name.lower(), f"{name}: runbook_url should point at the alert's own section"


def test_monitoring_guide_links_resolve():
    with open(GUIDE) as f:
        text = f.read()
    links = re.findall(r"\]\(([^)\s#]+)(?:#[^)]*)?\)", text)
    local = [link for link in links if "://" not in link and not link.startswith("mailto:")]
    assert any(link.endswith("deploy/prometheus/alerts.yml") for link in local), "guide must link the rules"
    for link in local:
        target = os.path.normpath(os.path.join(os.path.dirname(GUIDE), link))
        assert os.path.exists(target), f"broken link in monitoring guide: {link}"


def test_alert_rules_query_only_what_keel_exports(exported):
    names, labels, _ = exported
    problems = []
    for rule in alert_rules():
        problems += check_query(rule["expr"], rule["alert"], names, labels)
    assert problems == []


def test_alert_job_selectors_match_the_example_scrape_config():
    result = run_promtool("check", "config", "--syntax-only", EXAMPLE_CONFIG)
    assert result.returncode == 0, result.stdout + result.stderr
    config = load_yaml(EXAMPLE_CONFIG)
    assert config["rule_files"] == ["alerts.yml"]
    jobs = {scrape["job_name"] for scrape in config["scrape_configs"]}
    used = {value for rule in alert_rules() for _, matchers in selectors(rule["expr"])
            for label, op, value in matchers if label == "job" and op == "="}
    assert used and used <= jobs, f"alerts select jobs {sorted(used)}, the example config has {sorted(jobs)}"


def test_login_failure_alert_counts_what_keel_answers_a_failed_sign_in(exported):
    """Keel has no login-failure counter; the alert relies on the token endpoints' 4xx statuses."""
    _, _, samples = exported
    rule = next(r for r in alert_rules() if r["alert"] == "KeelLoginFailureSpike")
    (_, matchers), = selectors(rule["expr"])
    route_re = next(v for label, op, v in matchers if label == "route" and op == "=~")
    status_re = next(v for label, op, v in matchers if label == "status" and op == "=~")
    failed = [s for s in samples if s.name == "http_requests_total" and s.labels.get("method") == "POST"
              and s.labels.get("route") in ("/api/v1/auth/token", "/login/access-token")]
    assert {s.labels["route"] for s in failed} == {"/api/v1/auth/token", "/login/access-token"}, failed
    for s in failed:
        assert re.fullmatch(route_re, s.labels["route"]) and re.fullmatch(status_re, s.labels["status"]), s


def test_readiness_alert_route_is_the_one_keel_reports(exported):
    _, _, samples = exported
    routes = {s.labels.get("route") for s in samples if s.name == "http_requests_total"}
    assert "/readiness" in routes, routes
    rule = next(r for r in alert_rules() if r["alert"] == "KeelNotReady")
    assert all(("route", "=", "/readiness") in matchers for _, matchers in selectors(rule["expr"]))


# --------------------------------------------------------------------------- dashboard


def dashboard_queries(dashboard: dict) -> list[tuple[str, str]]:
    queries = []
    for panel in dashboard["panels"]:
        for inner in [panel, *panel.get("panels", [])]:
            for target in inner.get("targets", []):
                queries.append((f"panel {inner['title']!r} {target.get('refId')}", target.get("expr", "")))
    for variable in dashboard.get("templating", {}).get("list", []):
        if variable.get("type") == "query":
            query = variable["query"]
            queries.append((f"variable {variable['name']}", query["query"] if isinstance(query, dict) else query))
    return queries


def test_dashboard_is_valid_grafana_json():
    with open(DASHBOARD) as f:
        dashboard = json.load(f)
    assert dashboard["uid"] and dashboard["title"] and isinstance(dashboard["schemaVersion"], int)
    ids = [p["id"] for p in dashboard["panels"]]
    assert len(ids) == len(set(ids)), "duplicate panel ids"
    for panel in dashboard["panels"]:
        pos = panel["gridPos"]
        assert 0 <= pos["x"] and pos["x"] + pos["w"] <= 24 and pos["h"] > 0, panel["title"]
        if panel["type"] != "row":
            assert panel["targets"] and all(t.get("expr") for t in panel["targets"]), panel["title"]
    titles = " ".join(p["title"].lower() for p in dashboard["panels"])
    for red in ("requests per second", "error", "latency"):
        assert red in titles, f"dashboard lacks a {red!r} panel"


def test_dashboard_queries_only_what_keel_exports(exported):
    names, labels, _ = exported
    with open(DASHBOARD) as f:
        dashboard = json.load(f)
    problems = []
    for where, expr in dashboard_queries(dashboard):
        problems += check_query(expr, where, names, labels)
    assert problems == []


def test_metric_check_rejects_an_unknown_metric_and_label(exported):
    names, labels, _ = exported
    problems = check_query('sum(rate(keel_made_up_total[5m])) + sum(http_requests_total{colour="red"})'
                           ' + sum(db_pool_connections{state=~"in_use|inuse"})', "probe", names, labels)
    assert len(problems) == 3, problems
    assert "keel_made_up_total" in problems[0] and "colour" in problems[1] and "'inuse'" in problems[2], problems
