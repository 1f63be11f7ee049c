"""The logic of deploy/helm/storefront (issue 15): scaling bounds, disruption budget, grace
periods against the application's configuration, probes on the real paths, every setting of
src/app/config.cpp in the values and in docs/kubernetes.md, the same request-rate query for
prometheus-adapter and KEDA, and the gateway limits of deploy/apisix.

    .cache/venv/bin/python -m pytest tests/deploy -q -k helm
"""

from __future__ import annotations

import math
import os
import re
import signal
import socket
import subprocess
import time
from pathlib import Path

import pytest
import yaml

import helm_chart as hc

REPO = hc.REPO
VALUES = yaml.safe_load((hc.CHART / "values.yaml").read_text())
SALE = yaml.safe_load(hc.SALE_DAY_VALUES.read_text())
CONFIG_CPP = REPO / "src" / "app" / "config.cpp"
KUBERNETES_MD = REPO / "docs" / "kubernetes.md"
SECRET_VARS = {"MONGODB_URL", "REDIS_URL", "CONSUL_HTTP_TOKEN", "STOREFRONT_ADMIN_TOKEN",
               "STOREFRONT_WRITE_TOKEN"}

# (id, values files, --set) of the variants whose logic is checked
CASES = [
    ("default", (), ()),
    ("sale-day", (hc.SALE_DAY_VALUES,), ()),
    ("hpa-prescale", (), hc.PRESCALE),
]
IDS = [c[0] for c in CASES]


def merged(*layers: dict) -> dict:
    out: dict = {}
    for layer in layers:
        for k, v in layer.items():
            out[k] = merged(out[k], v) if isinstance(v, dict) and isinstance(out.get(k), dict) else v
    return out


def values_of(files) -> dict:
    return merged(VALUES, *(yaml.safe_load(Path(f).read_text()) for f in files))


def config_variables() -> list[str]:
    """Every environment variable storefront reads, from its option table."""
    names = re.findall(r'\{"([A-Z][A-Z0-9_]+)",\s*"[a-z0-9-]+",', CONFIG_CPP.read_text())
    assert len(names) >= 30, f"option table of {CONFIG_CPP} not found"
    return names


def pod_spec(objects) -> dict:
    return hc.one(objects, "Deployment")["spec"]["template"]["spec"]


def env_of(objects) -> dict[str, dict]:
    return {e["name"]: e for e in pod_spec(objects)["containers"][0]["env"]}


def env_int(objects, name: str) -> int:
    return int(env_of(objects)[name]["value"])


# ------------------------------------------------------------------ scaling bounds

@pytest.mark.parametrize("_,files,sets", CASES, ids=IDS)
def test_helm_autoscaler_min_not_above_max(_, files, sets):
    objects = hc.render(files, sets)
    hpas = hc.by_kind(objects, "HorizontalPodAutoscaler")
    sos = hc.by_kind(objects, "ScaledObject")
    assert len(hpas) + len(sos) == 1, "exactly one autoscaler (HPA or KEDA, never both)"
    if hpas:
        lo, hi = hpas[0]["spec"]["minReplicas"], hpas[0]["spec"]["maxReplicas"]
    else:
        lo, hi = sos[0]["spec"]["minReplicaCount"], sos[0]["spec"]["maxReplicaCount"]
    assert 2 <= lo <= hi, (lo, hi)
    assert "replicas" not in hc.one(objects, "Deployment")["spec"], \
        "an autoscaled Deployment must not pin replicas (every upgrade would reset the scale)"


@pytest.mark.parametrize("mode", ["hpa", "keda"])
def test_helm_min_above_max_fails_the_render(mode):
    with pytest.raises(hc.RenderError, match="minReplicas 9 is above maxReplicas 3"):
        hc.render((), (f"autoscaling.mode={mode}", "autoscaling.minReplicas=9",
                       "autoscaling.maxReplicas=3"))


