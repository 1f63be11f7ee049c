"""Stock and orders against the real stand-in and several storefront instances
(docs/orders.md): races that count every success, idempotency across instances,
cancellation, every 422, and crashes: a SIGKILLed instance, a stopped database,
orders left between two steps. Every test ends with `storefront audit`."""
from __future__ import annotations

import concurrent.futures
import datetime
import itertools
import os
import signal
import subprocess
import threading
import time
import uuid

import pymongo
import pytest
import requests

import atomicity
from conftest import assert_no_sanitizer_report
from servers import BUILD_DIR, Storefront, metric_sample, run_fill_products, wait_for

TOKEN = "orders-token"
ADMIN = {"Authorization": f"Bearer {TOKEN}"}
PRODUCTS = 60
STUCK_SECONDS = 5
# Outages answer fast; the sweep takes orders unsettled for 5 s (request deadline
# 3 s + socket timeout 1.5 s stay below it, so it is not raised).
ORDER_ENV = {
    "MONGODB_SERVER_SELECTION_TIMEOUT_MS": "1000",
    "MONGODB_CONNECT_TIMEOUT_MS": "500",
    "MONGODB_SOCKET_TIMEOUT_MS": "1500",
    "STOREFRONT_REQUEST_TIMEOUT_MS": "3000",
    "STOREFRONT_HEALTH_INTERVAL_MS": "200",
    "STOREFRONT_ORDER_STUCK_SECONDS": str(STUCK_SECONDS),
    "STOREFRONT_ADMIN_TOKEN": TOKEN,
    "STOREFRONT_ACCESS_LOG": "false",
    "STOREFRONT_WORKER_THREADS": "24",
}
_sku_numbers = itertools.count()


def sku() -> str:
    """A product of the filled catalog no other test of this module uses."""
    n = next(_sku_numbers)
    assert n < PRODUCTS, "raise PRODUCTS"
    return f"sku-{n:05}"


def app_env(mongo_url: str, database: str) -> dict:
    return {"MONGODB_URL": mongo_url, "MONGODB_DATABASE_NAME": database, **ORDER_ENV}


def run_audit(mongo_url: str, database: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [str(BUILD_DIR / "storefront"), "audit"],
        env={"PATH": os.environ.get("PATH", ""), "MONGODB_URL": mongo_url,
             "MONGODB_DATABASE_NAME": database, "MONGODB_SERVER_SELECTION_TIMEOUT_MS": "1000",
             "STOREFRONT_ORDER_STUCK_SECONDS": str(STUCK_SECONDS),
             **{k: v for k, v in os.environ.items() if k.endswith("SAN_OPTIONS")}},
        capture_output=True, text=True, timeout=120)


def assert_audit_clean(mongo_url: str, database: str) -> str:
    out = run_audit(mongo_url, database)
    assert out.returncode == 0, out.stdout + out.stderr
    assert "violations 0" in out.stdout, out.stdout
    return out.stdout.strip().splitlines()[-1]


class Shop:
    """Several instances over one database, and helpers that talk to them."""

    def __init__(self, apps: list[Storefront], mongo_url: str, database: str):
        self.apps = apps
        self.mongo_url = mongo_url
        self.database = database
        self.db = pymongo.MongoClient(mongo_url)[database]

    def url(self, path: str, i: int = 0) -> str:
        return self.apps[i % len(self.apps)].url(path)

    def restock(self, sku_: str, units: int) -> dict:
        r = requests.post(self.url(f"/catalog/products/{sku_}/stock"), json={"delta": units},
                          headers=ADMIN, timeout=10)
        assert r.status_code == 200, r.text
        return r.json()

    def stock(self, sku_: str, i: int = 0) -> dict:
        r = requests.get(self.url(f"/catalog/products/{sku_}/stock", i), timeout=10)
        assert r.status_code == 200, r.text
        return r.json()

    def order(self, items: list[tuple[str, int]], i: int = 0, key: str | None = None,
              customer: str = "c-1", timeout: float = 20) -> requests.Response:
        headers = {"Idempotency-Key": key} if key else {}
        body = {"customer_id": customer, "items": [{"sku": s, "quantity": q} for s, q in items]}
        return requests.post(self.url("/orders", i), json=body, headers=headers, timeout=timeout)


