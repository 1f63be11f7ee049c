"""Service registration against a real Consul agent (v1.14.11, built by
scripts/bootstrap, configured like the local stack's: deploy/local/consul.hcl.tmpl).

What the agent stores, the check it runs, its DNS answers and its restarts are
the real thing. One reply a real agent cannot be made to give on demand is
left to the recording double (consul_double.py): an HTTP 5xx to a
registration. A -dev agent registers services locally without a round trip to
its server, so there is no leader loss or Raft error to provoke there; the
test of that path is the last one in this file.
"""
from __future__ import annotations

import re
import signal
import socket
import threading
import time
from datetime import datetime

import pytest
import requests

from consul_double import ConsulDouble
from servers import ConsulAgent, free_port, wait_for

# Consul's check of /health/ready every second (the stack's setting) keeps the
# tests short; compose keeps storefront's default of 5 s.
FAST_CHECK = {"STOREFRONT_CHECK_INTERVAL_SECONDS": "1"}


@pytest.fixture
def consul(workdir, request):
    agent = ConsulAgent(workdir, name=f"consul-{request.node.name[:40]}")
    agent.start()
    yield agent
    agent.stop()


def registered(consul, service_id):
    return lambda: consul.service(service_id)


def check_status(consul, service_id, status):
    def probe():
        check = consul.check(service_id)
        return check if check and check["Status"] == status else None
    return probe


def log_times(app, pattern: str) -> list[tuple[float, str]]:
    """(epoch seconds, line) of the storefront log lines matching pattern."""
    out = []
    for line in app.log().splitlines():
        if re.search(pattern, line):
            stamp = line.split(" ", 1)[0]
            out.append((datetime.strptime(stamp, "%Y-%m-%dT%H:%M:%S.%f%z").timestamp(), line))
    return out


def test_the_agent_stores_the_registration_and_runs_its_check(spawn, mongo, consul):
    app = spawn.storefront({"MONGODB_URL": mongo.url, "CONSUL_HTTP_ADDR": consul.url,
                            "STOREFRONT_INSTANCE_ID": "sf-test-1", **FAST_CHECK})
    svc, reg_s = wait_for(registered(consul, "sf-test-1"), what="registration")
    assert svc["Service"] == "storefront"
    assert re.fullmatch(r"\d+\.\d+\.\d+\.\d+", svc["Address"]), "APISIX needs an IP"
    assert svc["Port"] == app.port
    assert "storefront" in svc["Tags"] and svc["Meta"]["version"]
    check, pass_s = wait_for(check_status(consul, "sf-test-1", "passing"), what="check passing")
    assert check["Type"] == "http" and check["Interval"] == "1s" and check["Timeout"] == "2s"
    # The agent itself called the instance's /health/ready and got the 200.
    url = f"http://{svc['Address']}:{app.port}/health/ready"
    assert check["Output"].startswith(f"HTTP GET {url}: 200 OK"), check["Output"]
    # The DNS interface answers from the catalog, which the agent syncs to.
    _, dns_s = wait_for(lambda: consul.srv() == [app.port], timeout=5, what="in the SRV answer")
    print(f"registered {reg_s:.2f}s after ready, check passing {pass_s:.2f}s later, "
          f"in the SRV answer {dns_s:.2f}s after that")


def test_registers_again_after_the_agent_restarts(spawn, mongo, consul):
    app = spawn.storefront({"MONGODB_URL": mongo.url, "CONSUL_HTTP_ADDR": consul.url,
                            "STOREFRONT_INSTANCE_ID": "sf-test-restart", **FAST_CHECK})
    wait_for(check_status(consul, "sf-test-restart", "passing"), what="check passing")
    consul.restart()  # -dev: the new agent knows nothing
    # verify_every is 2 s: the instance notices and registers again.
    _, back_s = wait_for(registered(consul, "sf-test-restart"), timeout=10, what="re-registration")
    _, passing_s = wait_for(check_status(consul, "sf-test-restart", "passing"), timeout=10,
                            what="check passing again")
    wait_for(lambda: consul.srv() == [app.port], timeout=5, what="in the SRV answer")
    assert "no longer knows sf-test-restart" in app.log()
    print(f"registered again {back_s:.1f}s after the agent restart, passing {passing_s:.1f}s later")


