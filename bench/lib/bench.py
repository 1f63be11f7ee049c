"""bench/run: load tests of storefront against servers started on loopback, with
nginx serving the same bytes as the ceiling in the same run. See docs/benchmarks.md.

    bench/run                 every scenario, in the order of SCENARIOS
    bench/run users-redis count second-call
    bench/run order-hot-sku order-spread sale-day
    bench/run --list

Environment: BENCH_DURATION (s per measured run, 10), BENCH_WARMUP (s, 2),
BENCH_ROUNDS (2: nginx/storefront/storefront/nginx, each DURATION/ROUNDS, so slow
drift of the other users' load hits both sides alike; the driver comparisons and the
interleaved gateway groups use at least 4), BENCH_SKIP_BUILD (use build-bench as is),
BENCH_CONNECTIONS (64), BENCH_WRK_THREADS (1), BENCH_IO_THREADS /
BENCH_WORKER_THREADS (storefront's, default: its own), BENCH_ACCESS_LOG (false),
BENCH_L1_SIZE (64), BENCH_L1_TTL_MS (2000), BENCH_NGINX_WORKERS (cores),
BENCH_HAPROXY_THREADS (cores), BENCH_PERF (scenarios to profile storefront in with
perf record, e.g. users-redis,users-l1), BENCH_MAX_BACKGROUND (cores busy by others
above which a run waits, up to BENCH_MAX_WAIT s; off by default), BENCH_BUILD_DIR
(build-bench), BENCH_RESULTS (bench/results), BENCH_TAG (suffix of the report name),
BENCH_STOCK (units per SKU `fill --stock` gives, 10000000).

The order scenarios (`order-*`, `sale-day`) are followed by `storefront audit`; a
violation fails the scenario and the run.
"""
from __future__ import annotations

import datetime
import http.client
import json
import os
import socket
import statistics
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
BUILD = Path(os.environ.get("BENCH_BUILD_DIR", REPO / "build-bench"))
os.environ["STOREFRONT_BUILD_DIR"] = str(BUILD)
sys.path.insert(0, str(REPO / "tests" / "functional"))
sys.path.insert(0, str(Path(__file__).resolve().parent))

import report  # noqa: E402  bench/lib/report.py
import stack as stk  # noqa: E402  bench/lib/stack.py

LUA = REPO / "bench" / "lua"
DIRECT = Path(os.environ.get("BENCH_DIRECT_BIN", BUILD / "direct_bench"))
C = stk.COLLECTION


def env_num(name: str, default: float) -> float:
    raw = os.environ.get(name, "")
    return float(raw) if raw else default


SETTINGS = {
    "duration": env_num("BENCH_DURATION", 10),
    "warmup": env_num("BENCH_WARMUP", 2),
    "rounds": int(env_num("BENCH_ROUNDS", 2)),
    "connections": int(env_num("BENCH_CONNECTIONS", 64)),
    "wrk_threads": int(env_num("BENCH_WRK_THREADS", 1)),
    "io_threads": os.environ.get("BENCH_IO_THREADS", ""),
    "worker_threads": os.environ.get("BENCH_WORKER_THREADS", ""),
    "access_log": os.environ.get("BENCH_ACCESS_LOG", "false"),
    "l1_size": os.environ.get("BENCH_L1_SIZE", "64"),
    "l1_ttl_ms": os.environ.get("BENCH_L1_TTL_MS", "2000"),
    "nginx_workers": os.environ.get("BENCH_NGINX_WORKERS", str(os.cpu_count() or 1)),
    "haproxy_threads": os.environ.get("BENCH_HAPROXY_THREADS", str(os.cpu_count() or 1)),
    "max_background": env_num("BENCH_MAX_BACKGROUND", 0),
    "max_wait": env_num("BENCH_MAX_WAIT", 120),
}

# name -> definition. kind "http": wrk against `target` and against nginx with
# the same script; "driver": direct libmongoc loop vs storefront; "orders": POST
# /orders vs direct_bench making the same MongoDB calls, and nginx; "client":
# sequential keep-alive client; "micro": Google Benchmark.
def _driver_scenario(op: str, conns: int) -> dict:
    """storefront vs direct_bench making the same libmongoc call (`op`)."""
    what = "find_one by name" if op == "find" else "count"
    load = ("names.lua", "/") if op == "find" else ("get.lua", f"/{C}/count")
    return {"kind": "driver", "op": op, "conns": conns, "sf": "redis", "lua": load[0],
            "path": load[1], "what": f"{what}: storefront vs direct libmongoc, "
                                     f"{'1 at a time' if conns == 1 else f'{conns} concurrent'}"}


def _order_scenario(skus: int, what: str) -> dict:
    """POST /orders of one unit (bench/lua/orders.lua) vs direct_bench --op order."""
    return {"kind": "orders", "sf": "redis", "lua": "orders.lua", "path": "/orders", "skus": skus,
            "direct_op": "order", "orders": True, "audit": True,
            "what": f"POST /orders, one unit of {what}: storefront vs direct libmongoc"}


