"""Failure drills (issue 6, section 2): under a steady client load through the
gateway, break one thing at a time and assert what the client saw.

Each drill prints `drill <name>: requests N, failed F, p99 X ms` (repeated in
the "failure drills" section of the pytest summary). A request failed when it
got no answer or an answer other than 200 (GET) / 201 (POST).
"""
from __future__ import annotations

import os
import signal
import subprocess
import threading
import time
from pathlib import Path

import pytest
import requests

from load import Load
from servers import CONTRACT_ROOT_KEYS
from stack import REPO, wait_for

RULE_FILES = sorted(p.name for p in (REPO / "deploy" / "prometheus" / "rules").glob("*.yml"))
MONGO_ALERT = "StorefrontMongoUnreachable"
# The drills' stack runs with these (tests/drills/conftest.py): a short cache TTL so
# drill 4 sees expired catalog entries served stale, and the admin API on.
DRILL_CACHE_TTL_S = 5
DRILL_ADMIN_TOKEN = "drill-admin-token"
# storefront's request deadline (STOREFRONT_REQUEST_TIMEOUT_MS default) plus slack:
# no answer may take longer than this, whatever is broken.
NO_HANG_S = 5.0 + 1.5


def run_load(stack, **kw) -> Load:
    load = Load(stack.gateway, **kw)
    load.start()
    return load


# --------------------------------------------------------------------- the stack

def test_stack_is_up_and_up_is_idempotent(stack, report):
    names = ["mongo", *[f"redis-{i}" for i in range(1, 7)], "consul",
             *[f"storefront-{i}" for i in range(1, stack.instances + 1)],
             "haproxy", "alertmanager", "prometheus"]
    pids = {n: stack.pid(n) for n in names}
    assert all(pids.values()), pids

    t0 = time.monotonic()
    out = stack.run("up", timeout=600).stdout
    again_s = time.monotonic() - t0
    assert "everything is running already" in out
    assert {n: stack.pid(n) for n in names} == pids, "a second `up` must not restart anything"

    status = stack.run("status", check=False)
    assert status.returncode == 0, status.stdout
    for n in names:
        assert any(line.startswith(n + " ") and " ok " in line for line in status.stdout.splitlines()), \
            f"{n} not ok:\n{status.stdout}"

    # Consul's view next to HAProxy's, for every instance
    for i in range(1, stack.instances + 1):
        line = next(x for x in status.stdout.splitlines() if x.startswith(f"storefront-{i} "))
        assert "consul: passing" in line and "gateway: UP" in line, line
    assert stack.consul_health() == {f"storefront-{i}": "passing" for i in range(1, stack.instances + 1)}
    assert stack.srv_instances() == {f"sf{i}" for i in range(1, stack.instances + 1)}

    # HAProxy balances over every instance
    served = {requests.get(stack.gateway + "/helloDoc/count", timeout=5).headers.get("X-Served-By")
              for _ in range(3 * stack.instances)}
    assert served == {f"sf{i}" for i in range(1, stack.instances + 1)}
    body = requests.get(stack.gateway + "/helloDoc/count", timeout=5).json()
    assert body["items_count"] >= 1000
    # GET / through the gateway, on the stand-in (no `hello`: the isMaster fallback).
    root = requests.get(stack.gateway + "/", timeout=10)
    assert root.status_code == 200, root.text
    assert CONTRACT_ROOT_KEYS <= root.json().keys() and root.json()["status"] == "OK"
    assert root.json()["collections"]["helloDoc"]["documents_count"] >= 1000
    # The stack lets the users API touch helloDoc (and the drills' collection) only:
    # any other name is a 404 through the gateway, never a new collection.
    stray = requests.post(stack.gateway + "/stray/users", json={"age": 1, "name": "x"}, timeout=5)
    assert stray.status_code == 404 and stray.json()["detail"] == "Collection stray not found"
    # The catalog through the gateway emits media URLs of the local CDN edge
    # (nginx), which serves the filled images as long-lived, immutable files.
    page = requests.get(stack.gateway + "/catalog/products?limit=1", timeout=10)
    assert page.status_code == 200, page.text
    url = page.json()["products"][0]["media"][0]["url"]
    assert url.startswith("http://127.0.0.1:"), url
    image = requests.get(url, timeout=5)
    assert image.status_code == 200 and image.content.startswith(b"\x89PNG"), (url, image.status_code)
    assert image.headers["Cache-Control"] == "public, max-age=31536000, immutable", image.headers

    # The gateway routes the public API only: the internals answer 404 there,
    # while Prometheus (below) and HAProxy's checks reach them on the instances.
    for path in ("/metrics", "/health/ready", "/health/live"):
        r = requests.get(stack.gateway + path, timeout=5)
        assert r.status_code == 404 and r.json() == {"detail": "Not Found"}, (path, r.status_code)
        assert requests.get(stack.instance_url(1) + path, timeout=5).status_code == 200
    # TLS on the gateway with the certificate `up` generated, verified against it.
    tls = requests.get(f"https://127.0.0.1:{stack.port('TLS_PORT')}/helloDoc/count",
                       verify=stack.ports["TLS_CA"], timeout=10)
    assert tls.status_code == 200 and tls.json()["items_count"] >= 1000
    # Redis runs with the ACL users: the default user can do nothing.
    anonymous = subprocess.run(["redis-cli", "-p", str(stack.redis_port(1)), "dbsize"],
                               capture_output=True, text=True, timeout=10)
    assert "NOAUTH" in anonymous.stdout + anonymous.stderr

    # Prometheus: the production rule files, every target up
    groups = requests.get(stack.prometheus + "/api/v1/rules", timeout=5).json()["data"]["groups"]
    assert sorted({Path(g["file"]).name for g in groups}) == RULE_FILES
    def all_up():
        targets = stack.targets()
        return targets and all(t["health"] == "up" for t in targets)
    wait_for(all_up, 30, "every scrape target up")
    jobs = {t["labels"]["job"] for t in stack.targets()}
    assert {"storefront", "haproxy", "prometheus", "alertmanager"} <= jobs
    report(f"stack: second `up` took {again_s:.1f}s and restarted nothing; "
           f"scrape jobs {sorted(jobs)}")


