"""The catalog against the real binary, the MongoDB stand-in and redis-server:
pagination, categories, validation, admin auth, CDN addressing, HTTP caching,
invalidation across instances and stale-if-error through a database outage."""
import time
import uuid

import pytest
import requests

from servers import FAST_FAIL_ENV, metric_sample, run_fill_products

TOKEN = "test-admin-token"
ADMIN = {"Authorization": f"Bearer {TOKEN}"}


@pytest.fixture
def database():
    """A database of its own per test: the products collection has a fixed name."""
    return f"cat_{uuid.uuid4().hex[:10]}"


def catalog_app(spawn, mongo_url, database, redis=None, **env):
    full = {"MONGODB_URL": mongo_url, "MONGODB_DATABASE_NAME": database,
            "STOREFRONT_ADMIN_TOKEN": TOKEN, **env}
    if redis is not None:
        full["REDIS_URL"] = f"redis://127.0.0.1:{redis.port}"
    return spawn.storefront(full)


def product_body(name="Phone X", category="phones", amount=1999000, **extra):
    body = {"name": name, "description": "A phone", "category": category,
            "price": {"amount": amount, "currency": "RUB"},
            "media": [{"kind": "image", "path": "products/x/1.png", "width": 64, "height": 64},
                      {"kind": "video", "path": "products/x/demo.mp4"}],
            "attributes": {"color": "black", "storage_gb": 256}}
    body.update(extra)
    return body


def until_hit(app, path, timeout=3.0):
    deadline = time.monotonic() + timeout
    while True:
        r = requests.get(app.url(path), timeout=10)
        if r.headers.get("X-Cache") == "HIT":
            return r
        assert time.monotonic() < deadline, f"{path} never became a HIT: {r.headers}"
        time.sleep(0.05)


def test_fill_is_idempotent_and_writes_images(mongo, database, tmp_path):
    first = run_fill_products(mongo.url, 12, tmp_path / "media", database)
    assert "12 inserted, 0 already present" in first
    second = run_fill_products(mongo.url, 12, tmp_path / "media", database)
    assert "0 inserted, 12 already present" in second and "0 media files written" in second
    images = sorted((tmp_path / "media").rglob("*.png"))
    assert 12 <= len(images) <= 36
    assert all(p.read_bytes().startswith(b"\x89PNG\r\n\x1a\n") for p in images)


def test_pages_walk_every_sku_once_and_categories_add_up(spawn, mongo, redis, database):
    run_fill_products(mongo.url, 57, None, database)
    app = catalog_app(spawn, mongo.url, database, redis)
    seen, after, pages = [], None, 0
    while True:
        params = {"limit": 10, **({"after": after} if after else {})}
        r = requests.get(app.url("/catalog/products"), params=params, timeout=10)
        assert r.status_code == 200, r.text
        body = r.json()
        seen += [p["sku"] for p in body["products"]]
        pages += 1
        if body["next"] is None:
            break
        assert body["next"] == body["products"][-1]["sku"]
        after = body["next"]
    assert pages == 6
    assert seen == sorted(set(seen)) and len(seen) == 57
    categories = requests.get(app.url("/catalog/categories")).json()["categories"]
    assert sum(c["products"] for c in categories) == 57
    assert [c["name"] for c in categories] == sorted(c["name"] for c in categories)
    for c in categories:
        listed = requests.get(app.url("/catalog/products"),
                              params={"category": c["name"], "limit": 100}).json()
        assert len(listed["products"]) == c["products"]
        assert {p["category"] for p in listed["products"]} == {c["name"]}
    product = requests.get(app.url("/catalog/products/sku-00005")).json()
    assert set(product) == {"sku", "name", "description", "category", "price", "media",
                            "attributes", "updated_at"}
    assert product["price"]["currency"] == "RUB" and isinstance(product["price"]["amount"], int)
    assert product["updated_at"].endswith("Z")
    assert 1 <= len(product["media"]) <= 3


def test_unknown_product_and_bad_queries(spawn, mongo, database):
    app = catalog_app(spawn, mongo.url, database)
    r = requests.get(app.url("/catalog/products/sku-none"))
    assert r.status_code == 404 and r.json() == {"detail": "Product sku-none not found"}
    assert requests.delete(app.url("/catalog/products/sku-none"), headers=ADMIN).status_code == 404
    for params, loc in (({"limit": 0}, ["query", "limit"]), ({"limit": 101}, ["query", "limit"]),
                        ({"limit": "x"}, ["query", "limit"]), ({"after": "../x"}, ["query", "after"])):
        r = requests.get(app.url("/catalog/products"), params=params)
        assert r.status_code == 422, params
        assert r.json()["detail"][0]["loc"] == loc
    r = requests.get(app.url("/catalog/products/.bad"))
    assert r.status_code == 422 and r.json()["detail"][0]["loc"] == ["path", "sku"]