def test_helm_prescale_floor_not_above_max():
    with pytest.raises(hc.RenderError, match="preScale.minReplicas 20 is above"):
        hc.render((), hc.PRESCALE + ("preScale.minReplicas=20",))


@pytest.mark.parametrize("_,files,sets", CASES, ids=IDS)
def test_helm_behavior_scales_up_fast_and_down_slowly(_, files, sets):
    objects = hc.render(files, sets)
    hpa = hc.by_kind(objects, "HorizontalPodAutoscaler")
    behavior = (hpa[0]["spec"]["behavior"] if hpa else hc.one(objects, "ScaledObject")["spec"]
                ["advanced"]["horizontalPodAutoscalerConfig"]["behavior"])
    up, down = behavior["scaleUp"], behavior["scaleDown"]
    assert up["stabilizationWindowSeconds"] == 0 and up["selectPolicy"] == "Max"
    assert down["stabilizationWindowSeconds"] >= 300 and down["selectPolicy"] == "Min"
    # Up: at least doubling every 15 s; down: at most one pod (or 10 %) a minute.
    assert any(p["type"] == "Percent" and p["value"] >= 100 and p["periodSeconds"] <= 15
               for p in up["policies"])
    assert all(p["periodSeconds"] >= 60 for p in down["policies"])
    assert any(p["type"] == "Pods" and p["value"] == 1 for p in down["policies"])


@pytest.mark.parametrize("_,files,sets", CASES, ids=IDS)
def test_helm_scales_on_cpu_and_the_request_rate(_, files, sets):
    objects = hc.render(files, sets)
    hpa = hc.by_kind(objects, "HorizontalPodAutoscaler")
    if hpa:
        metrics = hpa[0]["spec"]["metrics"]
        assert {m["type"] for m in metrics} == {"Resource", "Pods"}
        pods = next(m for m in metrics if m["type"] == "Pods")["pods"]
        assert pods["metric"]["name"] == VALUES["autoscaling"]["requestRate"]["metricName"]
    else:
        triggers = hc.one(objects, "ScaledObject")["spec"]["triggers"]
        assert {"cpu", "prometheus"} <= {t["type"] for t in triggers}


# ------------------------------------------------------------------ one query, two consumers

def adapter_rule(objects) -> dict:
    cm = hc.one(objects, "ConfigMap")
    (rule,) = yaml.safe_load(cm["data"]["config.yaml"])["rules"]
    return rule


def test_helm_adapter_rule_serves_the_hpa_metric():
    objects = hc.render((), ("prometheusAdapter.configMap.enabled=true",))
    rule = adapter_rule(objects)
    hpa = hc.one(objects, "HorizontalPodAutoscaler")
    pods = next(m for m in hpa["spec"]["metrics"] if m["type"] == "Pods")["pods"]
    assert rule["name"]["as"] == pods["metric"]["name"]
    series = VALUES["autoscaling"]["requestRate"]["seriesName"]
    assert re.fullmatch(rule["name"]["matches"], series)
    assert rule["seriesQuery"].startswith(series + "{")
    assert set(rule["resources"]["overrides"]) == {"namespace", "pod"}


def test_helm_keda_and_adapter_use_the_same_query():
    """The KEDA query is the adapter's per-pod query with the pod grouping replaced by this
    release's Service: same series, same route filter, same window."""
    adapter = adapter_rule(hc.render((), ("prometheusAdapter.configMap.enabled=true",)))
    keda = hc.render((hc.SALE_DAY_VALUES,), ())
    trigger = next(t for t in hc.one(keda, "ScaledObject")["spec"]["triggers"]
                   if t["type"] == "prometheus")
    series = VALUES["autoscaling"]["requestRate"]["seriesName"]
    from_adapter = (adapter["metricsQuery"]
                    .replace("<<.Series>>", series)
                    .replace("<<.LabelMatchers>>", f'namespace="{hc.NAMESPACE}",service="{hc.RELEASE}"')
                    .replace(" by (<<.GroupBy>>)", ""))
    assert trigger["metadata"]["query"] == from_adapter
    assert trigger["metricType"] == "AverageValue"
    assert trigger["metadata"]["threshold"] == SALE["autoscaling"]["requestRate"]["targetAverageValue"]


