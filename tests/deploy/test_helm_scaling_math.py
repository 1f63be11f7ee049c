"""docs/kubernetes.md's scaling math is the output of bench/lib/capacity.py on the committed
bench results, and the chart's request-rate target follows from it (issue 15, section 3)."""

from __future__ import annotations

import math
import re
import subprocess
import sys

import yaml

import helm_chart as hc

REPO = hc.REPO
DOC = REPO / "docs" / "kubernetes.md"
CAPACITY = REPO / "bench" / "lib" / "capacity.py"


def doc_command() -> list[str]:
    m = re.search(r"^python3 bench/lib/capacity\.py (.*)$", DOC.read_text(), re.M)
    assert m, "docs/kubernetes.md does not give the capacity.py command"
    return m.group(1).split()


def doc_table() -> str:
    m = re.search(r"<!-- capacity:begin -->\n(.*?)\n<!-- capacity:end -->", DOC.read_text(), re.S)
    assert m, "capacity table markers missing in docs/kubernetes.md"
    return m.group(1)


def test_helm_capacity_table_is_the_tools_output():
    out = subprocess.run([sys.executable, str(CAPACITY), *doc_command()], capture_output=True,
                         text=True, timeout=60, cwd=REPO, check=True).stdout.strip()
    assert out == doc_table(), "re-run the command in docs/kubernetes.md and paste its output"


def column(row: str, name: str) -> str:
    header = [c.strip() for c in doc_table().splitlines()[0].strip("|").split("|")]
    return [c.strip() for c in row.strip("|").split("|")][header.index(name)]


def sale_day_row(profile: str = "sale-day") -> str:
    return next(line for line in doc_table().splitlines() if line.startswith(f"| {profile} |"))


def test_helm_request_rate_target_follows_from_the_sale_day_row():
    cpu_us = float(column(sale_day_row(), "CPU µs/req"))
    want = math.floor(0.6 / (cpu_us * 1e-6) / 100) * 100
    values = yaml.safe_load((hc.CHART / "values.yaml").read_text())
    sale = yaml.safe_load(hc.SALE_DAY_VALUES.read_text())
    assert values["autoscaling"]["targetCPUUtilizationPercentage"] == 60
    for v in (values, sale):
        assert int(v["autoscaling"]["requestRate"]["targetAverageValue"]) == want
    assert f"**Request-rate target {want:,} req/s per pod**" in DOC.read_text()


def test_helm_sale_day_floor_and_ceiling_follow_from_the_table():
    """Pre-scale floor: the stated load with a zone lost; maxReplicas: at least the
    slow-database case with a zone lost."""
    sale = yaml.safe_load(hc.SALE_DAY_VALUES.read_text())
    zone = next(c for c in doc_table().splitlines()[0].strip("|").split("|") if "zone down" in c).strip()
    assert sale["preScale"]["minReplicas"] == int(column(sale_day_row(), zone))
    assert sale["autoscaling"]["maxReplicas"] >= int(column(sale_day_row("sale-day mix, slow database"), zone))
