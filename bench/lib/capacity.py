"""Pods for a sale-day load, from bench/run figures (docs/kubernetes.md#the-scaling-math).

    python3 bench/lib/capacity.py RESULTS.json [MORE.json ...] \
        [--load 20000] [--cpu-request 1] [--target 0.6] [--zones 3]

Scenarios are read from every file; a later file wins for a scenario both measured. For
each traffic profile it takes the bench scenario that measures it, or the first proxy of
PROFILES the files have, and says so. `sale-day` is bench/run's own scenario (bench/lua/
sale-day.lua: 75 % browsing, 15 % stock checks, 10 % orders, through HAProxy to 3
instances); its CPU per request is the instances' together. Per profile:

  CPU per request  c = storefront's user+system CPU / requests (bench/run's accounting)
  pod rate         r = target * cpu_request / c         (req/s per pod at the HPA target)
  pods             n = ceil(load / r)
  zone down        n * zones / (zones - 1), rounded up  (one zone lost, the rest still at target)

and the req/s and p99 the scenario measured (64 connections; one instance unless the row
says how many shared them).
"""
from __future__ import annotations

import argparse
import json
import math
import sys
from pathlib import Path

# profile -> candidates, the real scenario first, then proxies in order of preference
PROFILES = {
    "browse": ["browse", "users-redis"],
    "sale-day": ["sale-day"],
    "sale-day mix, slow database": ["mixed-direct"],
    "lookup by name, uncached": ["user-by-name"],
    "POST /users": ["post"],
    "cached list, Redis Cluster": ["users-cluster"],
}


def scenarios(paths: list[Path]) -> dict[str, tuple[str, dict]]:
    """scenario -> (run tag, result); later files win."""
    out: dict[str, tuple[str, dict]] = {}
    for path in paths:
        tag = path.stem.split("-vm")[-1].lstrip("-") or path.stem
        for r in json.loads(path.read_text())["results"]:
            if r.get("kind") == "http" and r.get("result") and r["result"].get("requests"):
                out[r["name"]] = (tag or path.stem, r)
    return out


def figures(result: dict) -> dict:
    res = result["result"]
    return {"rps": res["rps"], "p99_ms": res["p99_ms"],
            "cpu_us": 1e6 * res["cpu"]["target"] / res["requests"]}


def measure(candidate: str, results) -> dict | None:
    if candidate not in results:
        return None
    tag, result = results[candidate]
    shared = result.get("instances", 1)
    via = f", HAProxy -> {shared} instances" if shared > 1 else ""
    return {"name": f"`{candidate}` ({tag}{via})", **figures(result)}


def rows(results, load: float, cpu_request: float, target: float, zones: int):
    for profile, candidates in PROFILES.items():
        for i, candidate in enumerate(candidates):
            m = measure(candidate, results)
            if m is not None:
                break
        else:
            continue
        pod_rate = target * cpu_request / (m["cpu_us"] / 1e6)
        pods = math.ceil(round(load / pod_rate, 6))
        yield {**m, "profile": profile, "proxy": i > 0, "pod_rate": pod_rate, "pods": pods,
               "pods_zone_down": math.ceil(round(pods * zones / (zones - 1), 6))}


def table(paths: list[Path], load: float, cpu_request: float, target: float, zones: int) -> str:
    out = [f"| profile | measured by (run) | req/s measured | p99 ms | "
           f"CPU µs/req | req/s per pod at {target:.0%} of {cpu_request:g} core | "
           f"pods for {load:,.0f} req/s | with a zone down ({zones} zones) |",
           "|---|---|--:|--:|--:|--:|--:|--:|"]
    for r in rows(scenarios(paths), load, cpu_request, target, zones):
        by = f"proxy: {r['name']}" if r["proxy"] else r["name"]
        out.append(f"| {r['profile']} | {by} | {r['rps']:,.0f} | {r['p99_ms']:.2f} | {r['cpu_us']:.0f} | "
                   f"{r['pod_rate']:,.0f} | {r['pods']} | {r['pods_zone_down']} |")
    return "\n".join(out)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("results", type=Path, nargs="+", help="bench/results/*.json, oldest first")
    ap.add_argument("--load", type=float, default=20000, help="sale-day peak at the gateway, req/s")
    ap.add_argument("--cpu-request", type=float, default=1.0, help="resources.requests.cpu per pod")
    ap.add_argument("--target", type=float, default=0.6, help="HPA CPU target (fraction of the request)")
    ap.add_argument("--zones", type=int, default=3)
    args = ap.parse_args()
    print(table(args.results, args.load, args.cpu_request, args.target, args.zones))
    return 0


if __name__ == "__main__":
    sys.exit(main())
