"""Issue 14, the service's side: the collection list, the safe collection-name
pattern, the write token, GET / from memory and bounded, shedding at the
concurrency limit, and the refusal of shipped placeholder secrets. Against the
real binary and the MongoDB stand-in."""
import concurrent.futures
import os
import re
import subprocess
import threading
import time
import urllib.parse
import uuid

import pymongo
import pytest
import requests

from servers import BUILD_DIR, REPO, metric_sample, run_fill, wait_for

POST_BODY = {"age": 30, "name": "ann"}


def collections_of(mongo, database):
    return set(pymongo.MongoClient(mongo.url).get_database(database).list_collection_names())


def test_collection_outside_the_list_is_404_and_never_created(spawn, mongo):
    db = f"only_{uuid.uuid4().hex[:8]}"
    run_fill(mongo.url, "helloDoc", 5, db)
    app = spawn.storefront({"MONGODB_URL": mongo.url, "MONGODB_DATABASE_NAME": db,
                            "STOREFRONT_COLLECTIONS": "helloDoc"})
    assert requests.get(app.url("/helloDoc/count")).json()["items_count"] == 5
    assert requests.post(app.url("/helloDoc/users"), json=POST_BODY).status_code == 201
    for name in ("other", "random123", "helloDoc2", "hellodoc"):
        r = requests.post(app.url(f"/{name}/users"), json=POST_BODY)
        assert r.status_code == 404, r.text
        assert r.json() == {"detail": f"Collection {name} not found"}
        for path in (f"/{name}/users", f"/{name}/count", f"/{name}/users/ann"):
            assert requests.get(app.url(path)).status_code == 404, path
    assert requests.post(app.url("/a%22b/users"), json=POST_BODY).status_code == 400
    assert collections_of(mongo, db) == {"helloDoc"}


def test_unset_list_keeps_any_valid_name(storefront, collection):
    assert requests.post(storefront.url(f"/{collection}/users"), json=POST_BODY).status_code == 201


# Names the stand-in (or MongoDB) would choke on or that are not what a
# collection name is for: all 400 with a detail before MongoDB sees them.
@pytest.mark.parametrize("raw", ["%22", "a%22b", "%27", "%60", "%5C", "a%20b", "%09", "a%0Ab",
                                 "%7F", "%C3%A9t%C3%A9", "a%24b", "%25", "system.indexes", "-%00"])
def test_unsafe_collection_names_are_400_not_500(storefront, raw):
    r = requests.post(storefront.url(f"/{raw}/users"), json=POST_BODY)
    assert r.status_code == 400, (raw, r.status_code, r.text)
    assert r.headers["Content-Type"] == "application/json" and r.json()["detail"]
    for path in (f"/{raw}/count", f"/{raw}/users", f"/{raw}/users/x"):
        assert requests.get(storefront.url(path)).status_code == 400, path


def test_openapi_pattern_is_what_the_service_enforces(storefront):
    param = requests.get(storefront.url("/openapi.json")).json()[
        "components"]["parameters"]["CollectionName"]["schema"]
    pattern = re.compile(param["pattern"])
    names = ["ok", "a.b", "a-b_c", "system", "systemx", "system.x", ".a", "a.", "a b", "a'b",
             'a"b', "a$b", "é", "x" * 120, "x" * 121, "-", "_", "a..b", "a;b", "a,b"]
    for name in names:
        expected_ok = bool(pattern.fullmatch(name)) and len(name) <= param["maxLength"]
        r = requests.get(storefront.url(f"/{urllib.parse.quote(name, safe='')}/count"))
        assert (r.status_code == 200) == expected_ok, (name, r.status_code, r.text)
        if not expected_ok:
            assert r.status_code == 400


def test_write_token_guards_post_only(spawn, mongo, collection):
    app = spawn.storefront({"MONGODB_URL": mongo.url, "STOREFRONT_WRITE_TOKEN": "w-9f2c41"})
    url = app.url(f"/{collection}/users")
    for headers in ({}, {"Authorization": "Bearer wrong"}, {"Authorization": "Basic w-9f2c41"},
                    {"Authorization": "Bearer w-9f2c41x"}):
        r = requests.post(url, json=POST_BODY, headers=headers)
        assert r.status_code == 401, (headers, r.text)
        assert r.headers["WWW-Authenticate"] == "Bearer" and r.json()["detail"]
    assert requests.get(app.url(f"/{collection}/count")).json()["items_count"] == 0
    r = requests.post(url, json=POST_BODY, headers={"Authorization": "Bearer w-9f2c41"})
    assert r.status_code == 201, r.text
    assert requests.get(url).json()["users"][0]["name"] == "ann"  # reads stay open
    assert "w-9f2c41" not in app.log()


def test_root_is_served_from_memory_and_bounded(spawn, mongo):
    db = f"root_{uuid.uuid4().hex[:8]}"
    for name in ("c1", "c2", "c3"):
        run_fill(mongo.url, name, 2, db)
    app = spawn.storefront({"MONGODB_URL": mongo.url, "MONGODB_DATABASE_NAME": db,
                            "STOREFRONT_ROOT_CACHE_MS": "1500",
                            "STOREFRONT_ROOT_MAX_COLLECTIONS": "2"})
    first = requests.get(app.url("/")).json()
    assert first["collections"] == {"c1": {"documents_count": 2}, "c2": {"documents_count": 2}}
    assert first["collections_truncated"] is True
    assert requests.post(app.url("/c1/users"), json=POST_BODY).status_code == 201
    # Within the TTL: the same description, without asking MongoDB again.
    assert requests.get(app.url("/")).json()["collections"]["c1"]["documents_count"] == 2
    time.sleep(1.6)
    assert requests.get(app.url("/")).json()["collections"]["c1"]["documents_count"] == 3