def start_apps(workdir, mongo_url: str, database: str, n: int) -> list[Storefront]:
    apps = [Storefront(workdir, app_env(mongo_url, database), f"orders-{database}-{i}")
            for i in range(n)]
    for app in apps:
        app.start(wait_ready=True)
    return apps


@pytest.fixture(scope="module")
def shop(workdir, mongo):
    """Three instances over a database with a filled catalog (no stock yet)."""
    database = f"orders_{uuid.uuid4().hex[:8]}"
    run_fill_products(mongo.url, PRODUCTS, database=database)
    apps = start_apps(workdir, mongo.url, database, 3)
    yield Shop(apps, mongo.url, database)
    for app in apps:
        assert app.stop() == 0, app.log()[-3000:]
        assert_no_sanitizer_report(app)
    assert_audit_clean(mongo.url, database)


def race(shop: Shop, sku_: str, clients: int) -> list[requests.Response]:
    """`clients` threads each order one unit at the same moment, round robin
    over the instances."""
    start = threading.Barrier(clients)

    def buy(i: int) -> requests.Response:
        start.wait()
        return shop.order([(sku_, 1)], i=i, customer=f"c-{i}")

    with concurrent.futures.ThreadPoolExecutor(clients) as pool:
        return list(pool.map(buy, range(clients)))


def orders_metric(shop: Shop, result: str) -> float:
    return sum(metric_sample(requests.get(app.url("/metrics"), timeout=10).text,
                             "storefront_orders_total", result=result) for app in shop.apps)


def test_64_clients_race_for_50_units_through_three_instances(shop, capsys):
    before = {r: orders_metric(shop, r) for r in ("confirmed", "insufficient")}
    for round_ in range(5):
        hot = sku()
        assert shop.restock(hot, 50) == {"sku": hot, "available": 50, "reserved": 0, "sold": 0}
        answers = race(shop, hot, 64)
        statuses = [r.status_code for r in answers]
        confirmed = [r.json() for r in answers if r.status_code == 201]
        refused = [r.json() for r in answers if r.status_code == 409]
        assert len(confirmed) == 50 and len(refused) == 14, (round_, sorted(statuses))
        assert len({o["id"] for o in confirmed}) == 50
        assert all(o["status"] == "confirmed" and o["items"][0]["sku"] == hot for o in confirmed)
        assert all(r == {"detail": f"Insufficient stock for {hot}", "sku": hot, "requested": 1,
                         "available": 0} for r in refused), refused[:3]
        for i in range(3):
            assert shop.stock(hot, i) == {"sku": hot, "available": 0, "reserved": 0, "sold": 50}
        with capsys.disabled():
            print(f"\nround {round_}: {hot}: 64 clients, 3 instances: {len(confirmed)} confirmed, "
                  f"{len(refused)} x 409, stock {shop.stock(hot)}")
    assert orders_metric(shop, "confirmed") - before["confirmed"] == 250
    assert orders_metric(shop, "insufficient") - before["insufficient"] == 70
    with capsys.disabled():
        print(assert_audit_clean(shop.mongo_url, shop.database))


def test_order_shows_catalog_prices_and_can_be_read_from_any_instance(shop):
    a, b = sku(), sku()
    shop.restock(a, 3)
    shop.restock(b, 3)
    prices = {s: requests.get(shop.url(f"/catalog/products/{s}")).json()["price"] for s in (a, b)}
    r = shop.order([(a, 2), (b, 1)], customer="alice")
    assert r.status_code == 201, r.text
    order = r.json()
    assert order["customer_id"] == "alice" and order["status"] == "confirmed"
    assert order["items"] == [{"sku": a, "quantity": 2, "unit_price": prices[a]},
                              {"sku": b, "quantity": 1, "unit_price": prices[b]}]
    assert order["total"] == {"amount": 2 * prices[a]["amount"] + prices[b]["amount"],
                              "currency": "RUB"}
    assert order["created_at"].endswith("Z")
    for i in range(3):
        assert requests.get(shop.url(f"/orders/{order['id']}", i)).json() == order
    assert shop.stock(a) == {"sku": a, "available": 1, "reserved": 0, "sold": 2}
    missing = requests.get(shop.url("/orders/0123456789abcdef01234567"))
    assert missing.status_code == 404
    assert missing.json() == {"detail": "Order 0123456789abcdef01234567 not found"}
    assert requests.get(shop.url("/orders/not-an-id")).status_code == 404


