"""The commands of scripts/stack but scale and restart-instance (rotation.py)."""
from __future__ import annotations

import os
import shutil
import subprocess
import sys

from .. import process
from . import components, gateway, plan, prepare
from .context import Die, Stack, elapsed, log, step
from .status import status_table


def print_urls(st: Stack) -> None:
    p = st.ports
    rows = [("gateway", f"http://127.0.0.1:{p.gateway}/  (try /helloDoc/users)"),
            ("gateway TLS", f"https://127.0.0.1:{p.tls}/  (curl --cacert {st.run_dir}/tls/gateway.crt)"),
            ("catalog", f"http://127.0.0.1:{p.gateway}/catalog/products  (/catalog/categories)"),
            ("docs", f"http://127.0.0.1:{p.gateway}/docs"),
            ("media edge", f"http://127.0.0.1:{p.media}/media/  (nginx, the local CDN)"),
            ("haproxy stats", f"http://127.0.0.1:{p.stats}/stats  (metrics: /metrics)"),
            ("prometheus", f"http://127.0.0.1:{p.prometheus}/api/v1/targets  (HTTP API; no web UI in this build)"),
            ("alertmanager", f"http://127.0.0.1:{p.alertmanager}/"),
            ("consul", f"http://127.0.0.1:{p.consul_http}/ui/  (DNS 127.0.0.1:{p.consul_dns})"),
            *[(f"storefront-{i}", f"http://127.0.0.1:{port}/") for i, port in enumerate(p.storefronts, 1)],
            ("mongo", f"mongodb://127.0.0.1:{p.mongo}/somedb"),
            ("redis cluster", " ".join(p.redis_nodes()))]
    print()
    for name, url in rows:
        print(f"  {name:<15} {url}")
    print(f"\n  run dir {st.run_dir} (logs in logs/); stop with: scripts/stack down", flush=True)


def prepare_up(st: Stack) -> None:
    if os.environ.get("STACK_SKIP_BOOTSTRAP", "0") != "1":
        r = subprocess.run([str(st.repo / "scripts" / "bootstrap")])
        if r.returncode != 0:
            raise SystemExit(r.returncode)
    prepare.check_tools(st)
    st.lock()
    st.load()
    st.ensure_secrets()
    prepare.ensure_redis_exporter()
    step("storefront binary")
    prepare.build_storefront(st)
    st.save()


def cmd_up(st: Stack) -> int:
    prepare_up(st)
    running = st.running()
    to_start = [c for c in plan.components(st.instances) if c not in running]
    components.preflight_ports(st, to_start)
    log("starting: " + " ".join(to_start) if to_start else "everything is running already")
    p, start = st.ports, lambda name: components.start_component(st, name)
    start("mongo")
    step(f"MongoDB stand-in on :{p.mongo}; filling somedb.helloDoc and the catalog with stock")
    prepare.fill_db(st)
    start("media")
    step("Redis nodes")
    for i in range(1, plan.REDIS_NODES + 1):
        start(f"redis-{i}")
    prepare.create_redis_cluster(st)
    start("redis-exporter")
    step(f"Consul agent on :{p.consul_http} (DNS :{p.consul_dns})")
    start("consul")
    step(f"storefront x{st.instances}")
    for i in range(1, st.instances + 1):
        start(f"storefront-{i}")
    step("HAProxy, Alertmanager, Prometheus")
    for name in ("haproxy", "alertmanager", "prometheus"):
        start(name)
    if not gateway.wait_until(30, f"the gateway to route to all {st.instances} instances",
                              lambda: gateway.all_routed(st)):
        raise Die("HAProxy does not see every instance UP; see scripts/stack status")
    log(f"up in {elapsed()}s")
    print_urls(st)
    return 0


def leftover_instances(st: Stack) -> list[str]:
    """Instances with a pid file beyond INSTANCES (an interrupted scale)."""
    names = (f.stem for f in sorted((st.run_dir / "pids").glob("storefront-*.pid")))
    return [n for n in names if (i := plan.numbered(n, "storefront-", plan.MAX_INSTANCES)) and i > st.instances]


def cmd_down(st: Stack, purge: bool) -> int:
    if not st.run_dir.is_dir():
        log(f"nothing to stop ({st.run_dir} does not exist)")
        return 0
    st.lock()
    st.load()
    running = st.running()
    for name in leftover_instances(st) + plan.components(st.instances)[::-1]:
        if name in running:
            log(f"stopping {name} (pid {running[name]})")
            components.stop_component(st, name, "TERM")
        st.pid_file(name).unlink(missing_ok=True)
    if purge:
        if not (st.state_file.is_file() or (st.run_dir / "pids").is_dir()):
            raise Die(f"{st.run_dir} does not look like a stack run dir; not deleting it")
        shutil.rmtree(st.run_dir)
        log(f"deleted {st.run_dir}")
    log("down")
    return 0