SCENARIOS: dict[str, dict] = {
    "micro": {"kind": "micro", "what": "bench/micro (Google Benchmark)"},
    "users-nocache": {"kind": "http", "sf": "plain", "lua": "get.lua", "path": f"/{C}/users",
                      "what": f"GET /{C}/users, cache off (MongoDB every time)"},
    "users-redis": {"kind": "http", "sf": "redis", "lua": "get.lua", "path": f"/{C}/users",
                    "cached": True, "what": f"GET /{C}/users, Redis standalone"},
    "users-cluster": {"kind": "http", "sf": "cluster", "lua": "get.lua", "path": f"/{C}/users",
                      "cached": True, "what": f"GET /{C}/users, Redis Cluster (3+3)"},
    "users-l1": {"kind": "http", "sf": "redis-l1", "lua": "get.lua", "path": f"/{C}/users",
                 "cached": True, "what": f"GET /{C}/users, Redis + in-process L1"},
    "users-redis-log": {"kind": "http", "sf": "redis-log", "lua": "get.lua", "path": f"/{C}/users",
                        "cached": True,
                        "what": f"GET /{C}/users, Redis, access log ON (stdout to a file)"},
    "users-redis-worker": {"kind": "http", "sf": "redis-worker", "lua": "get.lua",
                           "path": f"/{C}/users", "cached": True,
                           "what": f"GET /{C}/users, Redis, hits via a worker (CACHE_ASYNC_READS=false)"},
    "users-redis-c16": {"kind": "http", "sf": "redis", "lua": "get.lua", "path": f"/{C}/users",
                        "cached": True, "conns": 16, "what": f"GET /{C}/users, Redis, 16 conns"},
    "users-redis-c256": {"kind": "http", "sf": "redis", "lua": "get.lua", "path": f"/{C}/users",
                         "cached": True, "conns": 256, "what": f"GET /{C}/users, Redis, 256 conns"},
    "users-l1-c256": {"kind": "http", "sf": "redis-l1", "lua": "get.lua", "path": f"/{C}/users",
                      "cached": True, "conns": 256, "what": f"GET /{C}/users, Redis + L1, 256 conns"},
    "second-call": {"kind": "client", "what": f"sequential keep-alive client, GET /{C}/users"},
    "user-by-name": {"kind": "http", "sf": "redis", "lua": "names.lua", "path": "/",
                     "what": f"GET /{C}/users/{{random name}} (indexed)"},
    "count": {"kind": "http", "sf": "redis", "lua": "get.lua", "path": f"/{C}/count",
              "what": f"GET /{C}/count"},
    "root": {"kind": "http", "sf": "redis", "lua": "get.lua", "path": "/",
             "what": "GET / (deployment description)"},
    **{f"driver-{op}-c{n}": _driver_scenario(op, n) for n in (1, 16) for op in ("find", "count")},
    "gw-users-direct": {"kind": "http", "group": "gateway-users", "sf": "gw-a", "lua": "get.lua",
                        "path": f"/{C}/users", "cached": True,
                        "what": f"cached GET /{C}/users, 1 instance, no gateway"},
    "gw-users-gw3": {"kind": "http", "group": "gateway-users", "sf": "gw-a",
                     "gateway": ("gw3", ["gw-a", "gw-b", "gw-c"]), "lua": "get.lua",
                     "path": f"/{C}/users", "cached": True,
                     "what": f"cached GET /{C}/users, HAProxy -> 3 instances"},
    "catalog-product": {"kind": "http", "sf": "redis", "lua": "products.lua",
                        "path": "/catalog/products/sku-00001", "cached": True,
                        "what": "GET /catalog/products/{random of 1000 SKUs}, Redis"},
    "catalog-product-l1": {"kind": "http", "sf": "catalog-l1", "lua": "products.lua",
                           "path": "/catalog/products/sku-00001", "cached": True,
                           "what": "GET /catalog/products/{random of 1000 SKUs}, Redis + L1 (4096)"},
    "catalog-list": {"kind": "http", "sf": "redis", "lua": "get.lua",
                     "path": "/catalog/products?limit=20", "cached": True,
                     "what": "GET /catalog/products?limit=20 (20 products), Redis"},
    "browse": {"kind": "http", "sf": "gw-a", "gateway": ("gw3", ["gw-a", "gw-b", "gw-c"]),
               "lua": "browse.lua", "path": "/catalog/products/sku-00001", "cached": True,
               "what": "browse 70/20/10 (product/category page/categories, 1000 SKUs), "
                       "HAProxy -> 3 instances"},
    "order-hot-sku": _order_scenario(1, "the hot SKU sku-00000 (plenty of stock)"),
    "order-spread": _order_scenario(stk.PRODUCTS, f"a random SKU of {stk.PRODUCTS}"),
    "sale-day": {"kind": "http", "sf": "gw-a", "gateway": ("gw3", ["gw-a", "gw-b", "gw-c"]),
                 "lua": "sale-day.lua", "path": "/catalog/products/sku-00001", "orders": True,
                 "audit": True,
                 "what": f"sale day: 75% browse, 15% stock checks, 10% POST /orders "
                         f"({stk.PRODUCTS} SKUs), HAProxy -> 3 instances"},
    "post": {"kind": "http", "sf": "redis", "lua": "post.lua", "path": f"/{C}/users",
             "writes": True, "what": f"POST /{C}/users, unique names (w: majority)"},
    "mixed-direct": {"kind": "http", "group": "gateway-mixed", "sf": "gw-a", "lua": "mixed.lua",
                     "path": "/", "writes": True, "duration_factor": 2,
                     "what": "mixed 90/10, 1 instance, no gateway"},
    "mixed-gw1": {"kind": "http", "group": "gateway-mixed", "sf": "gw-a",
                  "gateway": ("gw1", ["gw-a"]), "lua": "mixed.lua",
                  "path": "/", "writes": True, "duration_factor": 2,
                  "what": "mixed 90/10, HAProxy -> 1 instance"},
    "mixed-gw3": {"kind": "http", "group": "gateway-mixed", "sf": "gw-a",
                  "gateway": ("gw3", ["gw-a", "gw-b", "gw-c"]),
                  "lua": "mixed.lua", "path": "/", "writes": True, "duration_factor": 2,
                  "what": "mixed 90/10, HAProxy -> 3 instances"},
}


