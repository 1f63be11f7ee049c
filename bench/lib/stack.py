"""The servers bench/run starts on loopback, started lazily and stopped at the end.

the MongoDB stand-in (1000 helloDoc users, index on name, 1000 products with stock),
redis-server standalone, a
6-node Redis Cluster, storefront instances in several configurations, nginx
serving the same response bytes as static files (the ceiling), and HAProxy in
front of 1 or 3 storefront instances (the gateway). Process helpers come from
tests/functional/servers.py; CPU accounting reads /proc.
"""
from __future__ import annotations

import http.client
import json
import os
import re
import shutil
import signal
import subprocess
import time
from pathlib import Path

import servers  # tests/functional/servers.py (bench.py puts it on sys.path)

CLK_TCK = os.sysconf("SC_CLK_TCK")
COLLECTION = "helloDoc"
DATABASE = "somedb"
USERS = 1000
PRODUCTS = 1000
# Units per SKU: plenty for every order scenario (64 connections buying one SKU for a
# whole run stay far below), so no order is short unless a scenario wants it.
STOCK = int(os.environ.get("BENCH_STOCK") or 10_000_000)
# direct_bench's stock and orders (bench/direct): apart from the real `stock` and
# `orders`, so its orders never confuse `storefront audit` of storefront's own.
DIRECT_STOCK = "bench_direct_stock"
CATEGORIES = ("phones", "tablets", "laptops", "watches", "headphones", "accessories")


# ----------------------------------------------------------------- /proc helpers
def _stat_fields(pid: int) -> list[str] | None:
    try:
        raw = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    # comm may contain spaces: fields after the closing parenthesis.
    return raw[raw.rindex(")") + 2:].split()


def _children_map() -> dict[int, list[int]]:
    kids: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        f = _stat_fields(int(entry))
        if f:
            kids.setdefault(int(f[1]), []).append(int(entry))
    return kids


def tree_cpu_seconds(pids: list[int]) -> float:
    """utime+stime of the processes and all their descendants (nginx workers)."""
    kids = _children_map()
    seen: set[int] = set()
    stack = list(pids)
    total = 0
    while stack:
        pid = stack.pop()
        if pid in seen:
            continue
        seen.add(pid)
        f = _stat_fields(pid)
        if f:
            total += int(f[11]) + int(f[12])  # utime, stime (fields 14, 15)
        stack.extend(kids.get(pid, []))
    return total / CLK_TCK


def machine_cpu() -> tuple[float, float]:
    """(busy seconds, total seconds) summed over all cores since boot."""
    with open("/proc/stat") as f:
        parts = f.readline().split()[1:]
    v = [int(x) for x in parts[:8]]
    idle = v[3] + v[4]
    return (sum(v) - idle) / CLK_TCK, sum(v) / CLK_TCK


def background_busy(seconds: float = 1.0, ours: list[int] | None = None) -> float:
    """Cores busy over `seconds` with the CPU of our own processes (`ours`)
    taken out: the other users' load."""
    o0 = tree_cpu_seconds(ours or [])
    b0, t0 = machine_cpu()
    time.sleep(seconds)
    b1, t1 = machine_cpu()
    o1 = tree_cpu_seconds(ours or [])
    cores = os.cpu_count() or 1
    return max(0.0, (b1 - b0) - (o1 - o0)) / max(t1 - t0, 1e-9) * cores


# ----------------------------------------------------------------- HTTP helper
def http_get(port: int, path: str, timeout: float = 10.0) -> tuple[int, dict[str, str], bytes]:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        conn.request("GET", path)
        res = conn.getresponse()
        return res.status, {k.lower(): v for k, v in res.getheaders()}, res.read()
    finally:
        conn.close()


ORDER_SAMPLE = re.compile(r'^storefront_orders_total\{[^}]*result="([a-z_]+)"[^}]*\}\s+(\S+)$', re.M)