def cmd_status(st: Stack) -> int:
    st.load()
    lines, healthy = status_table(st)
    print("\n".join(lines), flush=True)
    return 0 if healthy else 3


def valid_component(st: Stack, name: str) -> None:
    names = plan.components(st.instances)
    if name not in names:
        raise Die(f"unknown component '{name}' (one of: {' '.join(names)})")


def cmd_start(st: Stack, name: str) -> int:
    if not name:
        raise Die("usage: scripts/stack start NAME")
    st.lock()
    st.load()
    valid_component(st, name)
    if not st.state_file.is_file():
        raise Die(f"no stack in {st.run_dir}: run 'scripts/stack up' first")
    components.start_component(st, name)
    log(f"{name} running (pid {st.pid(name) or '-'})")
    return 0


def cmd_stop(st: Stack, name: str, sig: str) -> int:
    if not name:
        raise Die("usage: scripts/stack stop NAME [SIGNAL]")
    try:
        process.signal_number(sig.removeprefix("SIG"))
    except (AttributeError, ValueError):
        raise Die(f"unknown signal '{sig}'") from None
    st.lock()
    st.load()
    valid_component(st, name)
    components.stop_component(st, name, sig)
    log(f"{name} stopped (SIG{sig.removeprefix('SIG')})")
    return 0


def env_lines(st: Stack) -> list[str]:
    """The port plan as KEY=VALUE lines (the drills and bench read them)."""
    p = st.ports
    pairs = [("STACK_RUN_DIR", st.run_dir), ("STACK_BASE_PORT", st.base_port), ("STACK_INSTANCES", st.instances),
             ("GATEWAY_PORT", p.gateway), ("STATS_PORT", p.stats), ("MONGO_PORT", p.mongo),
             ("PROMETHEUS_PORT", p.prometheus), ("ALERTMANAGER_PORT", p.alertmanager),
             ("REDIS_EXPORTER_PORT", p.redis_exporter), ("CONSUL_HTTP_PORT", p.consul_http),
             ("CONSUL_DNS_PORT", p.consul_dns), ("CONSUL_SERF_PORT", p.consul_serf),
             ("CONSUL_SERVER_PORT", p.consul_server), ("SERVICE_NAME", plan.SERVICE_NAME),
             ("STOREFRONT_PORTS", " ".join(map(str, p.storefronts))), ("REDIS_PORTS", " ".join(map(str, p.redis))),
             ("STOREFRONT_BIN", st.storefront_bin), ("HAPROXY_SOCKET", st.run_dir / "haproxy" / "admin.sock"),
             ("TLS_PORT", p.tls), ("TLS_CA", st.run_dir / "tls" / "gateway.crt"),
             # The local stack's own random Redis admin password (secrets.env of the run dir).
             ("REDIS_ADMIN_USER", "admin"), ("REDIS_ADMIN_PASSWORD", st.secrets.get("REDIS_ADMIN_PASSWORD", "")),
             *[(f"REDIS_{i}_PORT", port) for i, port in enumerate(p.redis, 1)]]
    return [f"{key}={value}" for key, value in pairs]


def cmd_env(st: Stack) -> int:
    st.load()
    print("\n".join(env_lines(st)), flush=True)
    return 0


def cmd_audit(st: Stack) -> int:
    """`storefront audit` on the stack's database; its exit code (1: a violation, 2: it cannot run)."""
    st.load()
    if not st.alive("mongo"):
        raise Die("mongo is not running (scripts/stack up)")
    env = {**os.environ, "MONGODB_URL": f"mongodb://127.0.0.1:{st.ports.mongo}",
           "MONGODB_DATABASE_NAME": os.environ.get("MONGODB_DATABASE_NAME") or "somedb"}
    sys.stdout.flush()
    code = subprocess.run([st.storefront_bin, "audit"], env=env).returncode
    return code if code >= 0 else 128 - code  # killed by a signal: as the shell reports it


def cmd_logs(st: Stack, name: str) -> int:
    if not name:
        raise Die("usage: scripts/stack logs NAME")
    st.load()
    log_file = st.log_file(name)
    if not log_file.exists():
        print(f"stack: no log {log_file}", file=sys.stderr)
        return 1
    lines = os.environ.get("LINES_TO_SHOW") or "50"
    print(process.tail(log_file, int(lines) if lines.isdigit() else 50), flush=True)
    return 0