def test_sigterm_deregisters_before_draining_then_exits(spawn, mongo, consul):
    """SIGTERM: readiness 503 and deregistration first, while a request is
    still in flight; the instance exits only when that request is answered."""
    proxy = spawn.proxy(mongo.port)
    app = spawn.storefront({"MONGODB_URL": f"mongodb://127.0.0.1:{proxy.port}",
                            "CONSUL_HTTP_ADDR": consul.url, "STOREFRONT_INSTANCE_ID": "sf-test-2",
                            "STOREFRONT_REQUEST_TIMEOUT_MS": "3000", **FAST_CHECK})
    wait_for(check_status(consul, "sf-test-2", "passing"), what="check passing")
    proxy.set_mode("blackhole")  # the next database call hangs until its deadline
    answers = []
    slow = threading.Thread(target=lambda: answers.append(
        requests.get(app.url("/drain_probe/count"), timeout=15)))
    slow.start()
    time.sleep(0.3)
    t0 = time.monotonic()
    app.send(signal.SIGTERM)
    _, gone_s = wait_for(lambda: consul.service("sf-test-2") is None, timeout=5, what="deregistration")
    assert app.alive(), "deregistered only after exiting: the gateway had no time to notice"
    assert consul.srv() == []
    code = app.proc.wait(timeout=15)
    exit_s = time.monotonic() - t0
    slow.join(timeout=15)
    assert code == 0
    assert answers and answers[0].status_code == 503, "the in-flight request was answered"
    assert exit_s > gone_s
    log = app.log()
    assert log.index("deregistered sf-test-2") < log.index("stopped")
    print(f"deregistered {gone_s:.2f}s after SIGTERM, exited {exit_s:.2f}s after it")


def test_backs_off_while_the_agent_is_stopped_and_recovers(spawn, mongo, consul):
    app = spawn.storefront({"MONGODB_URL": mongo.url, "CONSUL_HTTP_ADDR": consul.url,
                            "STOREFRONT_INSTANCE_ID": "sf-test-stop", **FAST_CHECK})
    wait_for(registered(consul, "sf-test-stop"), what="registration")
    consul.pause()  # SIGSTOP: connections are accepted by the kernel, never answered
    try:
        # Each attempt waits for its 2 s timeout, then backs off 200, 400, 800 ms.
        wait_for(lambda: len(log_times(app, "retrying in")) >= 3, timeout=20, interval=0.2,
                 what="three failed attempts")
        assert requests.get(app.url("/health/ready"), timeout=2).status_code == 200, \
            "a hung agent must not affect serving"
    finally:
        consul.resume()
    delays = [int(re.search(r"retrying in (\d+) ms", line).group(1))
              for _, line in log_times(app, "retrying in")]
    assert delays[:3] == [200, 400, 800], delays
    # The agent kept the registration: nothing to redo, the check keeps passing.
    wait_for(check_status(consul, "sf-test-stop", "passing"), timeout=10, what="passing after SIGCONT")
    # After SIGCONT a -dev agent that was stopped for seconds can take a while before its
    # DNS answer holds the service again (over 5 s once under TSan, 2026-12-02; the cause
    # was not pinned down, hence the last answer in the failure).
    last = {}

    def srv_is_the_app():
        last["srv"] = consul.srv()
        return last["srv"] == [app.port]

    try:
        wait_for(srv_is_the_app, timeout=15, what="in the SRV answer")
    except TimeoutError as e:
        raise AssertionError(f"{e}; last SRV answer: {last.get('srv')}, app port {app.port}") from None


