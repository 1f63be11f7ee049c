"""Real servers for the functional tests: the MongoDB stand-in (mongo-java-server,
scripts/mongo-standin), storefront, redis-server, a Consul agent, and a TCP proxy for
fault injection. Everything listens on 127.0.0.1 on free ports."""
from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Callable

import requests

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO / "scripts" / "lib"))
import supervisor  # noqa: E402  scripts/lib/supervisor: spawning, readiness, stopping

CACHE = Path(os.environ.get("STOREFRONT_CACHE", REPO / ".cache"))
BUILD_DIR = Path(os.environ.get("STOREFRONT_BUILD_DIR", REPO / "build"))

# The keys of pymongo-api's `GET /` (../shared/pymongo-api-contract.md).
CONTRACT_ROOT_KEYS = {
    "mongo_topology_type", "mongo_replicaset_name", "mongo_db", "read_preference",
    "mongo_nodes", "mongo_primary_host", "mongo_secondary_hosts", "mongo_is_primary",
    "mongo_is_mongos", "collections", "shards", "cache_enabled", "status",
}


# Timeouts short enough that a database outage is a fast 503 (or STALE) in tests.
FAST_FAIL_ENV = {
    "MONGODB_SERVER_SELECTION_TIMEOUT_MS": "1000",
    "MONGODB_CONNECT_TIMEOUT_MS": "500",
    "MONGODB_SOCKET_TIMEOUT_MS": "1500",
    "STOREFRONT_REQUEST_TIMEOUT_MS": "2000",
    "STOREFRONT_HEALTH_INTERVAL_MS": "200",
}


def metric_sample(text: str, name: str, **labels) -> float:
    """The value of one series in Prometheus text format (0 when absent)."""
    want = ",".join(f'{k}="{v}"' for k, v in labels.items())
    prefix = f"{name}{{{want}}} " if labels else f"{name} "
    for line in text.splitlines():
        if line.startswith(prefix):
            return float(line.split()[-1])
    return 0.0


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def free_cluster_port() -> int:
    """A free port whose cluster bus port (+10000) is free and valid too."""
    import random
    for _ in range(200):
        port = random.randint(20000, 45000)
        try:
            for p in (port, port + 10000):
                with socket.socket() as s:
                    s.bind(("127.0.0.1", p))
            return port
        except OSError:
            continue
    raise RuntimeError("no free port pair for a redis cluster node")


