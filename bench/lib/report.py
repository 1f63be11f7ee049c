"""The console rows and the report bench/run writes: bench/results/<date>-<host>.md,
a PNG chart next to it (gnuplot) and the raw numbers as JSON."""
from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

TARGET_RATIO = 0.7
TARGET_P99_MS = 10.0
TARGET_DRIVER_ADDED = 0.10
TARGET_GATEWAY = 0.25
TARGET_SECOND_CALL_MS = 1.0
TARGET_ORDER_ADDED = 0.15


def _f(x: float, digits: int = 2) -> str:
    return f"{x:,.{digits}f}"


def _cpu_us_per_req(r: dict, group: str) -> str:
    n = r.get("requests", 0)
    v = r.get("cpu", {}).get(group)
    if v is None or not n:
        return "-"
    return _f(v / n * 1e6, 0)


def _other_cores(r: dict) -> float:
    return r.get("cpu", {}).get("other", 0.0) / max(r.get("duration_s", 1), 1e-9)


def console_row(r: dict) -> str:
    k = r["kind"]
    if k == "http":
        s, c = r["result"], r["ceiling"]
        return (f"  {r['name']:18} c={r['conns']:<4} {s['rps']:>10,.0f} req/s  p50 {s['p50_ms']:7.2f} ms"
                f"  p99 {s['p99_ms']:7.2f} ms  errors {s['errors']:<5} nginx {c['rps']:>10,.0f} req/s"
                f"  ratio {r['ratio']:.2f}  {r.get('x_cache', '')}")
    if k == "driver":
        d, s = r["direct"], r["result"]
        return (f"  {r['name']:18} direct {d['ops_per_s']:>9,.0f} ops/s mean {d['mean_us'] / 1000:6.2f} ms"
                f" | storefront {s['rps']:>9,.0f} req/s mean {s['mean_ms']:6.2f} ms"
                f" | added {r['added'] * 100:+.1f}% (p50 {r.get('added_p50', 0) * 100:+.1f}%)"
                f"  errors {s['errors'] + d['errors']}")
    if k == "orders":
        d, s = r["direct"], r["result"]
        return (f"  {r['name']:18} c={r['conns']:<4} {s['rps']:>8,.0f} orders/s  p50 {s['p50_ms']:6.2f} ms"
                f"  p99 {s['p99_ms']:7.2f} ms  CPU {_cpu_us_per_req(s, 'target')} µs/order"
                f" | direct {d['ops_per_s']:>8,.0f} orders/s p50 {d['p50_us'] / 1000:6.2f} ms"
                f" | added {r['added'] * 100:+.1f}%  errors {s['errors'] + d['errors']}"
                f"  ratio to nginx {r['ratio']:.2f}")
    if k == "client":
        sc = r["second_call"]
        st = r["steady_http_client"]
        return (f"  {r['name']:18} second call p50 {sc['p50_ms']:.3f} ms p99 {sc['p99_ms']:.3f} ms;"
                f" steady p50 {st['p50_ms']:.3f} ms p99 {st['p99_ms']:.3f} ms;"
                f" nginx p50 {r['nginx_http_client']['p50_ms']:.3f} ms")
    if k == "micro":
        def mbs(row: dict) -> str:
            b = row.get("bytes_per_second")
            return f"  {b / 1e6:,.1f} MB/s" if b else ""
        return "\n".join(f"  {row['name']:34} {row['cpu_ns']:>12,.1f} ns/op{mbs(row)}"
                         for row in r["rows"])
    return f"  {r['name']}"