def log(msg: str) -> None:
    print(f"bench: {msg}", flush=True)


# ----------------------------------------------------------------- wrk
def wrk(port: int, script: str, path: str, conns: int, duration: float, tag: str,
        extra_env: dict[str, str] | None = None) -> dict:
    """One wrk run; returns its summary plus the wrk process's own CPU time."""
    threads = max(1, min(SETTINGS["wrk_threads"], conns))
    argv = ["wrk", f"-t{threads}", f"-c{conns}", f"-d{max(1, round(duration))}s", "--timeout", "5s",
            "-s", str(LUA / script), f"http://127.0.0.1:{port}{path}"]
    env = dict(os.environ, BENCH_LUA_DIR=str(LUA), BENCH_COLLECTION=C,
               BENCH_NAMES=str(stk.USERS), BENCH_PRODUCTS=str(stk.PRODUCTS), BENCH_RUN_ID=tag,
               **(extra_env or {}))
    out_path = RUN_DIR / "wrk.out"
    with open(out_path, "w") as out:
        proc = subprocess.Popen(argv, stdout=out, stderr=subprocess.STDOUT, env=env,
                                stdin=subprocess.DEVNULL)
    deadline = time.monotonic() + duration + 30
    rusage = None
    while time.monotonic() < deadline:
        pid, status, rusage = os.wait4(proc.pid, os.WNOHANG)
        if pid:
            proc.returncode = os.waitstatus_to_exitcode(status)
            break
        time.sleep(0.02)
    else:
        proc.kill()
        proc.wait()
        raise RuntimeError(f"wrk did not finish: {argv}")
    text = out_path.read_text()
    with open(RUN_DIR / "wrk.all.log", "a") as f:
        f.write(f"$ {' '.join(argv)}\n{text}\n")
    line = next((ln for ln in text.splitlines() if ln.startswith("BENCH_JSON ")), None)
    if proc.returncode != 0 or line is None:
        raise RuntimeError(f"wrk failed ({proc.returncode}): {' '.join(argv)}\n{text}")
    r = json.loads(line[len("BENCH_JSON "):])
    r["wrk_cpu_s"] = rusage.ru_utime + rusage.ru_stime if rusage else 0.0
    r["argv"] = " ".join(argv)
    return r


def merge_runs(runs: list[dict]) -> dict:
    """Several wrk runs of one target as one: totals, weighted p50, worst p99."""
    req = sum(r["requests"] for r in runs)
    dur = sum(r["duration_us"] for r in runs) / 1e6
    m = {
        "requests": req,
        "duration_s": dur,
        "rps": req / dur if dur else 0.0,
        "errors_non2xx": sum(r["status"] for r in runs),
        "errors_socket": sum(r["connect"] + r["read"] + r["write"] + r["timeout"] for r in runs),
        "p50_ms": sum(r["p50_us"] * r["requests"] for r in runs) / max(req, 1) / 1000,
        "p90_ms": max(r["p90_us"] for r in runs) / 1000,
        "p99_ms": max(r["p99_us"] for r in runs) / 1000,
        "mean_ms": sum(r["mean_us"] * r["requests"] for r in runs) / max(req, 1) / 1000,
        "max_ms": max(r["max_us"] for r in runs) / 1000,
        "bytes": sum(r["bytes"] for r in runs),
        "cpu": {},
    }
    for r in runs:
        for k, v in r.get("cpu", {}).items():
            m["cpu"][k] = m["cpu"].get(k, 0.0) + v
    m["errors"] = m["errors_non2xx"] + m["errors_socket"]
    m["argv"] = runs[0]["argv"]
    return m


