"""Probes of the stack's components for `scripts/stack status`, scale and the
drills: HAProxy's runtime API, Consul's health view, Prometheus' targets and
alerts. Each answers quickly or not at all (a stopped component is a normal
state to report, not an error)."""
from __future__ import annotations

import json
import socket

from .readiness import http_get


def haproxy(socket_path: str, command: str, timeout: float = 5.0) -> str:
    """One command on HAProxy's runtime API (unix socket); its whole answer."""
    with socket.socket(socket.AF_UNIX) as s:
        s.settimeout(timeout)
        s.connect(socket_path)
        s.sendall(command.encode() + b"\n")
        out = b""
        while chunk := s.recv(65536):
            out += chunk
    return out.decode(errors="replace")


def consul_health(port: int, service: str, maintenance: bool = True) -> list[tuple[str, str, int]] | None:
    """(id, state, port) per registered instance of service, state the worst
    check (critical, warning, passing) or, with `maintenance`, "maintenance"
    for an instance in maintenance mode. None when the agent does not answer."""
    code, body = http_get(f"http://127.0.0.1:{port}/v1/health/service/{service}")
    if code != 200:
        return None
    try:
        entries = json.loads(body)
    except ValueError:
        return None
    out = []
    for e in entries:
        states = [c["Status"] for c in e["Checks"]]
        worst = next((s for s in ("critical", "warning") if s in states), "passing")
        if maintenance and any(c["CheckID"].startswith("_service_maintenance:") for c in e["Checks"]):
            worst = "maintenance"
        out.append((e["Service"]["ID"], worst, e["Service"]["Port"]))
    return out


def _api_data(port: int, path: str) -> dict | None:
    code, body = http_get(f"http://127.0.0.1:{port}{path}")
    try:
        return json.loads(body)["data"] if code == 200 else None
    except (ValueError, KeyError):
        return None


def prometheus_summary(port: int) -> list[str]:
    """["targets up 7/9", "firing: none"]: the active targets' health and the
    firing alerts ("no answer" when Prometheus does not answer)."""
    targets = _api_data(port, "/api/v1/targets?state=active")
    if targets is None:
        return ["no answer"]
    up = sum(1 for t in targets["activeTargets"] if t["health"] == "up")
    lines = [f"targets up {up}/{len(targets['activeTargets'])}"]
    alerts = _api_data(port, "/api/v1/alerts")
    if alerts is not None:
        firing = sorted({a["labels"]["alertname"] for a in alerts["alerts"] if a["state"] == "firing"})
        lines.append("firing: " + (", ".join(firing) if firing else "none"))
    return lines