# --------------------------------------------------------------------- drill 1

def test_drill_1_sigterm_and_restart_one_instance(stack, report):
    stack.wait_servers("UP")
    pid_before = stack.pid("storefront-2")
    load = run_load(stack)
    try:
        time.sleep(3)
        t = time.monotonic()
        stack.run("stop", "storefront-2", "TERM")     # returns once the process exited
        drained_s = time.monotonic() - t
        time.sleep(2)                                  # two instances carry the load
        stack.run("start", "storefront-2")             # returns once /health/ready is 200
        back_s = stack.wait_servers("UP", ["sf2"])
        t_back = time.monotonic()
        time.sleep(4)
    finally:
        res = load.stop()
    report(res.line("sigterm-restart"))
    report(f"  storefront-2 exited {drained_s:.1f}s after SIGTERM; UP in HAProxy {back_s:.1f}s after ready")
    assert not res.failed, f"{len(res.failed)} failed requests:\n{res.describe_failures()}"
    assert stack.pid("storefront-2") != pid_before
    assert "sf2" in {r.served_by for r in res.window(start=t_back).records}, "sf2 gets traffic again"


# --------------------------------------------------------------------- drill 2

# The stack's Consul check interval (scripts/stack, STACK_CHECK_INTERVAL_SECONDS)
# and HAProxy's re-resolution period (`timeout resolve`, hold obsolete 0 s).
CHECK_INTERVAL_S = 1.0
RESOLVE_S = 1.0


