"""Faults injected for real: a database stopped, restarted, hung or slow, and
SIGTERM while requests are in flight."""
import concurrent.futures
import signal
import time

import requests

from servers import metric_sample, run_fill

FAST_FAIL_ENV = {
    "MONGODB_SERVER_SELECTION_TIMEOUT_MS": "1000",
    "MONGODB_CONNECT_TIMEOUT_MS": "500",
    "MONGODB_SOCKET_TIMEOUT_MS": "1500",
    "STOREFRONT_REQUEST_TIMEOUT_MS": "2000",
}


def timed_get(url, timeout=10):
    start = time.monotonic()
    r = requests.get(url, timeout=timeout)
    return r, time.monotonic() - start


def assert_unavailable(r, elapsed, limit):
    assert r.status_code == 503, r.text
    assert r.headers.get("Retry-After", "").isdigit()
    assert r.json()["detail"]
    assert elapsed < limit, f"503 took {elapsed:.2f}s"


def test_database_stopped_then_restarted(spawn, workdir):
    db = spawn.mongo(persistent=True)
    run_fill(db.url, "helloDoc", 10)
    app = spawn.storefront({"MONGODB_URL": db.url, **FAST_FAIL_ENV})
    assert requests.get(app.url("/helloDoc/count")).json()["items_count"] == 10

    db.stop()
    r, elapsed = timed_get(app.url("/health/ready"))
    assert_unavailable(r, elapsed, 3.0)
    for path in ("/helloDoc/count", "/helloDoc/users", "/helloDoc/users/ly1", "/"):
        r, elapsed = timed_get(app.url(path))
        assert_unavailable(r, elapsed, 3.0)
    start = time.monotonic()
    r = requests.post(app.url("/helloDoc/users"), json={"age": 1, "name": "x"}, timeout=10)
    assert_unavailable(r, time.monotonic() - start, 4.0)
    assert requests.get(app.url("/health/live")).status_code == 200
    metrics = requests.get(app.url("/metrics")).text
    assert metric_sample(metrics, "storefront_mongo_server_selection_failures_total") >= 5
    assert metric_sample(metrics, "storefront_mongo_up") == 0

    # Same port, same data: the service recovers by itself.
    revived = spawn.track(db.restarted())
    revived.start()
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline:
        if requests.get(app.url("/health/ready")).status_code == 200:
            break
        time.sleep(0.2)
    assert requests.get(app.url("/health/ready")).status_code == 200
    assert requests.get(app.url("/helloDoc/count")).json()["items_count"] == 10
    assert app.alive()


def test_hung_database_answers_503_within_timeout(spawn, mongo):
    proxy = spawn.proxy(mongo.port)
    app = spawn.storefront({"MONGODB_URL": f"mongodb://127.0.0.1:{proxy.port}", **FAST_FAIL_ENV})
    assert requests.get(app.url("/health/ready")).status_code == 200
    proxy.set_mode("blackhole")
    with concurrent.futures.ThreadPoolExecutor(8) as pool:
        results = list(pool.map(lambda p: timed_get(app.url(p)),
                                ["/x/count", "/x/users", "/x/users/a", "/health/ready"] * 2))
    for r, elapsed in results:
        assert_unavailable(r, elapsed, 5.0)
    proxy.set_mode("pass")
    deadline = time.monotonic() + 15
    while requests.get(app.url("/health/ready")).status_code != 200:
        assert time.monotonic() < deadline, "no recovery after the proxy passes again"
        time.sleep(0.2)


def test_sigterm_drains_in_flight_request(spawn, mongo):
    run_fill(mongo.url, "drainDoc", 20)
    proxy = spawn.proxy(mongo.port)
    app = spawn.storefront({"MONGODB_URL": f"mongodb://127.0.0.1:{proxy.port}"})
    proxy.delay_s = 0.3  # every chunk towards and from the database waits
    with concurrent.futures.ThreadPoolExecutor(2) as pool:
        slow = pool.submit(requests.get, app.url("/drainDoc/count"), timeout=20)
        time.sleep(0.5)
        app.send(signal.SIGTERM)
        r = slow.result()
    assert r.status_code == 200, r.text
    assert r.json()["items_count"] == 20
    assert app.proc.wait(timeout=15) == 0
    assert "draining" in app.log()


def test_sigterm_fails_readiness_and_refuses_new_connections(spawn, mongo):
    proxy = spawn.proxy(mongo.port)
    app = spawn.storefront({"MONGODB_URL": f"mongodb://127.0.0.1:{proxy.port}",
                            "STOREFRONT_SHUTDOWN_GRACE_MS": "5000"})
    proxy.delay_s = 0.3
    with concurrent.futures.ThreadPoolExecutor(2) as pool:
        slow = pool.submit(requests.get, app.url("/x/count"), timeout=20)
        time.sleep(0.5)
        app.send(signal.SIGTERM)
        time.sleep(0.3)
        try:
            requests.get(app.url("/health/live"), timeout=2)
            refused = False
        except requests.ConnectionError:
            refused = True
        assert refused, "a draining instance must not accept new connections"
        assert slow.result().status_code == 200
    assert app.proc.wait(timeout=15) == 0


def test_stuck_handler_is_answered_by_the_transport_timeout(spawn, mongo):
    """Even when a driver call hangs past every timeout, the client gets a 503."""
    proxy = spawn.proxy(mongo.port)
    app = spawn.storefront({"MONGODB_URL": f"mongodb://127.0.0.1:{proxy.port}",
                            "MONGODB_SOCKET_TIMEOUT_MS": "20000",
                            "STOREFRONT_REQUEST_TIMEOUT_MS": "1000"})
    assert requests.get(app.url("/x/count")).status_code == 200
    proxy.set_mode("blackhole")
    r, elapsed = timed_get(app.url("/x/count"), timeout=30)
    assert_unavailable(r, elapsed, 4.0)
    assert requests.get(app.url("/health/live")).status_code == 200


def test_database_killed_mid_request_answers_503_never_500(spawn):
    """SIGKILL of the stand-in while requests wait on it: every answer is a
    503 with Retry-After (the driver sees a network error), none a 500."""
    db = spawn.mongo()
    run_fill(db.url, "helloDoc", 50)
    proxy = spawn.proxy(db.port)
    app = spawn.storefront({"MONGODB_URL": f"mongodb://127.0.0.1:{proxy.port}", **FAST_FAIL_ENV})
    assert requests.get(app.url("/helloDoc/count")).status_code == 200
    proxy.delay_s = 0.4  # requests are in flight when the server dies
    paths = ["/helloDoc/count", "/helloDoc/users", "/helloDoc/users/ly1", "/"] * 3
    with concurrent.futures.ThreadPoolExecutor(len(paths)) as pool:
        futures = [pool.submit(timed_get, app.url(p)) for p in paths]
        time.sleep(0.2)
        db.stop(signal.SIGKILL)
        results = [f.result() for f in futures]
    for r, elapsed in results:
        assert_unavailable(r, elapsed, 5.0)