def test_helm_request_rate_reads_an_exported_metric_and_real_routes():
    metrics_md = (REPO / "docs" / "metrics.md").read_text()
    series = VALUES["autoscaling"]["requestRate"]["seriesName"]
    assert f"`{series}`" in metrics_md, f"{series} is not a metric storefront exports"
    router = (REPO / "src" / "api" / "route_table.cpp").read_text()
    for route in VALUES["autoscaling"]["requestRate"]["excludeRoutes"].split("|"):
        assert f'"{route}"' in router, f"{route} is not a route label of src/api/route_table.cpp"


# ------------------------------------------------------------------ pre-scale

def test_helm_prescale_without_a_kubectl_image_fails_the_render():
    with pytest.raises(hc.RenderError, match="an image with kubectl"):
        hc.render((), ("preScale.enabled=true",))


def test_helm_prescale_cronjobs_raise_and_restore_the_floor():
    objects = hc.render((), hc.PRESCALE)
    jobs = {j["metadata"]["name"]: j for j in hc.by_kind(objects, "CronJob")}
    assert set(jobs) == {"storefront-prescale-start", "storefront-prescale-end"}
    want = {"start": VALUES["preScale"]["minReplicas"], "end": VALUES["autoscaling"]["minReplicas"]}
    for phase, floor in want.items():
        job = jobs[f"storefront-prescale-{phase}"]
        assert job["spec"]["schedule"] == VALUES["preScale"][phase]
        assert job["spec"]["timeZone"] == VALUES["preScale"]["timezone"]
        args = job["spec"]["jobTemplate"]["spec"]["template"]["spec"]["containers"][0]["args"]
        assert args[:3] == ["patch", "horizontalpodautoscaler", "storefront"]
        assert f'--patch={{"spec":{{"minReplicas":{floor}}}}}' in args
    role = hc.one(objects, "Role")
    assert role["rules"] == [{"apiGroups": ["autoscaling"], "resources": ["horizontalpodautoscalers"],
                              "resourceNames": ["storefront"], "verbs": ["get", "patch"]}]


def test_helm_keda_prescale_is_a_cron_trigger():
    trigger = next(t for t in hc.one(hc.render((hc.SALE_DAY_VALUES,), ()), "ScaledObject")
                   ["spec"]["triggers"] if t["type"] == "cron")
    assert trigger["metadata"] == {"timezone": SALE["preScale"]["timezone"],
                                   "start": SALE["preScale"]["start"], "end": SALE["preScale"]["end"],
                                   "desiredReplicas": str(SALE["preScale"]["minReplicas"])}
    assert SALE["preScale"]["minReplicas"] <= SALE["autoscaling"]["maxReplicas"]


# ------------------------------------------------------------------ disruption budget

@pytest.mark.parametrize("_,files,sets", CASES, ids=IDS)
def test_helm_pdb_leaves_at_least_one_pod(_, files, sets):
    objects = hc.render(files, sets)
    values = values_of(files)
    pdb = hc.one(objects, "PodDisruptionBudget")["spec"]
    floor = values["autoscaling"]["minReplicas"]
    assert pdb["selector"]["matchLabels"] == hc.one(objects, "Deployment")["spec"]["selector"]["matchLabels"]
    if "maxUnavailable" in pdb:
        assert floor - int(pdb["maxUnavailable"]) >= 1
    else:
        assert int(pdb["minAvailable"]) >= 1


def test_helm_pdb_that_could_evict_everything_fails_the_render():
    with pytest.raises(hc.RenderError, match="would allow evicting every pod"):
        hc.render((), ("podDisruptionBudget.maxUnavailable=2",))