def test_drill_2_sigkill_one_instance(stack, report):
    stack.wait_servers("UP")
    load = run_load(stack)
    try:
        time.sleep(3)
        pid = stack.pid("storefront-3")
        assert pid is not None, "storefront-3 is not running"
        # The kill itself, not `scripts/stack stop` (a bash and two python3 start-ups
        # on a loaded machine), starts the clock of the detection figures below.
        t_kill = time.monotonic()
        os.kill(pid, signal.SIGKILL)
        down_s = stack.wait_servers("DOWN", ["sf3"], timeout=10)
        # Consul's check fails (connection refused) at its next run, the SRV
        # answer drops the instance, HAProxy frees the slot at its next resolution.
        wait_for(lambda: stack.consul_health().get("storefront-3") == "critical", 10,
                 "storefront-3 critical in Consul", interval=0.05)
        critical_s = time.monotonic() - t_kill
        wait_for(lambda: "sf3" not in stack.srv_instances(), 10, "storefront-3 out of the SRV answer",
                 interval=0.05)
        dns_s = time.monotonic() - t_kill
        wait_for(lambda: "sf3" not in stack.server_states(), 10, "storefront-3 out of HAProxy's slots",
                 interval=0.05)
        slot_s = time.monotonic() - t_kill
        still_registered = "storefront-3" in stack.consul_health()
        time.sleep(3)
        stack.run("start", "storefront-3")
        stack.wait_servers("UP", ["sf3"])
        time.sleep(3)
    finally:
        res = load.stop()
    get_failed, post_failed = len(res.failed_of("GET")), len(res.failed_of("POST"))
    report(res.line("sigkill"))
    report(f"  GET failed {get_failed}, POST failed {post_failed} (in flight on the killed instance; "
           f"not retried by design); HAProxy's own check marked sf3 DOWN after {down_s:.1f}s")
    report(f"  Consul: critical {critical_s:.1f}s after the kill, out of the SRV answer after {dns_s:.1f}s, "
           f"HAProxy slot freed after {slot_s:.1f}s (bound: check interval {CHECK_INTERVAL_S:.0f}s "
           f"+ resolution {RESOLVE_S:.0f}s)")
    assert get_failed == 0, res.describe_failures()
    # A POST can only fail if it was in flight at the instant of the kill.
    assert post_failed <= 3, res.describe_failures()
    assert still_registered, "a crashed instance stays registered (critical), so Prometheus sees it down"
    slack = 0.7  # polling, the check's own run time, process start-up of the probes
    assert dns_s <= CHECK_INTERVAL_S + slack, f"out of DNS after {dns_s:.1f}s"
    assert slot_s <= CHECK_INTERVAL_S + RESOLVE_S + slack, f"out of HAProxy after {slot_s:.1f}s"


# --------------------------------------------------------------------- drill 3

def test_drill_3_kill_a_redis_master(stack, report):
    probe = requests.get(stack.gateway + "/helloDoc/users", timeout=10)
    if "X-Cache" not in probe.headers:
        pytest.skip("the response cache is not integrated in this build: GET /{c}/users "
                    "has no X-Cache header, so there are no cache hits to resume")
    requests.get(stack.gateway + "/helloDoc/users", timeout=10)

    masters = [n for n in range(1, 7) if stack.redis_role(n) == "master"]
    assert len(masters) == 3, [stack.redis_role(n) for n in range(1, 7)]
    # The master holding the most keys (the cached user list lives on one of them).
    sizes = {n: int(stack.redis(stack.redis_port(n), "dbsize").strip() or 0) for n in masters}
    victim = max(masters, key=lambda n: sizes[n])
    # ROLE on a master: master, offset, then ip, port, offset per replica.
    role = stack.redis(stack.redis_port(victim), "role").split()
    assert len(role) >= 5, f"redis-{victim} has no replica: {role}"
    replica_port = int(role[3])
    replica = next(n for n in range(1, 7) if stack.redis_port(n) == replica_port)

    load = run_load(stack)
    try:
        time.sleep(3)
        t_kill = time.monotonic()
        stack.run("stop", f"redis-{victim}", "KILL")
        wait_for(lambda: stack.redis_role(replica) == "master" and stack.redis_cluster_ok(replica),
                 30, f"redis-{replica} promoted")
        t_failover = time.monotonic()
        failover_s = t_failover - t_kill

        def hit_after_failover():
            return any(r.kind == "users" and r.x_cache == "HIT"
                       for r in load.snapshot().window(start=t_failover).records)
        _, hit_s = wait_for(hit_after_failover, 30, "an X-Cache: HIT after the failover")
        time.sleep(2)
    finally:
        res = load.stop()
    # Bring the node back: it rejoins as a replica of the promoted one.
    stack.run("start", f"redis-{victim}")
    wait_for(lambda: stack.redis_role(victim) == "slave" and all(stack.redis_cluster_ok(n) for n in range(1, 7)),
             30, f"redis-{victim} back as a replica")
    caches = {r.x_cache for r in res.records if r.kind == "users"}
    report(res.line("redis-master-kill"))
    report(f"  killed master redis-{victim} ({sizes[victim]} keys); redis-{replica} promoted "
           f"{failover_s:.1f}s after the kill; first HIT "
           f"{hit_s:.1f}s after the failover; X-Cache seen: {sorted(c or '-' for c in caches)}")
    assert not res.failed, res.describe_failures()


