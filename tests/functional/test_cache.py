"""The Redis cache with real redis-server processes: hits, TTL, invalidation
across instances, single-flight, and the cache never causing a failure."""
import concurrent.futures
import signal
import time

import pytest
import requests

from servers import RedisCluster, RedisServer, metric_sample, run_fill


def metric(app, name, **labels):
    return metric_sample(requests.get(app.url("/metrics")).text, name, **labels)


@pytest.fixture
def cached(spawn, mongo, redis):
    return spawn.storefront({"MONGODB_URL": mongo.url,
                             "REDIS_URL": f"redis://127.0.0.1:{redis.port}"})


def get_users(app, collection):
    r = requests.get(app.url(f"/{collection}/users"), timeout=10)
    assert r.status_code == 200, r.text
    return r


def until_in_redis(redis, pattern, timeout=3.0):
    deadline = time.monotonic() + timeout
    while not redis.cli("--scan", "--pattern", pattern):
        assert time.monotonic() < deadline, f"no key {pattern} in Redis"
        time.sleep(0.02)


def until_hit(app, collection, timeout=3.0):
    """Entries are written to Redis in the background, right after the miss
    has been answered: the next calls hit as soon as that write landed (or,
    on the same instance, as soon as they join the finished load)."""
    deadline = time.monotonic() + timeout
    while True:
        r = get_users(app, collection)
        if r.headers["X-Cache"] == "HIT":
            return r
        assert time.monotonic() < deadline, f"no HIT for {collection}"
        time.sleep(0.02)


@pytest.mark.parametrize("async_reads", ["true", "false"])
def test_first_call_misses_second_hits(spawn, mongo, redis, collection, async_reads):
    # true: hits are read on the I/O thread; false: every lookup takes a worker.
    cached = spawn.storefront({"MONGODB_URL": mongo.url,
                               "REDIS_URL": f"redis://127.0.0.1:{redis.port}",
                               "CACHE_ASYNC_READS": async_reads})
    run_fill(mongo.url, collection, 30)
    hits = metric(cached, "storefront_cache_hits_total")
    first = get_users(cached, collection)
    assert first.headers["X-Cache"] == "MISS"
    second = until_hit(cached, collection)
    assert first.content == second.content
    assert len(second.json()["users"]) == 30
    assert metric(cached, "storefront_cache_hits_total") >= hits + 1
    info = requests.get(cached.url("/")).json()
    assert info["cache_enabled"] is True
    assert info["cache"]["mode"] == "standalone" and info["cache"]["breaker"] == "closed"


def test_ttl_is_respected(spawn, mongo, redis, collection):
    app = spawn.storefront({"MONGODB_URL": mongo.url, "CACHE_TTL_SECONDS": "1",
                            "REDIS_URL": f"redis://127.0.0.1:{redis.port}"})
    assert get_users(app, collection).headers["X-Cache"] == "MISS"
    until_hit(app, collection)
    ttl = int(redis.cli("ttl", f"storefront:v1:{{somedb.{collection}}}:users"))
    assert 0 < ttl <= 1
    time.sleep(1.5)
    assert get_users(app, collection).headers["X-Cache"] == "MISS"


def test_write_on_one_instance_is_seen_by_the_other(spawn, mongo, redis, collection):
    env = {"MONGODB_URL": mongo.url, "REDIS_URL": f"redis://127.0.0.1:{redis.port}"}
    a, b = spawn.storefront(env, name="cache-a"), spawn.storefront(env, name="cache-b")
    assert get_users(a, collection).json() == {"users": []}
    until_hit(a, collection)
    # A may answer HIT from its finished load before its background SET has
    # reached Redis; B can only share what Redis holds.
    until_in_redis(redis, f"*{{somedb.{collection}}}:users")
    assert get_users(b, collection).headers["X-Cache"] == "HIT"  # shared Redis
    created = requests.post(b.url(f"/{collection}/users"), json={"age": 5, "name": "new"})
    assert created.status_code == 201
    for app in (a, b):
        users = get_users(app, collection).json()["users"]
        assert users == [created.json()], "the write must be visible at once"


def test_concurrent_misses_make_one_query(cached, mongo, collection):
    run_fill(mongo.url, collection, 200)
    finds = metric(cached, "storefront_mongo_operation_duration_seconds_count", operation="find")
    with concurrent.futures.ThreadPoolExecutor(16) as pool:
        responses = list(pool.map(lambda _: get_users(cached, collection), range(16)))
    assert all(len(r.json()["users"]) == 200 for r in responses)
    after = metric(cached, "storefront_mongo_operation_duration_seconds_count", operation="find")
    assert after - finds == 1