def wait_port(port: int, timeout: float = 15.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                return
        except OSError:
            time.sleep(0.05)
    raise TimeoutError(f"nothing listens on 127.0.0.1:{port} after {timeout}s")


class Process:
    """A child process with its log file, run by the stack's supervisor
    (scripts/lib/supervisor); stop() is idempotent. It stays in pytest's session
    (not detached), so an interrupted run takes it down too."""

    def __init__(self, argv: list[str], log_path: Path, env: dict | None = None,
                 ready: Callable[[], bool] | None = None, ready_timeout: float = 15.0):
        self.argv = argv
        self.log_path = log_path
        self.env = env
        self.ready = ready
        self.ready_timeout = ready_timeout
        self._supervised: supervisor.Process | None = None

    @property
    def proc(self) -> subprocess.Popen | None:
        return self._supervised.popen if self._supervised else None

    def start(self) -> None:
        """Spawns the process and waits for its readiness check, if any."""
        spec = supervisor.Spec(name=Path(self.argv[0]).name, argv=self.argv, log_file=self.log_path,
                               env=self.env, ready=self.ready, ready_timeout=self.ready_timeout,
                               detach=False)
        self._supervised = supervisor.Process(spec)
        self._supervised.start()

    def wait_until(self, check: Callable[[], bool], timeout: float) -> None:
        """Waits for check() while the process runs (StartError with the log tail if not)."""
        assert self._supervised is not None
        self._supervised.wait_ready(check=check, timeout=timeout)

    def alive(self) -> bool:
        return self._supervised is not None and self._supervised.alive()

    def send(self, sig: int) -> None:
        assert self.proc is not None
        self.proc.send_signal(sig)

    def pause(self) -> None:
        self.send(signal.SIGSTOP)

    def resume(self) -> None:
        self.send(signal.SIGCONT)

    def stop(self, sig: int = signal.SIGTERM, timeout: float = 15.0) -> int | None:
        """Signals (after SIGCONT), waits `timeout` seconds, then SIGKILL; the exit code."""
        return self._supervised.stop(sig, grace=timeout) if self._supervised else None

    def log(self) -> str:
        try:
            return self.log_path.read_text(errors="replace")
        except FileNotFoundError:
            return ""


class MongoStandin(Process):
    """The MongoDB stand-in (scripts/mongo-standin): mongo-java-server, in memory,
    or in an H2 file under `data_dir` so that a restart on the same port keeps
    the data."""

    def __init__(self, workdir: Path, port: int | None = None, data_dir: Path | None = None):
        self.port = port or free_port()
        self.workdir = workdir
        self.data_dir = data_dir
        workdir.mkdir(parents=True, exist_ok=True)
        jar = CACHE / "mongo-standin" / "mongo-standin.jar"
        if not jar.exists():
            raise RuntimeError(f"{jar} missing: run scripts/bootstrap")
        argv = [str(REPO / "scripts" / "mongo-standin"), "--port", str(self.port)]
        if data_dir is not None:
            argv += ["--data-dir", str(data_dir)]
        # The JVM takes a second or two to bind.
        super().__init__(argv, workdir / f"mongo-standin-{self.port}.log",
                         env={**os.environ, "STOREFRONT_CACHE": str(CACHE)},
                         ready=supervisor.TcpPort(self.port), ready_timeout=60)

    @property
    def url(self) -> str:
        return f"mongodb://127.0.0.1:{self.port}"

    def restarted(self) -> "MongoStandin":
        """A new process on the same port and data directory (not started)."""
        return MongoStandin(self.workdir, port=self.port, data_dir=self.data_dir)


class Storefront(Process):
    """The storefront binary under test, configured only through env vars."""

    def __init__(self, workdir: Path, env: dict[str, str], name: str = "storefront"):
        self.port = int(env.get("PORT") or free_port())
        full_env = {
            "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
            "PORT": str(self.port),
            "STOREFRONT_BIND": "127.0.0.1",
            "MONGODB_DATABASE_NAME": "somedb",
            "LOG_LEVEL": "info",
        }
        # Sanitizer settings of the CI build must reach the child.
        for key in ("ASAN_OPTIONS", "UBSAN_OPTIONS", "TSAN_OPTIONS", "LSAN_OPTIONS"):
            if key in os.environ:
                full_env[key] = os.environ[key]
        full_env.update(env)
        full_env["PORT"] = str(self.port)
        super().__init__([str(BUILD_DIR / "storefront")], workdir / f"{name}.log", full_env,
                         ready=supervisor.TcpPort(self.port))

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self, wait_ready: bool = False) -> None:
        super().start()
        if wait_ready:
            self.wait_ready()

    def wait_ready(self, timeout: float = 15.0) -> None:
        self.wait_until(supervisor.HttpOk(self.base + "/health/ready"), timeout)

    def url(self, path: str) -> str:
        return self.base + path