# --------------------------------------------------------------------- drill 4

def test_drill_4_database_outage(stack, report):
    """MongoDB down: readiness stays green (it answers "can this instance
    serve", the outage shows in its body), so the gateway keeps every
    instance and the cached catalog is still served (stale-if-error); what
    needs the database answers 503 + Retry-After."""
    stack.wait_servers("UP")
    pids = {n: stack.pid(f"storefront-{n}") for n in range(1, stack.instances + 1)}
    cached = ["/catalog/products/sku-00001", "/catalog/products?limit=20", "/catalog/categories"]
    for path in cached:  # into Redis, shared by every instance
        wait_for(lambda: requests.get(stack.gateway + path, timeout=5).headers.get("X-Cache") == "HIT",
                 10, f"{path} cached")
    load = run_load(stack)
    try:
        time.sleep(DRILL_CACHE_TTL_S + 1)              # the catalog entries are past their TTL now
        t_stop = time.monotonic()
        stack.run("stop", "mongo")                     # returns once the stand-in exited
        t_stopped = time.monotonic()

        def all_report_down():
            return all(requests.get(stack.instance_url(n) + "/health/ready", timeout=5).json()["mongo"] == "down"
                       for n in range(1, stack.instances + 1))
        _, red_s = wait_for(all_report_down, 15, '"mongo": "down" in /health/ready on every instance')
        for n in range(1, stack.instances + 1):
            assert requests.get(stack.instance_url(n) + "/health/ready", timeout=5).status_code == 200

        # Straight at an instance and through the gateway: 503 + Retry-After, fast.
        t = time.monotonic()
        direct = requests.get(stack.instance_url(1) + "/helloDoc/count", timeout=10)
        direct_s = time.monotonic() - t
        assert direct.status_code == 503 and direct.headers.get("Retry-After"), direct.headers
        assert "detail" in direct.json()
        t = time.monotonic()
        via_gw = requests.get(stack.gateway + "/helloDoc/count", timeout=10)
        gw_s = time.monotonic() - t
        assert via_gw.status_code == 503 and via_gw.headers.get("Retry-After"), via_gw.headers
        assert "detail" in via_gw.json()
        # The shop window stays open: cached catalog reads are served stale.
        t = time.monotonic()
        for path in cached:
            r = requests.get(stack.gateway + path, timeout=10)
            assert r.status_code == 200 and r.headers.get("X-Cache") == "STALE", (path, r.status_code, r.headers)
        stale_s = (time.monotonic() - t) / len(cached)
        uncached = requests.get(stack.gateway + "/catalog/products/sku-00999", timeout=10)
        assert uncached.status_code == 503 and uncached.headers.get("Retry-After"), uncached.headers
        write = requests.put(stack.gateway + "/catalog/products/sku-drill", timeout=10,
                             headers={"Authorization": f"Bearer {DRILL_ADMIN_TOKEN}"},
                             json={"name": "n", "category": "c", "price": {"amount": 1, "currency": "RUB"}})
        assert write.status_code == 503 and write.headers.get("Retry-After"), write.headers
        assert set(stack.server_states().values()) == {"UP"}, stack.server_states()

        # The alert: `for: 2m` in deploy/prometheus/rules/storefront.yml.
        wait_for(lambda: any(a["state"] == "firing" for a in stack.prometheus_alerts(MONGO_ALERT)),
                 200, f"{MONGO_ALERT} firing in Prometheus", interval=1)
        fired_s = time.monotonic() - t_stop
        wait_for(lambda: any(a["status"]["state"] == "active" for a in stack.alertmanager_alerts(MONGO_ALERT)),
                 60, f"{MONGO_ALERT} in Alertmanager", interval=1)
        am_s = time.monotonic() - t_stop

        t_start = time.monotonic()
        stack.run("start", "mongo")

        def all_ready():
            return all(requests.get(stack.instance_url(n) + "/health/ready", timeout=5).status_code == 200
                       for n in range(1, stack.instances + 1))
        wait_for(all_ready, 30, "/health/ready 200 on every instance")
        wait_for(lambda: all(requests.get(stack.instance_url(n) + "/health/ready", timeout=5).json()["mongo"] == "up"
                             for n in range(1, stack.instances + 1)), 30, '"mongo": "up" on every instance')
        stack.wait_servers("UP")
        t_recovered = time.monotonic()
        recovered_s = t_recovered - t_start
        time.sleep(5)
    finally:
        res = load.stop()
    _, resolved_s = wait_for(lambda: not any(a["state"] == "firing" for a in stack.prometheus_alerts(MONGO_ALERT)),
                             30, f"{MONGO_ALERT} resolved", interval=1)

    # Requests in flight while the stand-in shuts down: it closes every client
    # connection, which the driver reports as a network error: 503, never 500.
    in_flight = [r for r in res.window(end=t_stopped).failed if r.t + r.latency >= t_stop]
    before = [r for r in res.window(end=t_stop).failed if r.t + r.latency < t_stop]
    assert not before, res.describe_failures()
    outage = res.window(start=t_stopped, end=t_recovered)
    after = res.window(start=t_recovered + 0.5)
    report(res.line("db-outage"))
    report(f"  readiness 200 with mongo down after {red_s:.1f}s; 503+Retry-After in {direct_s * 1000:.0f} ms "
           f"(instance), {gw_s * 1000:.0f} ms (gateway); cached catalog STALE in {stale_s * 1000:.0f} ms, "
           f"uncached 503, writes 503; {MONGO_ALERT} firing after {fired_s:.0f}s, in Alertmanager "
           f"after {am_s:.0f}s; recovered {recovered_s:.1f}s after the DB restart, alert resolved "
           f"{resolved_s:.0f}s later; outage: {len(outage.records)} requests, max {outage.max_ms():.0f} ms; "
           f"after recovery: {len(after.records)} requests, {len(after.failed)} failed; "
           f"in flight at the stop: {len(in_flight)} failed "
           f"(statuses {sorted({r.status for r in in_flight}, key=str)})")
    assert all(r.status == 503 and r.retry_after for r in in_flight), \
        [(r.status, r.error[:100]) for r in in_flight]
    bad = [r for r in outage.failed if r.status != 503 or not r.retry_after]
    assert not bad, "during the outage every failure must be a 503 with Retry-After:\n" + \
        "\n".join(f"  {r.method} {r.kind} status={r.status} error={r.error[:120]}" for r in bad[:10])
    assert outage.max_ms() <= NO_HANG_S * 1000, f"a request took {outage.max_ms():.0f} ms during the outage"
    assert after.records and not after.failed, after.describe_failures()
    assert {n: stack.pid(f"storefront-{n}") for n in pids} == pids, "no instance may be restarted"