def test_redis_down_serves_from_mongodb_and_breaker_opens(spawn, mongo, workdir, collection):
    redis = RedisServer(workdir)
    redis.start()
    app = spawn.storefront({"MONGODB_URL": mongo.url,
                            "REDIS_URL": f"redis://127.0.0.1:{redis.port}",
                            "CACHE_BREAKER_FAILURES": "3", "CACHE_BREAKER_COOLDOWN_MS": "1000"})
    try:
        until_hit(app, collection)
        redis.stop()
        for path in (f"/{collection}/users", f"/{collection}/count", "/", "/health/ready"):
            start = time.monotonic()
            r = requests.get(app.url(path), timeout=10)
            assert r.status_code == 200, (path, r.text)
            assert time.monotonic() - start < 1.0
        outcomes = [get_users(app, collection).headers["X-Cache"] for _ in range(6)]
        assert set(outcomes) == {"BYPASS"}
        info = requests.get(app.url("/")).json()
        assert info["cache_enabled"] is False and info["cache"]["breaker"] == "open"
        assert metric(app, "storefront_cache_breaker_state") == 2
        assert metric(app, "storefront_cache_bypass_total") >= 1
        assert requests.post(app.url(f"/{collection}/users"),
                             json={"age": 1, "name": "during-outage"}).status_code == 201
        # Redis comes back: after the cool-down the breaker probes and closes.
        redis = RedisServer(workdir, port=redis.port)
        redis.start()
        deadline = time.monotonic() + 10
        while get_users(app, collection).headers["X-Cache"] != "HIT":
            assert time.monotonic() < deadline, "cache never came back"
            time.sleep(0.2)
        assert requests.get(app.url("/")).json()["cache"]["breaker"] == "closed"
        names = [u["name"] for u in get_users(app, collection).json()["users"]]
        assert "during-outage" in names
    finally:
        redis.stop()


def test_paused_redis_costs_at_most_the_timeout(spawn, mongo, workdir, collection):
    redis = RedisServer(workdir)
    redis.start()
    app = spawn.storefront({"MONGODB_URL": mongo.url, "REDIS_TIMEOUT_MS": "50",
                            "REDIS_URL": f"redis://127.0.0.1:{redis.port}"})
    try:
        get_users(app, collection)
        redis.pause()
        for _ in range(8):
            start = time.monotonic()
            r = get_users(app, collection)
            assert r.headers["X-Cache"] in ("MISS", "BYPASS")
            assert time.monotonic() - start < 0.5
        assert requests.post(app.url(f"/{collection}/users"),
                             json={"age": 1, "name": "x"}).status_code == 201
        redis.resume()
    finally:
        redis.stop()


@pytest.fixture(scope="module")
def cluster(workdir):
    c = RedisCluster(workdir)
    c.start()
    yield c
    c.stop()


def test_cluster_spreads_keys_and_survives_a_master_kill(spawn, mongo, cluster):
    app = spawn.storefront({"MONGODB_URL": mongo.url, "REDIS_URL": cluster.url,
                            "CACHE_BREAKER_COOLDOWN_MS": "500"})
    collections = [f"cl{i}" for i in range(24)]
    for c in collections:
        until_hit(app, c)
    masters = cluster.masters()
    assert len(masters) == 3
    holding = [m for m in masters if int(m.cli("dbsize")) > 0]
    assert len(holding) >= 2, "keys must land on several masters"
    assert requests.get(app.url("/")).json()["cache"]["mode"] == "cluster"

    victim = max(holding, key=lambda m: int(m.cli("dbsize")))
    statuses, stop = [], time.monotonic() + 12
    with concurrent.futures.ThreadPoolExecutor(1) as pool:
        def load():
            while time.monotonic() < stop:
                for c in collections:
                    statuses.append(requests.get(app.url(f"/{c}/users"), timeout=10).status_code)
        running = pool.submit(load)
        time.sleep(1)
        victim.stop(signal.SIGKILL)
        running.result()
    assert statuses and set(statuses) == {200}, f"{len(statuses)} requests: {set(statuses)}"
    cluster.wait_ok()
    deadline = time.monotonic() + 15
    while True:
        outcomes = [get_users(app, c).headers["X-Cache"] for c in collections]
        if all(o == "HIT" for o in outcomes):
            break
        assert time.monotonic() < deadline, f"no HITs after failover: {outcomes}"
        time.sleep(0.3)


def test_l1_hits_are_invalidated_by_a_local_write(spawn, mongo, redis, collection):
    app = spawn.storefront({"MONGODB_URL": mongo.url, "CACHE_L1_SIZE": "16",
                            "REDIS_URL": f"redis://127.0.0.1:{redis.port}"})
    get_users(app, collection)
    until_hit(app, collection)
    redis.cli("flushall")  # from here on only L1 can answer HIT
    assert get_users(app, collection).headers["X-Cache"] == "HIT"
    requests.post(app.url(f"/{collection}/users"), json={"age": 1, "name": "l1"})
    r = get_users(app, collection)
    assert r.headers["X-Cache"] == "MISS"
    assert [u["name"] for u in r.json()["users"]] == ["l1"]
