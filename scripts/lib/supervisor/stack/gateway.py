"""HAProxy's server slots and Consul's view of the instances, as status, scale
and restart-instance read and change them."""
from __future__ import annotations

import time
from collections.abc import Callable

from .. import probes
from ..readiness import http_get
from . import plan
from .context import Stack, warn


def haproxy_cmd(st: Stack, command: str) -> str:
    """One command on HAProxy's runtime API; "" when it does not answer."""
    try:
        return probes.haproxy(str(st.run_dir / "haproxy" / "admin.sock"), command)
    except OSError:
        return ""


def parse_slots(show_stat: str) -> list[tuple[str, str, str, str]]:
    """(slot, port, state, current sessions) per server slot of backend
    storefront in `show stat` CSV, e.g. ("sf4", "14082", "UP", "0"). The slots
    are filled from Consul's SRV answers in no particular order; port is "-"
    for a slot that holds no instance (MAINT)."""
    lines = show_stat.splitlines()
    if not lines:
        return []
    col = {name.removeprefix("# "): i for i, name in enumerate(lines[0].split(","))}
    slots = []
    for line in lines[1:]:
        f = line.split(",")
        if len(f) < 5 or f[0] != "storefront" or not (f[1][:2] == "sf" and f[1][2:].isdigit()):
            continue
        port = f[col["addr"]].rpartition(":")[2] if "addr" in col else ""
        state = f[col["status"]].split(" ")[0] if "status" in col else ""
        slots.append((f[1], port if port not in ("", "0") else "-", state, f[4]))
    return slots


def haproxy_slots(st: Stack) -> list[tuple[str, str, str, str]]:
    return parse_slots(haproxy_cmd(st, "show stat"))


def slot_of(st: Stack, port: int) -> str | None:
    """The slot that holds the instance listening on port."""
    return next((slot for slot, p, _, _ in haproxy_slots(st) if p == str(port)), None)


def port_state(st: Stack, port: int, slots: list | None = None) -> str:
    """UP, DOWN, MAINT, ... of the instance on port, or "absent" when no slot
    holds it (not in Consul's answers)."""
    slots = haproxy_slots(st) if slots is None else slots
    return next((state for _, p, state, _ in slots if p == str(port)), "absent")


def slot_sessions(st: Stack, slot: str) -> str:
    return next((sessions for s, _, _, sessions in haproxy_slots(st) if s == slot), "")


def servers_summary(base: int, slots: list[tuple[str, str, str, str]]) -> str:
    """The filled slots as instance=state, then the count of empty ones:
    "sf1=UP sf2=UP, 7 empty slots"."""
    filled = [f"sf{int(port) - base}={state}" for _, port, state, _ in slots if port != "-"]
    empty = sum(1 for _, port, _, _ in slots if port == "-")
    return " ".join(filled) + (", " if filled else "") + f"{empty} empty slots"


def consul_has_leader(port: int) -> bool:
    """The agent answers its leader's "address:port" (with a newline) once it elected one."""
    code, body = http_get(f"http://127.0.0.1:{port}/v1/status/leader")
    leader = body.strip()
    return code == 200 and len(leader) > 2 and leader[0] == leader[-1] == '"' and ":" in leader


def consul_health(st: Stack) -> list[tuple[str, str, int]]:
    return probes.consul_health(st.ports.consul_http, plan.SERVICE_NAME) or []


def consul_summary(entries: list[tuple[str, str, int]]) -> str:
    """"storefront: 3 passing, 1 critical" (states in the order first seen)."""
    counts: dict[str, int] = {}
    for _, state, _ in entries:
        counts[state] = counts.get(state, 0) + 1
    out = ", ".join(f"{n} {state}" for state, n in counts.items())
    return f"{plan.SERVICE_NAME}: {out or 'none registered'}"


def consul_maintenance(st: Stack, service_id: str, enable: bool) -> bool:
    """Service maintenance mode: on takes the instance out of DNS and health
    answers while it stays registered."""
    import urllib.request
    url = (f"http://127.0.0.1:{st.ports.consul_http}/v1/agent/service/maintenance/{service_id}"
           f"?enable={'true' if enable else 'false'}&reason=scripts/stack+scale")
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    try:
        with opener.open(urllib.request.Request(url, method="PUT"), timeout=5) as r:
            return r.status == 200
    except OSError:
        return False


def wait_until(timeout: float, what: str, condition: Callable[[], bool]) -> bool:
    """Polls condition every 0.2 s; False (and a message) after timeout seconds."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() >= deadline:
            warn(f"timed out after {timeout:g}s waiting for {what}")
            return False
        time.sleep(0.2)
    return True


def routed(st: Stack, port: int) -> bool:
    return port_state(st, port) == "UP"


def all_routed(st: Stack) -> bool:
    slots = haproxy_slots(st)
    return all(port_state(st, p, slots) == "UP" for p in st.ports.storefronts)