INVALID = [
    ({"name": ""}, ["body", "name"], "string_too_short"),
    ({"name": "x" * 201}, ["body", "name"], "string_too_long"),
    ({"name": None}, ["body", "name"], "string_type"),
    ({"price": {"amount": -1, "currency": "RUB"}}, ["body", "price", "amount"], "greater_than_equal"),
    ({"price": {"amount": 2 ** 53, "currency": "RUB"}}, ["body", "price", "amount"], "less_than_equal"),
    ({"price": {"amount": "10", "currency": "RUB"}}, ["body", "price", "amount"], "int_type"),
    ({"price": {"amount": 1, "currency": "RU"}}, ["body", "price", "currency"], "string_too_short"),
    ({"price": {"amount": 1, "currency": "rub"}}, ["body", "price", "currency"], "string_pattern_mismatch"),
    ({"price": 5}, ["body", "price"], "model_attributes_type"),
    ({"media": [{"kind": "image", "path": "../etc/passwd"}]}, ["body", "media", 0, "path"], "string_pattern_mismatch"),
    ({"media": [{"kind": "image", "path": "/abs.png"}]}, ["body", "media", 0, "path"], "string_pattern_mismatch"),
    ({"media": [{"kind": "image", "path": "https://evil/x.png"}]}, ["body", "media", 0, "path"], "string_pattern_mismatch"),
    ({"media": [{"kind": "gif", "path": "a.gif"}]}, ["body", "media", 0, "kind"], "literal_error"),
    ({"media": [{"kind": "image", "path": "a.png"}] * 21}, ["body", "media"], "too_long"),
    ({"media": [{"kind": "image", "path": "a.png", "width": 0}]}, ["body", "media", 0, "width"], "greater_than_equal"),
    ({"attributes": ["x"]}, ["body", "attributes"], "dict_type"),
]


@pytest.mark.parametrize("change,loc,kind", INVALID, ids=[f"{i}-{c[2]}" for i, c in enumerate(INVALID)])
def test_every_invalid_field_is_422_and_nothing_is_written(spawn, mongo, database, change, loc, kind):
    app = catalog_app(spawn, mongo.url, database)
    r = requests.put(app.url("/catalog/products/sku-1"), json=product_body(**change), headers=ADMIN)
    assert r.status_code == 422, r.text
    detail = r.json()["detail"]
    assert detail[0]["loc"] == loc and detail[0]["type"] == kind, detail
    assert {"type", "loc", "msg", "input"} <= set(detail[0])
    assert requests.get(app.url("/catalog/products/sku-1")).status_code == 404


def test_missing_fields_and_bad_sku(spawn, mongo, database):
    app = catalog_app(spawn, mongo.url, database)
    r = requests.put(app.url("/catalog/products/sku-1"), json={}, headers=ADMIN)
    assert r.status_code == 422
    assert {tuple(e["loc"]) for e in r.json()["detail"]} == {
        ("body", "name"), ("body", "category"), ("body", "price")}
    r = requests.put(app.url("/catalog/products/" + "a" * 65), json=product_body(), headers=ADMIN)
    assert r.status_code == 422 and r.json()["detail"][0]["type"] == "string_pattern_mismatch"


def test_admin_token_rules(spawn, mongo, database):
    app = catalog_app(spawn, mongo.url, database)
    url = app.url("/catalog/products/sku-1")
    r = requests.put(url, json=product_body())
    assert r.status_code == 401 and r.headers["WWW-Authenticate"] == "Bearer"
    assert requests.put(url, json=product_body(), headers={"Authorization": "Bearer wrong"}).status_code == 401
    assert requests.delete(url, headers={"Authorization": "Basic eDp5"}).status_code == 401
    assert requests.put(url, json=product_body(), headers=ADMIN).status_code == 201
    assert requests.put(url, json=product_body(name="Phone Y"), headers=ADMIN).status_code == 200
    assert requests.get(url).json()["name"] == "Phone Y"
    r = requests.delete(url, headers=ADMIN)
    assert r.status_code == 204 and r.content == b""
    disabled = spawn.storefront({"MONGODB_URL": mongo.url, "MONGODB_DATABASE_NAME": database})
    r = requests.put(disabled.url("/catalog/products/sku-1"), json=product_body(), headers=ADMIN)
    assert r.status_code == 403 and r.json() == {"detail": "admin API disabled"}


@pytest.mark.parametrize("env,prefix", [
    ({}, "/media/"),
    ({"MEDIA_BASE_URL": "http://127.0.0.1:18081/media/"}, "http://127.0.0.1:18081/media/"),
    ({"CDN_BASE_URL": "https://cdn.example.ru/mobile-world",
      "MEDIA_BASE_URL": "http://127.0.0.1:18081/media"}, "https://cdn.example.ru/mobile-world/"),
])
def test_media_urls_follow_the_configured_base(spawn, mongo, database, env, prefix):
    run_fill_products(mongo.url, 3, None, database)
    app = catalog_app(spawn, mongo.url, database, **env)
    put = requests.put(app.url("/catalog/products/sku-x"), json=product_body(), headers=ADMIN)
    assert [m["url"] for m in put.json()["media"]] == [prefix + "products/x/1.png",
                                                       prefix + "products/x/demo.mp4"]
    for path in ("/catalog/products/sku-00002", "/catalog/products?limit=5"):
        text = requests.get(app.url(path)).text
        assert f'"url":"{prefix}products/' in text, text