def test_second_item_short_refuses_the_order_and_returns_the_first(shop):
    first, second = sku(), sku()
    shop.restock(first, 5)
    shop.restock(second, 1)
    r = shop.order([(first, 2), (second, 2)])
    assert r.status_code == 409, r.text
    assert r.json() == {"detail": f"Insufficient stock for {second}", "sku": second,
                        "requested": 2, "available": 1}
    assert shop.stock(first) == {"sku": first, "available": 5, "reserved": 0, "sold": 0}
    assert shop.stock(second) == {"sku": second, "available": 1, "reserved": 0, "sold": 0}
    assert shop.db.stock.find_one({"_id": first})["pending"] == []
    # A product nobody stocked: nothing available.
    unstocked = sku()
    r = shop.order([(first, 1), (unstocked, 1)])
    assert r.status_code == 409 and r.json()["available"] == 0
    assert shop.stock(unstocked) == {"sku": unstocked, "available": 0, "reserved": 0, "sold": 0}
    assert shop.stock(first)["available"] == 5


def test_16_identical_requests_with_one_key_make_one_order(shop):
    item = sku()
    shop.restock(item, 10)
    key = f"key-{uuid.uuid4().hex}"
    start = threading.Barrier(16)

    def send(i: int) -> requests.Response:
        start.wait()
        return shop.order([(item, 3)], i=i, key=key, customer="bob")

    with concurrent.futures.ThreadPoolExecutor(16) as pool:
        answers = list(pool.map(send, range(16)))
    created = [r for r in answers if r.status_code == 201]
    in_progress = [r for r in answers if r.status_code == 409]
    assert len(created) + len(in_progress) == 16, [(r.status_code, r.text) for r in answers]
    assert created, "no request got the order"
    assert len({r.json()["id"] for r in created}) == 1
    assert sum(1 for r in created if "Idempotent-Replayed" not in r.headers) == 1
    for r in in_progress:
        assert r.headers["Retry-After"].isdigit()
        assert r.json() == {"detail": "A request with this Idempotency-Key is still in progress"}
    assert shop.db.orders.count_documents({"idempotency_key": key}) == 1
    assert shop.stock(item) == {"sku": item, "available": 7, "reserved": 0, "sold": 3}
    # Later, from any instance: the first answer again, nothing moves.
    for i in range(3):
        again = shop.order([(item, 3)], i=i, key=key, customer="bob")
        assert again.status_code == 201
        assert again.headers["Idempotent-Replayed"] == "true"
        assert again.json() == created[0].json()
    assert shop.stock(item)["sold"] == 3
    # The same key with another body is refused, and nothing moves.
    other = shop.order([(item, 1)], key=key, customer="bob")
    assert other.status_code == 422, other.text
    assert other.json()["detail"][0]["type"] == "idempotency_key_reused"
    assert other.json()["detail"][0]["loc"] == ["header", "idempotency-key"]
    assert shop.stock(item)["sold"] == 3


def test_a_refusal_is_replayed_too(shop):
    item = sku()
    shop.restock(item, 1)
    key = f"key-{uuid.uuid4().hex}"
    first = shop.order([(item, 2)], key=key)
    assert first.status_code == 409
    shop.restock(item, 5)
    again = shop.order([(item, 2)], key=key, i=1)
    assert (again.status_code, again.json()) == (409, first.json())
    assert again.headers["Idempotent-Replayed"] == "true"
    assert shop.stock(item) == {"sku": item, "available": 6, "reserved": 0, "sold": 0}


