"""/metrics: the exposition format lints clean, counters move, and a real
Prometheus scraping storefront evaluates every PromQL expression of the
storefront alert rules and dashboards."""
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest
import requests
import yaml

from servers import REPO, Process, free_port, metric_sample as sample, wait_port

sys.path.insert(0, str(REPO / "tests" / "deploy"))
import promql_exprs  # noqa: E402


def scrape(app) -> str:
    r = requests.get(app.url("/metrics"))
    assert r.status_code == 200
    assert r.headers["Content-Type"] == "text/plain; version=0.0.4"
    return r.text




def test_metrics_pass_promtool_lint(storefront):
    requests.get(storefront.url("/health/ready"))
    text = scrape(storefront)
    promtool = shutil.which("promtool")
    assert promtool, "promtool comes with the prometheus package (scripts/bootstrap)"
    r = subprocess.run([promtool, "check", "metrics"], input=text, capture_output=True,
                       text=True)
    assert r.returncode == 0, r.stdout + r.stderr


def test_request_counters_and_histograms_move(storefront, hello_doc):
    before = scrape(storefront)
    for _ in range(3):
        requests.get(storefront.url("/helloDoc/count"))
    requests.get(storefront.url("/nope/x/y/z"))
    after = scrape(storefront)
    key = dict(method="GET", route="/{collection}/count", status="200")
    assert sample(after, "http_server_requests_total", **key) - \
        sample(before, "http_server_requests_total", **key) == 3
    route = {"route": "/{collection}/count"}
    assert sample(after, "http_server_request_duration_seconds_count", **route) >= 3
    assert sample(after, "http_server_requests_total", method="GET", route="unmatched",
                  status="404") >= 1
    assert sample(after, "storefront_mongo_operation_duration_seconds_count",
                  operation="count") > sample(before,
                                              "storefront_mongo_operation_duration_seconds_count",
                                              operation="count")
    assert sample(after, "storefront_mongo_up") == 1
    assert sample(after, "process_resident_memory_bytes") > 1e6
    assert sample(after, "process_open_fds") > 3
    assert 'storefront_build_info{version="' in after
    # The raw path never becomes a label value.
    assert "/nope/x/y/z" not in after


@pytest.fixture
def cached_app(spawn, mongo, workdir):
    """A storefront with a Redis cache, so the cache panels have data too."""
    from servers import RedisServer
    redis = RedisServer(workdir)
    redis.start()
    yield spawn.storefront({"MONGODB_URL": mongo.url,
                            "REDIS_URL": f"redis://127.0.0.1:{redis.port}"})
    redis.stop()


@pytest.fixture
def prometheus(tmp_path, cached_app):
    storefront = cached_app
    binary = shutil.which("prometheus")
    assert binary, "prometheus comes from scripts/bootstrap"
    port = free_port()
    config = {
        "global": {"scrape_interval": "1s", "evaluation_interval": "1s",
                   "external_labels": {"cluster": "storefront"}},
        "rule_files": [str(p) for p in sorted((REPO / "deploy/prometheus/rules").glob("*.yml"))],
        "scrape_configs": [{"job_name": "storefront",
                            "static_configs": [{"targets": [f"127.0.0.1:{storefront.port}"]}]}],
    }
    cfg = tmp_path / "prometheus.yml"
    cfg.write_text(yaml.safe_dump(config))
    proc = Process([binary, f"--config.file={cfg}", f"--storage.tsdb.path={tmp_path / 'tsdb'}",
                    f"--web.listen-address=127.0.0.1:{port}", "--log.level=warn"],
                   tmp_path / "prometheus.log")
    proc.start()
    wait_port(port, 20)
    yield f"http://127.0.0.1:{port}"
    proc.stop()


def query(prom: str, expr: str) -> dict:
    return requests.get(f"{prom}/api/v1/query", params={"query": expr}, timeout=10).json()


def test_prometheus_evaluates_every_expression(prometheus, cached_app, hello_doc):
    storefront = cached_app
    # Traffic on every route the dashboards break down, for several scrapes.
    deadline = time.monotonic() + 8
    while time.monotonic() < deadline:
        for path in ("/", "/helloDoc/users", "/helloDoc/count", "/helloDoc/users/ly1",
                     "/health/ready", "/nope"):
            requests.get(storefront.url(path))
        time.sleep(0.2)
    up = query(prometheus, 'up{job="storefront"}')
    assert up["data"]["result"] and up["data"]["result"][0]["value"][1] == "1"

    bad = [(src, expr, r.get("error")) for src, expr in promql_exprs.all_exprs()
           if (r := query(prometheus, expr))["status"] != "success"]
    assert not bad, bad

    empty = [(src, expr) for src, expr in promql_exprs.storefront_exprs()
             if not promql_exprs.is_alert(src) and not query(prometheus, expr)["data"]["result"]]
    assert not empty, "\n".join(f"{s}: {e}" for s, e in empty)
