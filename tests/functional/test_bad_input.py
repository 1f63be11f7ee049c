"""Every bad-input row of the core issue: a clear 4xx with a JSON detail."""
import socket
import time

import pytest
import requests

from servers import metric_sample


def detail(r):
    assert r.headers["Content-Type"] == "application/json"
    return r.json()["detail"]


@pytest.mark.parametrize("name", [
    "system.users", "system.profile", "a$b", "$cmd", ".lead", "trail.", "x" * 121, "%00abc",
    "%FF%FE",
])
def test_bad_collection_names_are_400(storefront, name):
    for path in (f"/{name}/count", f"/{name}/users", f"/{name}/users/bob"):
        r = requests.get(storefront.url(path))
        assert r.status_code == 400, (path, r.text)
        assert detail(r)
    r = requests.post(storefront.url(f"/{name}/users"), json={"age": 1, "name": "x"})
    assert r.status_code == 400


def test_longest_valid_collection_name_is_accepted(storefront):
    assert requests.get(storefront.url("/" + "x" * 120 + "/count")).status_code == 200


def test_unknown_path_is_404(storefront):
    for path in ("/nope", "/a/b/c/d", "/helloDoc/usersx", "/health"):
        r = requests.get(storefront.url(path))
        assert r.status_code == 404, path
        assert detail(r) == "Not Found"


def test_wrong_method_is_405_with_allow(storefront):
    r = requests.delete(storefront.url("/helloDoc/users"))
    assert r.status_code == 405 and r.headers["Allow"] == "GET, POST"
    r = requests.post(storefront.url("/helloDoc/count"))
    assert r.status_code == 405 and r.headers["Allow"] == "GET"
    r = requests.put(storefront.url("/"))
    assert r.status_code == 405 and detail(r)


@pytest.mark.parametrize("body,expected", [
    ({"name": "x"}, [("missing", ["body", "age"])]),
    ({"age": 1}, [("missing", ["body", "name"])]),
    ({}, [("missing", ["body", "age"]), ("missing", ["body", "name"])]),
    ({"age": "abc", "name": "x"}, [("int_parsing", ["body", "age"])]),
    ({"age": 1.5, "name": "x"}, [("int_from_float", ["body", "age"])]),
    ({"age": None, "name": "x"}, [("int_type", ["body", "age"])]),
    ({"age": [1], "name": "x"}, [("int_type", ["body", "age"])]),
    ({"age": True, "name": "x"}, [("int_type", ["body", "age"])]),
    ({"age": 1, "name": 5}, [("string_type", ["body", "name"])]),
    ({"age": 2**70, "name": "x"}, [("int_parsing_size", ["body", "age"])]),
    ([1, 2], [("model_attributes_type", ["body"])]),
])
def test_invalid_user_bodies_are_422_in_fastapi_shape(storefront, collection, body, expected):
    r = requests.post(storefront.url(f"/{collection}/users"), json=body)
    assert r.status_code == 422, r.text
    errors = detail(r)
    assert [(e["type"], e["loc"]) for e in errors] == expected
    assert all(isinstance(e["msg"], str) and e["msg"] for e in errors)
    assert all("input" in e for e in errors)
    # Nothing was written.
    assert requests.get(storefront.url(f"/{collection}/count")).json()["items_count"] == 0


def test_body_that_is_not_json_is_422_json_invalid(storefront, collection):
    r = requests.post(storefront.url(f"/{collection}/users"), data=b'{"age": 1, "name": ',
                      headers={"Content-Type": "application/json"})
    assert r.status_code == 422
    err = detail(r)[0]
    assert err["type"] == "json_invalid" and err["loc"][0] == "body"
    assert isinstance(err["loc"][1], int)
    r = requests.post(storefront.url(f"/{collection}/users"), data=b"")
    assert r.status_code == 422 and detail(r)[0]["type"] == "missing"


def test_body_over_limit_is_413(storefront, collection):
    big = b'{"age": 1, "name": "' + b"x" * (1 << 20) + b'"}'
    r = requests.post(storefront.url(f"/{collection}/users"), data=big,
                      headers={"Content-Type": "application/json"})
    assert r.status_code == 413 and detail(r)
    assert requests.get(storefront.url(f"/{collection}/count")).json()["items_count"] == 0


