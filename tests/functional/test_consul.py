"""Service registration with the Consul agent API, against a recording double."""
import re
import signal
import time

import pytest

from consul_double import ConsulDouble
from servers import free_port


@pytest.fixture
def consul():
    double = ConsulDouble()
    yield double
    double.close()


def test_registers_with_an_ip_address_and_a_reachable_check(spawn, mongo, consul):
    app = spawn.storefront({"MONGODB_URL": mongo.url, "CONSUL_HTTP_ADDR": consul.url,
                            "STOREFRONT_INSTANCE_ID": "sf-test-1"})
    reg = consul.wait_for(consul.registrations)[0]
    assert reg["path"] == "/v1/agent/service/register?replace-existing-checks=true"
    body = reg["body"]
    assert body["ID"] == "sf-test-1"
    assert body["Name"] == "storefront"
    assert re.fullmatch(r"\d+\.\d+\.\d+\.\d+", body["Address"]), "APISIX needs an IP"
    assert body["Port"] == app.port
    assert body["Meta"]["version"]
    assert "storefront" in body["Tags"]
    check = body["Check"]
    assert check["HTTP"] == f"http://{body['Address']}:{app.port}/health/ready"
    assert check["Interval"] and check["Timeout"]
    seconds = int(check["DeregisterCriticalServiceAfter"].rstrip("s"))
    assert seconds >= 60
    assert consul.probe_check() == 200


def test_sigterm_fails_readiness_then_deregisters_then_exits(spawn, mongo, consul):
    app = spawn.storefront({"MONGODB_URL": mongo.url, "CONSUL_HTTP_ADDR": consul.url,
                            "STOREFRONT_INSTANCE_ID": "sf-test-2"})
    consul.wait_for(consul.registrations)
    assert consul.probe_check() == 200
    app.send(signal.SIGTERM)
    dereg = consul.wait_for(consul.deregistrations)[0]
    assert dereg["path"] == "/v1/agent/service/deregister/sf-test-2"
    # At deregistration time the instance already reports not ready.
    assert consul.check_results[-1][1] == 503
    assert app.proc.wait(timeout=15) == 0


def test_retries_with_backoff_until_the_agent_answers(spawn, mongo):
    consul = ConsulDouble(fail_first=3)
    try:
        spawn.storefront({"MONGODB_URL": mongo.url, "CONSUL_HTTP_ADDR": consul.url})
        consul.wait_for(lambda: len(consul.registrations()) >= 4, timeout=15)
        times = [c["time"] for c in consul.registrations()[:4]]
        gaps = [b - a for a, b in zip(times, times[1:])]
        # 0.2 s, 0.4 s, 0.8 s plus the cost of each attempt (large under TSan).
        assert gaps[0] < gaps[1] < gaps[2] and gaps[2] >= 2 * gaps[0], gaps
    finally:
        consul.close()


def test_retries_while_the_agent_is_not_up_yet(spawn, mongo):
    port = free_port()
    app = spawn.storefront({"MONGODB_URL": mongo.url,
                            "CONSUL_HTTP_ADDR": f"http://127.0.0.1:{port}"})
    time.sleep(1.0)  # the agent comes up after storefront
    consul = ConsulDouble(port=port)
    try:
        reg = consul.wait_for(consul.registrations, timeout=15)[0]
        assert reg["body"]["Port"] == app.port
    finally:
        consul.close()


def test_no_registration_without_consul_addr(storefront):
    log = storefront.log()
    assert "registered" not in log and "consul registration" not in log