# ----------------------------------------------------------------- targets
def evaluate(results: list[dict]) -> list[tuple[str, str, str, str]]:
    """(target, measured, met, scenario) rows."""
    by = {r["name"]: r for r in results}
    rows = []
    for name in ("users-redis", "users-cluster", "users-l1"):
        r = by.get(name)
        if not r:
            continue
        s = r["result"]
        rows.append((f"cached GET /helloDoc/users >= {TARGET_RATIO} of nginx @{r['conns']} conns",
                     f"{r['ratio']:.2f} ({_f(s['rps'], 0)} vs {_f(r['ceiling']['rps'], 0)} req/s)",
                     "yes" if r["ratio"] >= TARGET_RATIO else "**no**", name))
        rows.append((f"cached GET /helloDoc/users p99 < {TARGET_P99_MS:g} ms @{r['conns']} conns",
                     f"{s['p99_ms']:.2f} ms", "yes" if s["p99_ms"] < TARGET_P99_MS else "**no**", name))
    for name in ("driver-find-c1", "driver-count-c1", "driver-find-c16", "driver-count-c16"):
        r = by.get(name)
        if not r:
            continue
        what = "/users/{name}" if r["op"] == "find" else "/count"
        plural = "s" if r["conns"] > 1 else ""
        rows.append((f"{what} adds < {TARGET_DRIVER_ADDED:.0%} over the driver ({r['conns']} conn{plural})",
                     f"{r['added'] * 100:+.1f}% (p50: {r.get('added_p50', 0) * 100:+.1f}%)",
                     "yes" if r["added"] < TARGET_DRIVER_ADDED else "**no**", name))
    for r in (r for r in results if r["kind"] == "orders"):
        rows.append((f"POST /orders adds < {TARGET_ORDER_ADDED:.0%} over the same MongoDB calls "
                     f"(direct_bench --op {r['direct_op']}, {r['conns']} conns)",
                     f"{r['added'] * 100:+.1f}% (p50: {r.get('added_p50', 0) * 100:+.1f}%)",
                     "yes" if r["added"] < TARGET_ORDER_ADDED else "**no**", r["name"]))
    audited = [r for r in results if r.get("audit")]
    if audited:
        bad = [f"{r['name']}: {r['audit']['summary']}" for r in audited if r["audit"]["rc"] != 0]
        rows.append(("`storefront audit` passes after every order scenario",
                     "; ".join(bad) if bad else ", ".join(f"{r['name']}: {r['audit']['summary']}"
                                                          for r in audited),
                     "yes" if not bad else "**no**", "order scenarios"))
    d, g3, g1 = by.get("mixed-direct"), by.get("mixed-gw3"), by.get("mixed-gw1")
    if d and g3:
        ov = 1 - g3["result"]["rps"] / d["result"]["rps"]
        rows.append((f"gateway overhead (mixed, HAProxy -> 3 vs 1 direct) < {TARGET_GATEWAY:.0%}",
                     f"{ov * 100:.1f}% ({_f(g3['result']['rps'], 0)} vs {_f(d['result']['rps'], 0)} req/s)",
                     "yes" if ov < TARGET_GATEWAY else "**no**", "mixed-gw3"))
    if d and g1:
        ov = 1 - g1["result"]["rps"] / d["result"]["rps"]
        rows.append(("(info) mixed, HAProxy -> 1 instance vs direct", f"{ov * 100:.1f}%", "-", "mixed-gw1"))
    cd, c3 = by.get("gw-users-direct"), by.get("gw-users-gw3")
    if cd and c3:
        ov = 1 - c3["result"]["rps"] / cd["result"]["rps"]
        rows.append(("(info) cached GET /helloDoc/users, HAProxy -> 3 vs 1 direct",
                     f"{ov * 100:.1f}% ({_f(c3['result']['rps'], 0)} vs {_f(cd['result']['rps'], 0)} req/s)",
                     "-", "gw-users-gw3"))
    c = by.get("second-call")
    if c:
        p = c["second_call"]["p50_ms"]
        rows.append((f"second call GET /helloDoc/users p50 < {TARGET_SECOND_CALL_MS:g} ms (test client)",
                     f"{p:.3f} ms (steady state {c['steady_http_client']['p50_ms']:.3f} ms)",
                     "yes" if p < TARGET_SECOND_CALL_MS else "**no**", "second-call"))
    errs = []
    for r in results:
        if r["kind"] == "http":
            errs.append((r["name"], r["result"]["errors"]))
        elif r["kind"] in ("driver", "orders"):
            errs.append((r["name"], r["result"]["errors"] + r["direct"]["errors"]))
    if errs:
        bad = [f"{n}: {e}" for n, e in errs if e]
        rows.append(("no errors in any scenario", ", ".join(bad) if bad else "0 everywhere",
                     "yes" if not bad else "**no**", "all"))
    return rows


