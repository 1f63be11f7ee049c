"""Driving scripts/stack from the drills: commands, the port plan, and probes of
HAProxy (runtime API), Consul (HTTP API and DNS), Redis, Prometheus and
Alertmanager."""
from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import requests

REPO = Path(__file__).resolve().parents[2]
STACK = REPO / "scripts" / "stack"
sys.path.insert(0, str(REPO / "scripts" / "lib"))
from supervisor import probes  # noqa: E402  the probes scripts/stack status runs


def port_free(port: int) -> bool:
    with socket.socket() as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            s.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


def pick_base_port(tries: int = 200) -> int:
    """A base port whose whole plan (scripts/lib/supervisor/stack/plan.py) is free.

    Everything stays below the kernel's ephemeral range (32768+ by default):
    there an outgoing connection may take a port between our check and the
    server's bind."""
    import random

    low_ephemeral = 32768
    try:
        low_ephemeral = int(Path("/proc/sys/net/ipv4/ip_local_port_range").read_text().split()[0])
    except (OSError, ValueError, IndexError):
        pass
    rng = random.Random()
    for _ in range(tries):
        base = rng.randrange(10000, max(10100, low_ephemeral - 10100), 100)
        ports = [base + i for i in range(19)] + [base + 20 + i for i in range(7)] \
            + [base + 10020 + i for i in range(6)]
        if all(port_free(p) for p in ports):
            return base
    raise RuntimeError("no free port range for the stack")


