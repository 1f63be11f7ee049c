"""scale and restart-instance: an instance leaves Consul's answers (maintenance
mode, so HAProxy frees its slot, as APISIX would drop it), is drained, gets
SIGTERM; a new one is started and waited for until the gateway routes to it."""
from __future__ import annotations

import re
import time

from . import components, gateway, plan
from .context import Die, Stack, log


def take_out_of_rotation(st: Stack, n: int) -> str | None:
    """No new requests for storefront-N, its in-flight ones finished. Through
    Consul when it runs, else by disabling its HAProxy slot: returns the slot
    disabled that way (to enable again), if any."""
    port = st.ports.storefront(n)
    if not st.alive("haproxy"):
        return None
    slot, disabled = gateway.slot_of(st, port), None
    if st.alive("consul") and gateway.consul_maintenance(st, f"storefront-{n}", True):
        if not gateway.wait_until(15, f"HAProxy to stop routing to storefront-{n}",
                                  lambda: not gateway.routed(st, port)):
            raise Die(f"storefront-{n} is in maintenance in Consul but HAProxy still routes to it")
    elif slot:
        gateway.haproxy_cmd(st, f"disable server storefront/{slot}")
        disabled = slot
    if slot:
        for _ in range(100):
            if gateway.slot_sessions(st, slot) in ("", "0"):
                break
            time.sleep(0.1)
    return disabled


def parse_instance_count(text: str, usage: str) -> int:
    if not re.fullmatch(r"[1-9]", text or ""):
        raise Die(usage)
    return int(text)


def cmd_restart_instance(st: Stack, arg: str) -> int:
    n = parse_instance_count(arg, "usage: scripts/stack restart-instance N")
    st.lock()
    st.load()
    if n > st.instances:
        raise Die(f"there are only {st.instances} instances")
    name = f"storefront-{n}"
    disabled = take_out_of_rotation(st, n)
    # SIGTERM: storefront deregisters (which ends the maintenance), drains, exits.
    components.stop_component(st, name, "TERM")
    components.start_component(st, name)
    if st.alive("haproxy"):
        if disabled:
            gateway.haproxy_cmd(st, f"enable server storefront/{disabled}")
        port = st.ports.storefront(n)
        if not gateway.wait_until(30, f"HAProxy to mark {name} UP", lambda: gateway.routed(st, port)):
            raise Die(f"{name} is ready but HAProxy does not mark it UP")
    log(f"{name} restarted (pid {st.pid(name)})")
    return 0


def scale_up_one(st: Stack, n: int) -> None:
    """Starts storefront-N and waits until the gateway routes to it."""
    t0 = time.monotonic()
    components.start_component(st, f"storefront-{n}")
    ready = time.monotonic()
    port = st.ports.storefront(n)
    if not gateway.wait_until(30, f"HAProxy to route to storefront-{n}", lambda: gateway.routed(st, port)):
        raise Die(f"storefront-{n} is ready but HAProxy does not route to it (see scripts/stack status)")
    log(f"storefront-{n}: ready {ready - t0:.1f}s after start, UP in the gateway {time.monotonic() - ready:.1f}s "
        "after ready")


def scale_down_one(st: Stack, n: int) -> None:
    """Out of Consul's answers and the gateway, drained, SIGTERM."""
    t0 = time.monotonic()
    disabled = take_out_of_rotation(st, n)
    out = time.monotonic() - t0
    t0 = time.monotonic()
    components.stop_component(st, f"storefront-{n}", "TERM")
    if disabled:
        gateway.haproxy_cmd(st, f"enable server storefront/{disabled}")
    log(f"storefront-{n}: out of the gateway and drained {out:.1f}s after maintenance on, exited "
        f"{time.monotonic() - t0:.1f}s after SIGTERM")


def cmd_scale(st: Stack, arg: str) -> int:
    want = parse_instance_count(arg, f"usage: scripts/stack scale N (1..{plan.MAX_INSTANCES})")
    st.lock()
    st.load()
    if not (st.state_file.is_file() and st.alive("haproxy")):
        raise Die(f"no running stack in {st.run_dir}: run 'scripts/stack up' first")
    if not st.alive("consul"):
        raise Die("consul is not running: 'scripts/stack start consul' first")
    if want == st.instances:
        log(f"already {st.instances} instances")
        return 0
    for n in range(st.instances + 1, want + 1):
        scale_up_one(st, n)
        st.set_instances(n)
        st.save()
    for n in range(st.instances, want, -1):
        scale_down_one(st, n)
        st.set_instances(n - 1)
        st.save()
    log(f"scaled to {st.instances} instances")
    return 0