def test_cancel_twice_and_concurrently_returns_the_units_once(shop):
    item, other = sku(), sku()
    shop.restock(item, 4)
    shop.restock(other, 4)
    order = shop.order([(item, 3), (other, 1)]).json()
    assert shop.stock(item)["sold"] == 3
    first = requests.post(shop.url(f"/orders/{order['id']}/cancel"))
    assert first.status_code == 200, first.text
    assert first.json() == {**order, "status": "cancelled"}
    second = requests.post(shop.url(f"/orders/{order['id']}/cancel", 1))
    assert (second.status_code, second.json()) == (200, first.json())
    assert shop.stock(item) == {"sku": item, "available": 4, "reserved": 0, "sold": 0}
    assert shop.stock(other) == {"sku": other, "available": 4, "reserved": 0, "sold": 0}
    assert requests.get(shop.url(f"/orders/{order['id']}")).json()["status"] == "cancelled"

    # Eight cancels at once through three instances: one returns the units.
    order = shop.order([(item, 2)]).json()
    start = threading.Barrier(8)

    def cancel(i: int) -> requests.Response:
        start.wait()
        return requests.post(shop.url(f"/orders/{order['id']}/cancel", i), timeout=20)

    with concurrent.futures.ThreadPoolExecutor(8) as pool:
        answers = list(pool.map(cancel, range(8)))
    assert [r.status_code for r in answers] == [200] * 8, [r.text for r in answers]
    assert all(r.json()["status"] == "cancelled" for r in answers)
    wait_for(lambda: shop.stock(item)["available"] == 4, timeout=10, what="units back")
    assert shop.stock(item) == {"sku": item, "available": 4, "reserved": 0, "sold": 0}
    assert shop.db.stock.find_one({"_id": item})["pending"] == []
    # Only confirmed orders can be cancelled; unknown ones are 404.
    refused = shop.order([(item, 9)]).json()
    assert refused["sku"] == item
    failed = shop.db.orders.find_one({"status": "failed", "items.sku": item})
    r = requests.post(shop.url(f"/orders/{failed['_id']}/cancel"))
    assert r.status_code == 409 and "cannot be cancelled" in r.json()["detail"]
    assert requests.post(shop.url("/orders/0123456789abcdef01234567/cancel")).status_code == 404


def test_admin_stock_changes(shop):
    item = sku()
    url = shop.url(f"/catalog/products/{item}/stock")
    assert requests.post(url, json={"delta": 5}).status_code == 401
    assert shop.restock(item, 5)["available"] == 5
    removed = requests.post(url, json={"delta": -2}, headers=ADMIN)
    assert removed.json() == {"sku": item, "available": 3, "reserved": 0, "sold": 0}
    too_many = requests.post(url, json={"delta": -4}, headers=ADMIN)
    assert too_many.status_code == 409
    assert too_many.json() == {"detail": f"Insufficient stock for {item}", "sku": item,
                               "requested": 4, "available": 3}
    assert shop.stock(item)["available"] == 3
    unknown = requests.post(shop.url("/catalog/products/no-such-sku/stock"), json={"delta": 1},
                            headers=ADMIN)
    assert unknown.status_code == 404
    assert unknown.json() == {"detail": "Product no-such-sku not found"}
    assert requests.get(shop.url("/catalog/products/no-such-sku/stock")).status_code == 404
    assert shop.db.stock.find_one({"_id": "no-such-sku"}) is None
    assert shop.db.stock.find_one({"_id": item})["added"] == 3


ORDER_422 = [
    ("bad json", b'{"customer_id": ', "json_invalid", ["body", 16]),
    ("not an object", [1], "model_attributes_type", ["body"]),
    ("no customer", {"items": [{"sku": "sku-00001", "quantity": 1}]}, "missing",
     ["body", "customer_id"]),
    ("empty customer", {"customer_id": "", "items": [{"sku": "sku-00001", "quantity": 1}]},
     "string_too_short", ["body", "customer_id"]),
    ("long customer", {"customer_id": "x" * 65, "items": [{"sku": "sku-00001", "quantity": 1}]},
     "string_too_long", ["body", "customer_id"]),
    ("no items", {"customer_id": "c"}, "missing", ["body", "items"]),
    ("empty items", {"customer_id": "c", "items": []}, "too_short", ["body", "items"]),
    ("51 items", {"customer_id": "c", "items": [{"sku": f"s{i}", "quantity": 1}
                                                for i in range(51)]},
     "too_long", ["body", "items"]),
    ("items not a list", {"customer_id": "c", "items": {"sku": "a"}}, "list_type",
     ["body", "items"]),
    ("item not an object", {"customer_id": "c", "items": ["sku-00001"]},
     "model_attributes_type", ["body", "items", 0]),
    ("bad sku", {"customer_id": "c", "items": [{"sku": "../x", "quantity": 1}]},
     "string_pattern_mismatch", ["body", "items", 0, "sku"]),
    ("no quantity", {"customer_id": "c", "items": [{"sku": "sku-00001"}]}, "missing",
     ["body", "items", 0, "quantity"]),
    ("quantity 0", {"customer_id": "c", "items": [{"sku": "sku-00001", "quantity": 0}]},
     "greater_than_equal", ["body", "items", 0, "quantity"]),
    ("quantity 101", {"customer_id": "c", "items": [{"sku": "sku-00001", "quantity": 101}]},
     "less_than_equal", ["body", "items", 0, "quantity"]),
    ("quantity string", {"customer_id": "c", "items": [{"sku": "sku-00001", "quantity": "1"}]},
     "int_type", ["body", "items", 0, "quantity"]),
    ("quantity 1.5", {"customer_id": "c", "items": [{"sku": "sku-00001", "quantity": 1.5}]},
     "int_from_float", ["body", "items", 0, "quantity"]),
    ("duplicate sku", {"customer_id": "c", "items": [{"sku": "sku-00001", "quantity": 1},
                                                     {"sku": "sku-00001", "quantity": 2}]},
     "value_error", ["body", "items", 1, "sku"]),
    ("unknown sku", {"customer_id": "c", "items": [{"sku": "sku-00001", "quantity": 1},
                                                   {"sku": "nope-1", "quantity": 1}]},
     "value_error", ["body", "items", 1, "sku"]),
]