def test_root_lists_everything_under_the_bound(spawn, mongo):
    db = f"root_{uuid.uuid4().hex[:8]}"
    run_fill(mongo.url, "only", 1, db)
    app = spawn.storefront({"MONGODB_URL": mongo.url, "MONGODB_DATABASE_NAME": db,
                            "STOREFRONT_ROOT_CACHE_MS": "0"})
    body = requests.get(app.url("/")).json()
    assert body["collections"] == {"only": {"documents_count": 1}}
    assert body["collections_truncated"] is False


def test_database_bound_requests_beyond_the_limit_are_shed_at_once(spawn, mongo, collection):
    """2 slots, 8 concurrent uncached reads through a slow database: exactly 2
    are served, 6 get an immediate 503 with Retry-After, and the metric counts 6."""
    proxy = spawn.proxy(mongo.port)
    app = spawn.storefront({"MONGODB_URL": f"mongodb://127.0.0.1:{proxy.port}",
                            "STOREFRONT_WORKER_THREADS": "2", "STOREFRONT_MAX_IN_FLIGHT": "2",
                            "STOREFRONT_HEALTH_INTERVAL_MS": "60000"})
    assert requests.get(app.url(f"/{collection}/count")).status_code == 200
    proxy.delay_s = 0.4
    start = threading.Barrier(8)

    def one(_):
        start.wait()
        t0 = time.monotonic()
        r = requests.get(app.url(f"/{collection}/count"), timeout=10)
        return r, time.monotonic() - t0

    with concurrent.futures.ThreadPoolExecutor(8) as pool:
        results = list(pool.map(one, range(8)))
    proxy.delay_s = 0
    served = [(r, t) for r, t in results if r.status_code == 200]
    shed = [(r, t) for r, t in results if r.status_code == 503]
    assert len(served) == 2 and len(shed) == 6, [(r.status_code, t) for r, t in results]
    for r, elapsed in shed:
        assert r.headers["Retry-After"] == "1"
        assert r.json() == {"detail": "Server overloaded, retry later"}
        assert elapsed < 0.4, elapsed  # never waited for the database
    assert min(t for _, t in served) >= 0.4
    metrics = requests.get(app.url("/metrics")).text
    assert metric_sample(metrics, "storefront_shed_total", route="/{collection}/count") == 6
    assert metric_sample(metrics, "storefront_offload_limit") == 2
    wait_for(lambda: metric_sample(requests.get(app.url("/metrics")).text,
                                   "storefront_offload_in_flight") == 0, what="slots given back")
    # Not database-bound: readiness still answers while the slots are free again.
    assert requests.get(app.url("/health/ready")).status_code == 200


def test_default_limit_is_twice_the_worker_threads(spawn, mongo):
    app = spawn.storefront({"MONGODB_URL": mongo.url, "STOREFRONT_WORKER_THREADS": "5"})
    metrics = requests.get(app.url("/metrics")).text
    assert metric_sample(metrics, "storefront_offload_limit") == 10


def shipped_secrets():
    """Every non-empty secret value .env.example ships (the placeholders)."""
    values = set()
    for line in (REPO / ".env.example").read_text().splitlines():
        key, _, value = line.partition("=")
        if not line.startswith("#") and re.search(r"PASSWORD|TOKEN|SECRET", key) and value:
            values.add(value)
    assert values, ".env.example has no placeholder secrets any more?"
    return sorted(values)


def run_binary(env):
    keep = {k: v for k, v in os.environ.items() if k.endswith("SAN_OPTIONS")}
    return subprocess.run([str(BUILD_DIR / "storefront")], capture_output=True, text=True,
                          timeout=30, env={"PATH": os.environ.get("PATH", ""), **keep, **env})


@pytest.mark.parametrize("secret", shipped_secrets())
@pytest.mark.parametrize("setting,env", [
    ("the MONGODB_URL password", lambda s: {"MONGODB_URL": f"mongodb://app:{s}@127.0.0.1:1/"}),
    ("the REDIS_URL password", lambda s: {"REDIS_URL": f"redis://:{s}@127.0.0.1:1"}),
    ("STOREFRONT_ADMIN_TOKEN", lambda s: {"STOREFRONT_ADMIN_TOKEN": s}),
    ("STOREFRONT_WRITE_TOKEN", lambda s: {"STOREFRONT_WRITE_TOKEN": s}),
    ("CONSUL_HTTP_TOKEN", lambda s: {"CONSUL_HTTP_TOKEN": s}),
], ids=["mongo", "redis", "admin", "write", "consul"])
def test_shipped_placeholder_secret_stops_start_up(secret, setting, env):
    r = run_binary({"PORT": "0", "STOREFRONT_BIND": "127.0.0.1", **env(secret)})
    assert r.returncode == 2, (r.returncode, r.stdout[-500:], r.stderr[-500:])
    assert f"refusing to start: {setting} is the shipped placeholder secret" in r.stderr
    assert secret not in r.stderr + r.stdout