def test_backs_off_while_the_agent_is_killed_and_registers_with_the_new_one(spawn, mongo, consul):
    app = spawn.storefront({"MONGODB_URL": mongo.url, "CONSUL_HTTP_ADDR": consul.url,
                            "STOREFRONT_INSTANCE_ID": "sf-test-kill", **FAST_CHECK})
    wait_for(registered(consul, "sf-test-kill"), what="registration")
    consul.stop(signal.SIGKILL)
    wait_for(lambda: len(log_times(app, "retrying in")) >= 6, timeout=30, interval=0.2,
             what="six failed attempts")
    consul.start()  # same ports, empty state
    _, back_s = wait_for(registered(consul, "sf-test-kill"), timeout=10, what="registration")
    attempts = log_times(app, "retrying in")
    delays = [int(re.search(r"retrying in (\d+) ms", line).group(1)) for _, line in attempts]
    assert delays[:6] == [200, 400, 800, 1600, 3200, 5000], delays
    # The log's own clock agrees: every attempt waited at least the announced delay.
    gaps = [b[0] - a[0] for a, b in zip(attempts, attempts[1:])]
    assert all(gap >= delay / 1000 - 0.05 for gap, delay in zip(gaps, delays)), (gaps, delays)
    assert back_s <= 5.5, "the next attempt after the agent is back is at most max_backoff away"
    wait_for(check_status(consul, "sf-test-kill", "passing"), timeout=10, what="passing")


def test_a_critical_check_takes_the_instance_out_of_dns(spawn, mongo, consul):
    healthy = spawn.storefront({"MONGODB_URL": mongo.url, "CONSUL_HTTP_ADDR": consul.url,
                                "STOREFRONT_INSTANCE_ID": "sf-dns-a", **FAST_CHECK})
    # Readiness is answered from state (a database outage keeps it 200, see
    # docs/operations.md "Readiness"): an instance at its connection cap is
    # one that cannot serve, and answers its check with 503.
    flaky = spawn.storefront({"MONGODB_URL": mongo.url, "STOREFRONT_MAX_CONNECTIONS": "3",
                              "CONSUL_HTTP_ADDR": consul.url, "STOREFRONT_INSTANCE_ID": "sf-dns-b",
                              **FAST_CHECK})
    both = sorted([healthy.port, flaky.port])
    wait_for(lambda: consul.srv() == both, what="both instances in the SRV answer")

    hogs = [socket.create_connection(("127.0.0.1", flaky.port)) for _ in range(3)]
    check, critical_s = wait_for(check_status(consul, "sf-dns-b", "critical"), timeout=10,
                                 what="check critical")
    assert "503" in check["Output"], check["Output"]
    _, gone_s = wait_for(lambda: consul.srv() == [healthy.port], timeout=5, what="out of DNS")
    gone_s += critical_s
    # Still registered: only the answer changed (Prometheus keeps scraping it).
    assert consul.service("sf-dns-b") is not None

    for hog in hogs:
        hog.close()
    _, back_s = wait_for(lambda: consul.srv() == both, timeout=10, what="back in DNS")
    print(f"critical {critical_s:.1f}s after the connection cap was reached, out of DNS after "
          f"{gone_s:.1f}s; back {back_s:.1f}s after it returned")
    assert gone_s <= 1 + 2 + 1, "check interval (1 s) + check timeout + slack"


def test_retries_while_the_agent_is_not_up_yet(spawn, mongo, workdir):
    agent = ConsulAgent(workdir, name="consul-late")
    app = spawn.storefront({"MONGODB_URL": mongo.url, "CONSUL_HTTP_ADDR": agent.url,
                            "STOREFRONT_INSTANCE_ID": "sf-late"})
    time.sleep(1.0)  # the agent comes up after storefront
    agent.start()
    try:
        # The next attempt is at most max_backoff (5 s) away, plus the agent's start-up.
        svc, _ = wait_for(registered(agent, "sf-late"), timeout=20, what="registration")
        assert svc["Port"] == app.port
    finally:
        agent.stop()


def test_no_registration_without_consul_addr(storefront):
    log = storefront.log()
    assert "registered" not in log and "consul registration" not in log


def test_a_5xx_reply_is_retried_with_backoff(spawn, mongo):
    """The double: answers 500 to the first three registrations (see the module docstring)."""
    double = ConsulDouble(fail_first=3)
    try:
        spawn.storefront({"MONGODB_URL": mongo.url, "CONSUL_HTTP_ADDR": double.url})
        double.wait_for(lambda: len(double.registrations()) >= 4, timeout=15)
        times = [c["time"] for c in double.registrations()[:4]]
        gaps = [b - a for a, b in zip(times, times[1:])]
        # 0.2 s, 0.4 s, 0.8 s plus the cost of each attempt (large under TSan).
        assert gaps[0] < gaps[1] < gaps[2] and gaps[2] >= 2 * gaps[0], gaps
    finally:
        double.close()
