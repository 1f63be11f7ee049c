#!/usr/bin/env python3
"""Instructions per cached request, counted by callgrind: a figure that does not
move with the machine's load, for before/after comparisons of the hit path.

    bench/callgrind_hit.py BUILD_DIR [BUILD_DIR ...]   (Release builds of storefront)

For each build: the MongoDB stand-in (1000 users, 1000 products) and a standalone
Redis, storefront under `valgrind --tool=callgrind --instr-atstart=no` with one
I/O thread; a warm-up fills the cache (every request then answers X-Cache: HIT),
collection is switched on for exactly N keep-alive requests per path and off again,
and the instructions of all threads in that window are divided by N. Settings:
CALLGRIND_REQUESTS (N, 2000). Prints one line per build and path.
"""
from __future__ import annotations

import contextlib
import http.client
import os
import re
import subprocess
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
PATHS = ["/helloDoc/users", "/catalog/products/sku-00042"]
REQUESTS = int(os.environ.get("CALLGRIND_REQUESTS") or 2000)


def get_all(port: int, path: str, n: int) -> None:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    for _ in range(n):
        conn.request("GET", path)
        res = conn.getresponse()
        res.read()
        if res.status != 200 or res.getheader("X-Cache") != "HIT":
            raise RuntimeError(f"GET {path}: {res.status} X-Cache {res.getheader('X-Cache')}")
    conn.close()


def toggle(pid: int, on: bool) -> None:
    subprocess.run(["callgrind_control", "-i", "on" if on else "off", str(pid)], check=True,
                   capture_output=True)


def measure(build: Path, work: Path, mongo_url: str, redis_port: int, servers) -> dict[str, float]:
    out = work / f"callgrind.{build.parent.name}.{build.name}.out"
    per_path = {}
    for path in PATHS:
        env = {"MONGODB_URL": mongo_url, "REDIS_URL": f"redis://127.0.0.1:{redis_port}",
               "LOG_LEVEL": "warn", "STOREFRONT_ACCESS_LOG": "false", "STOREFRONT_IO_THREADS": "1",
               # valgrind runs code ~50x slower: the default 50 ms would open the breaker
               "REDIS_TIMEOUT_MS": "2000", "REDIS_CONNECT_TIMEOUT_MS": "2000"}
        sf = servers.Storefront(work, env, name=f"sf-{build.parent.name}")
        sf.argv = ["valgrind", "--tool=callgrind", "--instr-atstart=no",
                   f"--callgrind-out-file={out}", str(build / "storefront")]
        sf.ready_timeout = 120
        sf.start()
        sf.wait_ready(timeout=120)
        conn = http.client.HTTPConnection("127.0.0.1", sf.port, timeout=60)
        for _ in range(200):  # the first is a MISS that fills Redis; on until a HIT
            conn.request("GET", path)
            res = conn.getresponse()
            res.read()
            if res.getheader("X-Cache") == "HIT":
                break
        conn.close()
        try:
            get_all(sf.port, path, 200)  # warm-up on the hit path
            toggle(sf.proc.pid, True)
            get_all(sf.port, path, REQUESTS)
            toggle(sf.proc.pid, False)
        except RuntimeError as e:
            raise SystemExit(f"{build}: {e}\n{sf.log()[-3000:]}") from None
        finally:
            sf.stop()
        totals = re.search(r"^totals: (\d+)", out.read_text(), re.M)
        per_path[path] = int(totals.group(1)) / REQUESTS
    return per_path


@contextlib.contextmanager
def databases(work: Path, servers):
    """A standalone Redis and the stand-in with 1000 users and 1000 products, for one run."""
    procs = [servers.RedisServer(work), servers.MongoStandin(work / "mongo")]
    try:
        for p in procs:
            p.start()
        servers.run_fill(procs[1].url, "helloDoc", 1000)
        servers.run_fill_products(procs[1].url, 1000)
        yield procs[1], procs[0]
    finally:
        for p in reversed(procs):
            p.stop()


def main() -> int:
    builds = [Path(b).resolve() for b in sys.argv[1:]]
    if not builds:
        print(__doc__)
        return 2
    os.environ["STOREFRONT_BUILD_DIR"] = str(builds[0])
    sys.path.insert(0, str(REPO / "tests" / "functional"))
    import servers  # noqa: E402  (reads STOREFRONT_BUILD_DIR at import: only for fill)

    with tempfile.TemporaryDirectory(prefix="callgrind-hit-") as tmp, \
            databases(Path(tmp), servers) as (mongo, redis):
        for build in builds:
            redis.cli("FLUSHALL")
            for path, ir in measure(build, Path(tmp), mongo.url, redis.port, servers).items():
                print(f"{build}: GET {path}: {ir:,.0f} instructions per cached request "
                      f"(callgrind, {REQUESTS} requests)", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