@pytest.mark.parametrize("name,body,kind,loc", ORDER_422, ids=[row[0] for row in ORDER_422])
def test_bad_orders_are_422_in_fastapis_shape_and_move_nothing(shop, name, body, kind, loc):
    kwargs = {"data": body} if isinstance(body, bytes) else {"json": body}
    before = shop.db.orders.count_documents({})
    r = requests.post(shop.url("/orders"), headers={"Content-Type": "application/json"},
                      timeout=10, **kwargs)
    assert r.status_code == 422, r.text
    first = r.json()["detail"][0]
    assert (first["type"], first["loc"]) == (kind, loc), r.json()
    assert first["msg"]
    assert shop.db.orders.count_documents({}) == before


@pytest.mark.parametrize("key,kind", [("", "string_too_short"), ("k" * 256, "string_too_long")])
def test_bad_idempotency_keys_are_422(shop, key, kind):
    r = requests.post(shop.url("/orders"), headers={"Idempotency-Key": key},
                      json={"customer_id": "c", "items": [{"sku": "sku-00001", "quantity": 1}]})
    assert r.status_code == 422, r.text
    assert r.json()["detail"][0]["type"] == kind
    assert r.json()["detail"][0]["loc"] == ["header", "idempotency-key"]


@pytest.mark.parametrize("body,kind", [({}, "missing"), ({"delta": "5"}, "int_type"),
                                       ({"delta": 1.5}, "int_from_float"),
                                       ({"delta": 10**10}, "less_than_equal"),
                                       ({"delta": -10**10}, "greater_than_equal")])
def test_bad_stock_deltas_are_422(shop, body, kind):
    r = requests.post(shop.url("/catalog/products/sku-00001/stock"), json=body, headers=ADMIN)
    assert r.status_code == 422, r.text
    assert r.json()["detail"][0]["type"] == kind


def test_fill_stock_never_resets_existing_stock(mongo):
    database = f"fill_{uuid.uuid4().hex[:8]}"
    run_fill_products(mongo.url, 3, database=database, stock=7)
    stock = pymongo.MongoClient(mongo.url)[database].stock
    assert stock.find_one({"_id": "sku-00000"}) == {
        "_id": "sku-00000", "available": 7, "reserved": 0, "sold": 0, "added": 7, "pending": []}
    stock.update_one({"_id": "sku-00000"}, {"$inc": {"available": -2, "sold": 2}})
    run_fill_products(mongo.url, 4, database=database, stock=9)
    assert stock.find_one({"_id": "sku-00000"})["available"] == 5
    assert stock.find_one({"_id": "sku-00003"})["available"] == 9
    assert stock.count_documents({}) == 4