# ----------------------------------------------------------------- chart
def chart(png: Path, results: list[dict]) -> bool:
    http = [r for r in results if r["kind"] == "http"]
    if not http or not shutil.which("gnuplot"):
        return False
    dat = png.with_suffix(".dat")
    with open(dat, "w") as f:
        f.write("# scenario storefront_rps nginx_rps storefront_p99_ms nginx_p99_ms\n")
        for r in http:
            label = f"{r['name']} c{r['conns']}"
            f.write(f"\"{label}\" {r['result']['rps']:.1f} {r['ceiling']['rps']:.1f} "
                    f"{max(r['result']['p99_ms'], 0.01):.3f} {max(r['ceiling']['p99_ms'], 0.01):.3f}\n")
    script = f"""
set terminal pngcairo size 1500,1000 font ",10"
set output "{png}"
set multiplot layout 2,1 title "storefront vs nginx ceiling (same bytes), wrk on loopback, same run"
set style data histograms
set style histogram clustered gap 1
set style fill solid 0.85 border -1
set boxwidth 0.9
set grid ytics
set logscale y
set xtics rotate by -30 left noenhanced
set key top right
set ylabel "requests/s (log)"
set title "throughput"
plot "{dat}" using 2:xtic(1) title "storefront" lc rgb "#1f77b4", "" using 3 title "nginx" lc rgb "#aaaaaa"
set yrange [0.1:*]
set ylabel "p99 latency, ms (log)"
set title "p99 latency"
plot "{dat}" using 4:xtic(1) title "storefront" lc rgb "#d62728", "" using 5 title "nginx" lc rgb "#aaaaaa"
unset multiplot
"""
    gp = png.with_suffix(".gp")
    gp.write_text(script)
    out = subprocess.run(["gnuplot", str(gp)], capture_output=True, text=True, timeout=60)
    if out.returncode != 0:
        print(f"bench: gnuplot failed: {out.stderr}")
        return False
    gp.unlink()
    dat.unlink()
    return True