def measured(groups: dict[str, list[int]], fn):
    """Runs fn() and adds the CPU seconds each process group used meanwhile,
    plus what everything else on the machine used ("other")."""
    before = {g: stk.tree_cpu_seconds(p) for g, p in groups.items()}
    b0, t0 = stk.machine_cpu()
    r = fn()
    b1, t1 = stk.machine_cpu()
    cpu = {g: stk.tree_cpu_seconds(p) - before[g] for g, p in groups.items()}
    cpu["wrk"] = r.get("wrk_cpu_s", 0.0)
    ours = sum(cpu.values())
    cpu["other"] = max(0.0, (b1 - b0) - ours)
    r["cpu"] = cpu
    r["wall_s"] = (t1 - t0) / (os.cpu_count() or 1)
    return r


def settle(pids: list[int], limit_s: float = 30.0) -> float:
    """Waits until these processes are idle (< 5% of a core over 0.5 s): after
    wrk stops, storefront still works off the requests it had queued, and that
    must not spill into the next measurement. Returns the seconds waited."""
    t0 = time.monotonic()
    while time.monotonic() - t0 < limit_s:
        c0 = stk.tree_cpu_seconds(pids)
        time.sleep(0.5)
        if stk.tree_cpu_seconds(pids) - c0 < 0.025:
            break
    return time.monotonic() - t0


def wait_quiet() -> float:
    """The other users' CPU (cores) over one idle second; waits while above the limit."""
    ours = STACK.all_pids() + [os.getpid()]
    bg = stk.background_busy(1.0, ours)
    limit = SETTINGS["max_background"]
    if limit > 0:
        deadline = time.monotonic() + SETTINGS["max_wait"]
        while bg > limit and time.monotonic() < deadline:
            log(f"  background load {bg:.2f} cores > {limit}, waiting")
            time.sleep(4)
            bg = stk.background_busy(1.0, ours)
    return bg


# ----------------------------------------------------------------- scenarios
def prepare_target(name: str, sc: dict, st: stk.Stack) -> dict:
    """Starts what one HTTP scenario needs; its port and CPU accounting groups."""
    sf = st.storefront(sc["sf"])
    if "gateway" in sc:
        gname, backends = sc["gateway"]
        for b in backends:
            st.storefront(b)
        port = st.haproxy(gname, backends)
        groups = {"target": st.storefront_pids(backends), "haproxy": st.haproxy_pids(gname)}
    else:
        port = sf.port
        backends = [sc["sf"]]
        groups = {"target": st.storefront_pids(backends)}
    groups["db"] = st.db_pids()
    groups["redis"] = st.redis_pids()
    return {"name": name, "sc": sc, "port": port, "groups": groups, "instances": backends,
            "conns": sc.get("conns", SETTINGS["connections"]), "orders": {}}


def counted_orders(st: stk.Stack, t: dict, fn):
    """Runs fn(); for a scenario that orders, adds what storefront_orders_total{result}
    of its instances moved meanwhile to t["orders"]."""
    if not t["sc"].get("orders"):
        return fn()
    before = st.order_results(t["instances"])
    r = fn()
    for k, v in st.order_results(t["instances"]).items():
        t["orders"][k] = t["orders"].get(k, 0.0) + v - before.get(k, 0.0)
    return r


def orders_summary(orders: dict[str, float], seconds: float) -> dict:
    return {"by_result": {k: int(v) for k, v in sorted(orders.items()) if v},
            "confirmed_per_s": orders.get("confirmed", 0.0) / seconds if seconds else 0.0}


def run_http(name: str, sc: dict, st: stk.Stack) -> list[dict]:
    return run_group([name], st)