def raw_exchange(port: int, payload: bytes) -> tuple[bytes, bool]:
    """Sends raw bytes; returns the response and whether the server closed."""
    with socket.create_connection(("127.0.0.1", port), timeout=5) as s:
        s.sendall(payload)
        data = b""
        closed = False
        while True:
            try:
                chunk = s.recv(65536)
            except socket.timeout:
                break
            if not chunk:
                closed = True
                break
            data += chunk
        return data, closed


@pytest.mark.parametrize("payload", [
    b"GARBAGE\r\n\r\n",
    b"GET / HTTP/9.9\r\n\r\n",
    b"GET /health/live HTTP/1.1\r\nHost: x\r\nContent-Length: abc\r\n\r\n",
    b"GET /health/live HTTP/1.1\r\nBad Header Line\r\n\r\n",
])
def test_malformed_http_is_400_and_closes(storefront, payload):
    data, closed = raw_exchange(storefront.port, payload)
    assert data.startswith(b"HTTP/1.1 400"), data[:100]
    assert b'"detail"' in data
    assert closed


def test_oversized_headers_are_rejected_and_closed(storefront):
    payload = b"GET /health/live HTTP/1.1\r\nHost: x\r\nX-Big: " + b"a" * 20000 + b"\r\n\r\n"
    data, closed = raw_exchange(storefront.port, payload)
    assert data.startswith(b"HTTP/1.1 431") and closed


def test_slow_client_is_cut_by_read_timeout(spawn, mongo):
    app = spawn.storefront({"MONGODB_URL": mongo.url, "STOREFRONT_READ_TIMEOUT_MS": "500"})
    with socket.create_connection(("127.0.0.1", app.port), timeout=5) as s:
        s.sendall(b"GET /health/live HTTP/1.1\r\n")  # never finishes the headers
        start = time.monotonic()
        assert s.recv(1024) == b""  # closed by the server
        assert time.monotonic() - start < 3


def held_connection(port: int, timeout: float = 3.0) -> socket.socket:
    """A connection the server accepted and answered one keep-alive request on.

    The server learns that a client closed a connection only when it processes
    the FIN (an event on one of its I/O threads), so a connection the harness
    closed an instant ago (the readiness poll of spawn.storefront) can still
    hold a slot for a moment, and the cap answers 503. That settles within
    milliseconds: try again until `timeout`, then fail."""
    deadline = time.monotonic() + timeout
    while True:
        s = socket.create_connection(("127.0.0.1", port), timeout=10)
        s.sendall(b"GET /health/live HTTP/1.1\r\nHost: x\r\n\r\n")
        data = s.recv(4096)
        if data.startswith(b"HTTP/1.1 200"):
            return s
        s.close()
        assert data.startswith(b"HTTP/1.1 503"), data
        assert time.monotonic() < deadline, "a connection under the cap was refused for 3 s"
        time.sleep(0.01)


def test_connection_cap_refuses_with_503(spawn, mongo):
    app = spawn.storefront({"MONGODB_URL": mongo.url, "STOREFRONT_MAX_CONNECTIONS": "2"})
    held = []
    try:
        held = [held_connection(app.port) for _ in range(2)]
        # Both are open and counted: a third is refused at once, with Retry-After.
        data, _ = raw_exchange(app.port, b"GET /health/live HTTP/1.1\r\nHost: x\r\n\r\n")
        assert data.startswith(b"HTTP/1.1 503")
        assert b"Retry-After" in data
        # The held ones still work: the refusal did not take their slots.
        for s in held:
            s.sendall(b"GET /health/live HTTP/1.1\r\nHost: x\r\n\r\n")
            assert s.recv(4096).startswith(b"HTTP/1.1 200")
    finally:
        for s in held:
            s.close()
    held_connection(app.port).close()
    metrics = requests.get(app.url("/metrics")).text
    assert metric_sample(metrics, "http_server_rejected_connections_total") >= 1