# --------------------------------------------------------------------- drill 5

def test_drill_5_rolling_restart(stack, report):
    stack.wait_servers("UP")
    pids = {n: stack.pid(f"storefront-{n}") for n in range(1, stack.instances + 1)}
    steps = []
    load = run_load(stack)
    try:
        time.sleep(3)
        for n in range(1, stack.instances + 1):
            t = time.monotonic()
            stack.run("restart-instance", str(n))
            steps.append(time.monotonic() - t)
            time.sleep(1)
        time.sleep(2)
    finally:
        res = load.stop()
    report(res.line("rolling-restart"))
    report("  restart-instance took " + ", ".join(f"{s:.1f}s" for s in steps))
    assert not res.failed, res.describe_failures()
    for n, pid in pids.items():
        assert stack.pid(f"storefront-{n}") not in (None, pid), f"storefront-{n} was not restarted"


# --------------------------------------------------------------------- drill 6

def running(pid: int) -> bool:
    """False once the process exited, zombie included (an orphan waits for init to reap it)."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (OSError, IndexError):
        return False
    return state not in ("Z", "X")


class InstanceWatcher:
    """Polls storefront-1..N every 50 ms: when each first answered /health/ready
    200, when it left Consul's SRV answer and when its process was gone
    (monotonic times)."""

    def __init__(self, stack, instances):
        self.stack = stack
        self.instances = list(instances)
        self.ready: dict[int, float] = {}
        self.exited: dict[int, float] = {}
        self.left_dns: dict[int, float] = {}
        self._pids: dict[int, int] = {}
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _run(self):
        seen: set[int] = set()
        while not self._stop.is_set():
            try:
                in_dns = {int(s[2:]) for s in self.stack.srv_instances()}
            except Exception:  # noqa: BLE001 - the agent may be busy; try again
                in_dns = None
            if in_dns is not None:
                seen |= in_dns
                for n in seen - in_dns:
                    self.left_dns.setdefault(n, time.monotonic())
                for n in in_dns:
                    self.left_dns.pop(n, None)
            for n in self.instances:
                pid = self.stack.pid(f"storefront-{n}")
                if pid:
                    self._pids[n] = pid
                    self.exited.pop(n, None)
                elif n in self._pids and n not in self.exited and not running(self._pids[n]):
                    self.exited[n] = time.monotonic()
                if n not in self.ready and pid:
                    try:
                        url = f"http://127.0.0.1:{self.stack.base_port + n}/health/ready"
                        if requests.get(url, timeout=0.5).status_code == 200:
                            self.ready[n] = time.monotonic()
                    except requests.RequestException:
                        pass
            self._stop.wait(0.05)

    def stop(self):
        self._stop.set()
        self._thread.join(5)


def test_drill_6_scale_3_to_5_to_2_under_load(stack, report):
    stack.wait_servers("UP")
    assert stack.instances == 3
    watcher = InstanceWatcher(stack, range(1, 6))
    load = run_load(stack, rps=60)
    try:
        time.sleep(3)
        up = stack.run("scale", "5", timeout=180)
        stack.load_env()
        time.sleep(4)                       # five instances carry the load
        t_five = time.monotonic()
        down = stack.run("scale", "2", timeout=180)
        t_two = time.monotonic()
        stack.load_env()
        time.sleep(4)
    finally:
        res = load.stop()
        watcher.stop()
    try:
        report(res.line("scale 3->5->2"))
        for line in (up.stdout + down.stdout).splitlines():
            if line.startswith("stack: storefront-"):
                report("  " + line.removeprefix("stack: "))
        assert not res.failed, res.describe_failures()
        assert stack.instances == 2
        by = {}
        for r in res.records:
            by.setdefault(r.served_by, []).append(r)
        for n in (4, 5):
            ready = watcher.ready[n]
            first = min(r.t for r in by[f"sf{n}"])
            report(f"  sf{n}: first request through the gateway {first - ready:.1f}s after it was ready")
            assert first - ready <= 5, "a new instance serves within a few seconds of becoming ready"
        for n in (5, 4, 3):
            last = max(r.t + r.latency for r in by[f"sf{n}"])
            exited = watcher.exited[n]
            report(f"  sf{n}: left Consul's answer, last request answered "
                   f"{last - watcher.left_dns[n]:.1f}s later, {exited - last:.1f}s before its process exited")
            assert last < exited, f"sf{n} still got traffic when it exited"
        assert not [r for r in res.window(start=t_two).records if r.served_by not in ("sf1", "sf2")]
        assert {r.served_by for r in res.window(start=t_five - 3, end=t_five).records} == \
            {f"sf{i}" for i in range(1, 6)}
        assert stack.consul_health() == {"storefront-1": "passing", "storefront-2": "passing"}
        wait_for(lambda: sorted(t["labels"]["instance"] for t in stack.targets()
                                if t["labels"]["job"] == "storefront") == ["storefront-1", "storefront-2"],
                 30, "Prometheus scraping the two remaining instances (consul_sd_configs)")
    finally:
        stack.run("scale", "3", timeout=180)
        stack.load_env()