# ----------------------------------------------------------------- markdown
def write(md_path: Path, results: list[dict], meta: dict) -> tuple[Path, Path | None]:
    png = md_path.with_suffix(".png")
    has_png = chart(png, results)
    md_path.with_suffix(".json").write_text(json.dumps({"meta": meta, "results": results}, indent=1))
    s = meta["settings"]
    L: list[str] = []
    L.append(f"# storefront benchmark, {meta['started'][:10]} on `{meta['host']}`")
    L.append("")
    L.append(f"Command: `{meta['command']}` (from {meta['started']} to {meta['finished']}).")
    L.append("Generated by `bench/run`; see `docs/benchmarks.md` for the method and the targets.")
    L.append("")
    L.append("Everything ran on one shared machine on loopback: wrk, storefront, the MongoDB stand-in, Redis, nginx "
             "and HAProxy share its cores with other people's builds and tests. Compare rows by their "
             "ratio to the nginx ceiling measured next to them, not by absolute numbers. "
             "`other cores` is the CPU the rest of the machine used during the measurement.")
    L.append("")
    L.append("Settings: "
             f"wrk `-t{s['wrk_threads']}` `--timeout 5s`, {s['duration']:g} s per measured run "
             f"split in {s['rounds']} rounds alternating nginx and storefront (4 rounds for the "
             f"driver comparisons and the interleaved gateway groups), {s['warmup']:g} s warm-up; "
             f"storefront Release build, `STOREFRONT_ACCESS_LOG={s['access_log']}` "
             f"(except `users-redis-log`), "
             f"`LOG_LEVEL=warn`, `STOREFRONT_IO_THREADS={s['io_threads'] or 'default (one per core)'}`, "
             f"`STOREFRONT_WORKER_THREADS={s['worker_threads'] or 'default (16)'}`, "
             f"L1 scenarios `CACHE_L1_SIZE={s['l1_size']}` `CACHE_L1_TTL_MS={s['l1_ttl_ms']}`; "
             f"nginx {s['nginx_workers']} workers, access log off, sendfile, open_file_cache; "
             f"HAProxy nbthread {s['haproxy_threads']}, round robin, keep-alive to the servers.")
    L.append("")
    if meta.get("failures"):
        L.append("**Failed scenarios:** " + "; ".join(meta["failures"]))
        L.append("")

    http = [r for r in results if r["kind"] == "http"]
    if http:
        L.append("## HTTP scenarios")
        L.append("")
        if has_png:
            L.append(f"![throughput and p99 per scenario]({png.name})")
            L.append("")
        L.append("| scenario | what | conns | req/s | p50 ms | p99 ms | errors (non-2xx + socket) | "
                 "nginx req/s | nginx p99 ms | ratio to nginx | server CPU µs/req | nginx CPU µs/req | "
                 "MongoDB CPU µs/req | Redis CPU µs/req | wrk CPU µs/req | other cores | X-Cache |")
        L.append("|---|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|---|")
        for r in http:
            x, c = r["result"], r["ceiling"]
            srv = _cpu_us_per_req(x, "target")
            if "haproxy" in x.get("cpu", {}):
                srv = f"{srv} + {_cpu_us_per_req(x, 'haproxy')} HAProxy"
            L.append(
                f"| `{r['name']}` | {r['what']} | {r['conns']} | {_f(x['rps'], 0)} | {x['p50_ms']:.2f} | "
                f"{x['p99_ms']:.2f} | {x['errors_non2xx']} + {x['errors_socket']} | {_f(c['rps'], 0)} | "
                f"{c['p99_ms']:.2f} | {r['ratio']:.2f} | {srv} | {_cpu_us_per_req(c, 'target')} | "
                f"{_cpu_us_per_req(x, 'db')} | {_cpu_us_per_req(x, 'redis')} | {_cpu_us_per_req(x, 'wrk')} | "
                f"{_other_cores(x):.2f} | {r.get('x_cache') or '-'} |")
        L.append("")
        L.append("The nginx ceiling of each row serves the bytes storefront answers for the same "
                 "requests as static files (users list, count, `/`, one file per user name); for "
                 "POST it answers 201 with a user document (`return 201`). CPU µs/req is the "
                 "process's user+system time during the run divided by the requests.")
        L.append("")

    drv = [r for r in results if r["kind"] == "driver"]
    if drv:
        L.append("## storefront vs the C driver directly")
        L.append("")
        L.append("`bench/direct/direct_bench` runs the same libmongoc calls as storefront "
                 "(`find` by name with limit 1 and the projection, `count_documents({})`) in a loop "
                 "with N threads; storefront is driven by wrk with N connections right after it. "
                 "At 1 connection, added time = storefront's mean latency / the driver's mean - 1; "
                 "at 16 the machine is saturated and it is the driver's ops/s / storefront's req/s - 1.")
        L.append("")
        L.append("| scenario | conns | driver ops/s | driver mean ms | driver p99 ms | storefront req/s | "
                 "storefront mean ms | storefront p99 ms | added time | added to p50 | errors | "
                 "MongoDB CPU µs/op (driver / storefront) | storefront CPU µs/req | other cores |")
        L.append("|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|")
        for r in drv:
            d, x = r["direct"], r["result"]
            dcpu = d.get("cpu", {}).get("db", 0) / max(d["ops"], 1) * 1e6
            L.append(f"| `{r['name']}` | {r['conns']} | {_f(d['ops_per_s'], 0)} | "
                     f"{d['mean_us'] / 1000:.3f} | {d['p99_us'] / 1000:.3f} | {_f(x['rps'], 0)} | "
                     f"{x['mean_ms']:.3f} | {x['p99_ms']:.3f} | "
                     f"{r['added'] * 100:+.1f}% | {r.get('added_p50', 0) * 100:+.1f}% | "
                     f"{d['errors'] + x['errors']} | {dcpu:.0f} / "
                     f"{_cpu_us_per_req(x, 'db')} | {_cpu_us_per_req(x, 'target')} | {_other_cores(x):.2f} |")
        L.append("")

    orders_section(L, results)

    by = {r["name"]: r for r in results}
    pairs = [(base, [n for n in others if n in by]) for base, others in
             (("mixed-direct", ("mixed-gw1", "mixed-gw3")), ("gw-users-direct", ("gw-users-gw3",)))
             if base in by]
    pairs = [(b, o) for b, o in pairs if o]
    if pairs:
        L.append("## Gateway")
        L.append("")
        L.append("Mixed profile (`bench/lua/mixed.lua`: 50% GET by name, 30% GET list, 10% count, "
                 "10% POST), and the cached list alone. All instances and HAProxy share the same "
                 "cores, so more instances do not add capacity here; the comparison measures what "
                 "the gateway costs.")
        L.append("")
        L.append("| setup | req/s | p50 ms | p99 ms | vs 1 instance direct | ratio to nginx | "
                 "CPU µs/req storefront + HAProxy |")
        L.append("|---|--:|--:|--:|--:|--:|--:|")
        for base, others in pairs:
            d = by[base]["result"]
            for n in (base, *others):
                x = by[n]["result"]
                cpu = _cpu_us_per_req(x, "target")
                if "haproxy" in x.get("cpu", {}):
                    cpu += " + " + _cpu_us_per_req(x, "haproxy")
                L.append(f"| `{n}` | {_f(x['rps'], 0)} | {x['p50_ms']:.2f} | {x['p99_ms']:.2f} | "
                         f"{(x['rps'] / d['rps'] - 1) * 100:+.1f}% | {by[n]['ratio']:.2f} | {cpu} |")
        L.append("")

    cl = by.get("second-call")
    if cl:
        L.append("## Client latency of GET /helloDoc/users (issue 3 §5)")
        L.append("")
        L.append("One keep-alive connection, sequential calls, Python `http.client` unless noted. "
                 "\"Second call\": 20 cycles of POST (invalidates the list) -> GET (miss) -> GET (timed).")
        L.append("")
        L.append("| measurement | n | p50 ms | p99 ms | mean ms | X-Cache |")
        L.append("|---|--:|--:|--:|--:|---|")
        rows = [("first call after a write (miss)", cl["first_call"], ""),
                ("second call after a write", cl["second_call"],
                 ", ".join(f"{k}: {v}" for k, v in cl["second_call_outcomes"].items())),
                ("steady state, Redis", cl["steady_http_client"],
                 ", ".join(f"{k}: {v}" for k, v in cl["steady_http_client"]["x_cache"].items())),
                ("steady state, Redis + L1", cl["steady_http_client_l1"],
                 ", ".join(f"{k}: {v}" for k, v in cl["steady_http_client_l1"]["x_cache"].items())),
                ("steady state, Redis, `requests.Session`", cl["steady_requests"], ""),
                ("nginx, same bytes", cl["nginx_http_client"], ""),
                ("nginx, same bytes, `requests.Session`", cl["nginx_requests"], "")]
        for label, st, xc in rows:
            L.append(f"| {label} | {st['n']} | {st['p50_ms']:.3f} | {st['p99_ms']:.3f} | "
                     f"{st['mean_ms']:.3f} | {xc or '-'} |")
        L.append("")
        cyc = cl.get("second_call_cycles", [])
        if cyc:
            L.append("Second calls one by one (ms, X-Cache): " + ", ".join(
                f"{c['second_ms']:.2f} {c['second']}" for c in cyc) + ".")
            L.append("")

    mic = by.get("micro")
    if mic:
        L.append("## Micro benchmarks (`build-bench/micro_bench`, Release)")
        L.append("")
        L.append("| benchmark | ns/op (CPU) | ns/op (wall) | bytes/s | items/s |")
        L.append("|---|--:|--:|--:|--:|")
        for row in mic["rows"]:
            bps = row.get("bytes_per_second")
            ips = row.get("items_per_second")
            L.append(f"| `{row['name']}` | {_f(row['cpu_ns'], 1)} | {_f(row['real_ns'], 1)} | "
                     f"{(_f(bps / 1e6, 1) + ' MB/s') if bps else '-'} | {_f(ips, 0) if ips else '-'} |")
        L.append("")

    ev = evaluate(results)
    if ev:
        L.append("## Targets")
        L.append("")
        L.append("| target | measured | met | scenario |")
        L.append("|---|---|---|---|")
        for t, m, ok, n in ev:
            L.append(f"| {t} | {m} | {ok} | `{n}` |")
        L.append("")

    L.append("## Versions")
    L.append("")
    for k, v in meta["versions"].items():
        L.append(f"- {k}: `{v}`")
    L.append("")
    L.append(f"Logs and configs of this run: `{meta['run_dir']}` (not committed).")
    L.append("")
    md_path.write_text("\n".join(L))
    return md_path, png if has_png else None