# ------------------------------------------------------------------ grace periods

@pytest.mark.parametrize("_,files,sets", CASES, ids=IDS)
def test_helm_grace_periods_fit_the_application(_, files, sets):
    objects = hc.render(files, sets)
    spec = pod_spec(objects)
    drain_ms = env_int(objects, "STOREFRONT_SHUTDOWN_GRACE_MS")
    request_ms = env_int(objects, "STOREFRONT_REQUEST_TIMEOUT_MS")
    pre_stop = spec["containers"][0]["lifecycle"]["preStop"]
    sleep_s = int(pre_stop["sleep"]["seconds"]) if "sleep" in pre_stop else int(pre_stop["exec"]["command"][1])
    assert sleep_s >= 1, "preStop must give the endpoints and the gateway time to notice"
    # The kubelet counts preStop inside the grace period; the drain starts after it.
    delay_ms = int(env_of(objects).get("STOREFRONT_DRAIN_DELAY_MS", {}).get("value", 0))
    assert spec["terminationGracePeriodSeconds"] * 1000 > sleep_s * 1000 + delay_ms + drain_ms
    # A request accepted just before SIGTERM can finish inside the drain.
    assert drain_ms >= request_ms


def test_helm_grace_period_follows_the_shutdown_grace():
    objects = hc.render((), ("config.STOREFRONT_SHUTDOWN_GRACE_MS=42500",))
    assert pod_spec(objects)["terminationGracePeriodSeconds"] == 5 + 43 + 5


def test_helm_grace_period_counts_the_drain_delay():
    objects = hc.render((), ("config.STOREFRONT_DRAIN_DELAY_MS=3000",))
    assert env_int(objects, "STOREFRONT_DRAIN_DELAY_MS") == 3000
    assert pod_spec(objects)["terminationGracePeriodSeconds"] == 5 + 13 + 5


@pytest.mark.parametrize("sets,match", [
    (("terminationGracePeriodSeconds=15",), "must exceed preStop 5s"),
    (("config.STOREFRONT_SHUTDOWN_GRACE_MS=null",), "STOREFRONT_SHUTDOWN_GRACE_MS must be set"),
    (("config.STOREFRONT_READY_TIMEOUT_MS=soon",), "STOREFRONT_READY_TIMEOUT_MS must be set"),
])
def test_helm_inconsistent_grace_fails_the_render(sets, match):
    with pytest.raises(hc.RenderError, match=match):
        hc.render((), sets)


# ------------------------------------------------------------------ probes

def test_helm_probe_paths_are_the_routes_of_the_application():
    router = (REPO / "src" / "api" / "route_table.cpp").read_text()
    assert '"/health/ready"' in router and '"/health/live"' in router


@pytest.mark.parametrize("_,files,sets", CASES, ids=IDS)
def test_helm_probes_on_the_real_paths_and_port(_, files, sets):
    objects = hc.render(files, sets)
    c = pod_spec(objects)["containers"][0]
    port = env_int(objects, "PORT")
    assert c["ports"] == [{"name": "http", "containerPort": port, "protocol": "TCP"}]
    assert c["readinessProbe"]["httpGet"] == {"path": "/health/ready", "port": "http"}
    assert c["livenessProbe"]["httpGet"] == {"path": "/health/live", "port": "http"}
    assert c["startupProbe"]["httpGet"] == {"path": "/health/live", "port": "http"}
    ready_ms = env_int(objects, "STOREFRONT_READY_TIMEOUT_MS")
    for probe in ("readinessProbe", "livenessProbe", "startupProbe"):
        assert c[probe]["timeoutSeconds"] * 1000 > ready_ms
    svc = hc.one(objects, "Service")
    assert svc["spec"]["ports"][0]["targetPort"] == "http"


# ------------------------------------------------------------------ configuration

