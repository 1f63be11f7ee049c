"""The local stack's gateway (deploy/local/haproxy.cfg.tmpl) in front of a real
storefront: only the public API is routed, limits per client address (stick
tables) answer 429 with a JSON `detail` and Retry-After, and TLS with the
certificate scripts/stack generates (scripts/lib/supervisor/stack/tls.py).

The template is rendered as scripts/stack renders it (scripts/lib/supervisor), except for one line: the
server slots filled from Consul DNS (server-template) become one fixed server,
the instance of this test (the Consul side is covered by tests/drills).
Clients come from different loopback addresses (127.0.0.2, 127.0.0.3, ...), as
different clients reach a gateway."""
import http.client
import json
import re
import shutil
import ssl
import subprocess
import uuid

import pytest
import requests

from servers import REPO, Process, free_port, supervisor, wait_port
from supervisor.stack import tls as stack_tls  # noqa: E402  (servers puts scripts/lib on sys.path)

TEMPLATE = REPO / "deploy" / "local" / "haproxy.cfg.tmpl"
LIMITS = {"LIMIT_WINDOW_S": 10, "LIMIT_EXPIRE_S": 60, "LIMIT_REQUESTS": 40, "LIMIT_WRITES": 6, "LIMIT_ORDERS": 3}


def render(storefront_port: int, run_dir, ports: dict[str, int]) -> str:
    text = TEMPLATE.read_text()
    text = re.sub(r"^\s*server-template .*$", f"    server sf1 127.0.0.1:{storefront_port}", text, flags=re.M)
    values = {"REPO": REPO, "RUN_DIR": run_dir, "BASE_PORT": storefront_port - 1, "CONSUL_DNS_PORT": free_port(),
              "SERVICE_NAME": "storefront", "MAX_INSTANCES": 1, **ports, **LIMITS}
    return supervisor.render_text(text, values, source=str(TEMPLATE))  # an unfilled one fails


@pytest.fixture(scope="module")
def gateway(workdir, storefront):
    haproxy = shutil.which("haproxy")
    if haproxy is None:
        pytest.fail("haproxy not found (scripts/bootstrap installs it)")
    run_dir = workdir / f"edge-{uuid.uuid4().hex[:6]}"
    (run_dir / "haproxy").mkdir(parents=True)
    # The stack's own certificate function, as `scripts/stack up` runs it.
    assert stack_tls.ensure_tls_cert(run_dir / "tls")
    ports = {"GATEWAY_PORT": free_port(), "STATS_PORT": free_port(), "TLS_PORT": free_port()}
    cfg = run_dir / "haproxy" / "haproxy.cfg"
    cfg.write_text(render(storefront.port, run_dir, ports))
    check = subprocess.run([haproxy, "-c", "-f", str(cfg)], capture_output=True, text=True, timeout=30)
    assert check.returncode == 0, check.stdout + check.stderr
    proc = Process([haproxy, "-db", "-f", str(cfg)], run_dir / "haproxy.log")
    proc.start()
    wait_port(ports["GATEWAY_PORT"])
    wait_port(ports["TLS_PORT"])
    yield {**ports, "ca": run_dir / "tls" / "gateway.crt"}
    proc.stop()


def request(gw, source: str, method: str, path: str, body: dict | None = None):
    """One request from a given loopback source address -> (status, headers, body)."""
    conn = http.client.HTTPConnection("127.0.0.1", gw["GATEWAY_PORT"], timeout=10, source_address=(source, 0))
    try:
        payload = json.dumps(body).encode() if body is not None else None
        conn.request(method, path, body=payload, headers={"Content-Type": "application/json"} if payload else {})
        r = conn.getresponse()
        return r.status, {k.lower(): v for k, v in r.getheaders()}, r.read()
    finally:
        conn.close()


def assert_limited(status, headers, body, what: str):
    assert status == 429, (status, body)
    assert headers["content-type"] == "application/json"
    assert headers["retry-after"] == str(LIMITS["LIMIT_WINDOW_S"])
    assert json.loads(body) == {"detail": f"Too many {what} from this address, retry later"}


# ------------------------------------------------------------ public API only

@pytest.mark.parametrize("path", ["/", "/helloDoc/count", "/helloDoc/users", "/openapi.json", "/docs",
                                  "/catalog/products?limit=1", "/catalog/categories"])
def test_the_public_api_is_routed(gateway, hello_doc, path):
    status, headers, body = request(gateway, "127.0.0.10", "GET", path)
    assert status == 200, (path, status, body[:300])
    assert headers["x-served-by"].startswith("sf")