def orders_section(L: list[str], results: list[dict]) -> None:
    """POST /orders vs the driver, and the orders and audit of every scenario that ordered."""
    orders = [r for r in results if r["kind"] == "orders"]
    if orders:
        L.append("## Orders: storefront vs the C driver directly")
        L.append("")
        L.append("wrk runs `bench/lua/orders.lua` (POST /orders of one unit, a new Idempotency-Key "
                 "each) against one instance; `bench/direct/direct_bench --op order` makes the same "
                 "MongoDB calls per order with N threads (the order inserted pending, the conditional "
                 "reserve, the order to confirmed, the confirm, the order to done) in collections "
                 "of its own; nginx answers the same requests with a fixed 201. Rounds alternate nginx, "
                 "driver, storefront. At 64 connections the box is saturated: added = the driver's "
                 "orders/s / storefront's - 1. Confirmed orders come from `storefront_orders_total`.")
        L.append("")
        L.append("| scenario | conns | storefront orders/s | confirmed | p50 ms | p99 ms | errors | "
                 "storefront CPU µs/order | MongoDB CPU µs/order | driver orders/s | driver p50 ms | "
                 "driver p99 ms | added | added to p50 | nginx req/s | ratio to nginx | other cores |")
        L.append("|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|")
        for r in orders:
            d, x = r["direct"], r["result"]
            L.append(f"| `{r['name']}` | {r['conns']} | {_f(x['rps'], 0)} | "
                     f"{r['orders']['by_result'].get('confirmed', 0):,} | {x['p50_ms']:.2f} | "
                     f"{x['p99_ms']:.2f} | {x['errors'] + d['errors']} | {_cpu_us_per_req(x, 'target')} | "
                     f"{_cpu_us_per_req(x, 'db')} | {_f(d['ops_per_s'], 0)} | {d['p50_us'] / 1000:.2f} | "
                     f"{d['p99_us'] / 1000:.2f} | {r['added'] * 100:+.1f}% | "
                     f"{r.get('added_p50', 0) * 100:+.1f}% | {_f(r['ceiling']['rps'], 0)} | "
                     f"{r['ratio']:.2f} | {_other_cores(x):.2f} |")
        L.append("")
    audited = [r for r in results if r.get("audit") or r.get("orders")]
    if audited:
        L.append("## Orders by result and `storefront audit` after each scenario")
        L.append("")
        L.append("| scenario | orders by result (storefront_orders_total) | confirmed orders/s | audit exit | audit |")
        L.append("|---|---|--:|--:|---|")
        for r in audited:
            o, a = r.get("orders", {}), r.get("audit", {})
            by_result = ", ".join(f"{k} {v:,}" for k, v in o.get("by_result", {}).items()) or "-"
            L.append(f"| `{r['name']}` | {by_result} | {_f(o.get('confirmed_per_s', 0), 0)} | "
                     f"{a.get('rc', '-')} | {a.get('summary', '-')} |")
        L.append("")


def console_summary(results: list[dict]) -> str:
    ev = evaluate(results)
    if not ev:
        return ""
    return "targets:\n" + "\n".join(f"  [{ok.strip('*'):>3}] {t}: {m}" for t, m, ok, _ in ev)
