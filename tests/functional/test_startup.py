"""Start-up: configuration errors are clear and exit with code 2; the
effective configuration is printed once with secrets masked."""
import os
import subprocess

import pytest

from servers import BUILD_DIR, Storefront


def run(env, *args):
    return subprocess.run([str(BUILD_DIR / "storefront"), *args], capture_output=True, text=True,
                          timeout=30, env={"PATH": os.environ.get("PATH", ""), **env})


@pytest.mark.parametrize("env,name", [
    ({"PORT": "http"}, "PORT"),
    ({"PORT": "70000"}, "PORT"),
    ({"MONGODB_URL": "postgres://x"}, "MONGODB_URL"),
    ({"STOREFRONT_WORKER_THREADS": "0"}, "STOREFRONT_WORKER_THREADS"),
    ({"STOREFRONT_REQUEST_TIMEOUT_MS": "-5"}, "STOREFRONT_REQUEST_TIMEOUT_MS"),
    ({"LOG_LEVEL": "chatty"}, "LOG_LEVEL"),
    ({"STOREFRONT_ACCESS_LOG": "maybe"}, "STOREFRONT_ACCESS_LOG"),
])
def test_invalid_setting_exits_2_naming_the_variable(env, name):
    r = run(env)
    assert r.returncode == 2, r.stderr
    assert name in r.stderr


def test_unknown_flag_exits_2():
    r = run({}, "--no-such-thing=1")
    assert r.returncode == 2 and "no-such-thing" in r.stderr


def test_help_lists_every_variable():
    r = run({}, "--help")
    assert r.returncode == 0
    for name in ("MONGODB_URL", "MONGODB_DATABASE_NAME", "REDIS_URL", "PORT"):
        assert name in r.stdout


def test_fill_rejects_bad_arguments():
    assert run({}, "fill", "--count", "lots").returncode == 2
    assert run({}, "fill", "--collection", "system.x").returncode == 2


def test_configuration_is_printed_with_secrets_masked(spawn, mongo, tmp_path):
    url = f"mongodb://admin:s3cr3t@127.0.0.1:{mongo.port}/?authSource=admin"
    app = Storefront(tmp_path, {"MONGODB_URL": url, "REDIS_URL": "redis://:hunter2@127.0.0.1:1",
                                "CONSUL_HTTP_TOKEN": "tok-123"})
    app.start()
    try:
        log = app.log()
        assert "MONGODB_URL" in log and "admin:****@127.0.0.1" in log
        assert "s3cr3t" not in log and "hunter2" not in log and "tok-123" not in log
        assert log.count("starting with") == 1
    finally:
        app.stop()
