"""The pymongo-api contract, endpoint by endpoint, over real HTTP."""
import re
import socket

import requests

from servers import CONTRACT_ROOT_KEYS, run_fill

OID = re.compile(r"^[0-9a-f]{24}$")


def test_root_has_every_contract_key(storefront, hello_doc, mongo):
    r = requests.get(storefront.url("/"))
    assert r.status_code == 200
    assert r.headers["Content-Type"] == "application/json"
    body = r.json()
    assert CONTRACT_ROOT_KEYS <= body.keys()
    assert body["status"] == "OK"
    assert body["mongo_db"] == "somedb"
    assert body["mongo_topology_type"] == "Single"
    assert body["read_preference"] == "Primary()"
    assert body["mongo_nodes"] == [["127.0.0.1", mongo.port]]
    assert body["mongo_is_primary"] is True
    assert body["mongo_is_mongos"] is False
    # A standalone has no shards and no replica set: null, not an error.
    assert body["shards"] is None
    assert body["mongo_replicaset_name"] is None
    assert body["replica_set_members"] is None
    assert body["cache_enabled"] is False
    assert body["collections"]["helloDoc"] == {"documents_count": 1000}


def test_count(storefront, hello_doc):
    r = requests.get(storefront.url("/helloDoc/count"))
    assert r.status_code == 200
    assert r.json() == {"status": "OK", "mongo_db": "somedb", "items_count": 1000}


def test_count_of_missing_collection_is_zero(storefront, collection):
    assert requests.get(storefront.url(f"/{collection}/count")).json()["items_count"] == 0


def test_list_users_returns_1000_with_ids(storefront, hello_doc):
    r = requests.get(storefront.url("/helloDoc/users"))
    assert r.status_code == 200
    assert r.headers["Content-Type"] == "application/json"
    users = r.json()["users"]
    assert len(users) == 1000
    assert all(list(u.keys()) == ["id", "age", "name"] for u in users)
    assert all(OID.match(u["id"]) for u in users)
    assert {u["name"] for u in users} == {f"ly{i}" for i in range(1000)}
    assert {u["name"]: u["age"] for u in users}["ly42"] == 42


def test_list_users_caps_at_1000(storefront, mongo, collection):
    run_fill(mongo.url, collection, 1005)
    assert len(requests.get(storefront.url(f"/{collection}/users")).json()["users"]) == 1000


def test_show_user(storefront, hello_doc):
    r = requests.get(storefront.url("/helloDoc/users/ly7"))
    assert r.status_code == 200
    body = r.json()
    assert body["name"] == "ly7" and body["age"] == 7 and OID.match(body["id"])


def test_show_missing_user_is_404_with_contract_detail(storefront, hello_doc):
    r = requests.get(storefront.url("/helloDoc/users/nobody"))
    assert r.status_code == 404
    assert r.json() == {"detail": "User nobody not found"}


def test_user_name_is_percent_decoded(storefront, collection):
    name = "Анна Мария/2"
    r = requests.post(storefront.url(f"/{collection}/users"), json={"age": 30, "name": name})
    assert r.status_code == 201
    quoted = requests.utils.quote(name, safe="")
    r = requests.get(storefront.url(f"/{collection}/users/{quoted}"))
    assert r.status_code == 200 and r.json()["name"] == name


def test_create_user_then_read_it_back(storefront, collection):
    r = requests.post(storefront.url(f"/{collection}/users"),
                      json={"age": 33, "name": "alice", "id": "ignored", "_id": "x", "extra": 1})
    assert r.status_code == 201
    created = r.json()
    assert list(created.keys()) == ["id", "age", "name"]
    assert OID.match(created["id"]) and created["id"] != "ignored"
    assert created["age"] == 33 and created["name"] == "alice"
    assert requests.get(storefront.url(f"/{collection}/users/alice")).json() == created
    assert requests.get(storefront.url(f"/{collection}/users")).json() == {"users": [created]}
    assert requests.get(storefront.url(f"/{collection}/count")).json()["items_count"] == 1