def test_helm_every_config_variable_is_a_value():
    in_values = set(VALUES["config"]) | set(VALUES["secret"]["keys"])
    variables = set(config_variables())
    assert variables - in_values == set(), "settings of config.cpp missing from values.yaml"
    assert in_values - variables == set(), "values.yaml names variables storefront does not read"
    assert set(VALUES["secret"]["keys"]) == SECRET_VARS


def test_helm_every_config_variable_is_documented():
    doc = KUBERNETES_MD.read_text()
    missing = [v for v in config_variables() if f"`{v}`" not in doc]
    assert not missing, f"docs/kubernetes.md does not document {missing}"


@pytest.mark.parametrize("_,files,sets", CASES, ids=IDS)
def test_helm_values_reach_the_container(_, files, sets):
    objects = hc.render(files, sets)
    env = env_of(objects)
    values = values_of(files)
    for name, value in values["config"].items():
        if value is None:
            assert name not in env or "valueFrom" in env[name], name
            continue
        want = str(value).lower() if isinstance(value, bool) else str(value)
        assert env[name] == {"name": name, "value": want}
    secret = values["secret"]["existingSecret"] if not values["secret"]["create"] else hc.RELEASE
    for name in SECRET_VARS:
        if name in env:
            ref = env[name]["valueFrom"]["secretKeyRef"]
            assert ref["name"] == secret and ref["key"] == values["secret"]["keys"][name]
    assert "MONGODB_URL" in env
    assert env["STOREFRONT_INSTANCE_ID"]["valueFrom"]["fieldRef"]["fieldPath"] == "metadata.name"


def test_helm_secret_carries_only_set_credentials():
    objects = hc.render((), ("secret.values.REDIS_URL=",))
    data = hc.one(objects, "Secret")["stringData"]
    assert set(data) == {"MONGODB_URL"}
    assert "REDIS_URL" not in env_of(objects)


def test_helm_consul_registration_advertises_the_pod_ip():
    env = env_of(hc.render((), ("config.CONSUL_HTTP_ADDR=http://consul:8500",)))
    assert env["STOREFRONT_ADVERTISE_ADDRESS"]["valueFrom"]["fieldRef"]["fieldPath"] == "status.podIP"
    assert "STOREFRONT_ADVERTISE_ADDRESS" not in env_of(hc.render()), "no Consul: nothing to advertise"


def storefront_binary() -> Path:
    binary = Path(os.environ.get("STOREFRONT_BUILD_DIR", REPO / "build")) / "storefront"
    if not binary.is_file():
        pytest.skip(f"{binary} not built (scripts/test sets STOREFRONT_BUILD_DIR)")
    return binary


def logged_configuration(env: dict[str, str], workdir: Path) -> dict[str, str]:
    """Start the real binary with `env` (databases on a closed loopback port, --port=0: a flag
    wins over PORT), wait until it listens, stop it, and return the configuration it logged."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        closed = s.getsockname()[1]
    env = {**env, "MONGODB_URL": f"mongodb://127.0.0.1:{closed}/?serverSelectionTimeoutMS=200",
           "PATH": os.environ.get("PATH", "")}
    if "REDIS_URL" in env:
        env["REDIS_URL"] = f"redis://127.0.0.1:{closed}"
    for k in ("ASAN_OPTIONS", "UBSAN_OPTIONS", "TSAN_OPTIONS"):
        if k in os.environ:
            env[k] = os.environ[k]
    log = workdir / "storefront.log"
    with open(log, "wb") as out:
        proc = subprocess.Popen([str(storefront_binary()), "--port=0", "--bind=127.0.0.1"], env=env,
                                stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline and proc.poll() is None and "listening" not in log.read_text():
            time.sleep(0.1)
        text = log.read_text()
        assert proc.poll() is None, f"storefront exited {proc.returncode}:\n{text}"
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.wait(timeout=30)
    block = text.split("starting with:\n", 1)[1].split("\n\n", 1)[0]
    return {m.group(1): m.group(2) for m in re.finditer(r"^  (\S+) *(.*?)\s*$", block, re.M)}


@pytest.mark.parametrize("_,files,sets", CASES, ids=IDS)
def test_helm_rendered_environment_is_accepted_by_storefront(_, files, sets, tmp_path):
    """The real binary parses the chart's environment (no variable it rejects with exit 2)
    and logs the chart's values as its configuration."""
    env = {e["name"]: e["value"] for e in env_of(hc.render(files, sets)).values() if "value" in e}
    env.update(STOREFRONT_INSTANCE_ID="pod-0", STOREFRONT_SWAGGER_DIR=str(tmp_path))
    logged = logged_configuration(env, tmp_path)
    assert set(config_variables()) == set(logged), "the binary logs other settings than config.cpp"
    for name, value in env.items():
        if name in ("PORT", "STOREFRONT_BIND", "MONGODB_URL", "REDIS_URL"):
            continue  # overridden for the test
        assert logged[name] == (f"{value}ms" if name.endswith("_MS") else value), name


