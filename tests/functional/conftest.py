"""Session-wide real servers: one FerretDB and one storefront for the whole
run; tests that break things start their own. Each test gets its own
collection name, so data never leaks between tests."""
from __future__ import annotations

import itertools
import uuid

import pytest

from servers import FerretDB, Storefront, TcpProxy, run_fill


@pytest.fixture(scope="session")
def workdir(tmp_path_factory):
    return tmp_path_factory.mktemp("functional")


@pytest.fixture(scope="session")
def ferretdb(workdir):
    server = FerretDB(workdir)
    server.start()
    yield server
    server.stop()


@pytest.fixture(scope="session")
def hello_doc(ferretdb):
    """somedb.helloDoc with the 1000 documents of the original mongo-init.sh."""
    run_fill(ferretdb.url, "helloDoc", 1000)
    return "helloDoc"


SANITIZER_MARKERS = ("ERROR: AddressSanitizer", "WARNING: ThreadSanitizer", "runtime error:",
                     "ERROR: LeakSanitizer")


def assert_no_sanitizer_report(app):
    log = app.log()
    for marker in SANITIZER_MARKERS:
        assert marker not in log, f"{app.log_path}: {marker}\n{log[log.index(marker) - 200:][:4000]}"


@pytest.fixture(scope="session")
def storefront(workdir, ferretdb):
    app = Storefront(workdir, {"MONGODB_URL": ferretdb.url})
    app.start(wait_ready=True)
    yield app
    code = app.stop()
    assert_no_sanitizer_report(app)
    assert code == 0, f"storefront exited with {code}:\n{app.log()[-3000:]}"


_counter = itertools.count()


@pytest.fixture
def collection():
    """A fresh collection name for this test."""
    return f"t{next(_counter)}_{uuid.uuid4().hex[:8]}"


@pytest.fixture
def spawn(workdir):
    """Starts extra storefront / FerretDB / proxy instances, stopped after the test."""
    started = []

    class Spawner:
        def storefront(self, env: dict, wait_ready: bool = True, name: str | None = None):
            app = Storefront(workdir, env, name or f"storefront-{uuid.uuid4().hex[:6]}")
            started.append(app)
            app.start(wait_ready=wait_ready)
            return app

        def ferretdb(self):
            server = FerretDB(workdir / f"ferretdb-{uuid.uuid4().hex[:6]}")
            started.append(server)
            server.start()
            return server

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