# ----------------------------------------------------------------- the stack
class Stack:
    """Starts what the scenarios need, once; remembers every process to stop it."""

    def __init__(self, run_dir: Path, settings: dict):
        self.run_dir = run_dir
        self.settings = settings
        self.procs: dict[str, list[servers.Process]] = {}
        self._mongo: servers.MongoStandin | None = None
        self._redis: servers.RedisServer | None = None
        self._cluster: servers.RedisCluster | None = None
        self._sf: dict[str, servers.Storefront] = {}
        self._nginx: tuple[servers.Process, int] | None = None
        self._haproxy: dict[str, tuple[servers.Process, int]] = {}

    # ---- databases and caches
    def mongo(self) -> servers.MongoStandin:
        """The MongoDB stand-in (mongo-java-server, in memory) with the users filled."""
        if self._mongo is None:
            m = servers.MongoStandin(self.run_dir / "mongo")
            m.start()
            self._mongo = m
            self.procs["mongo"] = [m]
            out = servers.run_fill(m.url, COLLECTION, USERS, DATABASE)
            out += servers.run_fill_products(m.url, PRODUCTS, None, DATABASE, stock=STOCK)
            (self.run_dir / "fill.log").write_text(out)
        return self._mongo

    def cli(self, *args: str, timeout: float = 300) -> subprocess.CompletedProcess:
        """`storefront <args>` (audit) against the stand-in, as the servers see it."""
        env = {"PATH": os.environ.get("PATH", ""), "MONGODB_URL": self.mongo().url,
               "MONGODB_DATABASE_NAME": DATABASE, "LOG_LEVEL": "warn"}
        return subprocess.run([str(servers.BUILD_DIR / "storefront"), *args], env=env,
                              capture_output=True, text=True, timeout=timeout)

    def audit(self, name: str) -> dict:
        """`storefront audit` after a scenario: rc 0 clean, 1 a violation, 2 it could not run."""
        out = self.cli("audit", timeout=600)
        text = out.stdout + out.stderr
        (self.run_dir / f"audit-{name}.log").write_text(text)
        lines = [ln for ln in text.splitlines() if ln.strip()]
        summary = next((ln for ln in reversed(lines) if ln.startswith("audit:")), lines[-1] if lines else "")
        return {"rc": out.returncode, "summary": summary, "violations": lines[:20] if out.returncode else []}

    def order_results(self, names: list[str]) -> dict[str, float]:
        """storefront_orders_total by result, summed over these instances' /metrics."""
        total: dict[str, float] = {}
        for n in names:
            status, _, body = http_get(self._sf[n].port, "/metrics")
            if status != 200:
                raise RuntimeError(f"GET /metrics on storefront-{n}: {status}")
            for m in ORDER_SAMPLE.finditer(body.decode()):
                total[m.group(1)] = total.get(m.group(1), 0.0) + float(m.group(2))
        return total

    def redis(self) -> servers.RedisServer:
        if self._redis is None:
            r = servers.RedisServer(self.run_dir)
            r.start()
            self._redis = r
            self.procs["redis"] = [r]
        return self._redis

    def cluster(self) -> servers.RedisCluster:
        if self._cluster is None:
            c = servers.RedisCluster(self.run_dir)
            self._cluster = c
            self.procs["redis-cluster"] = list(c.nodes)
            c.start()
        return self._cluster

    # ---- storefront
    CONFIGS = {
        # name: (cache, extra env)
        "plain": (None, {}),
        "redis": ("redis", {}),
        "redis-log": ("redis", {"STOREFRONT_ACCESS_LOG": "true"}),
        "redis-worker": ("redis", {"CACHE_ASYNC_READS": "false"}),
        "redis-l1": ("redis", {"CACHE_L1_SIZE": "{l1_size}", "CACHE_L1_TTL_MS": "{l1_ttl_ms}"}),
        "cluster": ("cluster", {}),
        # The whole catalog (1000 products, lists, categories) fits the L1.
        "catalog-l1": ("redis", {"CACHE_L1_SIZE": "4096", "CACHE_L1_TTL_MS": "{l1_ttl_ms}"}),
        "gw-a": ("redis", {}),
        "gw-b": ("redis", {}),
        "gw-c": ("redis", {}),
    }

    def storefront_env(self, name: str) -> dict[str, str]:
        cache, extra = self.CONFIGS[name]
        s = self.settings
        env = {
            "MONGODB_URL": self.mongo().url,
            "MONGODB_DATABASE_NAME": DATABASE,
            "STOREFRONT_ACCESS_LOG": s["access_log"],
            "LOG_LEVEL": "warn",
            "STOREFRONT_INSTANCE_ID": f"bench-{name}",
        }
        if s["io_threads"]:
            env["STOREFRONT_IO_THREADS"] = s["io_threads"]
        if s["worker_threads"]:
            env["STOREFRONT_WORKER_THREADS"] = s["worker_threads"]
        if cache == "redis":
            env["REDIS_URL"] = f"redis://127.0.0.1:{self.redis().port}"
        elif cache == "cluster":
            env["REDIS_URL"] = self.cluster().url
        for k, v in extra.items():
            env[k] = v.format(**s)
        return env

    def storefront(self, name: str) -> servers.Storefront:
        if name not in self._sf:
            env = self.storefront_env(name)
            sf = servers.Storefront(self.run_dir, env, name=f"storefront-{name}")
            # The access log goes to stdout; with it on, keep it off the disk
            # of a shared machine only as much as the server writes it.
            sf.start(wait_ready=True)
            self._sf[name] = sf
            self.procs[f"storefront-{name}"] = [sf]
        return self._sf[name]

    def storefront_pids(self, names: list[str]) -> list[int]:
        return [self._sf[n].proc.pid for n in names if n in self._sf and self._sf[n].proc]

    # ---- nginx, the ceiling
    def nginx(self) -> int:
        """Port of an nginx serving the bytes storefront answers, as static files."""
        if self._nginx is None:
            src = self.storefront("plain")
            root = self.run_dir / "nginx" / "root"
            (root / "user").mkdir(parents=True, exist_ok=True)
            for path, name in ((f"/{COLLECTION}/users", "users.json"),
                               (f"/{COLLECTION}/count", "count.json"), ("/", "root.json")):
                status, _, body = http_get(src.port, path)
                if status != 200:
                    raise RuntimeError(f"GET {path} on storefront: {status} {body[:200]!r}")
                (root / name).write_bytes(body)
            conn = http.client.HTTPConnection("127.0.0.1", src.port, timeout=10)
            sample = b""
            for i in range(USERS):
                conn.request("GET", f"/{COLLECTION}/users/ly{i}")
                res = conn.getresponse()
                body = res.read()
                if res.status != 200:
                    raise RuntimeError(f"GET /users/ly{i}: {res.status}")
                (root / "user" / f"ly{i}").write_bytes(body)
                sample = sample or body
            # The catalog: every product page, the list pages and the categories.
            (root / "catalog" / "products").mkdir(parents=True, exist_ok=True)
            for i in range(PRODUCTS):
                conn.request("GET", f"/catalog/products/sku-{i:05d}")
                res = conn.getresponse()
                body = res.read()
                if res.status != 200:
                    raise RuntimeError(f"GET /catalog/products/sku-{i:05d}: {res.status}")
                (root / "catalog" / "products" / f"sku-{i:05d}").write_bytes(body)
            pages = [("/catalog/products?limit=20", "list.json"),
                     ("/catalog/categories", "categories.json")]
            pages += [(f"/catalog/products?category={c}&limit=20", f"list-{c}.json")
                      for c in CATEGORIES]
            for path, name in pages:
                status, _, body = http_get(src.port, path)
                if status != 200:
                    raise RuntimeError(f"GET {path} on storefront: {status}")
                (root / "catalog" / name).write_bytes(body)
            # Orders: one SKU's stock and the 201 of one real order (which `storefront
            # audit` counts like every other).
            status, _, body = http_get(src.port, "/catalog/products/sku-00000/stock")
            if status != 200:
                raise RuntimeError(f"GET /catalog/products/sku-00000/stock: {status} {body[:200]!r}")
            (root / "catalog" / "stock.json").write_bytes(body)
            conn.request("POST", "/orders", body=json.dumps(
                {"customer_id": "bench-ceiling", "items": [{"sku": "sku-00000", "quantity": 1}]}),
                headers={"Content-Type": "application/json"})
            res = conn.getresponse()
            order_body = res.read().decode().replace("'", "")
            if res.status != 201:
                raise RuntimeError(f"POST /orders on storefront: {res.status} {order_body[:200]}")
            conn.close()
            # POST answers 201 with a user document of the same shape.
            post_body = sample.decode().replace("'", "")
            port = servers.free_port()
            ndir = self.run_dir / "nginx"
            for d in ("tmp/body", "tmp/proxy", "tmp/fastcgi", "tmp/uwsgi", "tmp/scgi"):
                (ndir / d).mkdir(parents=True, exist_ok=True)
            workers = self.settings["nginx_workers"]
            user = "user root root;\n" if os.geteuid() == 0 else ""
            conf = f"""# generated by bench/run: the ceiling, same bytes as static files
{user}worker_processes {workers};
daemon off;
pid {ndir}/nginx.pid;
error_log {ndir}/error.log warn;
events {{ worker_connections 8192; }}
http {{
  access_log off;
  sendfile on;
  tcp_nopush on;
  tcp_nodelay on;
  keepalive_requests 10000000;
  keepalive_timeout 75s;
  open_file_cache max=4096 inactive=60s;
  client_body_temp_path {ndir}/tmp/body;
  proxy_temp_path {ndir}/tmp/proxy;
  fastcgi_temp_path {ndir}/tmp/fastcgi;
  uwsgi_temp_path {ndir}/tmp/uwsgi;
  scgi_temp_path {ndir}/tmp/scgi;
  types {{ }}
  default_type application/json;
  server {{
    listen 127.0.0.1:{port};
    root {root};
    location = / {{ try_files /root.json =404; }}
    location = /{COLLECTION}/count {{ try_files /count.json =404; }}
    location = /{COLLECTION}/users {{
      if ($request_method = POST) {{ return 201 '{post_body}'; }}
      try_files /users.json =404;
    }}
    location /{COLLECTION}/users/ {{ alias {root}/user/; }}
    # The catalog: the same bytes per SKU, per category page and for the
    # categories (a CDN serving storefront's answers would hold these).
    location /catalog/products/ {{ alias {root}/catalog/products/; }}
    location = /catalog/categories {{ try_files /catalog/categories.json =404; }}
    location ~ ^/catalog/products/[^/]+/stock$ {{ try_files /catalog/stock.json =404; }}
    location = /orders {{ return 201 '{order_body}'; }}
    location = /catalog/products {{
      set $list /catalog/list.json;
      if ($arg_category) {{ set $list /catalog/list-$arg_category.json; }}
      try_files $list =404;
    }}
  }}
}}
"""
            (ndir / "nginx.conf").write_text(conf)
            p = servers.Process(["nginx", "-p", str(ndir), "-c", str(ndir / "nginx.conf")],
                                ndir / "nginx.stdout.log")
            p.start()
            servers.wait_port(port)
            status, _, body = http_get(port, f"/{COLLECTION}/users")
            if status != 200 or body != (root / "users.json").read_bytes():
                raise RuntimeError("nginx does not serve the users body")
            self._nginx = (p, port)
            self.procs["nginx"] = [p]
        return self._nginx[1]

    def nginx_pids(self) -> list[int]:
        return [self._nginx[0].proc.pid] if self._nginx and self._nginx[0].proc else []

    # ---- haproxy, the gateway
    def haproxy(self, name: str, backends: list[str]) -> int:
        if name not in self._haproxy:
            ports = [self.storefront(b).port for b in backends]
            port = servers.free_port()
            hdir = self.run_dir / f"haproxy-{name}"
            hdir.mkdir(parents=True, exist_ok=True)
            lines = "\n".join(f"  server {b} 127.0.0.1:{p} check inter 2s"
                              for b, p in zip(backends, ports))
            cfg = f"""# generated by bench/run: the gateway in front of {len(backends)} storefront instance(s)
global
  nbthread {self.settings['haproxy_threads']}
  maxconn 4096
defaults
  mode http
  timeout connect 2s
  timeout client 30s
  timeout server 30s
  timeout http-keep-alive 60s
  option http-keep-alive
  http-reuse always
frontend fe
  bind 127.0.0.1:{port}
  default_backend storefront
backend storefront
  balance roundrobin
  option httpchk GET /health/live
{lines}
"""
            (hdir / "haproxy.cfg").write_text(cfg)
            check = subprocess.run(["haproxy", "-c", "-f", str(hdir / "haproxy.cfg")],
                                   capture_output=True, text=True, timeout=30)
            if check.returncode != 0:
                raise RuntimeError(f"haproxy -c: {check.stdout}{check.stderr}")
            p = servers.Process(["haproxy", "-db", "-f", str(hdir / "haproxy.cfg")],
                                hdir / "haproxy.log")
            p.start()
            servers.wait_port(port)
            # Wait until a backend is UP (first health check): a public, static
            # path through the gateway (the internals are not routed by the
            # production gateways, so the bench does not rely on them either).
            deadline = time.monotonic() + 15
            while time.monotonic() < deadline:
                try:
                    if http_get(port, "/openapi.json", timeout=2)[0] == 200:
                        break
                except OSError:
                    pass
                time.sleep(0.1)
            time.sleep(0.5)
            self._haproxy[name] = (p, port)
            self.procs[f"haproxy-{name}"] = [p]
        return self._haproxy[name][1]

    def haproxy_pids(self, name: str) -> list[int]:
        h = self._haproxy.get(name)
        return [h[0].proc.pid] if h and h[0].proc else []

    # ---- groups for CPU accounting
    def pids(self, group: str) -> list[int]:
        out = []
        for p in self.procs.get(group, []):
            if p.proc is not None and p.proc.poll() is None:
                out.append(p.proc.pid)
        return out

    def all_pids(self) -> list[int]:
        return [pid for g in self.procs for pid in self.pids(g)]

    def db_pids(self) -> list[int]:
        return self.pids("mongo")

    def redis_pids(self) -> list[int]:
        return self.pids("redis") + self.pids("redis-cluster")

    def check_alive(self) -> list[str]:
        return [g for g, ps in self.procs.items() for p in ps
                if p.proc is not None and p.proc.poll() is not None]

    def stop(self) -> None:
        # Reverse order of start: gateways, nginx, storefronts, caches, database.
        for group in reversed(list(self.procs)):
            for p in self.procs[group]:
                try:
                    if group == "nginx" and p.proc and p.proc.poll() is None:
                        p.proc.send_signal(signal.SIGQUIT)  # graceful: workers exit too
                        try:
                            p.proc.wait(10)
                        except subprocess.TimeoutExpired:
                            p.stop()
                    else:
                        p.stop(timeout=15)
                except Exception as e:  # keep stopping the rest
                    print(f"bench: stopping {group}: {e}")

    def versions(self, build: Path) -> dict[str, str]:
        def run(argv: list[str]) -> str:
            try:
                out = subprocess.run(argv, capture_output=True, text=True, timeout=20)
                text = (out.stdout + out.stderr).strip()
                return text.splitlines()[0] if text else "?"
            except (OSError, subprocess.TimeoutExpired):
                return "not found"
        sf_version = "?"
        for sf in self._sf.values():
            try:
                status, _, body = http_get(sf.port, "/", timeout=10)
                if status == 200:
                    sf_version = json.loads(body).get("version", "?")
                    break
            except (OSError, ValueError):
                pass
        standin = "?"
        pom = servers.REPO / "tools" / "mongo-standin" / "pom.xml"
        if pom.exists():
            m = re.search(r"<mongo-java-server.version>([^<]+)<", pom.read_text())
            standin = m.group(1) if m else "?"
        commit = run(["git", "-C", str(servers.REPO), "rev-parse", "--short", "HEAD"])
        dirty = run(["git", "-C", str(servers.REPO), "status", "--porcelain", "--", "src"])
        binary = build / "storefront"
        built = (time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(binary.stat().st_mtime))
                 if binary.exists() else "?")
        v = {
            "storefront": f"{sf_version}, repo HEAD {commit} at report time"
                          f"{' + uncommitted changes in src/' if dirty not in ('?', '') else ''},"
                          f" Release binary built {built} ({binary})",
            "wrk": run(["wrk", "-v"]),
            "nginx": run(["nginx", "-v"]),
            "haproxy": run(["haproxy", "-v"]),
            "redis-server": run(["redis-server", "--version"]),
            "mongodb": f"mongo-java-server {standin} (in-memory backend, tools/mongo-standin)",
            "java": run(["java", "-version"]),
            "libmongoc": run(["pkg-config", "--modversion", "libmongoc-1.0"]),
            "hiredis": run(["pkg-config", "--modversion", "hiredis"]),
            "compiler": run(["c++", "--version"]),
            "kernel": run(["uname", "-sr"]),
            "python": run(["python3", "--version"]),
        }
        try:
            model = next((line.split(":", 1)[1].strip() for line in
                          Path("/proc/cpuinfo").read_text().splitlines()
                          if line.startswith("model name")), "?")
        except OSError:
            model = "?"
        v["cpu"] = f"{model}, {os.cpu_count()} cores"
        v["gnuplot"] = run(["gnuplot", "--version"]) if shutil.which("gnuplot") else "not found"
        return v
