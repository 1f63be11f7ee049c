"""Every PromQL expression used by the monitoring configuration.

``all_exprs()`` returns ``(source, expr)`` pairs for

* every alerting and recording rule in ``deploy/prometheus/rules/*.yml``
  (source ``rule:<file>:<group>:<alert or record name>``), and
* every target of every Grafana dashboard panel and every query variable in
  ``deploy/grafana/dashboards/*.json``
  (source ``dashboard:<file>:panel <id> <title>:<refId>`` or
  ``dashboard:<file>:variable <name>``).

Dashboard expressions are returned ready to send to the Prometheus HTTP API:
Grafana's interval macros become fixed durations and template variables
(always used as ``label=~"$var"`` matchers) become ``.*``; a
``label_values(<selector>, <label>)`` variable query becomes ``<selector>``.
Pass ``raw=True`` to get the text exactly as written.

``storefront_exprs()`` is the subset that only needs storefront's own metrics
(the storefront rule file and the storefront overview dashboard): against a
Prometheus that scrapes a running storefront these must return data, except
alert conditions, which are healthy (empty) by design; ``is_alert(source)``
tells them apart.

Run as a script to print the list as JSON.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import yaml

REPO = Path(__file__).resolve().parents[2]
RULES_DIR = REPO / "deploy" / "prometheus" / "rules"
DASHBOARDS_DIR = REPO / "deploy" / "grafana" / "dashboards"

STOREFRONT_RULE_FILES = ("storefront.yml",)
STOREFRONT_DASHBOARDS = ("storefront-overview.json",)

# Grafana macros -> values valid in PromQL (scrape interval is 15s).
GRAFANA_MACROS = {
    "$__rate_interval": "1m",
    "${__rate_interval}": "1m",
    "$__interval": "1m",
    "${__interval}": "1m",
    "$__range": "5m",
    "${__range}": "5m",
}
_VAR_RE = re.compile(r"\$\{(\w+)(?::\w+)?\}|\$(\w+)")
_LABEL_VALUES_RE = re.compile(r"^\s*label_values\((.*),\s*(\w+)\s*\)\s*$", re.S)


def render_grafana(expr: str) -> str:
    """Replace Grafana macros and template variables so Prometheus can evaluate ``expr``."""
    for macro, value in GRAFANA_MACROS.items():
        expr = expr.replace(macro, value)
    return _VAR_RE.sub(".*", expr)


def variable_query_expr(query: str) -> str | None:
    """PromQL behind a Grafana ``label_values(...)`` / ``query_result(...)`` variable query."""
    m = _LABEL_VALUES_RE.match(query)
    if m:
        return m.group(1).strip()
    m = re.match(r"^\s*query_result\((.*)\)\s*$", query, re.S)
    if m:
        return m.group(1).strip()
    return None  # label_values(label) without a selector: no PromQL to evaluate


def rule_exprs() -> list[tuple[str, str]]:
    out = []
    for path in sorted(RULES_DIR.glob("*.yml")):
        doc = yaml.safe_load(path.read_text()) or {}
        for group in doc.get("groups", []):
            for rule in group.get("rules", []):
                name = rule.get("alert") or rule.get("record")
                out.append((f"rule:{path.name}:{group['name']}:{name}", rule["expr"].strip()))
    return out


def _panels(panels):
    for p in panels:
        yield p
        yield from _panels(p.get("panels", []))  # collapsed rows nest their panels


def dashboard_exprs(raw: bool = False) -> list[tuple[str, str]]:
    conv = (lambda e: e) if raw else render_grafana
    out = []
    for path in sorted(DASHBOARDS_DIR.glob("*.json")):
        dash = json.loads(path.read_text())
        for var in dash.get("templating", {}).get("list", []):
            if var.get("type") != "query":
                continue
            q = var.get("query")
            q = q.get("query", "") if isinstance(q, dict) else (q or "")
            expr = q if raw else variable_query_expr(q)
            if expr:
                out.append((f"dashboard:{path.name}:variable {var['name']}", conv(expr)))
        for panel in _panels(dash.get("panels", [])):
            for target in panel.get("targets", []):
                expr = target.get("expr")
                if expr:
                    src = f"dashboard:{path.name}:panel {panel.get('id')} {panel.get('title', '')}:{target.get('refId', '')}"
                    out.append((src, conv(expr)))
    return out


def all_exprs(raw: bool = False) -> list[tuple[str, str]]:
    """Every PromQL expression of the rules and dashboards, as ``(source, expr)``."""
    return rule_exprs() + dashboard_exprs(raw=raw)


def is_alert(source: str) -> bool:
    """True for alerting rules (whose expression is empty while everything is healthy)."""
    if not source.startswith("rule:"):
        return False
    _, file, group, name = source.split(":", 3)
    doc = yaml.safe_load((RULES_DIR / file).read_text())
    for g in doc["groups"]:
        if g["name"] == group:
            return any(r.get("alert") == name for r in g["rules"])
    return False


def is_storefront(source: str) -> bool:
    kind, file = source.split(":", 2)[:2]
    return (kind == "rule" and file in STOREFRONT_RULE_FILES) or (
        kind == "dashboard" and file in STOREFRONT_DASHBOARDS
    )


def storefront_exprs(raw: bool = False) -> list[tuple[str, str]]:
    """The expressions that only use storefront's own metrics."""
    return [(s, e) for s, e in all_exprs(raw=raw) if is_storefront(s)]


if __name__ == "__main__":
    print(json.dumps([{"source": s, "expr": e} for s, e in all_exprs()], indent=2))