def test_etag_304_cache_control_and_date(spawn, mongo, redis, database):
    run_fill_products(mongo.url, 3, None, database)
    app = catalog_app(spawn, mongo.url, database, redis, CATALOG_MAX_AGE_SECONDS="45")
    for path in ("/catalog/products/sku-00001", "/catalog/products?limit=2", "/catalog/categories"):
        r = requests.get(app.url(path))
        etag = r.headers["ETag"]
        assert etag.startswith('"') and etag.endswith('"')
        assert r.headers["Cache-Control"] == "public, max-age=45"
        again = requests.get(app.url(path), headers={"If-None-Match": etag})
        assert again.status_code == 304 and again.content == b""
        assert again.headers["ETag"] == etag
        assert requests.get(app.url(path), headers={"If-None-Match": '"x"'}).status_code == 200
    for r in (requests.get(app.url("/health/live")), requests.get(app.url("/nope")),
              requests.post(app.url("/catalog/categories")), requests.get(app.url("/metrics"))):
        assert r.headers["Date"].endswith(" GMT"), r.headers


def test_write_on_one_instance_is_seen_on_another(spawn, mongo, redis, database):
    a = catalog_app(spawn, mongo.url, database, redis)
    b = catalog_app(spawn, mongo.url, database, redis)
    assert requests.put(a.url("/catalog/products/sku-1"), json=product_body(name="Old"),
                        headers=ADMIN).status_code == 201
    for path in ("/catalog/products/sku-1", "/catalog/products", "/catalog/categories"):
        until_hit(b, path)
    assert requests.put(a.url("/catalog/products/sku-1"), json=product_body(name="New", category="tablets"),
                        headers=ADMIN).status_code == 200
    assert requests.get(b.url("/catalog/products/sku-1")).json()["name"] == "New"
    assert requests.get(b.url("/catalog/products")).json()["products"][0]["name"] == "New"
    assert requests.get(b.url("/catalog/categories")).json()["categories"] == [
        {"name": "tablets", "products": 1}]
    assert requests.delete(a.url("/catalog/products/sku-1"), headers=ADMIN).status_code == 204
    assert requests.get(b.url("/catalog/products/sku-1")).status_code == 404


def test_stale_if_error_through_a_database_outage(spawn, redis, database):
    db = spawn.mongo(persistent=True)
    run_fill_products(db.url, 5, None, database)
    app = catalog_app(spawn, db.url, database, redis, CACHE_TTL_SECONDS="1", **FAST_FAIL_ENV)
    cached = ["/catalog/products/sku-00001", "/catalog/products?limit=3", "/catalog/categories"]
    for path in cached:
        until_hit(app, path)
    time.sleep(1.2)  # every entry is past its TTL now, kept for the stale window
    db.stop()
    deadline = time.monotonic() + 10
    while requests.get(app.url("/health/ready"), timeout=2).json()["mongo"] != "down":
        assert time.monotonic() < deadline, "the health probe never saw the outage"
        time.sleep(0.1)
    for path in cached:
        t0 = time.monotonic()
        r = requests.get(app.url(path), timeout=10)
        elapsed = time.monotonic() - t0
        assert r.status_code == 200, (path, r.text)
        assert r.headers["X-Cache"] == "STALE"
        assert r.headers["ETag"]
        # Known down: no wait for server selection, so an outage cannot fill the workers.
        assert elapsed < 0.5, f"{path}: STALE took {elapsed:.2f}s"
    r = requests.get(app.url("/catalog/products/sku-00002"), timeout=10)
    assert r.status_code == 503 and r.headers["Retry-After"].isdigit()
    r = requests.put(app.url("/catalog/products/sku-9"), json=product_body(), headers=ADMIN, timeout=10)
    assert r.status_code == 503 and r.headers["Retry-After"].isdigit()
    ready = requests.get(app.url("/health/ready"), timeout=2)
    assert ready.status_code == 200
    assert metric_sample(requests.get(app.url("/metrics")).text, "storefront_cache_stale_total") >= 3

    revived = spawn.track(db.restarted())
    revived.start()
    deadline = time.monotonic() + 20
    while True:
        r = requests.get(app.url("/catalog/products/sku-00002"), timeout=10)
        if r.status_code == 200:
            break
        assert time.monotonic() < deadline, r.text
        time.sleep(0.2)
    r = requests.get(app.url("/catalog/products/sku-00001"), timeout=10)
    assert r.status_code == 200 and r.headers["X-Cache"] in ("MISS", "HIT")