def run_fill(mongo_url: str, collection: str, count: int, database: str = "somedb") -> str:
    out = subprocess.run([str(BUILD_DIR / "storefront"), "fill", "--collection", collection,
                          "--count", str(count)],
                         env={"PATH": os.environ.get("PATH", ""), "MONGODB_URL": mongo_url,
                              "MONGODB_DATABASE_NAME": database,
                              **{k: v for k, v in os.environ.items() if k.endswith("SAN_OPTIONS")}},
                         capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stdout + out.stderr
    return out.stdout + out.stderr


def run_fill_products(mongo_url: str, count: int, media_dir: Path | None = None,
                      database: str = "somedb", stock: int | None = None) -> str:
    """`storefront fill --products N [--media-dir DIR] [--stock U]`: generated products, their
    images, and U units of stock each."""
    argv = [str(BUILD_DIR / "storefront"), "fill", "--products", str(count)]
    if stock is not None:
        argv += ["--stock", str(stock)]
    if media_dir is not None:
        argv += ["--media-dir", str(media_dir)]
    out = subprocess.run(argv,
                         env={"PATH": os.environ.get("PATH", ""), "MONGODB_URL": mongo_url,
                              "MONGODB_DATABASE_NAME": database,
                              **{k: v for k, v in os.environ.items() if k.endswith("SAN_OPTIONS")}},
                         capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stdout + out.stderr
    return out.stdout + out.stderr


class TcpProxy:
    """A loopback TCP proxy to put between storefront and a server.

    Modes: "pass" forwards bytes; "blackhole" accepts and reads but never
    forwards or answers (a hung server); "refuse" closes every connection at
    once (a dead server). delay_s adds latency to each forwarded chunk."""

    def __init__(self, target_port: int):
        self.target_port = target_port
        self.mode = "pass"
        self.delay_s = 0.0
        self._sock = socket.socket()
        self._sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self._sock.bind(("127.0.0.1", 0))
        self._sock.listen(128)
        self.port = self._sock.getsockname()[1]
        self._conns: list[socket.socket] = []
        self._lock = threading.Lock()
        self._closed = False
        threading.Thread(target=self._accept_loop, daemon=True).start()

    def set_mode(self, mode: str) -> None:
        self.mode = mode
        if mode != "pass":
            self.cut()

    def cut(self) -> None:
        with self._lock:
            conns, self._conns = self._conns, []
        for c in conns:
            try:
                c.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            c.close()

    def close(self) -> None:
        self._closed = True
        self.cut()
        self._sock.close()

    def _accept_loop(self) -> None:
        while not self._closed:
            try:
                client, _ = self._sock.accept()
            except OSError:
                return
            if self.mode == "refuse":
                client.close()
                continue
            if self.mode == "blackhole":
                with self._lock:
                    self._conns.append(client)
                threading.Thread(target=self._drain, args=(client,), daemon=True).start()
                continue
            try:
                upstream = socket.create_connection(("127.0.0.1", self.target_port), timeout=2)
            except OSError:
                client.close()
                continue
            with self._lock:
                self._conns += [client, upstream]
            threading.Thread(target=self._pipe, args=(client, upstream), daemon=True).start()
            threading.Thread(target=self._pipe, args=(upstream, client), daemon=True).start()

    @staticmethod
    def _drain(sock: socket.socket) -> None:
        try:
            while sock.recv(65536):
                pass
        except OSError:
            pass

    def _pipe(self, src: socket.socket, dst: socket.socket) -> None:
        try:
            while True:
                data = src.recv(65536)
                if not data:
                    break
                if self.mode == "blackhole":
                    continue
                if self.delay_s:
                    time.sleep(self.delay_s)
                dst.sendall(data)
        except OSError:
            pass
        finally:
            for s in (src, dst):
                try:
                    s.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass


def redis_acl_passwords() -> dict[str, str]:
    """Fresh passwords for the ACL users of deploy/redis/acl.sh."""
    import secrets
    return {f"REDIS_{user}_PASSWORD": secrets.token_hex(16) for user in ("ADMIN", "STOREFRONT", "EXPORTER")}


def render_redis_acl(directory: Path, passwords: dict[str, str]) -> Path:
    """deploy/redis/acl.sh --render, the script compose.yaml and scripts/stack run:
    returns the auth.conf to --include."""
    subprocess.run(["sh", str(REPO / "deploy" / "redis" / "acl.sh"), "--render", str(directory)],
                   env={**os.environ, **passwords}, check=True, capture_output=True, timeout=10)
    return directory / "auth.conf"


class RedisServer(Process):
    """A real redis-server on a free loopback port, persistence off. With
    `acl` (passwords from redis_acl_passwords()) it runs the ACL users of
    deploy/redis/acl.sh, and cli() authenticates as admin."""

    def __init__(self, workdir: Path, port: int | None = None, cluster: bool = False,
                 acl: dict[str, str] | None = None):
        self.port = port or (free_cluster_port() if cluster else free_port())
        self.dir = workdir / f"redis-{self.port}"
        self.dir.mkdir(parents=True, exist_ok=True)
        self.acl = acl
        argv = ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1",
                "--save", "", "--appendonly", "no", "--dir", str(self.dir)]
        if cluster:
            argv += ["--cluster-enabled", "yes", "--cluster-config-file", "nodes.conf",
                     "--cluster-node-timeout", "1000", "--cluster-replica-validity-factor", "0"]
        if acl:
            argv += ["--include", str(render_redis_acl(self.dir / "acl", acl))]
        super().__init__(argv, self.dir / "redis.log", ready=supervisor.TcpPort(self.port))

    def cli_argv(self) -> tuple[list[str], dict[str, str] | None]:
        if not self.acl:
            return ["redis-cli"], None
        return ["redis-cli", "--user", "admin"], {**os.environ, "REDISCLI_AUTH": self.acl["REDIS_ADMIN_PASSWORD"]}

    def cli(self, *args: str) -> str:
        argv, env = self.cli_argv()
        out = subprocess.run([*argv, "-p", str(self.port), *args], capture_output=True,
                             text=True, timeout=10, env=env)
        return out.stdout.strip()


class RedisCluster:
    """Six redis-server processes made into a cluster of 3 masters + 3 replicas."""

    def __init__(self, workdir: Path, acl: dict[str, str] | None = None):
        self.acl = acl
        self.nodes = [RedisServer(workdir / "cluster", cluster=True, acl=acl) for _ in range(6)]

    def start(self) -> None:
        for n in self.nodes:
            n.start()
        argv, env = self.nodes[0].cli_argv()
        out = subprocess.run(
            [*argv, "--cluster", "create", *[f"127.0.0.1:{n.port}" for n in self.nodes],
             "--cluster-replicas", "1", "--cluster-yes"],
            capture_output=True, text=True, timeout=60, env=env)
        assert out.returncode == 0, out.stdout + out.stderr
        self.wait_ok()

    def wait_ok(self, timeout: float = 30) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            alive = [n for n in self.nodes if n.alive()]
            if alive and all("cluster_state:ok" in n.cli("cluster", "info") for n in alive):
                return
            time.sleep(0.2)
        raise TimeoutError("redis cluster not ok")

    def masters(self) -> list[RedisServer]:
        return [n for n in self.nodes if n.alive() and "role:master" in n.cli("info", "replication")]

    @property
    def url(self) -> str:
        return "redis-cluster://" + ",".join(f"127.0.0.1:{n.port}" for n in self.nodes[:3])

    def stop(self) -> None:
        for n in self.nodes:
            n.stop()


class ConsulAgent(Process):
    """A real HashiCorp Consul agent (`consul agent -dev`: one in-memory server)
    with the local stack's configuration (deploy/local/consul.hcl.tmpl) on free
    loopback ports. restart() keeps the ports; a -dev agent forgets every
    registration when it stops, like an agent that lost its data dir."""

    TEMPLATE = REPO / "deploy" / "local" / "consul.hcl.tmpl"

    def __init__(self, workdir: Path, name: str = "consul", extra_hcl: str = ""):
        binary = CACHE / "bin" / "consul"
        if not binary.exists():
            raise RuntimeError(f"{binary} missing: run scripts/bootstrap")
        self.http_port, self.dns_port, self.serf_port, self.server_port = (free_port() for _ in range(4))
        # The stack's own template, rendered the way scripts/stack renders it.
        config = supervisor.render_text(self.TEMPLATE.read_text(), {
            "CONSUL_HTTP_PORT": self.http_port, "CONSUL_DNS_PORT": self.dns_port,
            "CONSUL_SERF_PORT": self.serf_port, "CONSUL_SERVER_PORT": self.server_port},
            source=str(self.TEMPLATE))
        path = workdir / f"{name}.hcl"
        path.write_text(config + extra_hcl)
        # Ready once the -dev agent elected itself: the leader's "address:port".
        leader = supervisor.HttpOk(f"http://127.0.0.1:{self.http_port}/v1/status/leader", r'^"[^"]+:\d+"$')
        super().__init__([str(binary), "agent", "-dev", f"-config-file={path}"], workdir / f"{name}.log",
                         ready=leader, ready_timeout=30)
        self.token: str | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.http_port}"

    def restart(self) -> None:
        self.stop()
        self.start()

    def api(self, method: str, path: str, **kw) -> requests.Response:
        headers = {"X-Consul-Token": self.token} if self.token else {}
        return requests.request(method, self.url + path, headers=headers, timeout=5, **kw)

    def service(self, service_id: str) -> dict | None:
        """The agent's copy of a registration, None when it has none."""
        r = self.api("GET", f"/v1/agent/service/{service_id}")
        if r.status_code == 404:
            return None
        r.raise_for_status()
        return r.json()

    def check(self, service_id: str) -> dict | None:
        checks = self.api("GET", "/v1/agent/checks").json()
        return next((c for c in checks.values() if c["ServiceID"] == service_id), None)

    def srv(self, service: str = "storefront") -> list[int]:
        """Ports in the SRV answer for _<service>._tcp.service.consul (what HAProxy resolves)."""
        import dns.message
        import dns.query
        import dns.rcode
        import dns.rdatatype
        query = dns.message.make_query(f"_{service}._tcp.service.consul", dns.rdatatype.SRV,
                                       use_edns=0, payload=8192)
        reply = dns.query.udp(query, "127.0.0.1", port=self.dns_port, timeout=2)
        if reply.rcode() == dns.rcode.NXDOMAIN:
            return []
        return sorted(rr.port for rrset in reply.answer if rrset.rdtype == dns.rdatatype.SRV
                      for rr in rrset)


def wait_for(predicate, timeout: float = 10.0, interval: float = 0.05, what: str = "condition"):
    """Polls predicate() until it returns a truthy value; returns (value, seconds waited)."""
    t0 = time.monotonic()
    while True:
        value = predicate()
        if value:
            return value, time.monotonic() - t0
        if time.monotonic() - t0 > timeout:
            raise TimeoutError(f"{what} not met after {timeout}s")
        time.sleep(interval)