def run_group(names: list[str], st: stk.Stack) -> list[dict]:
    """Measures one or more HTTP scenarios side by side with the nginx ceiling.

    Runs alternate in rounds (nginx, A, B, ... then ..., B, A, nginx), so a
    change in the other users' load hits every member alike. A group of
    several scenarios (the gateway comparisons) gets at least 4 rounds."""
    targets = [prepare_target(n, SCENARIOS[n], st) for n in names]
    first = targets[0]["sc"]
    lua, path, conns = first["lua"], first["path"], targets[0]["conns"]
    writes = any(t["sc"].get("writes") for t in targets)
    nginx_port = st.nginx()
    nginx_groups = {"target": st.nginx_pids(), "db": st.db_pids(), "redis": st.redis_pids()}
    busy = st.all_pids()
    tag = f"{names[0]}-{int(time.time())}"
    if writes:
        cleanup()
    # Warm-up: connections, pools, the cache entry (not measured).
    for t in targets:
        if SETTINGS["warmup"] > 0:
            wrk(t["port"], lua, path, t["conns"], SETTINGS["warmup"], f"{tag}-warm")
            settle(busy)
            if writes:
                cleanup()
        t["x_cache"] = ""
        if t["sc"].get("cached"):
            t["x_cache"] = stk.http_get(t["port"], path)[1].get("x-cache", "-")
    bg = wait_quiet()
    rounds = max(1, SETTINGS["rounds"]) if len(targets) == 1 else max(4, SETTINGS["rounds"])
    each = SETTINGS["duration"] * first.get("duration_factor", 1) / rounds
    runs: dict[str, list[dict]] = {t["name"]: [] for t in targets}
    ng_runs: list[dict] = []
    seq = [None] + targets  # None: nginx
    for i in range(rounds):
        for t in (seq if i % 2 == 0 else list(reversed(seq))):
            if t is None:
                ng_runs.append(measured(nginx_groups, lambda: wrk(
                    nginx_port, lua, path, conns, each, f"{tag}-ng{i}")))
                continue
            perf = start_perf(t["name"], t["groups"]["target"], each) if i == 0 else None
            runs[t["name"]].append(counted_orders(st, t, lambda: measured(t["groups"], lambda: wrk(
                t["port"], lua, path, t["conns"], each, f"{tag}-{t['name']}-{i}"))))
            if perf:
                finish_perf(t["name"], perf)
            settle(busy)
            if writes:
                cleanup()
    dead = st.check_alive()
    if dead:
        raise RuntimeError(f"processes died during {names}: {dead}")
    ceiling = merge_runs(ng_runs)
    out = []
    for t in targets:
        res = merge_runs(runs[t["name"]])
        out.append({"name": t["name"], "kind": "http", "what": t["sc"]["what"], "conns": t["conns"],
                    "result": res, "ceiling": ceiling,
                    "ratio": res["rps"] / ceiling["rps"] if ceiling["rps"] else 0.0,
                    "x_cache": t["x_cache"], "background_cores": bg, "rounds": rounds,
                    "group": names if len(names) > 1 else None, "instances": len(t["instances"])})
        if t["sc"].get("orders"):
            out[-1]["orders"] = orders_summary(t["orders"], res["duration_s"])
        if t["sc"].get("audit"):
            out[-1]["audit"] = st.audit(t["name"])
    return out


def start_perf(name: str, pids: list[int], seconds: float):
    """BENCH_PERF=scenario[,scenario]: perf record storefront during its first run."""
    if name not in os.environ.get("BENCH_PERF", "").split(",") or not pids:
        return None
    data = RUN_DIR / f"perf-{name}.data"
    argv = ["perf", "record", "-F", "199", "--call-graph", "dwarf,32768", "-o", str(data),
            "-p", ",".join(map(str, pids)), "--", "sleep", str(max(1.0, seconds - 1))]
    return subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL), data


def finish_perf(name: str, perf) -> None:
    proc, data = perf
    try:
        proc.wait(timeout=60)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()
    for mode, args in (("flat", ["--no-children", "--sort", "dso,sym"]),
                       ("children", ["--children", "--sort", "sym"])):
        out = subprocess.run(["perf", "report", "-i", str(data), "--stdio", "--percent-limit", "0.7",
                              "-g", "none", *args], capture_output=True, text=True, timeout=300)
        (RUN_DIR / f"perf-{name}-{mode}.txt").write_text(out.stdout)
    log(f"  perf profile: {RUN_DIR}/perf-{name}-flat.txt, -children.txt")


def direct(op: str, threads: int, duration: float, mongo_url: str, coll: str = C,
           names: int = stk.USERS, extra: tuple[str, ...] = ()) -> dict:
    argv = [str(DIRECT), "--uri", mongo_url, "--db", stk.DATABASE, "--coll", coll, "--op", op,
            "--threads", str(threads), "--duration", str(duration), "--names", str(names), *extra]
    out = subprocess.run(argv, capture_output=True, text=True, timeout=duration + 60)
    line = next((ln for ln in out.stdout.splitlines() if ln.startswith("{")), None)
    if out.returncode != 0 or line is None:
        raise RuntimeError(f"direct_bench failed ({out.returncode}): {out.stdout}{out.stderr}")
    r = json.loads(line)
    r["argv"] = " ".join(argv)
    return r


def cleanup() -> None:
    """Deletes the users the write scenarios created (names bench-*)."""
    direct("cleanup", 1, 1, STACK.mongo().url)