def test_audit_reports_violations_and_an_unreachable_database(mongo):
    database = f"audit_{uuid.uuid4().hex[:8]}"
    db = pymongo.MongoClient(mongo.url)[database]
    db.stock.insert_many([
        {"_id": "ok", "available": 1, "reserved": 0, "sold": 1, "added": 2, "pending": []},
        {"_id": "leak", "available": 1, "reserved": 0, "sold": 0, "added": 2, "pending": []},
    ])
    db.orders.insert_one({"_id": "o1", "status": "confirmed", "phase": "done",
                          "items": [{"sku": "ok", "quantity": 1}]})
    out = run_audit(mongo.url, database)
    assert out.returncode == 1, out.stdout + out.stderr
    assert "violation: sku leak: available 1 + reserved 0 + sold 0 != added 2" in out.stdout
    assert out.stdout.strip().splitlines()[-1] == "audit: skus 2, orders 1, violations 1"
    unreachable = run_audit("mongodb://127.0.0.1:9", database)
    assert unreachable.returncode == 2, unreachable.stdout + unreachable.stderr


def craft_stuck_orders(db, base: str) -> dict:
    """The states a crash between two steps leaves (docs/orders.md), written the
    way the steps write them, with an old updated_at."""
    old = {"updated_at": datetime.datetime(2020, 1, 1)}
    for name in ("pending", "committing", "returning"):
        db.stock.insert_one({"_id": f"{base}-{name}", "available": 8, "reserved": 0, "sold": 0,
                             "added": 10, "pending": []})
    # Reserved 2, then the instance died: to be rolled back.
    db.stock.update_one({"_id": f"{base}-pending"},
                        {"$inc": {"reserved": 2}, "$push": {"pending": "a" * 24}})
    # Confirmed with the reservation still held: to be committed.
    db.stock.update_one({"_id": f"{base}-committing"},
                        {"$inc": {"reserved": 2}, "$push": {"pending": "b" * 24}})
    # Cancelled: one unit sold given back already (marker left), to be finished.
    db.stock.update_one({"_id": f"{base}-returning"},
                        {"$inc": {"sold": 2}, "$push": {"pending": "c:" + "c" * 24}})
    db.stock.update_one({"_id": f"{base}-returning"}, {"$inc": {"sold": -2, "available": 2}})
    orders = {"pending": ("a" * 24, "pending", "reserving"),
              "committing": ("b" * 24, "confirmed", "committing"),
              "returning": ("c" * 24, "cancelled", "returning")}
    for name, (oid, status, phase) in orders.items():
        db.orders.insert_one({"_id": oid, "idempotency_key": f"{base}-{name}",
                              "request_hash": "x", "customer_id": "c", "status": status,
                              "phase": phase, "created_at": old["updated_at"],
                              "items": [{"sku": f"{base}-{name}", "quantity": 2,
                                         "unit_price": {"amount": 1, "currency": "RUB"}}],
                              "total": {"amount": 2, "currency": "RUB"}, **old})
    return orders


def test_the_sweep_settles_orders_left_between_two_steps(spawn, mongo):
    database = f"sweep_{uuid.uuid4().hex[:8]}"
    db = pymongo.MongoClient(mongo.url)[database]
    orders = craft_stuck_orders(db, "crash")
    assert run_audit(mongo.url, database).returncode == 1  # three orders stuck for years
    apps = [spawn.storefront(app_env(mongo.url, database)) for _ in range(2)]

    def settled():
        return db.orders.count_documents({"phase": {"$ne": "done"}}) == 0
    wait_for(settled, timeout=20, what="the sweep settled the crafted orders")
    assert db.stock.find_one({"_id": "crash-pending"}) == {
        "_id": "crash-pending", "available": 10, "reserved": 0, "sold": 0, "added": 10,
        "pending": []}
    assert {k: v for k, v in db.stock.find_one({"_id": "crash-committing"}).items()} == {
        "_id": "crash-committing", "available": 8, "reserved": 0, "sold": 2, "added": 10,
        "pending": []}
    assert db.stock.find_one({"_id": "crash-returning"})["available"] == 10
    assert db.stock.find_one({"_id": "crash-returning"})["pending"] == []
    rolled = db.orders.find_one({"_id": orders["pending"][0]})
    assert rolled["status"] == "failed" and "idempotency_key" not in rolled
    assert db.orders.find_one({"_id": orders["committing"][0]})["status"] == "confirmed"
    assert db.leases.find_one({"_id": "order-sweep"})["owner"]
    actions = {a: sum(metric_sample(requests.get(app.url("/metrics")).text,
                                    "storefront_order_sweep_actions_total", action=a)
                      for app in apps) for a in ("completed", "rolled_back")}
    assert actions == {"completed": 2, "rolled_back": 1}
    assert_audit_clean(mongo.url, database)