def test_create_user_coerces_like_pydantic(storefront, collection):
    r = requests.post(storefront.url(f"/{collection}/users"), json={"age": "41", "name": "b"})
    assert r.status_code == 201 and r.json()["age"] == 41
    r = requests.post(storefront.url(f"/{collection}/users"), json={"age": 5.0, "name": "c"})
    assert r.status_code == 201 and r.json()["age"] == 5


def test_health(storefront):
    assert requests.get(storefront.url("/health/live")).json() == {"status": "OK"}
    r = requests.get(storefront.url("/health/ready"))
    assert r.status_code == 200 and r.json()["status"] == "OK"


def test_request_id_is_echoed_or_generated(storefront):
    r = requests.get(storefront.url("/health/live"), headers={"X-Request-Id": "abc-123"})
    assert r.headers["X-Request-Id"] == "abc-123"
    generated = requests.get(storefront.url("/health/live")).headers["X-Request-Id"]
    assert re.match(r"^[0-9a-f]{16}$", generated)
    # A hostile id is replaced, not echoed.
    r = requests.get(storefront.url("/health/live"), headers={"X-Request-Id": "a" * 500})
    assert r.headers["X-Request-Id"] != "a" * 500


def test_access_log_line_per_request(storefront):
    requests.get(storefront.url("/health/live"), headers={"X-Request-Id": "log-check-1"})
    import json
    import time
    for _ in range(50):
        lines = [l for l in storefront.log().splitlines() if "log-check-1" in l]
        if lines:
            break
        time.sleep(0.05)
    entry = json.loads(lines[0])
    assert entry["method"] == "GET" and entry["path"] == "/health/live"
    assert entry["status"] == 200 and entry["route"] == "/health/live"
    assert entry["duration_ms"] >= 0


def test_openapi_describes_every_endpoint(storefront):
    r = requests.get(storefront.url("/openapi.json"))
    assert r.status_code == 200
    doc = r.json()
    assert doc["openapi"].startswith("3.1")
    paths = doc["paths"]
    for path, methods in {
        "/": ["get"], "/{collection_name}/count": ["get"],
        "/{collection_name}/users": ["get", "post"],
        "/{collection_name}/users/{name}": ["get"],
        "/health/live": ["get"], "/health/ready": ["get"], "/metrics": ["get"],
    }.items():
        for m in methods:
            assert m in paths[path], (path, m)
    assert "422" in paths["/{collection_name}/users"]["post"]["responses"]
    assert "404" in paths["/{collection_name}/users/{name}"]["get"]["responses"]


def test_docs_served_locally(storefront):
    r = requests.get(storefront.url("/docs"))
    assert r.status_code == 200 and "text/html" in r.headers["Content-Type"]
    assets = re.findall(r'(?:src|href)="(/docs/assets/[^"]+)"', r.text)
    assert assets, "the page references its assets"
    assert "http://" not in r.text and "https://" not in r.text
    for asset in assets:
        a = requests.get(storefront.url(asset))
        assert a.status_code == 200, asset
        assert len(a.content) > 100
    bundle = requests.get(storefront.url("/docs/assets/swagger-ui-bundle.js"))
    assert "SwaggerUIBundle" in bundle.text


def test_keep_alive_serves_several_requests_on_one_connection(storefront):
    with socket.create_connection(("127.0.0.1", storefront.port)) as s:
        for _ in range(3):
            s.sendall(b"GET /health/live HTTP/1.1\r\nHost: x\r\n\r\n")
            data = b""
            while b'{"status":"OK"}' not in data:
                chunk = s.recv(4096)
                assert chunk, "connection closed early"
                data += chunk
            assert data.startswith(b"HTTP/1.1 200")


def test_fill_is_idempotent(mongo, storefront, collection):
    first = run_fill(mongo.url, collection, 50)
    second = run_fill(mongo.url, collection, 50)
    assert "50 inserted" in first
    assert "0 inserted, 50 already present" in second
    assert requests.get(storefront.url(f"/{collection}/count")).json()["items_count"] == 50
