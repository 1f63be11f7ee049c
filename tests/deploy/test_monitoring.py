"""Static checks of the monitoring configuration (issue 5, sections 2-4).

Runs the real tools: promtool 2.42.0 with Consul service discovery, built by
scripts/bootstrap into the cache (tools/prometheus; Debian's promtool rejects
`consul_sd_configs`), and amtool from the Debian package
`prometheus-alertmanager`; validates the Grafana dashboards, the
alert metadata, the runbook anchors and the unit-test coverage of every alert.

    python3 -m pytest tests/deploy/test_monitoring.py -q

If promtool/amtool are missing the tool tests fail; set
MONITORING_SKIP_MISSING_TOOLS=1 to skip them instead.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

sys.path.insert(0, str(Path(__file__).resolve().parent))
import promql_exprs  # noqa: E402

REPO = Path(__file__).resolve().parents[2]
PROM_DIR = REPO / "deploy" / "prometheus"
PROM_CONFIG = PROM_DIR / "prometheus.yml"
RULE_FILES = sorted((PROM_DIR / "rules").glob("*.yml"))
RULE_TEST_FILES = sorted((PROM_DIR / "tests").glob("*.yml"))
AM_DIR = REPO / "deploy" / "alertmanager"
AM_CONFIG = AM_DIR / "alertmanager.yml"
AM_RENDER = AM_DIR / "render-config.sh"
GRAFANA_DIR = REPO / "deploy" / "grafana"
DASHBOARDS = sorted((GRAFANA_DIR / "dashboards").glob("*.json"))
OPERATIONS_MD = REPO / "docs" / "operations.md"

DATASOURCE_UID = "prometheus"
SEVERITIES = {"critical", "warning", "info"}
RUNBOOK_RE = re.compile(r"^docs/operations\.md#([a-z0-9_-]+)$")


# ----------------------------------------------------------------- helpers

CACHE = Path(os.environ.get("STOREFRONT_CACHE", REPO / ".cache"))


def tool(name: str) -> str:
    built = CACHE / "bin" / name
    path = str(built) if name == "promtool" and built.exists() else shutil.which(name)
    if path is None or (name == "promtool" and not built.exists()):
        msg = (f"{built} not found (scripts/bootstrap builds it)" if name == "promtool"
               else f"{name} not found (apt-get install prometheus-alertmanager)")
        if os.environ.get("MONITORING_SKIP_MISSING_TOOLS") == "1":
            pytest.skip(msg)
        pytest.fail(msg)
    return path


def run(*args: str, env: dict | None = None) -> subprocess.CompletedProcess:
    proc = subprocess.run(args, capture_output=True, text=True, timeout=120, cwd=REPO,
                          env={**os.environ, **(env or {})})
    assert proc.returncode == 0, (
        f"{' '.join(args)} exited {proc.returncode}\n--- stdout\n{proc.stdout}\n--- stderr\n{proc.stderr}"
    )
    return proc


def load_yaml(path: Path):
    return yaml.safe_load(path.read_text())


def alert_rules() -> list[tuple[Path, dict]]:
    out = []
    for path in RULE_FILES:
        for group in load_yaml(path).get("groups", []):
            for rule in group.get("rules", []):
                if "alert" in rule:
                    out.append((path, rule))
    return out


def alert_names() -> set[str]:
    return {rule["alert"] for _, rule in alert_rules()}


def github_anchor(heading: str) -> str:
    """The anchor GitHub generates for a Markdown heading."""
    text = re.sub(r"`", "", heading.strip().lower())
    text = re.sub(r"[^\w\- ]", "", text)
    return text.replace(" ", "-")


def markdown_sections(path: Path) -> dict[str, str]:
    """anchor -> text of the section (up to the next heading of any level)."""
    sections: dict[str, str] = {}
    current, buf = None, []
    in_code = False
    for line in path.read_text().splitlines():
        if line.startswith("```"):
            in_code = not in_code
        m = None if in_code else re.match(r"^(#{1,6})\s+(.*)$", line)
        if m:
            if current is not None:
                sections[current] = "\n".join(buf)
            anchor = github_anchor(m.group(2))
            base, n = anchor, 1
            while anchor in sections:
                anchor = f"{base}-{n}"
                n += 1
            current, buf = anchor, []
        else:
            buf.append(line)
    if current is not None:
        sections[current] = "\n".join(buf)
    return sections


def all_panels(panels):
    for p in panels:
        yield p
        yield from all_panels(p.get("panels", []))


# ------------------------------------------------------------- promtool

def test_rule_and_test_files_exist():
    names = {p.name for p in RULE_FILES}
    assert {"storefront.yml", "gateway.yml", "redis.yml", "mongodb.yml", "hosts.yml", "targets.yml"} <= names
    assert RULE_TEST_FILES, "no promtool rule unit tests"


def test_promtool_check_config(tmp_path):
    # The compose secret the config reads (/run/secrets/consul_read_token) is
    # pointed at a file here; the rule files through a link, as mounted.
    token = tmp_path / "consul_read_token"
    token.write_text("00000000-0000-0000-0000-000000000000\n")
    (tmp_path / "rules").symlink_to(PROM_DIR / "rules")
    cfg = tmp_path / "prometheus.yml"
    text = PROM_CONFIG.read_text()
    assert "/run/secrets/consul_read_token" in text
    cfg.write_text(text.replace("/run/secrets/consul_read_token", str(token)))
    out = run(tool("promtool"), "check", "config", str(cfg))
    # the config loads the rule files through a relative glob: they must all be found
    assert f"{len(RULE_FILES)} rule files found" in out.stdout + out.stderr


def test_promtool_check_rules():
    run(tool("promtool"), "check", "rules", *map(str, RULE_FILES))


def test_promtool_test_rules():
    run(tool("promtool"), "test", "rules", *map(str, RULE_TEST_FILES))


def test_dashboard_exprs_parse(tmp_path):
    """Every dashboard expression (after Grafana variable substitution) is valid PromQL."""
    exprs = promql_exprs.dashboard_exprs()
    assert exprs
    rules = [{"record": f"dashboard:expr_{i}", "expr": e} for i, (_, e) in enumerate(exprs)]
    f = tmp_path / "dashboard_exprs.yml"
    f.write_text(yaml.safe_dump({"groups": [{"name": "dashboards", "rules": rules}]}))
    run(tool("promtool"), "check", "rules", str(f))


# ------------------------------------------------------ prometheus config

def test_prometheus_scrape_config():
    cfg = load_yaml(PROM_CONFIG)
    assert cfg["global"]["external_labels"] == {"cluster": "storefront"}
    jobs = {j["job_name"]: j for j in cfg["scrape_configs"]}
    assert {"storefront", "apisix", "redis", "redis-exporter", "mongodb", "mongos",
            "node", "prometheus", "alertmanager"} <= set(jobs)

    def targets(job):
        return [t for sc in jobs[job]["static_configs"] for t in sc["targets"]]

    # The instances come from Consul, as APISIX's upstream does; `instance` is the service ID.
    assert "static_configs" not in jobs["storefront"]
    (sd,) = jobs["storefront"]["consul_sd_configs"]
    assert (sd["server"], sd["services"]) == ("consul:8500", ["storefront"])
    assert {"source_labels": ["__meta_consul_service_id"], "target_label": "instance"} \
        in jobs["storefront"]["relabel_configs"]
    assert jobs["apisix"]["metrics_path"] == "/apisix/prometheus/metrics"
    assert targets("apisix") == ["apisix:9091"]
    assert jobs["redis"]["metrics_path"] == "/scrape"
    assert targets("redis") == [f"redis-node-{i}:6379" for i in range(1, 7)]
    relabel = jobs["redis"]["relabel_configs"]
    assert {"source_labels": ["__address__"], "target_label": "__param_target"} in relabel
    assert any(r.get("target_label") == "__address__" and r.get("replacement") == "redis-exporter:9121" for r in relabel)
    roles = {sc["labels"]["cluster_role"]: sc["targets"] for sc in jobs["mongodb"]["static_configs"]}
    assert roles == {"shard1": ["mongodb-exporter-shard1:9216"],
                     "shard2": ["mongodb-exporter-shard2:9216"],
                     "config": ["mongodb-exporter-cfg:9216"]}
    assert targets("mongos") == [f"mongos-{i}:27017" for i in (1, 2, 3)]
    assert targets("node") == ["node-exporter:9100"]
    assert targets("alertmanager") == ["alertmanager:9093"]
    am = cfg["alerting"]["alertmanagers"][0]["static_configs"][0]["targets"]
    assert am == ["alertmanager:9093"]


# --------------------------------------------------------- alert metadata

def test_alert_names_unique():
    names = [rule["alert"] for _, rule in alert_rules()]
    dupes = {n for n in names if names.count(n) > 1}
    assert not dupes, f"duplicate alert names: {dupes}"


@pytest.mark.parametrize("path,rule", alert_rules(), ids=lambda v: v["alert"] if isinstance(v, dict) else v.name)
def test_alert_has_metadata_and_runbook(path, rule):
    labels = rule.get("labels", {})
    ann = rule.get("annotations", {})
    assert labels.get("severity") in SEVERITIES, f"{rule['alert']}: severity label"
    for key in ("summary", "description", "runbook_url"):
        assert str(ann.get(key, "")).strip(), f"{rule['alert']}: missing annotation {key}"
    m = RUNBOOK_RE.match(ann["runbook_url"])
    assert m, f"{rule['alert']}: runbook_url {ann['runbook_url']!r} must be docs/operations.md#<anchor>"
    sections = markdown_sections(OPERATIONS_MD)
    anchor = m.group(1)
    assert anchor in sections, f"{rule['alert']}: no heading for #{anchor} in docs/operations.md"
    body = sections[anchor]
    for part in ("What it means", "What to check", "What to do"):
        assert part in body, f"runbook #{anchor} lacks '{part}'"


def test_runbook_under_alert_runbook_heading():
    text = OPERATIONS_MD.read_text()
    assert re.search(r"^## Alert runbook$", text, re.M)
    start = text.index("## Alert runbook")
    rest = text[start + 1:]
    nxt = re.search(r"^## ", rest, re.M)
    section = rest[: nxt.start()] if nxt else rest
    for name in alert_names():
        assert re.search(rf"^#+ {name}$", section, re.M), f"{name} has no heading under '## Alert runbook'"


def test_storefront_rules_are_gateway_independent():
    text = (PROM_DIR / "rules" / "storefront.yml").read_text()
    body = "\n".join(line for line in text.splitlines() if not line.lstrip().startswith("#"))
    for word in ("apisix", "haproxy", "consul"):
        assert word not in body.lower(), f"storefront.yml must not depend on {word}"
    gw = load_yaml(PROM_DIR / "rules" / "gateway.yml")
    for group in gw["groups"]:
        for rule in group["rules"]:
            assert "apisix" in rule["expr"], "gateway.yml apisix group selects apisix metrics only"


# --------------------------------------------------- unit-test coverage

def _test_cases():
    """(alertname, firing?) for every alert_rule_test in every promtool test file."""
    cases = []
    for path in RULE_TEST_FILES:
        doc = load_yaml(path)
        for t in doc.get("tests", []):
            for art in t.get("alert_rule_test", []) or []:
                cases.append((art["alertname"], bool(art.get("exp_alerts"))))
    return cases


def test_every_alert_fires_and_stays_silent_in_unit_tests():
    cases = _test_cases()
    firing = {name for name, fires in cases if fires}
    silent = {name for name, fires in cases if not fires}
    names = alert_names()
    assert not names - firing, f"alerts never expected to fire in a promtool test: {sorted(names - firing)}"
    assert not names - silent, f"alerts never expected to stay silent in a promtool test: {sorted(names - silent)}"
    unknown = {n for n, _ in cases} - names
    assert not unknown, f"promtool tests reference unknown alerts: {unknown}"


def test_every_rule_file_has_a_test_file():
    tested = set()
    for path in RULE_TEST_FILES:
        for rf in load_yaml(path).get("rule_files", []):
            tested.add((path.parent / rf).resolve())
    missing = [p.name for p in RULE_FILES if p.resolve() not in tested]
    assert not missing, f"rule files without promtool tests: {missing}"


# ------------------------------------------------------------ alertmanager

def test_amtool_check_config():
    run(tool("amtool"), "check-config", str(AM_CONFIG))


def test_alertmanager_rendered_config(tmp_path):
    out = tmp_path / "alertmanager.yml"
    url = "https://hooks.example.org/storefront?token=a&b=c|d"
    page = "https://pager.example.org/x"
    run("sh", str(AM_RENDER), str(AM_CONFIG), str(out),
        env={"ALERTMANAGER_WEBHOOK_URL": url, "ALERTMANAGER_CRITICAL_WEBHOOK_URL": page})
    cfg = load_yaml(out)
    urls = {r["name"]: r["webhook_configs"][0]["url"] for r in cfg["receivers"]}
    assert urls == {"default": url, "warning": url, "critical": page}
    run(tool("amtool"), "check-config", str(out))
    # unset variables keep the placeholders
    out2 = tmp_path / "unset.yml"
    env = {k: v for k, v in os.environ.items() if not k.startswith("ALERTMANAGER_")}
    subprocess.run(["sh", str(AM_RENDER), str(AM_CONFIG), str(out2)], check=True, env=env)
    assert out2.read_text() == AM_CONFIG.read_text()


def test_alertmanager_routing_and_inhibition():
    cfg = load_yaml(AM_CONFIG)
    assert set(cfg["route"]["group_by"]) == {"alertname", "cluster"}
    amtool = tool("amtool")
    for labels, receiver in (("severity=critical", "critical"), ("severity=warning", "warning"),
                             ("severity=info", "default")):
        out = run(amtool, "config", "routes", "test", f"--config.file={AM_CONFIG}",
                  "alertname=X", "cluster=storefront", labels)
        assert out.stdout.strip() == receiver, f"{labels} routed to {out.stdout.strip()}"

    names = alert_names()
    pairs = []
    for rule in cfg["inhibit_rules"]:
        assert "cluster" in rule["equal"]
        for side in ("source_matchers", "target_matchers"):
            for m in rule[side]:
                mm = re.match(r'^\s*alertname\s*(=~|=)\s*"(.*)"\s*$', m)
                if mm:
                    for n in mm.group(2).split("|"):
                        assert n in names, f"inhibit rule references unknown alert {n}"
        src = [m for m in rule["source_matchers"] if "alertname" in m]
        pairs.append((src[0], " ".join(rule["target_matchers"])))
    text = json.dumps(pairs)
    assert "MongosMajorityDown" in text and "StorefrontHighLatencyP99" in text
    assert "StorefrontAllInstancesDown" in text and "StorefrontInstanceDown" in text


# ----------------------------------------------------------------- grafana

def test_grafana_datasource():
    docs = [load_yaml(p) for p in sorted((GRAFANA_DIR / "provisioning" / "datasources").glob("*.yml"))]
    sources = [d for doc in docs for d in doc.get("datasources", [])]
    prom = [d for d in sources if d["type"] == "prometheus"]
    assert len(prom) == 1 and prom[0]["uid"] == DATASOURCE_UID
    assert prom[0]["url"] == "http://prometheus:9090"


def test_grafana_dashboard_provider():
    docs = [load_yaml(p) for p in sorted((GRAFANA_DIR / "provisioning" / "dashboards").glob("*.yml"))]
    providers = [p for doc in docs for p in doc.get("providers", [])]
    assert providers and all(p["type"] == "file" and p["options"]["path"] for p in providers)


def test_expected_dashboards_exist():
    uids = {json.loads(p.read_text())["uid"] for p in DASHBOARDS}
    assert {"storefront-overview", "mongodb-cluster", "redis-cluster", "apisix-gateway", "hosts"} <= uids


@pytest.mark.parametrize("path", DASHBOARDS, ids=lambda p: p.name)
def test_dashboard(path):
    raw = path.read_text()
    assert "${DS_" not in raw and "__inputs" not in raw, "dashboard uses import inputs"
    dash = json.loads(raw)
    assert dash.get("uid") and dash.get("title")
    assert dash.get("id") in (None,), "dashboard must not pin a database id"
    ids = []
    for var in dash.get("templating", {}).get("list", []):
        if var.get("type") == "query":
            assert var["datasource"] == {"type": "prometheus", "uid": DATASOURCE_UID}, var["name"]
    panels = list(all_panels(dash.get("panels", [])))
    assert panels
    for p in panels:
        ids.append(p["id"])
        if p.get("type") == "row":
            continue
        title = p.get("title")
        assert p.get("datasource", {}).get("uid") == DATASOURCE_UID, f"panel {title}: datasource"
        targets = p.get("targets") or []
        assert targets, f"panel {title}: no target"
        for t in targets:
            assert t.get("expr", "").strip(), f"panel {title}: empty expr"
            assert t.get("refId"), f"panel {title}: refId"
            ds = t.get("datasource")
            assert ds is None or ds.get("uid") == DATASOURCE_UID, f"panel {title}: target datasource"
        assert "gridPos" in p
    assert len(ids) == len(set(ids)), "duplicate panel ids"


# ------------------------------------------------------------ promql_exprs

def test_promql_exprs_cover_rules_and_dashboards():
    exprs = promql_exprs.all_exprs()
    sources = [s for s, _ in exprs]
    assert len(sources) == len(set(sources)), "sources must be unique"
    for name in alert_names():
        assert any(s.startswith("rule:") and s.endswith(f":{name}") for s in sources), name
    n_targets = sum(
        len(p.get("targets", []))
        for d in DASHBOARDS
        for p in all_panels(json.loads(d.read_text())["panels"])
    )
    assert sum(1 for s in sources if ":panel " in s) == n_targets
    for s, e in exprs:
        if s.startswith("dashboard:"):
            assert "$" not in e, f"{s}: unsubstituted Grafana variable in {e}"
    sf = promql_exprs.storefront_exprs()
    assert sf and all("storefront" in s for s, _ in sf)
    assert promql_exprs.is_alert("rule:storefront.yml:storefront-traffic:StorefrontHigh5xxRatio")