class Stack:
    def __init__(self, run_dir: Path, base_port: int, env: dict[str, str] | None = None):
        self.run_dir = run_dir
        self.base_port = base_port
        self.env = {**os.environ, "STACK_RUN_DIR": str(run_dir), "STACK_BASE_PORT": str(base_port),
                    **(env or {})}
        self.ports: dict[str, str] = {}

    # ---------------------------------------------------------- commands
    def run(self, *args: str, timeout: float = 120, check: bool = True) -> subprocess.CompletedProcess:
        proc = subprocess.run([str(STACK), *args], env=self.env, capture_output=True, text=True,
                              timeout=timeout, stdin=subprocess.DEVNULL)
        if check and proc.returncode != 0:
            raise AssertionError(f"scripts/stack {' '.join(args)} exited {proc.returncode}\n"
                                 f"--- stdout\n{proc.stdout[-4000:]}\n--- stderr\n{proc.stderr[-4000:]}")
        return proc

    def load_env(self) -> None:
        out = self.run("env").stdout
        self.ports = dict(line.split("=", 1) for line in out.splitlines() if "=" in line)

    def port(self, key: str) -> int:
        return int(self.ports[key])

    @property
    def gateway(self) -> str:
        return f"http://127.0.0.1:{self.port('GATEWAY_PORT')}"

    @property
    def prometheus(self) -> str:
        return f"http://127.0.0.1:{self.port('PROMETHEUS_PORT')}"

    @property
    def alertmanager(self) -> str:
        return f"http://127.0.0.1:{self.port('ALERTMANAGER_PORT')}"

    def instance_url(self, n: int) -> str:
        return f"http://127.0.0.1:{self.ports['STOREFRONT_PORTS'].split()[n - 1]}"

    @property
    def instances(self) -> int:
        return int(self.ports["STACK_INSTANCES"])

    def redis_port(self, n: int) -> int:
        return self.port(f"REDIS_{n}_PORT")

    def pid(self, name: str) -> int | None:
        try:
            pid, _ = (self.run_dir / "pids" / f"{name}.pid").read_text().split()
            return int(pid)
        except (FileNotFoundError, ValueError):
            return None

    def log_tail(self, name: str, lines: int = 40) -> str:
        try:
            return "\n".join((self.run_dir / "logs" / f"{name}.log").read_text(errors="replace")
                             .splitlines()[-lines:])
        except FileNotFoundError:
            return ""

    # ---------------------------------------------------------- HAProxy
    def haproxy(self, command: str) -> str:
        return probes.haproxy(self.ports["HAPROXY_SOCKET"], command)

    def server_states(self) -> dict[str, str]:
        """{'sf1': 'UP', ...}: the state of the HAProxy slot holding storefront-N
        (found by its port; the slots are filled from Consul's SRV answers in no
        particular order). An instance in no slot is left out."""
        lines = self.haproxy("show stat").splitlines()
        header = lines[0].lstrip("# ").split(",")
        col = {name: i for i, name in enumerate(header)}
        states = {}
        for line in lines[1:]:
            f = line.split(",")
            if len(f) < len(header) or f[0] != "storefront" or not f[1].startswith("sf"):
                continue
            port = f[col["addr"]].rpartition(":")[2]
            if port.isdigit() and int(port) > self.base_port:
                states[f"sf{int(port) - self.base_port}"] = f[col["status"]].split()[0]
        return states

    def wait_servers(self, state: str = "UP", servers: list[str] | None = None,
                     timeout: float = 30) -> float:
        """Waits until the servers (default: all) have `state`; returns the seconds
        waited. "DOWN" means out of rotation: DOWN, MAINT, or in no slot at all."""
        servers = servers or [f"sf{i}" for i in range(1, self.instances + 1)]
        out = {"DOWN", "MAINT", None}
        t0 = time.monotonic()
        while True:
            st = self.server_states()
            if all(st.get(s) in out if state == "DOWN" else st.get(s) == state for s in servers):
                return time.monotonic() - t0
            if time.monotonic() - t0 > timeout:
                raise AssertionError(f"HAProxy servers {servers} not {state} after {timeout}s: {st}")
            time.sleep(0.1)

    # ---------------------------------------------------------- Consul
    @property
    def consul(self) -> str:
        return f"http://127.0.0.1:{self.port('CONSUL_HTTP_PORT')}"

    def consul_health(self) -> dict[str, str]:
        """{'storefront-1': 'passing', ...}: Consul's view of every registered instance
        (one in maintenance mode is critical)."""
        entries = probes.consul_health(self.port("CONSUL_HTTP_PORT"), self.ports["SERVICE_NAME"],
                                       maintenance=False)
        if entries is None:
            raise AssertionError(f"Consul on {self.consul} does not answer")
        return {service_id: state for service_id, state, _ in entries}

    def srv_instances(self) -> set[str]:
        """{'sf1', ...}: the instances in Consul's SRV answer, as HAProxy resolves it."""
        import dns.message
        import dns.query
        import dns.rdatatype
        query = dns.message.make_query(f"_{self.ports['SERVICE_NAME']}._tcp.service.consul",
                                       dns.rdatatype.SRV, use_edns=0, payload=8192)
        reply = dns.query.udp(query, "127.0.0.1", port=self.port("CONSUL_DNS_PORT"), timeout=2)
        return {f"sf{rr.port - self.base_port}" for rrset in reply.answer
                if rrset.rdtype == dns.rdatatype.SRV for rr in rrset}

    # ---------------------------------------------------------- Redis
    def redis(self, port: int, *args: str) -> str:
        # As the stack's ACL user admin (deploy/redis/acl.sh): the default user is off.
        proc = subprocess.run(["redis-cli", "--user", self.ports["REDIS_ADMIN_USER"], "-h", "127.0.0.1",
                               "-p", str(port), *args], capture_output=True, text=True, timeout=10,
                              env={**os.environ, "REDISCLI_AUTH": self.ports["REDIS_ADMIN_PASSWORD"]})
        return proc.stdout.replace("\r", "")

    def redis_role(self, n: int) -> str | None:
        out = self.redis(self.redis_port(n), "role").split()
        return out[0] if out else None

    def redis_cluster_ok(self, n: int) -> bool:
        return "cluster_state:ok" in self.redis(self.redis_port(n), "cluster", "info")

    # ---------------------------------------------------------- Prometheus / Alertmanager
    def prometheus_alerts(self, name: str) -> list[dict]:
        r = requests.get(self.prometheus + "/api/v1/alerts", timeout=5)
        r.raise_for_status()
        return [a for a in r.json()["data"]["alerts"] if a["labels"].get("alertname") == name]

    def alertmanager_alerts(self, name: str) -> list[dict]:
        r = requests.get(self.alertmanager + "/api/v2/alerts",
                         params={"filter": f'alertname="{name}"'}, timeout=5)
        r.raise_for_status()
        return r.json()

    def targets(self) -> list[dict]:
        r = requests.get(self.prometheus + "/api/v1/targets", params={"state": "active"}, timeout=5)
        r.raise_for_status()
        return r.json()["data"]["activeTargets"]


def wait_for(predicate, timeout: float, what: str, interval: float = 0.2):
    """Polls predicate() until it returns a truthy value; returns (value, seconds waited)."""
    t0 = time.monotonic()
    last_exc = None
    while True:
        try:
            value = predicate()
            if value:
                return value, time.monotonic() - t0
        except Exception as exc:  # noqa: BLE001 - a probe may fail while things restart
            last_exc = exc
        if time.monotonic() - t0 > timeout:
            raise AssertionError(f"timed out after {timeout}s waiting for {what}"
                                 + (f" (last error: {last_exc})" if last_exc else ""))
        time.sleep(interval)