def run_driver(name: str, sc: dict, st: stk.Stack) -> dict:
    conns = sc["conns"]
    sf = st.storefront(sc["sf"])
    db = st.mongo()
    dur = SETTINGS["duration"]
    busy = st.all_pids()
    if SETTINGS["warmup"] > 0:
        wrk(sf.port, sc["lua"], sc["path"], conns, SETTINGS["warmup"], name + "-warm")
        settle(busy)
    bg = wait_quiet()
    groups_d = {"db": st.db_pids()}
    groups_s = {"target": st.storefront_pids([sc["sf"]]), "db": st.db_pids()}
    rounds = max(4, SETTINGS["rounds"])
    each = dur / rounds
    d_runs, s_runs = [], []
    for i in range(rounds):
        order = ("direct", "sf") if i % 2 == 0 else ("sf", "direct")
        for who in order:
            if who == "direct":
                d_runs.append(measured(groups_d, lambda: direct(sc["op"], conns, each, db.url)))
            else:
                s_runs.append(measured(groups_s, lambda: wrk(sf.port, sc["lua"], sc["path"], conns,
                                                             each, f"{name}-{i}")))
                settle(busy)
    d = merge_direct(d_runs)
    s = merge_runs(s_runs)
    # Time per operation: at 1 connection the mean latency, with more the
    # inverse throughput (the machine is saturated, so this is the CPU cost).
    if conns == 1:
        added = s["mean_ms"] * 1000 / d["mean_us"] - 1 if d["mean_us"] else 0.0
    else:
        added = d["ops_per_s"] / s["rps"] - 1 if s["rps"] else 0.0
    added_p50 = s["p50_ms"] * 1000 / d["p50_us"] - 1 if d["p50_us"] else 0.0
    return {"name": name, "kind": "driver", "what": sc["what"], "conns": conns, "op": sc["op"],
            "direct": d, "result": s, "added": added, "added_p50": added_p50,
            "background_cores": bg}


def merge_direct(runs: list[dict]) -> dict:
    ops = sum(r["ops"] for r in runs)
    dur = sum(r["duration_s"] for r in runs)
    m = {"ops": ops, "duration_s": dur, "ops_per_s": ops / dur if dur else 0.0,
         "errors": sum(r["errors"] for r in runs), "not_found": sum(r["not_found"] for r in runs),
         "mean_us": sum(r["mean_us"] * r["ops"] for r in runs) / max(ops, 1),
         "p50_us": sum(r["p50_us"] * r["ops"] for r in runs) / max(ops, 1),
         "p99_us": max(r["p99_us"] for r in runs), "argv": runs[0]["argv"], "cpu": {}}
    for r in runs:
        for k, v in r.get("cpu", {}).items():
            m["cpu"][k] = m["cpu"].get(k, 0.0) + v
    return m


def run_orders(name: str, sc: dict, st: stk.Stack) -> dict:
    """POST /orders against one instance, direct_bench making the same MongoDB calls per
    order (in its own collections) and the nginx ceiling, alternating in rounds; then
    `storefront audit`. 64 connections saturate the box, so what storefront adds is the
    driver's orders/s over storefront's - 1."""
    conns = sc.get("conns", SETTINGS["connections"])
    db = st.mongo()
    direct("stock-setup", 1, 1, db.url, coll=stk.DIRECT_STOCK, names=stk.PRODUCTS,
           extra=("--stock", str(stk.STOCK)))
    nginx_port = st.nginx()
    t = prepare_target(name, sc, st)
    env = {"BENCH_ORDER_SKUS": str(sc["skus"])}
    busy = st.all_pids()
    if SETTINGS["warmup"] > 0:
        wrk(t["port"], sc["lua"], sc["path"], conns, SETTINGS["warmup"], f"{name}-warm", env)
        settle(busy)
    bg = wait_quiet()
    rounds = max(4, SETTINGS["rounds"])
    each = SETTINGS["duration"] / rounds
    d_runs, s_runs, n_runs = [], [], []
    seq = ("nginx", "direct", "sf")
    for i in range(rounds):
        for who in (seq if i % 2 == 0 else tuple(reversed(seq))):
            if who == "nginx":
                n_runs.append(measured({"target": st.nginx_pids()}, lambda: wrk(
                    nginx_port, sc["lua"], sc["path"], conns, each, f"{name}-ng{i}", env)))
            elif who == "direct":
                d_runs.append(measured({"db": st.db_pids()}, lambda: direct(
                    sc["direct_op"], conns, each, db.url, coll=stk.DIRECT_STOCK, names=sc["skus"])))
            else:
                s_runs.append(counted_orders(st, t, lambda: measured(
                    t["groups"], lambda: wrk(t["port"], sc["lua"], sc["path"], conns, each,
                                             f"{name}-{i}", env))))
            settle(busy)
    dead = st.check_alive()
    if dead:
        raise RuntimeError(f"processes died during {name}: {dead}")
    d, s, ceiling = merge_direct(d_runs), merge_runs(s_runs), merge_runs(n_runs)
    return {"name": name, "kind": "orders", "what": sc["what"], "conns": conns,
            "direct_op": sc["direct_op"], "direct": d, "result": s, "ceiling": ceiling,
            "ratio": s["rps"] / ceiling["rps"] if ceiling["rps"] else 0.0,
            "added": d["ops_per_s"] / s["rps"] - 1 if s["rps"] else 0.0,
            "added_p50": s["p50_ms"] * 1000 / d["p50_us"] - 1 if d["p50_us"] else 0.0,
            "orders": orders_summary(t["orders"], s["duration_s"]), "audit": st.audit(name),
            "background_cores": bg, "rounds": rounds}