def test_helm_defaults_named_in_values_are_the_applications(tmp_path):
    """values.yaml names the application's default after each null (`KEY: null  # 2000`):
    those are what the binary runs with when the chart leaves the variable unset."""
    logged = logged_configuration({}, tmp_path)
    named = re.findall(r"^  ([A-Z][A-Z0-9_]+): null +# ([0-9]+|true|false)\b",
                       (hc.CHART / "values.yaml").read_text(), re.M)
    assert len(named) >= 15
    for name, default in named:
        assert logged[name] == (f"{default}ms" if name.endswith("_MS") else default), name


# ------------------------------------------------------------------ pod hardening

def pod_templates(objects):
    for o in objects:
        if o["kind"] == "Deployment":
            yield o["spec"]["template"]["spec"]
        elif o["kind"] == "CronJob":
            yield o["spec"]["jobTemplate"]["spec"]["template"]["spec"]


@pytest.mark.parametrize("_,files,sets", CASES, ids=IDS)
def test_helm_every_container_is_locked_down(_, files, sets):
    specs = list(pod_templates(hc.render(files, sets)))
    assert specs
    for spec in specs:
        assert spec["securityContext"]["runAsNonRoot"] is True
        assert spec["securityContext"]["seccompProfile"] == {"type": "RuntimeDefault"}
        for c in spec["containers"]:
            sc = c["securityContext"]
            assert sc["allowPrivilegeEscalation"] is False
            assert sc["readOnlyRootFilesystem"] is True
            assert sc["capabilities"]["drop"] == ["ALL"] and "add" not in sc["capabilities"]
            assert sc.get("privileged", False) is False
            assert c["resources"]["requests"]["cpu"] and c["resources"]["limits"]["memory"]


@pytest.mark.parametrize("_,files,sets", CASES, ids=IDS)
def test_helm_spread_over_nodes_and_zones(_, files, sets):
    objects = hc.render(files, sets)
    spread = {t["topologyKey"]: t for t in pod_spec(objects)["topologySpreadConstraints"]}
    assert set(spread) == {"kubernetes.io/hostname", "topology.kubernetes.io/zone"}
    labels = hc.one(objects, "Deployment")["spec"]["selector"]["matchLabels"]
    for t in spread.values():
        assert t["labelSelector"]["matchLabels"] == labels and t["maxSkew"] == 1
    assert spread["kubernetes.io/hostname"]["whenUnsatisfiable"] == "DoNotSchedule"


def test_helm_io_threads_match_the_cpu_request():
    objects = hc.render()
    cpu = pod_spec(objects)["containers"][0]["resources"]["requests"]["cpu"]
    cores = int(cpu[:-1]) / 1000 if str(cpu).endswith("m") else float(cpu)
    assert env_int(objects, "STOREFRONT_IO_THREADS") == max(1, math.floor(cores))


# ------------------------------------------------------------------ gateway

