"""Consul ACLs of compose.yaml on a real Consul agent (the one scripts/bootstrap
builds): deploy/consul/entrypoint.sh hands the agent its tokens from the
environment, deploy/consul/acl-init.sh makes the policies and tokens
(twice: idempotent), and then the storefront token registers service
"storefront" while the read token and no token are refused; the read token
sees the service and reads the agent metrics Prometheus scrapes."""
import os
import socket
import subprocess
import time
import uuid
from pathlib import Path

import pytest
import requests

REPO = Path(__file__).resolve().parents[2]
CACHE = Path(os.environ.get("STOREFRONT_CACHE", REPO / ".cache"))
CONSUL = CACHE / "bin" / "consul"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def consul(tmp_path_factory):
    if not CONSUL.is_file():
        pytest.fail(f"{CONSUL} missing (scripts/bootstrap builds it)")
    d = tmp_path_factory.mktemp("consul-acl")
    http = free_port()
    # The ACL and telemetry blocks of the production server.hcl, plus loopback ports.
    hcl = (REPO / "deploy" / "consul" / "server.hcl").read_text()

    def block(name):
        return hcl[hcl.index(name + " {"):hcl.index("}", hcl.index(name + " {")) + 1]
    (d / "local.hcl").write_text(block("acl") + "\n" + block("telemetry") + f"""
node_name = "consul-server-1"
bind_addr = "127.0.0.1"
client_addr = "127.0.0.1"
ports {{
  http = {http}
  dns = -1
  grpc = -1
  serf_lan = {free_port()}
  serf_wan = -1
  server = {free_port()}
}}
""")
    tokens = {k: str(uuid.uuid4()) for k in ("CONSUL_MANAGEMENT_TOKEN", "CONSUL_AGENT_TOKEN",
                                            "CONSUL_STOREFRONT_TOKEN", "CONSUL_READ_TOKEN")}
    env = {"PATH": "/usr/bin:/bin", **tokens, "CONSUL_ACL_DIR": str(d / "acl"), "CONSUL_ENTRYPOINT": str(CONSUL)}
    log = open(d / "consul.log", "wb")
    proc = subprocess.Popen(["sh", str(REPO / "deploy" / "consul" / "entrypoint.sh"), "agent", "-dev",
                             f"-config-file={d / 'local.hcl'}"], env=env, stdout=log, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{http}"
    deadline = time.monotonic() + 30
    while True:
        try:
            if requests.get(url + "/v1/status/leader", timeout=1).json():
                break
        except (requests.RequestException, ValueError):
            pass
        assert time.monotonic() < deadline and proc.poll() is None, (d / "consul.log").read_text()[-3000:]
        time.sleep(0.2)
    yield url, tokens, d
    proc.terminate()
    proc.wait(15)
    log.close()


def acl_init(url, tokens):
    return subprocess.run(["sh", str(REPO / "deploy" / "consul" / "acl-init.sh")],
                          env={"PATH": "/usr/bin:/bin", "CONSUL": str(CONSUL), "CONSUL_HTTP_ADDR": url, **tokens},
                          capture_output=True, text=True, timeout=120)


def test_tokens_stay_off_the_command_line(consul):
    _, tokens, d = consul
    assert oct((d / "acl" / "tokens.hcl").stat().st_mode & 0o777) == "0o600"
    cmdlines = [p.read_bytes() for p in Path("/proc").glob("[0-9]*/cmdline") if p.exists()]
    assert not any(tokens["CONSUL_MANAGEMENT_TOKEN"].encode() in c for c in cmdlines)


def test_acl_init_is_idempotent_and_the_tokens_do_what_they_are_for(consul):
    url, tokens, _ = consul
    first = acl_init(url, tokens)
    assert first.returncode == 0, first.stderr
    assert "policy storefront-service created" in first.stdout and "token for storefront-read created" in first.stdout
    second = acl_init(url, tokens)
    assert second.returncode == 0, second.stderr
    assert "created" not in second.stdout and "token for storefront-service exists" in second.stdout

    body = {"ID": "storefront-1", "Name": "storefront", "Address": "127.0.0.1", "Port": 8080}

    def register(token):
        headers = {"X-Consul-Token": token} if token else {}
        return requests.put(url + "/v1/agent/service/register", json=body, headers=headers, timeout=5).status_code

    assert register(None) == 403
    assert register(tokens["CONSUL_READ_TOKEN"]) == 403
    assert register(tokens["CONSUL_STOREFRONT_TOKEN"]) == 200
    other = {**body, "ID": "evil", "Name": "payments"}
    r = requests.put(url + "/v1/agent/service/register", json=other, timeout=5,
                     headers={"X-Consul-Token": tokens["CONSUL_STOREFRONT_TOKEN"]})
    assert r.status_code == 403, "the storefront token registers storefront only"

    # Without a token the catalog is empty (default deny); with the read token
    # (as a Bearer token, which is how Prometheus sends its credentials_file).
    assert requests.get(url + "/v1/health/service/storefront", timeout=5).json() == []
    bearer = {"Authorization": f"Bearer {tokens['CONSUL_READ_TOKEN']}"}
    seen = requests.get(url + "/v1/health/service/storefront", headers=bearer, timeout=5).json()
    assert [s["Service"]["ID"] for s in seen] == ["storefront-1"]
    m = requests.get(url + "/v1/agent/metrics", params={"format": "prometheus"}, headers=bearer, timeout=5)
    assert m.status_code == 200 and "consul_" in m.text
    assert requests.get(url + "/v1/agent/metrics", params={"format": "prometheus"}, timeout=5).status_code == 403


def test_acl_init_refuses_a_wrong_management_token(consul):
    url, tokens, _ = consul
    r = acl_init(url, {**tokens, "CONSUL_MANAGEMENT_TOKEN": str(uuid.uuid4()), "CONSUL_WAIT_SECONDS": "2"})
    assert r.returncode == 1 and "management token is not accepted" in r.stderr