def run_client(name: str, sc: dict, st: stk.Stack) -> dict:
    """p50 of the second call of GET /helloDoc/users, as a test client sees it."""
    import requests  # from .cache/venv

    sf = st.storefront("redis")
    l1 = st.storefront("redis-l1")
    nginx_port = st.nginx()
    path = f"/{C}/users"

    def timed_http_client(port: int, n: int, warm: int = 20) -> tuple[list[float], dict]:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
        seen: dict[str, int] = {}
        times = []
        for i in range(warm + n):
            t0 = time.perf_counter()
            conn.request("GET", path)
            res = conn.getresponse()
            res.read()
            dt = time.perf_counter() - t0
            if res.status != 200:
                raise RuntimeError(f"GET {path}: {res.status}")
            if i >= warm:
                times.append(dt * 1000)
                xc = res.getheader("X-Cache", "-")
                seen[xc] = seen.get(xc, 0) + 1
        conn.close()
        return times, seen

    def timed_requests(port: int, n: int, warm: int = 20) -> list[float]:
        s = requests.Session()
        times = []
        for i in range(warm + n):
            t0 = time.perf_counter()
            r = s.get(f"http://127.0.0.1:{port}{path}", timeout=10)
            _ = r.content
            dt = time.perf_counter() - t0
            r.raise_for_status()
            if i >= warm:
                times.append(dt * 1000)
        s.close()
        return times

    def stats(xs: list[float]) -> dict:
        s = sorted(xs)
        return {"n": len(s), "p50_ms": statistics.median(s),
                "p99_ms": s[min(len(s) - 1, int(round(0.99 * (len(s) - 1))))],
                "mean_ms": statistics.fmean(s), "min_ms": s[0], "max_ms": s[-1]}

    bg = wait_quiet()
    out: dict = {"name": name, "kind": "client", "what": sc["what"], "background_cores": bg}
    # Literally the second call: after a write invalidates the list, call 1
    # misses (MongoDB), call 2 hits. 20 cycles over one keep-alive connection.
    conn = http.client.HTTPConnection("127.0.0.1", sf.port, timeout=10)
    first, second, outcomes, cycles = [], [], [], []
    for i in range(20):
        body = json.dumps({"age": i, "name": f"bench-second-{i}-{int(time.time())}"})
        conn.request("POST", path, body=body, headers={"Content-Type": "application/json"})
        r = conn.getresponse()
        r.read()
        if r.status != 201:
            raise RuntimeError(f"POST {path}: {r.status}")
        pair = []
        for lst in (first, second):
            t0 = time.perf_counter()
            conn.request("GET", path)
            res = conn.getresponse()
            res.read()
            lst.append((time.perf_counter() - t0) * 1000)
            pair.append(res.getheader("X-Cache", "-"))
        outcomes.append("/".join(pair))
        cycles.append({"first_ms": round(first[-1], 3), "first": pair[0],
                       "second_ms": round(second[-1], 3), "second": pair[1]})
        time.sleep(0.05)
    conn.close()
    cleanup()
    out["first_call"] = stats(first)
    out["second_call"] = stats(second)
    out["second_call_outcomes"] = {o: outcomes.count(o) for o in sorted(set(outcomes))}
    out["second_call_cycles"] = cycles
    # Steady state: 200 sequential calls after 20 warm-up calls.
    t, seen = timed_http_client(sf.port, 200)
    out["steady_http_client"] = {**stats(t), "x_cache": seen}
    t, seen = timed_http_client(l1.port, 200)
    out["steady_http_client_l1"] = {**stats(t), "x_cache": seen}
    out["steady_requests"] = stats(timed_requests(sf.port, 200))
    t, _ = timed_http_client(nginx_port, 200)
    out["nginx_http_client"] = stats(t)
    out["nginx_requests"] = stats(timed_requests(nginx_port, 200))
    return out


