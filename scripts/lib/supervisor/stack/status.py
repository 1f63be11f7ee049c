"""`scripts/stack status`: one line per component with its pid, port, health
and a detail (Consul's view of each instance next to HAProxy's)."""
from __future__ import annotations

import os
import subprocess

from .. import probes
from ..readiness import http_get, port_open
from . import gateway, plan, render
from .context import Stack

HEADER = ("COMPONENT", "PID", "PORT", "HEALTH", "DETAIL")


def row(*fields: object) -> str:
    return "{:<15} {:<8} {:<6} {:<8} {}".format(*fields)


def http_code(url: str) -> str:
    """"200", or "000" when nothing answered (as curl prints it)."""
    return f"{http_get(url)[0]:03d}"


def ok_if(good: bool) -> str:
    return "ok" if good else "DOWN"


def redis_cli(st: Stack, port: int, *args: str) -> str:
    """redis-cli as the stack's ACL user admin (the password through REDISCLI_AUTH)."""
    env = {**os.environ, "REDISCLI_AUTH": st.secrets.get("REDIS_ADMIN_PASSWORD", "")}
    try:
        r = subprocess.run(["redis-cli", "--user", "admin", "-h", "127.0.0.1", "-p", str(port), *args],
                           capture_output=True, text=True, env=env, timeout=10, stdin=subprocess.DEVNULL)
    except (OSError, subprocess.TimeoutExpired):
        return ""
    return r.stdout.replace("\r", "")


def field(text: str, name: str) -> str:
    return next((line.partition(":")[2] for line in text.splitlines() if line.startswith(name + ":")), "")


def redis_detail(st: Stack, port: int) -> tuple[str, str]:
    role = field(redis_cli(st, port, "info", "replication"), "role")
    state = field(redis_cli(st, port, "cluster", "info"), "cluster_state")
    if role and state == "ok":
        return "ok", f"{role.replace('slave', 'replica')}, cluster_state:{state}"
    return "DOWN", (role or "no answer") + (f", cluster_state:{state}" if state else "")


def storefront_detail(st: Stack, name: str, port: int) -> tuple[str, str]:
    code = http_code(f"http://127.0.0.1:{port}/health/ready")
    state = gateway.port_state(st, port)
    consul = next((s for i, s, _ in gateway.consul_health(st) if i == name), "not registered")
    return ok_if(code == "200"), f"/health/ready {code}, consul: {consul}, gateway: {state}"


def http_detail(st: Stack, name: str, port: int) -> tuple[str, str]:
    """redis-exporter, haproxy, alertmanager, prometheus: an HTTP 200 and a summary."""
    urls = {"redis-exporter": f"http://127.0.0.1:{port}/metrics",
            "haproxy": f"http://127.0.0.1:{st.ports.stats}/metrics"}
    code = http_code(urls.get(name, f"http://127.0.0.1:{port}/-/ready"))
    if name == "haproxy":
        detail = "servers: " + gateway.servers_summary(st.base_port, gateway.haproxy_slots(st))
    elif name == "prometheus":
        detail = " ".join(probes.prometheus_summary(port))
    else:
        detail = f"HTTP {code}"
    return ok_if(code == "200"), detail


def detail(st: Stack, name: str, port: int) -> tuple[str, str]:
    """(health, detail) of a running component."""
    if name == "mongo":
        return ("ok", "accepts connections") if port_open(port) else ("DOWN", "port closed")
    if name == "media":
        code = http_code(f"http://127.0.0.1:{port}/health")
        return ok_if(code == "200"), f"nginx, HTTP {code}"
    if name == "consul":
        if gateway.consul_has_leader(port):
            return "ok", "leader; " + gateway.consul_summary(gateway.consul_health(st))
        return "DOWN", f"no leader on :{port}"
    if plan.numbered(name, "redis-", plan.REDIS_NODES):
        return redis_detail(st, port)
    if plan.numbered(name, "storefront-", plan.MAX_INSTANCES):
        return storefront_detail(st, name, port)
    return http_detail(st, name, port)


def status_table(st: Stack) -> tuple[list[str], bool]:
    """The table's lines and whether everything is ok (or n/a)."""
    running, lines, healthy = st.running(), [row(*HEADER)], True
    for name in plan.components(st.instances):
        port = plan.component_port(name, st.ports)
        if name in running:
            pid, (health, text) = running[name], detail(st, name, port)
        elif name == "redis-exporter" and not render.have_redis_exporter():
            pid, health, text = "-", "n/a", "prometheus-redis-exporter not installed"
        else:
            pid, health, text = "-", "STOPPED", ""
        healthy = healthy and health in ("ok", "n/a")
        lines.append(row(name, pid, port, health, text))
    return lines, healthy
