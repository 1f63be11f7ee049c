"""bench/overload: p99 of the accepted requests of an uncached, database-bound route
at a multiple of its sustainable rate, with storefront's in-flight limit
(STOREFRONT_MAX_IN_FLIGHT at its default, 2 x the 16 workers) and without it (only the
worker queue, STOREFRONT_WORKER_QUEUE 1024, bounds the waiting). See
docs/benchmarks.md#load-shedding-at-4-the-sustainable-rate.

The route is GET /helloDoc/count (no cache) against the MongoDB stand-in behind a TCP
proxy that adds BENCH_DB_DELAY_MS to each chunk each way (tests/functional/servers.py
TcpProxy): a database that answers in about 2 x that, as a loaded primary does. The
workers then wait on the database rather than burn CPU, which is the overload the limit
is for; on this shared 2-core box a CPU-bound route would measure the load generator
and the machine instead.

1. sustainable rate S: wrk, closed loop, 16 connections (one per worker, none shed), BENCH_DURATION s, on the
   limited instance;
2. BENCH_ROUNDS rounds, alternating which instance goes first: bench/loadgen (open
   loop: requests scheduled at BENCH_FACTOR x S whatever the answers; latency from each
   request's scheduled time) for BENCH_DURATION s on each instance, after a pause that
   lets the previous run's queue drain.

Environment: BENCH_DURATION (10), BENCH_ROUNDS (4), BENCH_FACTOR (4), BENCH_DB_DELAY_MS
(10), BENCH_CONNS (1000, the client's connections at most), BENCH_OVERLOAD_BIN,
BENCH_BUILD_DIR (build-bench). Prints wrk's output, one JSON line per run and a
Markdown table.
"""
from __future__ import annotations

import json
import os
import re
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

import servers  # noqa: E402  tests/functional/servers.py

DURATION = float(os.environ.get("BENCH_DURATION", "10"))
ROUNDS = int(os.environ.get("BENCH_ROUNDS", "4"))
FACTOR = float(os.environ.get("BENCH_FACTOR", "4"))
CONNS = int(os.environ.get("BENCH_CONNS", "1000"))
DB_DELAY_MS = float(os.environ.get("BENCH_DB_DELAY_MS", "10"))
TOOL = Path(os.environ.get("BENCH_OVERLOAD_BIN", BUILD / "loadgen"))
PATH = "/helloDoc/count"


def sustainable_rate(port: int) -> float:
    out = subprocess.run(["wrk", "-t1", "-c16", f"-d{int(DURATION)}s", "--timeout", "5s",
                          f"http://127.0.0.1:{port}{PATH}"],
                         capture_output=True, text=True, timeout=DURATION + 60).stdout
    m = re.search(r"Requests/sec:\s+([0-9.]+)", out)
    if not m or "Non-2xx" in out:
        raise RuntimeError(f"wrk: no clean rate:\n{out}")
    print(out.strip(), flush=True)
    return float(m.group(1))


def overload(port: int, rate: float) -> dict:
    out = subprocess.run([str(TOOL), "-url", f"http://127.0.0.1:{port}{PATH}",
                          "-rate", str(int(rate)), "-duration", f"{int(DURATION)}s",
                          "-conns", str(CONNS)],
                         capture_output=True, text=True, timeout=DURATION + 120)
    if out.returncode != 0:
        raise RuntimeError(out.stderr)
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    run_dir = BUILD / "overload-run"
    run_dir.mkdir(parents=True, exist_ok=True)
    started: list = []
    try:
        mongo = servers.MongoStandin(run_dir / "mongo")
        mongo.start()
        started.append(mongo)
        servers.run_fill(mongo.url, "helloDoc", 1000)
        proxy = servers.TcpProxy(mongo.port)
        proxy.delay_s = DB_DELAY_MS / 1000
        common = {"MONGODB_URL": f"mongodb://127.0.0.1:{proxy.port}",
                  "STOREFRONT_ACCESS_LOG": "false", "LOG_LEVEL": "warn"}
        apps = {"limit on": servers.Storefront(run_dir, common, "sf-limit-on"),
                "limit off": servers.Storefront(
                    run_dir, {**common, "STOREFRONT_MAX_IN_FLIGHT": "10000000"}, "sf-limit-off")}
        for app in apps.values():
            app.start(wait_ready=True)
            started.append(app)
            # warm: the driver's connections to the proxy, the stand-in's JIT
            subprocess.run(["wrk", "-t1", "-c32", "-d3s", f"http://127.0.0.1:{app.port}{PATH}"],
                           capture_output=True, timeout=60)
        rate = sustainable_rate(apps["limit on"].port)
        target = FACTOR * rate
        print(f"sustainable {rate:.0f} req/s; offering {target:.0f} req/s ({FACTOR:g}x), "
              f"database delay {DB_DELAY_MS:g} ms per chunk each way", flush=True)
        runs: dict[str, list[dict]] = {name: [] for name in apps}
        for r in range(ROUNDS):
            order = list(apps) if r % 2 == 0 else list(reversed(apps))
            for name in order:
                time.sleep(6)  # the previous run's queue drains (deadline 5 s)
                res = overload(apps[name].port, target)
                res["config"], res["round"] = name, r + 1
                print(json.dumps(res), flush=True)
                runs[name].append(res)
        print(f"\n| {FACTOR:g}x the sustainable {rate:.0f} req/s, {int(DURATION)} s x {ROUNDS} "
              "| accepted req/s | shed (503) req/s | other | accepted p50 | accepted p99 "
              "| accepted p99.9 | 503 p99 |")
        print("|---|--:|--:|--:|--:|--:|--:|--:|")
        for name, rs in runs.items():
            med = lambda f: statistics.median(f(x) for x in rs)  # noqa: E731
            print(f"| {name} | {med(lambda x: x['accepted_rps']):.0f} "
                  f"| {med(lambda x: x['shed'] / x['elapsed_s']):.0f} "
                  f"| {sum(x['errors'] for x in rs)} "
                  f"| {med(lambda x: x['accepted_latency'].get('p50_ms', 0)):.1f} ms "
                  f"| {med(lambda x: x['accepted_latency'].get('p99_ms', 0)):.1f} ms "
                  f"| {med(lambda x: x['accepted_latency'].get('p999_ms', 0)):.1f} ms "
                  f"| {med(lambda x: x['shed_latency'].get('p99_ms', 0)):.1f} ms |")
        print("(medians over the rounds; 'other': answers neither 2xx nor 503, and client "
              "timeouts, summed)")
    finally:
        for thing in reversed(started):
            thing.stop()
        if "proxy" in locals():
            proxy.close()


if __name__ == "__main__":
    main()