def run_micro(name: str, sc: dict, st: stk.Stack) -> dict:
    binary = BUILD / "micro_bench"
    bg = wait_quiet()
    out = subprocess.run([str(binary), "--benchmark_format=json", "--benchmark_min_time=0.5"],
                         capture_output=True, text=True, timeout=600)
    if out.returncode != 0:
        raise RuntimeError(f"micro_bench failed: {out.stderr[-2000:]}")
    data = json.loads(out.stdout)
    rows = []
    for b in data["benchmarks"]:
        unit = {"ns": 1, "us": 1e3, "ms": 1e6, "s": 1e9}[b.get("time_unit", "ns")]
        rows.append({"name": b["name"], "cpu_ns": b["cpu_time"] * unit,
                     "real_ns": b["real_time"] * unit, "iterations": b["iterations"],
                     "bytes_per_second": b.get("bytes_per_second"),
                     "items_per_second": b.get("items_per_second")})
    return {"name": name, "kind": "micro", "what": sc["what"], "rows": rows,
            "context": data.get("context", {}), "background_cores": bg}


RUNNERS = {"http": run_http, "driver": run_driver, "orders": run_orders, "client": run_client,
           "micro": run_micro}

RUN_DIR: Path
STACK: stk.Stack


def main(argv: list[str]) -> int:
    global RUN_DIR, STACK
    if argv and argv[0] in ("-h", "--help"):
        print(__doc__)
        return 0
    if argv and argv[0] == "--list":
        for n, sc in SCENARIOS.items():
            print(f"{n:18} {sc['what']}")
        return 0
    names = argv or list(SCENARIOS)
    unknown = [n for n in names if n not in SCENARIOS]
    if unknown:
        print(f"bench: unknown scenario(s) {unknown}; bench/run --list", file=sys.stderr)
        return 2
    for need in (BUILD / "storefront", DIRECT):
        if not need.exists():
            print(f"bench: {need} missing (bench/run builds it)", file=sys.stderr)
            return 1

    started = datetime.datetime.now()
    host = socket.gethostname().split(".")[0]
    stamp = started.strftime("%Y%m%d-%H%M%S")
    RUN_DIR = REPO / ".cache" / "bench" / stamp
    RUN_DIR.mkdir(parents=True, exist_ok=True)
    log(f"run dir {RUN_DIR}")
    STACK = stk.Stack(RUN_DIR, SETTINGS)
    results: list[dict] = []
    failures: list[str] = []
    try:
        log("starting the MongoDB stand-in and filling 1000 users")
        STACK.mongo()
        done_groups: set[str] = set()
        for n in names:
            sc = SCENARIOS[n]
            group = sc.get("group")
            if group in done_groups:
                continue
            members = [m for m in names if group and SCENARIOS[m].get("group") == group] or [n]
            if group:
                done_groups.add(group)
            for m in members:
                log(f"{m}: {SCENARIOS[m]['what']}" + (f" (interleaved with {len(members) - 1} more)"
                                                      if len(members) > 1 else ""))
            try:
                if len(members) > 1:
                    rs = run_group(members, STACK)
                else:
                    rs = RUNNERS[sc["kind"]](n, sc, STACK)
            except Exception as e:  # one broken scenario does not lose the others
                log(f"{'/'.join(members)} FAILED: {e}")
                failures.append(f"{'/'.join(members)}: {e}")
                continue
            for r in (rs if isinstance(rs, list) else [rs]):
                results.append(r)
                print(report.console_row(r), flush=True)
                if r.get("audit"):
                    log(f"  {r['name']}: storefront audit exit {r['audit']['rc']}: "
                        f"{r['audit']['summary']}")
                    if r["audit"]["rc"] != 0:
                        failures.append(f"{r['name']}: storefront audit failed: "
                                        f"{r['audit']['summary']}")
        versions = STACK.versions(BUILD)
    finally:
        log("stopping servers")
        STACK.stop()
    finished = datetime.datetime.now()
    tag = os.environ.get("BENCH_TAG") or ("" if names == list(SCENARIOS) else "partial")
    stem = f"{started:%Y-%m-%d}-{host}" + (f"-{tag}" if tag else "")
    results_dir = Path(os.environ.get("BENCH_RESULTS", REPO / "bench" / "results"))
    results_dir.mkdir(parents=True, exist_ok=True)
    cmdline = " ".join(
        [f"{k}={v}" for k, v in sorted(os.environ.items()) if k.startswith("BENCH_")
         and k not in ("BENCH_LUA_DIR", "BENCH_DIRECT_BIN")  # set by bench/run itself
         and not (k == "BENCH_BUILD_DIR" and Path(v) == REPO / "build-bench")]
        + ["bench/run"] + argv)
    meta = {"started": started.isoformat(timespec="seconds"),
            "finished": finished.isoformat(timespec="seconds"), "host": host,
            "command": cmdline, "settings": SETTINGS, "versions": versions,
            "run_dir": str(RUN_DIR), "failures": failures}
    md, png = report.write(results_dir / f"{stem}.md", results, meta)
    log(f"report {md}" + (f", chart {png}" if png else ""))
    print(report.console_summary(results))
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
