"""Pods for a sale-day load, from bench/run figures (docs/kubernetes.md#the-scaling-math).

    python3 bench/lib/capacity.py bench/results/2026-11-28-vm-861447f.json \
        [--load 20000] [--cpu-request 1] [--target 0.6] [--zones 3] [--io1 FILE]

For each traffic profile it takes the bench scenario that measures it; until bench/run has
the `browse` and `sale-day` profiles it falls back to the proxies listed in PROFILES and
says so in the table. Per profile:

  CPU per request  c = storefront's user+system CPU / requests (bench/run's accounting)
  pod rate         r = target * cpu_request / c         (req/s per pod at the HPA target)
  pods             n = ceil(load / r)
  zone down        n * zones / (zones - 1), rounded up  (one zone lost, the rest still at target)

and whether the scenario met p99 < 10 ms at the rate it measured (64 connections, one instance).
"""
from __future__ import annotations

import argparse
import json
import math
import sys
from pathlib import Path

# profile -> bench scenarios, the real one first, then the proxies in order of preference
PROFILES = {
    "browse": ["browse", "users-redis"],
    "sale-day": ["sale-day", "mixed-direct"],
    "cached list (Redis Cluster)": ["users-cluster"],
    "POST /users": ["post"],
}


def scenarios(path: Path) -> dict[str, dict]:
    data = json.loads(path.read_text())
    return {r["name"]: r for r in data["results"] if r.get("kind") == "http" and r.get("result")}


def figures(result: dict) -> dict:
    res = result["result"]
    return {"rps": res["rps"], "p99_ms": res["p99_ms"],
            "cpu_us": 1e6 * res["cpu"]["target"] / res["requests"]}


def rows(results: dict[str, dict], load: float, cpu_request: float, target: float, zones: int):
    for profile, candidates in PROFILES.items():
        name = next((c for c in candidates if c in results), None)
        if name is None:
            continue
        f = figures(results[name])
        pod_rate = target * cpu_request / (f["cpu_us"] / 1e6)
        pods = math.ceil(load / pod_rate)
        yield {
            "profile": profile,
            "scenario": name if name == candidates[0] else f"proxy: `{name}`",
            "rps": f["rps"], "p99_ms": f["p99_ms"], "cpu_us": f["cpu_us"],
            "p99_ok": f["p99_ms"] < 10, "pod_rate": pod_rate, "pods": pods,
            "pods_zone_down": math.ceil(pods * zones / (zones - 1)),
        }


def table(path: Path, load: float, cpu_request: float, target: float, zones: int) -> str:
    out = [f"| profile | bench scenario | req/s (1 instance) | p99 ms | p99 < 10 ms | "
           f"CPU µs/req | req/s per pod at {target:.0%} of {cpu_request:g} core | "
           f"pods for {load:,.0f} req/s | with a zone down ({zones} zones) |",
           "|---|---|--:|--:|---|--:|--:|--:|--:|"]
    for r in rows(scenarios(path), load, cpu_request, target, zones):
        out.append(f"| {r['profile']} | {r['scenario']} | {r['rps']:,.0f} | {r['p99_ms']:.2f} | "
                   f"{'yes' if r['p99_ok'] else 'no'} | {r['cpu_us']:.0f} | {r['pod_rate']:,.0f} | "
                   f"{r['pods']} | {r['pods_zone_down']} |")
    return "\n".join(out)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("results", type=Path, help="a bench/results/*.json of a full bench/run")
    ap.add_argument("--load", type=float, default=20000, help="sale-day peak at the gateway, req/s")
    ap.add_argument("--cpu-request", type=float, default=1.0, help="resources.requests.cpu per pod")
    ap.add_argument("--target", type=float, default=0.6, help="HPA CPU target (fraction of the request)")
    ap.add_argument("--zones", type=int, default=3)
    args = ap.parse_args()
    print(table(args.results, args.load, args.cpu_request, args.target, args.zones))
    return 0


if __name__ == "__main__":
    sys.exit(main())