def load(shop: Shop, skus: list[str], stop: threading.Event, threads: int = 12) -> list:
    """Orders of random items until `stop`, through every instance; returns the answers
    (status, Retry-After) and the network errors."""
    answers = []
    lock = threading.Lock()

    def run(t: int):
        for n in itertools.count():
            if stop.is_set() or n > 2000:
                return
            items = [(skus[(t + n) % len(skus)], 1)]
            try:
                r = shop.order(items, i=t + n, customer=f"l-{t}", timeout=10)
                answer = (r.status_code, r.headers.get("Retry-After"))
            except requests.RequestException as e:
                answer = ("error", type(e).__name__)
            with lock:
                answers.append(answer)

    workers = [threading.Thread(target=run, args=(t,)) for t in range(threads)]
    for w in workers:
        w.start()
    return answers, workers


def wait_reserved_zero(shop: Shop, skus: list[str], timeout: float = 30.0) -> float:
    def drained():
        return all(shop.db.stock.find_one({"_id": s})["reserved"] == 0 for s in skus)
    _, waited = wait_for(drained, timeout=timeout, interval=0.2, what="reserved drained to 0")
    return waited


def test_sigkill_an_instance_while_it_takes_orders(spawn, mongo, capsys):
    database = f"kill_{uuid.uuid4().hex[:8]}"
    run_fill_products(mongo.url, 8, database=database, stock=100000)
    apps = [spawn.storefront(app_env(mongo.url, database), name=f"kill-{i}-{database}")
            for i in range(2)]
    shop = Shop(apps, mongo.url, database)
    skus = [f"sku-{i:05}" for i in range(8)]
    stop = threading.Event()
    answers, workers = load(shop, skus, stop)
    time.sleep(1.5)
    apps[0].send(signal.SIGKILL)
    apps[0].proc.wait()
    time.sleep(1.0)
    stop.set()
    for w in workers:
        w.join()
    killed_at = time.monotonic()
    restarted = spawn.track(Storefront(apps[0].log_path.parent,
                                       {**app_env(mongo.url, database), "PORT": str(apps[0].port)},
                                       name=f"kill-0b-{database}"))
    restarted.start(wait_ready=True)
    waited = wait_reserved_zero(shop, skus)
    assert time.monotonic() - killed_at < 30
    statuses = {a[0] for a in answers}
    assert 201 in statuses and statuses <= {201, 503, "error"}, statuses
    line = assert_audit_clean(mongo.url, database)
    with capsys.disabled():
        print(f"\nSIGKILL under load: {len(answers)} answers {sorted(map(str, statuses))}; "
              f"reserved 0 {waited:.1f} s after the restart; {line}")


def test_database_stopped_mid_load_answers_503_then_audit_passes(spawn, capsys):
    db = spawn.mongo(persistent=True)
    report = atomicity.probe(db.url)
    assert report.atomic, str(report)
    database = f"outage_{uuid.uuid4().hex[:8]}"
    run_fill_products(db.url, 8, database=database, stock=100000)
    apps = [spawn.storefront(app_env(db.url, database)) for _ in range(2)]
    shop = Shop(apps, db.url, database)
    skus = [f"sku-{i:05}" for i in range(8)]
    stop = threading.Event()
    answers, workers = load(shop, skus, stop)
    time.sleep(1.5)
    db.stop()
    time.sleep(3.0)
    stop.set()
    for w in workers:
        w.join()
    unavailable = [a for a in answers if a[0] == 503]
    assert unavailable, answers[-20:]
    assert all(retry and retry.isdigit() for _, retry in unavailable)
    assert {a[0] for a in answers} <= {201, 503}, {a[0] for a in answers}
    revived = spawn.track(db.restarted())
    revived.start()
    shop.db = pymongo.MongoClient(revived.url)[database]
    waited = wait_reserved_zero(shop, skus)
    # Clients retry after Retry-After: orders succeed again once the instances see
    # the database back (their health probe and the driver's server monitoring).
    wait_for(lambda: shop.order([(skus[0], 1)]).status_code == 201, timeout=20, interval=0.5,
             what="an order accepted after the restart")
    line = assert_audit_clean(revived.url, database)
    with capsys.disabled():
        print(f"\nstand-in stopped under load: {len(answers)} answers, {len(unavailable)} x 503 "
              f"with Retry-After; reserved 0 {waited:.1f} s after the restart; {line}")
