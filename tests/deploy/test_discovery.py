"""Service discovery agrees end to end, without Docker: what storefront
registers in Consul (src/discovery), what the gateways look up (APISIX in
compose, HAProxy in the local stack) and what Prometheus scrapes.

    python3 -m pytest tests/deploy/test_discovery.py -q

The real registration is exercised against a real agent in
tests/functional/test_consul.py; this file checks the names and paths the
configurations hard-code against the ones in the source.
"""
from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

REPO = Path(__file__).resolve().parents[2]
REGISTRAR_HPP = REPO / "src" / "discovery" / "consul_registrar.hpp"
REGISTRAR_CPP = REPO / "src" / "discovery" / "consul_registrar.cpp"
APISIX_ROUTES = REPO / "deploy" / "apisix" / "apisix.yaml"
APISIX_CONFIG = REPO / "deploy" / "apisix" / "config.yaml"
HAPROXY_TMPL = REPO / "deploy" / "local" / "haproxy.cfg.tmpl"
CONSUL_TMPL = REPO / "deploy" / "local" / "consul.hcl.tmpl"
LOCAL_PROM_TMPL = REPO / "deploy" / "local" / "prometheus.yml.tmpl"
PROM_CONFIG = REPO / "deploy" / "prometheus" / "prometheus.yml"
sys.path.insert(0, str(REPO / "scripts" / "lib"))
from supervisor.stack import plan, tls  # noqa: E402  scripts/stack's port plan and certificate


def registered_service_name() -> str:
    m = re.search(r'std::string service_name = "([^"]+)";', REGISTRAR_HPP.read_text())
    assert m, "RegistrationOptions::service_name default not found"
    return m.group(1)


def registered_check_path() -> str:
    body = REGISTRAR_CPP.read_text()
    fn = body[body.index("std::string registration_payload("):]
    fn = fn[:fn.index("\n}\n")]
    paths = re.findall(r'"(/health/[a-z]+)"', fn)
    assert len(paths) == 1, paths
    return paths[0]


def stack_service_name() -> str:
    return plan.SERVICE_NAME


def apisix_upstream() -> dict:
    doc = yaml.safe_load(APISIX_ROUTES.read_text())
    (up,) = [u for u in doc["upstreams"] if u["id"] == "storefront"]
    assert all(r.get("upstream_id") in (None, "storefront") for r in doc["routes"])
    return up


def test_storefront_registers_storefront_with_the_readiness_check():
    assert registered_service_name() == "storefront"
    assert registered_check_path() == "/health/ready"


def test_apisix_discovers_the_registered_service_and_checks_its_readiness_path():
    up = apisix_upstream()
    assert up["discovery_type"] == "consul"
    assert up["service_name"] == registered_service_name()
    assert up["checks"]["active"]["http_path"] == registered_check_path()
    cfg = yaml.safe_load(APISIX_CONFIG.read_text())
    assert cfg["discovery"]["consul"]["servers"] == ["http://consul:8500"]


def test_the_stack_looks_up_the_registered_service():
    assert stack_service_name() == registered_service_name()
    text = HAPROXY_TMPL.read_text()
    assert "server-template sf 1-@MAX_INSTANCES@ _@SERVICE_NAME@._tcp.service.consul" in text
    assert f"http-check send meth GET uri {registered_check_path()}" in text


def test_haproxy_follows_consul_dns_with_its_own_checks_and_retries():
    text = HAPROXY_TMPL.read_text()
    backend = text[text.index("backend storefront"):text.index("frontend stats")]
    template = next(line for line in backend.splitlines() if line.strip().startswith("server-template"))
    assert "resolvers consul" in template and "init-addr none" in template
    assert "resolve-opts allow-dup-ip" in template, "all local instances share 127.0.0.1"
    assert re.search(r"^\s+server\s", backend, re.M) is None, "no fixed server list"
    resolvers = text[text.index("resolvers consul"):text.index("frontend gateway")]
    assert "nameserver consul 127.0.0.1:@CONSUL_DNS_PORT@" in resolvers
    assert re.search(r"accepted_payload_size 8192", resolvers)
    assert re.search(r"^\s+option httpchk", backend, re.M)
    assert re.search(r"default-server check ", backend)
    assert re.search(r"^\s+retry-on .*conn-failure", backend, re.M)
    assert re.search(r"^\s+option redispatch", backend, re.M)


def render(text: str, values: dict[str, object]) -> str:
    for key, value in values.items():
        text = text.replace(f"@{key}@", str(value))
    assert not re.search(r"^[^#]*@[A-Z_]+@", text, re.M), "unfilled placeholder"
    return text


def test_the_haproxy_template_renders_into_a_valid_config(tmp_path):
    haproxy = shutil.which("haproxy")
    if haproxy is None:
        pytest.fail("haproxy not found (scripts/bootstrap installs it)")
    base = 14080
    cfg = tmp_path / "haproxy.cfg"
    cfg.write_text(render(HAPROXY_TMPL.read_text(), {
        "REPO": REPO, "RUN_DIR": tmp_path, "GATEWAY_PORT": base, "STATS_PORT": base + 10,
        "BASE_PORT": base, "CONSUL_DNS_PORT": base + 16, "SERVICE_NAME": stack_service_name(),
        "MAX_INSTANCES": 9, "TLS_PORT": base + 26, "LIMIT_WINDOW_S": 10, "LIMIT_EXPIRE_S": 60,
        "LIMIT_REQUESTS": 5000, "LIMIT_WRITES": 1000, "LIMIT_ORDERS": 500}))
    # `ssl crt` needs the certificate at check time: the stack's own generator.
    assert tls.ensure_tls_cert(tmp_path / "tls")
    r = subprocess.run([haproxy, "-c", "-f", str(cfg)], capture_output=True, text=True, timeout=30)
    assert r.returncode == 0, r.stdout + r.stderr


def test_the_consul_ports_are_in_the_stack_port_plan():
    ports = plan.Ports(14000, 3)
    consul = {"CONSUL_HTTP_PORT": ports.consul_http, "CONSUL_DNS_PORT": ports.consul_dns,
              "CONSUL_SERF_PORT": ports.consul_serf, "CONSUL_SERVER_PORT": ports.consul_server}
    for key, port in consul.items():
        assert 14015 <= port <= 14019, key
        assert f"@{key}@" in CONSUL_TMPL.read_text()
    assert len(set(consul.values())) == 4


def test_prometheus_finds_the_registered_service_in_consul_locally_and_in_production():
    for path, server in ((PROM_CONFIG, "consul:8500"), (LOCAL_PROM_TMPL, "127.0.0.1:@CONSUL_HTTP_PORT@")):
        text = path.read_text().replace("@SERVICE_NAME@", registered_service_name())
        if path == LOCAL_PROM_TMPL:
            text = re.sub(r"@[A-Z_]+@", "0", text.replace(server, "SERVER"))
            server = "SERVER"
        cfg = yaml.safe_load(text)
        (job,) = [j for j in cfg["scrape_configs"] if j["job_name"] == "storefront"]
        (sd,) = job["consul_sd_configs"]
        assert (sd["server"], sd["services"]) == (server, [registered_service_name()]), path
        assert "static_configs" not in job, path
