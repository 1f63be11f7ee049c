"""Session-wide real servers: one MongoDB stand-in and one storefront for the
whole run; tests that break things start their own. Each test gets its own
collection name, so data never leaks between tests. Before any test runs, the
stand-in must pass the atomicity self-check (atomicity.py)."""
from __future__ import annotations

import itertools
import os
import urllib.parse
import uuid

import pytest

import atomicity
from servers import MongoStandin, RedisServer, Storefront, TcpProxy, run_fill


@pytest.fixture(scope="session")
def workdir(tmp_path_factory):
    return tmp_path_factory.mktemp("functional")


class ExternalMongo:
    """A MongoDB the suite does not own (STOREFRONT_TEST_MONGODB_URL): one
    loopback host:port, no credentials."""

    def __init__(self, url: str):
        parsed = urllib.parse.urlsplit(url)
        self.url = url
        self.port = parsed.port or 27017

    def stop(self) -> None:
        pass


@pytest.fixture(scope="session")
def mongo(workdir):
    """The session's MongoDB: a stand-in of its own, or the server named by
    STOREFRONT_TEST_MONGODB_URL (say, a real mongod). Either must pass the
    atomicity self-check first."""
    external = os.environ.get("STOREFRONT_TEST_MONGODB_URL")
    server = ExternalMongo(external) if external else MongoStandin(workdir / "mongo")
    if not external:
        server.start()
    report = atomicity.probe(server.url)
    if not report.atomic:
        server.stop()
        pytest.exit(atomicity.refusal(server.url, report), returncode=3)
    yield server
    server.stop()


@pytest.fixture(scope="session")
def hello_doc(mongo):
    """somedb.helloDoc with the 1000 documents of the original mongo-init.sh."""
    run_fill(mongo.url, "helloDoc", 1000)
    return "helloDoc"


SANITIZER_MARKERS = ("ERROR: AddressSanitizer", "WARNING: ThreadSanitizer", "runtime error:",
                     "ERROR: LeakSanitizer")


def assert_no_sanitizer_report(app):
    log = app.log()
    for marker in SANITIZER_MARKERS:
        assert marker not in log, f"{app.log_path}: {marker}\n{log[log.index(marker) - 200:][:4000]}"


@pytest.fixture(scope="session")
def storefront(workdir, mongo):
    app = Storefront(workdir, {"MONGODB_URL": mongo.url})
    app.start(wait_ready=True)
    yield app
    code = app.stop()
    assert_no_sanitizer_report(app)
    assert code == 0, f"storefront exited with {code}:\n{app.log()[-3000:]}"


@pytest.fixture(scope="module")
def redis(workdir):
    """A standalone redis-server for the tests of one module."""
    server = RedisServer(workdir)
    server.start()
    yield server
    server.stop()


_counter = itertools.count()


@pytest.fixture
def collection():
    """A fresh collection name for this test."""
    return f"t{next(_counter)}_{uuid.uuid4().hex[:8]}"


@pytest.fixture
def spawn(workdir):
    """Starts extra storefront / stand-in / proxy instances, stopped after the test."""
    started = []

    class Spawner:
        def storefront(self, env: dict, wait_ready: bool = True, name: str | None = None):
            app = Storefront(workdir, env, name or f"storefront-{uuid.uuid4().hex[:6]}")
            started.append(app)
            app.start(wait_ready=wait_ready)
            return app

        def mongo(self, persistent: bool = False):
            """A stand-in of its own; `persistent` keeps its data on disk (H2), so a
            restart on the same port finds it again."""
            home = workdir / f"mongo-{uuid.uuid4().hex[:6]}"
            server = MongoStandin(home, data_dir=home / "data" if persistent else None)
            started.append(server)
            server.start()
            return server

        def track(self, thing):
            """Stops `thing` after the test too."""
            started.append(thing)
            return thing

        def proxy(self, target_port: int):
            proxy = TcpProxy(target_port)
            started.append(proxy)
            return proxy

    yield Spawner()
    for thing in reversed(started):
        if isinstance(thing, TcpProxy):
            thing.close()
        else:
            thing.stop()
    for thing in started:
        if isinstance(thing, Storefront):
            assert_no_sanitizer_report(thing)
