"""Start-to-ready time of storefront (docs/kubernetes.md#how-long-a-scale-up-takes).

    .cache/venv/bin/python bench/lib/startup.py [--build build-release] [--runs 20]

Starts a MongoDB-wire stand-in and a redis-server on loopback, then starts storefront
`--runs` times (Redis cache on, as in the chart) and measures, from just before exec:
  listen  first accepted TCP connection
  live    first 200 from /health/live  (what the startupProbe waits for)
  ready   first 200 from /health/ready (the pod joins the Service endpoints)
polling every 2 ms. Then one instance idles for --idle-seconds with a readiness probe every
2 s (the chart's period) and its CPU use is reported: the fixed cost per pod the per-request
CPU figures of bench/run include at low request rates. Prints a Markdown table.
"""
from __future__ import annotations

import argparse
import os
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO / "tests" / "functional"))
import servers  # noqa: E402

CLK_TCK = os.sysconf("SC_CLK_TCK")


def http_status(port: int, path: str) -> int | None:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=1) as s:
            s.sendall(f"GET {path} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n".encode())
            head = s.recv(64).decode(errors="replace")
        return int(head.split()[1]) if head.startswith("HTTP/1.1 ") else None
    except (OSError, ValueError, IndexError):
        return None


def start(binary: Path, env: dict[str, str], log: Path) -> subprocess.Popen:
    out = open(log, "ab")
    try:
        return subprocess.Popen([str(binary)], env=env, stdout=out, stderr=subprocess.STDOUT,
                                stdin=subprocess.DEVNULL)
    finally:
        out.close()


def one_start(binary: Path, env: dict[str, str], log: Path, timeout: float = 30) -> dict[str, float]:
    port = int(env["PORT"])
    t0 = time.monotonic()
    proc = start(binary, env, log)
    marks: dict[str, float] = {}
    try:
        while "ready" not in marks:
            now = time.monotonic() - t0
            if now > timeout or proc.poll() is not None:
                raise RuntimeError(f"not ready after {now:.1f}s (exit {proc.poll()}):\n{log.read_text()[-2000:]}")
            if "listen" not in marks:
                try:
                    socket.create_connection(("127.0.0.1", port), timeout=0.05).close()
                    marks["listen"] = time.monotonic() - t0
                except OSError:
                    time.sleep(0.002)
                    continue
            if "live" not in marks and http_status(port, "/health/live") == 200:
                marks["live"] = time.monotonic() - t0
            if "live" in marks and http_status(port, "/health/ready") == 200:
                marks["ready"] = time.monotonic() - t0
                break
            time.sleep(0.002)
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.wait(timeout=30)
    return marks


def cpu_seconds(pid: int) -> float:
    raw = Path(f"/proc/{pid}/stat").read_text()
    fields = raw[raw.rindex(")") + 2:].split()
    return (int(fields[11]) + int(fields[12])) / CLK_TCK


def idle_cpu(binary: Path, env: dict[str, str], log: Path, seconds: float) -> float:
    """Cores used by a ready instance that only answers a readiness probe every 2 s."""
    proc = start(binary, env, log)
    try:
        port = int(env["PORT"])
        deadline = time.monotonic() + 30
        while http_status(port, "/health/ready") != 200:
            if time.monotonic() > deadline or proc.poll() is not None:
                raise RuntimeError(f"idle instance not ready:\n{log.read_text()[-2000:]}")
            time.sleep(0.05)
        time.sleep(1)
        c0, t0 = cpu_seconds(proc.pid), time.monotonic()
        while time.monotonic() - t0 < seconds:
            http_status(port, "/health/ready")
            time.sleep(2)
        return (cpu_seconds(proc.pid) - c0) / (time.monotonic() - t0)
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.wait(timeout=30)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--build", default=str(REPO / "build-release"), help="directory with the storefront binary")
    ap.add_argument("--runs", type=int, default=20)
    ap.add_argument("--idle-seconds", type=float, default=20)
    ap.add_argument("--io-threads", default="1", help="STOREFRONT_IO_THREADS (the chart's default: 1)")
    args = ap.parse_args()
    binary = Path(args.build) / "storefront"
    if not binary.is_file():
        ap.error(f"{binary} not found (cmake --build {args.build})")

    with tempfile.TemporaryDirectory(prefix="sf-startup-") as tmp:
        work = Path(tmp)
        mongo = servers.MongoStandin(work / "mongo")
        redis = servers.RedisServer(work)
        mongo.start()
        redis.start()
        try:
            env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "STOREFRONT_BIND": "127.0.0.1",
                   "MONGODB_URL": mongo.url, "REDIS_URL": f"redis://127.0.0.1:{redis.port}",
                   "STOREFRONT_IO_THREADS": args.io_threads, "LOG_LEVEL": "info",
                   "STOREFRONT_SWAGGER_DIR": str(work)}
            for key in ("ASAN_OPTIONS", "UBSAN_OPTIONS"):
                if key in os.environ:
                    env[key] = os.environ[key]
            samples = []
            for i in range(args.runs):
                env["PORT"] = str(servers.free_port())
                env["STOREFRONT_INSTANCE_ID"] = f"startup-{i}"
                samples.append(one_start(binary, env, work / "storefront.log"))
            env["PORT"] = str(servers.free_port())
            idle = idle_cpu(binary, env, work / "idle.log", args.idle_seconds)
        finally:
            redis.stop()
            mongo.stop()

    load = os.getloadavg()[0]
    print(f"storefront start-to-ready, {args.runs} starts, {binary} "
          f"(STOREFRONT_IO_THREADS={args.io_threads}, MongoDB-wire stand-in + redis-server on loopback, "
          f"load average {load:.1f} on {os.cpu_count()} cores)\n")
    print("| from exec to | min ms | median ms | p90 ms | max ms |")
    print("|---|--:|--:|--:|--:|")
    for mark in ("listen", "live", "ready"):
        xs = sorted(s[mark] * 1000 for s in samples)
        p90 = xs[min(len(xs) - 1, int(round(0.9 * (len(xs) - 1))))]
        print(f"| {mark} | {xs[0]:.1f} | {statistics.median(xs):.1f} | {p90:.1f} | {xs[-1]:.1f} |")
    resolution = 1000 / CLK_TCK / args.idle_seconds  # millicores of one /proc tick
    shown = f"{idle * 1000:.2f}" if idle > 0 else f"< {resolution:.2f} (no /proc tick)"
    print(f"\nidle, readiness probe every 2 s: {shown} millicores over {args.idle_seconds:.0f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