@pytest.mark.parametrize("path", ["/metrics", "/health/ready", "/health/live", "/health", "/nope/x/y",
                                  "/helloDoc/users/a/b"])
def test_internals_are_not_reachable_through_the_gateway(gateway, storefront, path):
    status, headers, body = request(gateway, "127.0.0.11", "GET", path)
    assert status == 404 and headers["content-type"] == "application/json", (path, status, body)
    assert json.loads(body) == {"detail": "Not Found"}
    assert "x-served-by" not in headers, "answered by the gateway, never forwarded"
    if path in ("/metrics", "/health/ready", "/health/live"):
        # ... while the instance itself still serves them (Prometheus, HAProxy's checks).
        assert requests.get(storefront.url(path), timeout=5).status_code == 200


# ------------------------------------------------------------------- limits

def test_one_client_is_limited_while_another_is_not(gateway, hello_doc):
    limit = LIMITS["LIMIT_REQUESTS"]
    statuses = [request(gateway, "127.0.0.2", "GET", "/helloDoc/count")[0] for _ in range(limit)]
    assert statuses == [200] * limit, statuses
    assert_limited(*request(gateway, "127.0.0.2", "GET", "/helloDoc/count"), "requests")
    # 127.0.0.3 is another client: its own budget, untouched by 127.0.0.2's.
    other = [request(gateway, "127.0.0.3", "GET", "/helloDoc/count")[0] for _ in range(10)]
    assert other == [200] * 10, other
    # and 127.0.0.2 stays limited while its rate is above the limit
    assert request(gateway, "127.0.0.2", "GET", "/")[0] == 429


def test_writes_have_a_stricter_limit_than_reads(gateway, collection):
    n = LIMITS["LIMIT_WRITES"]
    created = [request(gateway, "127.0.0.4", "POST", f"/{collection}/users", {"name": f"u{i}", "age": 30})[0]
               for i in range(n)]
    assert created == [201] * n, created
    assert_limited(*request(gateway, "127.0.0.4", "POST", f"/{collection}/users", {"name": "x", "age": 1}), "writes")
    # reads of the same client still pass (their limit is far higher) ...
    assert request(gateway, "127.0.0.4", "GET", f"/{collection}/count")[0] == 200
    # ... and another client still writes
    assert request(gateway, "127.0.0.5", "POST", f"/{collection}/users", {"name": "y", "age": 2})[0] == 201
    count = requests.get(f"http://127.0.0.1:{gateway['GATEWAY_PORT']}/{collection}/count", timeout=5).json()
    assert count["items_count"] == n + 1, "the refused write never reached storefront"


def test_order_creation_has_the_strictest_limit(gateway):
    n = LIMITS["LIMIT_ORDERS"]
    order = {"customer_id": "c1", "items": [{"sku": "sku-00001", "quantity": 1}]}
    passed = [request(gateway, "127.0.0.6", "POST", "/orders", order) for _ in range(n)]
    # Whatever storefront answers (the orders API may not be merged yet), it came from storefront.
    assert all(s != 429 and "x-served-by" in h for s, h, _ in passed), [(s, b[:100]) for s, _, b in passed]
    assert_limited(*request(gateway, "127.0.0.6", "POST", "/orders", order), "orders")
    assert request(gateway, "127.0.0.7", "POST", "/orders", order)[0] != 429


# ---------------------------------------------------------------------- TLS

def test_tls_with_the_generated_certificate(gateway, hello_doc):
    url = f"https://127.0.0.1:{gateway['TLS_PORT']}/helloDoc/count"
    r = requests.get(url, verify=str(gateway["ca"]), timeout=10)
    assert r.status_code == 200 and r.headers["X-Served-By"].startswith("sf")
    r = requests.get(f"https://localhost:{gateway['TLS_PORT']}/metrics", verify=str(gateway["ca"]), timeout=10)
    assert r.status_code == 404, "the same routing rules over TLS"
    with pytest.raises(requests.exceptions.SSLError):
        requests.get(url, timeout=10)               # not a publicly trusted certificate: verification fails
    ctx = ssl.create_default_context(cafile=str(gateway["ca"]))
    with ctx.wrap_socket(__import__("socket").create_connection(("127.0.0.1", gateway["TLS_PORT"])),
                         server_hostname="127.0.0.1") as s:
        assert s.version() in ("TLSv1.2", "TLSv1.3")
