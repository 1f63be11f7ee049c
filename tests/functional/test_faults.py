"""Faults injected for real: a database stopped, restarted, hung or slow, and
SIGTERM while requests are in flight."""
import concurrent.futures
import http.client
import json
import signal
import time

import requests

from servers import FAST_FAIL_ENV, metric_sample, run_fill



def timed_get(url, timeout=10):
    start = time.monotonic()
    r = requests.get(url, timeout=timeout)
    return r, time.monotonic() - start


def assert_unavailable(r, elapsed, limit):
    assert r.status_code == 503, r.text
    assert r.headers.get("Retry-After", "").isdigit()
    assert r.json()["detail"]
    assert elapsed < limit, f"503 took {elapsed:.2f}s"


def assert_ready_fast(app):
    """Readiness is "this instance can serve", answered from state: 200 at
    once whatever the database does."""
    r, elapsed = timed_get(app.url("/health/ready"))
    assert r.status_code == 200, r.text
    assert elapsed < 0.5, f"readiness took {elapsed:.2f}s"
    return r.json()


def wait_mongo_state(app, state, timeout=15.0):
    """Until the health probe reports `state` in the readiness body."""
    deadline = time.monotonic() + timeout
    while True:
        body = assert_ready_fast(app)
        if body["mongo"] == state:
            return body
        assert time.monotonic() < deadline, f"readiness never reported mongo {state}: {body}"
        time.sleep(0.1)


def test_database_stopped_then_restarted(spawn, workdir):
    db = spawn.mongo(persistent=True)
    run_fill(db.url, "helloDoc", 10)
    app = spawn.storefront({"MONGODB_URL": db.url, **FAST_FAIL_ENV})
    assert requests.get(app.url("/helloDoc/count")).json()["items_count"] == 10

    assert wait_mongo_state(app, "up")["cache"] == "disabled"
    db.stop()
    assert assert_ready_fast(app)["status"] == "OK"
    for path in ("/helloDoc/count", "/helloDoc/users", "/helloDoc/users/ly1", "/"):
        r, elapsed = timed_get(app.url(path))
        assert_unavailable(r, elapsed, 3.0)
    start = time.monotonic()
    r = requests.post(app.url("/helloDoc/users"), json={"age": 1, "name": "x"}, timeout=10)
    assert_unavailable(r, time.monotonic() - start, 4.0)
    assert requests.get(app.url("/health/live")).status_code == 200
    metrics = requests.get(app.url("/metrics")).text
    assert metric_sample(metrics, "storefront_mongo_server_selection_failures_total") >= 5
    wait_mongo_state(app, "down")
    metrics = requests.get(app.url("/metrics")).text
    assert metric_sample(metrics, "storefront_mongo_up") == 0
    assert metric_sample(metrics, "storefront_dependency_up", dependency="mongo") == 0

    # Same port, same data: the service recovers by itself.
    revived = spawn.track(db.restarted())
    revived.start()
    wait_mongo_state(app, "up")
    metrics = requests.get(app.url("/metrics")).text
    assert metric_sample(metrics, "storefront_dependency_up", dependency="mongo") == 1
    assert requests.get(app.url("/helloDoc/count")).json()["items_count"] == 10
    assert app.alive()


def test_hung_database_answers_503_within_timeout(spawn, mongo):
    proxy = spawn.proxy(mongo.port)
    app = spawn.storefront({"MONGODB_URL": f"mongodb://127.0.0.1:{proxy.port}", **FAST_FAIL_ENV})
    wait_mongo_state(app, "up")
    proxy.set_mode("blackhole")
    with concurrent.futures.ThreadPoolExecutor(8) as pool:
        results = list(pool.map(lambda p: timed_get(app.url(p)),
                                ["/x/count", "/x/users", "/x/users/a"] * 2))
        # Workers are busy waiting on the database: readiness does not need one.
        assert_ready_fast(app)
    for r, elapsed in results:
        assert_unavailable(r, elapsed, 5.0)
    wait_mongo_state(app, "down")
    proxy.set_mode("pass")
    wait_mongo_state(app, "up")
    assert requests.get(app.url("/x/count")).status_code == 200


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


def test_drain_delay_serves_idle_keep_alive_connections_then_exits(spawn, mongo):
    """STOREFRONT_DRAIN_DELAY_MS: after SIGTERM the instance fails readiness but
    keeps serving, also on a keep-alive connection that sat idle (a gateway's
    pool), answering `Connection: close`; new connections are still accepted.
    Without it the idle connection is closed at once, and a POST the gateway
    was sending on it is lost (it cannot be retried)."""
    app = spawn.storefront({"MONGODB_URL": mongo.url, "STOREFRONT_DRAIN_DELAY_MS": "1500"})
    conn = http.client.HTTPConnection("127.0.0.1", app.port, timeout=5)
    conn.request("GET", "/health/live")
    assert conn.getresponse().read() is not None  # now idle, kept alive
    start = time.monotonic()
    app.send(signal.SIGTERM)
    time.sleep(0.5)
    conn.request("POST", "/drainDelayDoc/users", body=json.dumps({"name": "late", "age": 1}),
                 headers={"Content-Type": "application/json"})
    res = conn.getresponse()
    assert res.status == 201, res.read()
    assert res.getheader("Connection", "").lower() == "close"
    res.read()
    assert requests.get(app.url("/health/ready"), timeout=2).status_code == 503
    assert requests.get(app.url("/drainDelayDoc/count"), timeout=2).json()["items_count"] == 1
    assert app.proc.wait(timeout=15) == 0
    assert time.monotonic() - start >= 1.4, "exited before the drain delay was over"


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
