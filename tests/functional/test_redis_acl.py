"""Redis with passwords, as compose.yaml and the local stack run it: the ACL
users of deploy/redis/acl.sh (default off, admin, storefront, exporter) on real
redis-server processes, standalone and as a cluster. The right credentials in
REDIS_URL: the cache works; a wrong password: every request is still answered
(the cache never causes a failure) and the failure is named in the log and
counted in the metrics."""
import shutil
import subprocess
import time

import pytest
import requests

from servers import (RedisCluster, RedisServer, free_port, metric_sample, redis_acl_passwords,
                     run_fill, wait_port)
from test_cache import get_users, until_hit


def cache_errors(app) -> float:
    return metric_sample(requests.get(app.url("/metrics"), timeout=5).text, "storefront_cache_errors_total")


def wait_log(app, text: str, timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while text not in app.log():
        assert time.monotonic() < deadline, f"{text!r} not in {app.log_path}:\n{app.log()[-2000:]}"
        time.sleep(0.1)


def assert_misses_with_auth_error(app, collection, error: str) -> None:
    """Answered from MongoDB all the same (X-Cache: BYPASS), every failure
    counted, the log names Redis' refusal (at debug level) and the breaker
    opens: readiness and GET / say the cache is down."""
    before = cache_errors(app)
    for _ in range(6):
        r = get_users(app, collection)
        assert r.headers["X-Cache"] == "BYPASS"
    assert cache_errors(app) >= before + 5
    wait_log(app, error)
    assert requests.get(app.url("/health/ready"), timeout=5).json()["cache"] == "down"
    assert requests.get(app.url("/"), timeout=10).json()["cache"]["breaker"] == "open"
    wait_log(app, "circuit breaker open")


@pytest.fixture(scope="module")
def acl():
    return redis_acl_passwords()


@pytest.fixture(scope="module")
def redis_acl(workdir, acl):
    server = RedisServer(workdir, acl=acl)
    server.start()
    yield server
    server.stop()


@pytest.fixture(scope="module")
def cluster_acl(workdir, acl):
    c = RedisCluster(workdir / "acl", acl=acl)
    c.start()
    yield c
    c.stop()


def url_with(user: str, password: str, nodes: str, scheme: str = "redis") -> str:
    return f"{scheme}://{user}:{password}@{nodes}"


def test_default_user_is_off_and_storefront_user_is_least_privilege(redis_acl, acl):
    plain = subprocess.run(["redis-cli", "-p", str(redis_acl.port), "get", "k"],
                           capture_output=True, text=True, timeout=10)
    assert "NOAUTH" in plain.stdout + plain.stderr
    as_sf = ["redis-cli", "--user", "storefront", "-p", str(redis_acl.port)]
    env = {"REDISCLI_AUTH": acl["REDIS_STOREFRONT_PASSWORD"], "PATH": "/usr/bin:/bin"}
    assert subprocess.run([*as_sf, "set", "k", "v"], capture_output=True, text=True, env=env).stdout.strip() == "OK"
    for cmd in (["flushall"], ["config", "set", "maxmemory", "1"], ["keys", "*"], ["acl", "list"]):
        out = subprocess.run([*as_sf, *cmd], capture_output=True, text=True, env=env).stdout
        assert "NOPERM" in out, (cmd, out)


def test_standalone_right_password_caches(spawn, mongo, redis_acl, acl, collection):
    app = spawn.storefront({"MONGODB_URL": mongo.url, "REDIS_URL": url_with(
        "storefront", acl["REDIS_STOREFRONT_PASSWORD"], f"127.0.0.1:{redis_acl.port}")})
    run_fill(mongo.url, collection, 5)
    assert get_users(app, collection).headers["X-Cache"] == "MISS"
    until_hit(app, collection)
    assert redis_acl.cli("--scan", "--pattern", f"*{collection}*"), "the entry is in Redis"
    assert "WRONGPASS" not in app.log() and "NOAUTH" not in app.log()


@pytest.mark.parametrize("user, error", [("storefront", "WRONGPASS"), ("nobody", "WRONGPASS")])
def test_standalone_wrong_credentials_fail_clearly(spawn, mongo, redis_acl, collection, user, error):
    app = spawn.storefront({"MONGODB_URL": mongo.url, "LOG_LEVEL": "debug", "REDIS_URL": url_with(
        user, "not-the-password-0", f"127.0.0.1:{redis_acl.port}")})
    run_fill(mongo.url, collection, 5)
    assert_misses_with_auth_error(app, collection, error)


def test_standalone_without_credentials_fails_clearly(spawn, mongo, redis_acl, collection):
    app = spawn.storefront({"MONGODB_URL": mongo.url, "LOG_LEVEL": "debug",
                            "REDIS_URL": f"redis://127.0.0.1:{redis_acl.port}"})
    run_fill(mongo.url, collection, 5)
    # NOAUTH is an error reply to each command, not a failed connection set-up;
    # it counts as a failure all the same, so the breaker opens and requests
    # stop paying a round trip to Redis for the refusal.
    assert_misses_with_auth_error(app, collection, "NOAUTH")


def cluster_nodes(c) -> str:
    return ",".join(f"127.0.0.1:{n.port}" for n in c.nodes[:3])


def test_cluster_right_password_caches(spawn, mongo, cluster_acl, acl, collection):
    app = spawn.storefront({"MONGODB_URL": mongo.url, "REDIS_URL": url_with(
        "storefront", acl["REDIS_STOREFRONT_PASSWORD"], cluster_nodes(cluster_acl), "redis-cluster")})
    run_fill(mongo.url, collection, 5)
    assert requests.get(app.url("/"), timeout=10).json()["cache"]["mode"] == "cluster"
    assert get_users(app, collection).headers["X-Cache"] == "MISS"
    until_hit(app, collection)
    assert any(n.cli("--scan", "--pattern", f"*{collection}*") for n in cluster_acl.masters())
    assert "WRONGPASS" not in app.log() and "NOPERM" not in app.log()


def test_cluster_wrong_password_fails_clearly(spawn, mongo, cluster_acl, collection):
    app = spawn.storefront({"MONGODB_URL": mongo.url, "LOG_LEVEL": "debug", "REDIS_URL": url_with(
        "storefront", "not-the-password-0", cluster_nodes(cluster_acl), "redis-cluster")})
    run_fill(mongo.url, collection, 5)
    assert_misses_with_auth_error(app, collection, "WRONGPASS")


def test_exporter_user_can_scrape_and_a_wrong_password_cannot(spawn, redis_acl, acl):
    exporter = shutil.which("prometheus-redis-exporter")
    if exporter is None:
        pytest.fail("prometheus-redis-exporter not installed (scripts/bootstrap installs it)")
    from servers import Process
    results = {}
    for label, password in (("right", acl["REDIS_EXPORTER_PASSWORD"]), ("wrong", "not-the-password-0")):
        port = free_port()
        p = spawn.track(Process([exporter, "-web.listen-address", f"127.0.0.1:{port}",
                                 "-redis.addr", f"redis://127.0.0.1:{redis_acl.port}"],
                                redis_acl.dir / f"exporter-{label}.log",
                                env={"PATH": "/usr/bin:/bin", "REDIS_USER": "exporter", "REDIS_PASSWORD": password}))
        p.start()
        wait_port(port)
        text = requests.get(f"http://127.0.0.1:{port}/metrics", timeout=10).text
        results[label] = (metric_sample(text, "redis_up"), "redis_connected_clients" in text)
    assert results["right"] == (1.0, True), results
    assert results["wrong"][0] == 0.0, results