def test_helm_apisix_route_has_the_limits_of_the_compose_gateway():
    compose_routes = yaml.safe_load((REPO / "deploy" / "apisix" / "apisix.yaml").read_text())
    (up,) = [u for u in compose_routes["upstreams"] if u["id"] == "storefront"]
    objects = hc.render((hc.SALE_DAY_VALUES,), ())
    rules = {r["name"]: r for r in hc.one(objects, "ApisixRoute")["spec"]["http"]}
    route = rules["public-read"]
    upstream = hc.one(objects, "ApisixUpstream")["spec"]
    want_timeout = {k: f"{v}s" for k, v in up["timeout"].items()}
    assert route["timeout"] == want_timeout and upstream["timeout"] == want_timeout
    assert upstream["retries"] == up["retries"]
    active, passive = upstream["healthCheck"]["active"], upstream["healthCheck"]["passive"]
    assert active["httpPath"] == up["checks"]["active"]["http_path"]
    assert active["unhealthy"]["httpCodes"] == up["checks"]["active"]["unhealthy"]["http_statuses"]
    assert passive["unhealthy"]["httpCodes"] == up["checks"]["passive"]["unhealthy"]["http_statuses"]
    assert passive["healthy"]["httpCodes"] == up["checks"]["passive"]["healthy"]["http_statuses"]
    assert 503 not in passive["unhealthy"]["httpCodes"]
    plugins = {p["name"]: p for p in route["plugins"]}
    assert plugins["client-control"]["config"]["max_body_size"] == \
        int(values_of((hc.SALE_DAY_VALUES,))["config"]["STOREFRONT_MAX_BODY_BYTES"])
    assert plugins["limit-req"]["config"]["rejected_code"] == 429
    assert route["backends"] == [{"serviceName": "storefront", "servicePort": VALUES["service"]["port"],
                                  "resolveGranularity": "endpoints"}]
    assert hc.one(objects, "ApisixUpstream")["metadata"]["name"] == hc.one(objects, "Service")["metadata"]["name"]


def _compose_route_regex(route: dict) -> str:
    if "vars" in route:
        (var,) = route["vars"]
        return var[2]
    return "^" + route["uri"] + "$"


def test_helm_apisix_routes_only_the_public_api_of_the_compose_gateway():
    """The same rules as deploy/apisix/apisix.yaml: method groups, path expressions,
    priorities and limit-count windows; so /metrics and /health/* are not routed."""
    compose = yaml.safe_load((REPO / "deploy" / "apisix" / "apisix.yaml").read_text())
    forwarded = {r["id"]: r for r in compose["routes"] if "upstream_id" in r}
    objects = hc.render((hc.SALE_DAY_VALUES,), ())
    rules = {r["name"]: r for r in hc.one(objects, "ApisixRoute")["spec"]["http"]}
    assert rules.keys() == forwarded.keys()
    for name, rule in rules.items():
        want = forwarded[name]
        (expr,) = rule["match"]["exprs"]
        assert expr == {"subject": {"scope": "Path"}, "op": "RegexMatch",
                        "value": _compose_route_regex(want)}, name
        assert rule["match"]["methods"] == want["methods"] and rule["priority"] == want["priority"]
        plugins = {p["name"]: p["config"] for p in rule["plugins"]}
        if "limit-count" in want.get("plugins", {}):
            window = int(re.search(r":=(\d+)", str(want["plugins"]["limit-count"]["time_window"])).group(1))
            count = int(re.search(r":=(\d+)", str(want["plugins"]["limit-count"]["count"])).group(1))
            assert plugins["limit-count"]["time_window"] == window, name
            assert plugins["limit-count"]["count"] == count, name
        else:
            assert "limit-count" not in plugins, name
    read = re.compile(rules["public-read"]["match"]["exprs"][0]["value"])
    assert read.match("/catalog/products/x") and read.match("/") and read.match("/helloDoc/count")
    assert not read.match("/metrics") and not read.match("/health/ready")
