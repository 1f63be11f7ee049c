"""deploy/helm/storefront renders, lints and validates offline (issue 15, section 2).

    scripts/bootstrap     # builds helm, installs kubernetes-validate into the venv
    .cache/venv/bin/python -m pytest tests/deploy -q -k helm

Every object of every rendered variant is checked against the pinned Kubernetes version's
strict schemas (built-in kinds) or crd-schemas/ (custom resources); the negative tests
prove that check rejects unknown fields and wrong types.
"""

from __future__ import annotations

import copy
import json
import re
import shutil
import subprocess
import tarfile
from pathlib import Path

import pytest
import yaml

import helm_chart as hc

REPO = hc.REPO

# name -> (values files, --set arguments, kinds that must be rendered)
VARIANTS = {
    "default": ((), (), {"Deployment", "Service", "Secret", "ServiceAccount",
                         "HorizontalPodAutoscaler", "PodDisruptionBudget", "ServiceMonitor",
                         "PrometheusRule"}),
    "sale-day": ((hc.SALE_DAY_VALUES,), (), {"Deployment", "Service", "ServiceAccount",
                                             "ScaledObject", "PodDisruptionBudget",
                                             "ServiceMonitor", "PrometheusRule",
                                             "ApisixRoute", "ApisixUpstream"}),
    "hpa-prescale": ((), hc.PRESCALE + ("apisix.enabled=true",
                                      "prometheusAdapter.configMap.enabled=true"),
                     {"HorizontalPodAutoscaler", "CronJob", "Role", "RoleBinding", "ConfigMap",
                      "ApisixRoute", "ApisixUpstream"}),
    "fixed-no-monitoring": ((), ("autoscaling.mode=none", "serviceMonitor.enabled=false",
                                 "prometheusRule.enabled=false", "lifecycle.nativeSleepAction=false",
                                 "secret.create=false", "secret.existingSecret=creds"),
                            {"Deployment", "Service", "PodDisruptionBudget"}),
}


def variant(name: str) -> list[dict]:
    files, sets, _ = VARIANTS[name]
    return hc.render(files, sets)


def test_helm_is_the_pinned_version():
    pinned = re.search(r"^HELM_VERSION=(\S+)", (REPO / "scripts" / "bootstrap").read_text(), re.M)
    assert pinned, "scripts/bootstrap pins no HELM_VERSION"
    out = hc.helm("version", "--short").stdout.strip()
    assert out.startswith(pinned.group(1)), out


@pytest.mark.parametrize("values", [(), (hc.SALE_DAY_VALUES,)], ids=["default", "sale-day"])
def test_helm_lint_strict(values):
    out = hc.helm("lint", "--strict", str(hc.CHART), "--kube-version", hc.KUBE_VERSION,
                  *hc.value_args(values)).stdout
    assert "0 chart(s) failed" in out, out


@pytest.mark.parametrize("name", list(VARIANTS))
def test_helm_every_rendered_object_validates(name):
    objects = variant(name)
    errors = [e for o in objects for e in hc.validation_errors(o)]
    assert not errors, "\n".join(errors)
    kinds = {o["kind"] for o in objects}
    assert VARIANTS[name][2] <= kinds, f"missing {VARIANTS[name][2] - kinds}"
    names = [(o["kind"], o["metadata"]["name"]) for o in objects]
    assert len(names) == len(set(names)), f"duplicate objects: {names}"


def test_helm_sale_day_uses_keda_and_no_chart_hpa():
    kinds = {o["kind"] for o in variant("sale-day")}
    assert "ScaledObject" in kinds and "HorizontalPodAutoscaler" not in kinds
    assert "CronJob" not in kinds  # the cron trigger of the ScaledObject pre-scales


# ------------------------------------------------------------ negative: the check can fail

def deployment() -> dict:
    return copy.deepcopy(hc.one(variant("default"), "Deployment"))


def container(obj: dict) -> dict:
    return obj["spec"]["template"]["spec"]["containers"][0]


@pytest.mark.parametrize("breakage,expect", [
    (lambda d: container(d).update(imagePullPolcy="Always"), "imagePullPolcy"),
    (lambda d: d["spec"].update(replicas="two"), "two"),
    (lambda d: container(d)["ports"][0].update(containerPort="eighty"), "eighty"),
    (lambda d: container(d)["securityContext"].update(readOnlyRootFilesystem="yes"), "yes"),
    (lambda d: d["spec"]["template"]["spec"].update(terminationGracePeriodSeconds=[20]), "20"),
    (lambda d: d.update(kind="Deploymnt"), "Deploymnt"),
], ids=["unknown-field", "wrong-type-replicas", "wrong-type-port", "wrong-type-bool",
        "wrong-type-list", "unknown-kind"])
def test_helm_validation_rejects_broken_deployment(breakage, expect):
    broken = deployment()
    assert hc.validation_errors(broken) == []
    breakage(broken)
    errors = hc.validation_errors(broken)
    assert errors and any(expect in e for e in errors), errors


def _scaled_object() -> dict:
    return copy.deepcopy(hc.one(variant("sale-day"), "ScaledObject"))


def _service_monitor() -> dict:
    return copy.deepcopy(hc.one(variant("default"), "ServiceMonitor"))


def _apisix_upstream() -> dict:
    return copy.deepcopy(hc.one(variant("sale-day"), "ApisixUpstream"))


def _rule() -> dict:
    return copy.deepcopy(hc.one(variant("default"), "PrometheusRule"))


@pytest.mark.parametrize("make,breakage,expect", [
    (_scaled_object, lambda o: o["spec"]["triggers"][0]["metadata"].update(value=60), "60"),
    (_scaled_object, lambda o: o["spec"].update(maxReplicas=40), "maxReplicas"),
    (_scaled_object, lambda o: o["spec"]["advanced"]["horizontalPodAutoscalerConfig"]["behavior"]
     ["scaleUp"].update(stabilisationWindowSeconds=0), "stabilisationWindowSeconds"),
    (_service_monitor, lambda o: o["spec"]["endpoints"][0].update(intervall="15s"), "intervall"),
    (_service_monitor, lambda o: o["spec"]["endpoints"][0].update(interval=15), "15"),
    (_apisix_upstream, lambda o: o["spec"].update(retries="2"), "'2'"),
    (_apisix_upstream, lambda o: o["spec"]["healthCheck"]["active"].update(http_path="/x"),
     "http_path"),
    (_rule, lambda o: o["spec"]["groups"][0]["rules"][0].update(expression="up"), "expression"),
    (_rule, lambda o: o["metadata"].update(labels={"a": 1}), "1"),
], ids=["keda-metadata-int", "keda-unknown-field", "keda-behavior-typo", "sm-unknown-field",
        "sm-wrong-type", "upstream-wrong-type", "upstream-unknown-field", "rule-unknown-field",
        "rule-label-int"])
def test_helm_validation_rejects_broken_custom_resource(make, breakage, expect):
    obj = make()
    assert hc.validation_errors(obj) == []
    breakage(obj)
    errors = hc.validation_errors(obj)
    assert errors and any(expect in e for e in errors), errors


@pytest.mark.parametrize("sets,expect", [
    (("podSecurityContext.runAsUser=storefront",), "runAsUser"),
    (("securityContext.readOnlyRootFilesytem=true",), "readOnlyRootFilesytem"),
    (("podSecurityContext.runAsNonroot=true",), "runAsNonroot"),
], ids=["wrong-type", "typo", "typo-case"])
def test_helm_validation_rejects_broken_values_end_to_end(sets, expect):
    """The free-form blocks (passed through as Kubernetes fields) are not in
    values.schema.json: a mistake there renders, and the Kubernetes schema check fails."""
    objects = hc.render((), sets)
    errors = [e for o in objects for e in hc.validation_errors(o)]
    assert errors and any(expect in e for e in errors), errors


@pytest.mark.parametrize("sets,expect", [
    (("autoscaling.minReplica=3",), "additional properties 'minReplica' not allowed"),
    (("service.port=http",), "at '/service/port': got string, want integer"),
    (("config.STOREFRONT_SHUTDOWN_GRACE=3",), "'STOREFRONT_SHUTDOWN_GRACE' not allowed"),
    (("config.MONGODB_URL=mongodb://u:p@h/",), "'MONGODB_URL' not allowed"),
    (("autoscaling.mode=vpa",), "at '/autoscaling/mode'"),
    (("preScale.start=9:30",), "at '/preScale/start'"),
], ids=["typo", "wrong-type", "unknown-variable", "credentials-in-config", "bad-enum", "bad-cron"])
def test_helm_values_schema_rejects_broken_values(sets, expect):
    """values.schema.json: Helm refuses a typo or a wrong type in the chart's own values
    before rendering (lint, template and install alike)."""
    with pytest.raises(hc.RenderError, match=re.escape(expect)):
        hc.render((), sets)


def test_helm_values_schema_knows_every_setting():
    schema = json.loads((hc.CHART / "values.schema.json").read_text())
    names = set(re.findall(r'\{"([A-Z][A-Z0-9_]+)",\s*"[a-z0-9-]+",',
                           (REPO / "src" / "app" / "config.cpp").read_text()))
    secret = set(schema["properties"]["secret"]["properties"]["keys"]["properties"])
    assert set(schema["properties"]["config"]["properties"]) == names - secret
    assert secret == {"MONGODB_URL", "REDIS_URL", "CONSUL_HTTP_TOKEN", "STOREFRONT_ADMIN_TOKEN",
                  "STOREFRONT_WRITE_TOKEN"}


def test_helm_lint_fails_on_a_broken_template(tmp_path):
    chart = tmp_path / "storefront"
    shutil.copytree(hc.CHART, chart, symlinks=False)
    (chart / "templates" / "broken.yaml").write_text("apiVersion: v1\nkind: ConfigMap\n"
                                                     "metadata:\n  name: {{ .Values.nope.x }}\n")
    proc = hc.helm("lint", str(chart), "--kube-version", hc.KUBE_VERSION, check=False)
    assert proc.returncode != 0 and "nil pointer" in (proc.stdout + proc.stderr)


# ------------------------------------------------------------ PrometheusRule from the files

RULE_DIR = REPO / "deploy" / "prometheus" / "rules"


def test_helm_rules_dir_is_a_symlink_to_deploy_prometheus():
    link = hc.CHART / "files" / "prometheus-rules"
    assert link.is_symlink(), "files/prometheus-rules must link to deploy/prometheus/rules, not copy"
    assert link.resolve() == RULE_DIR.resolve()


@pytest.mark.parametrize("name", ["default", "sale-day"])
def test_helm_prometheus_rule_is_generated_from_the_rule_files(name):
    files, sets, _ = VARIANTS[name]
    values = yaml.safe_load(hc.CHART.joinpath("values.yaml").read_text())
    for f in files:
        values["prometheusRule"].update(yaml.safe_load(f.read_text()).get("prometheusRule", {}))
    expected = []
    for rule_file in values["prometheusRule"]["files"]:
        expected += yaml.safe_load((RULE_DIR / rule_file).read_text())["groups"]
    rendered = hc.one(hc.render(files, sets), "PrometheusRule")["spec"]["groups"]
    assert rendered == expected


def test_helm_prometheus_rule_follows_the_job_name():
    groups = hc.one(hc.render((), ("serviceMonitor.jobName=shop",)), "PrometheusRule")["spec"]["groups"]
    exprs = [r["expr"] for g in groups for r in g["rules"]]
    assert not any('job="storefront"' in e for e in exprs)
    assert sum('job="shop"' in e for e in exprs) >= 8
    sm = hc.one(hc.render((), ("serviceMonitor.jobName=shop",)), "Service")
    assert sm["metadata"]["labels"]["storefront.dev/job"] == "shop"


def test_helm_unknown_rule_file_fails_the_render():
    with pytest.raises(hc.RenderError, match="nosuch.yml not found"):
        hc.render((), ("prometheusRule.files={storefront.yml,nosuch.yml}",))


def test_helm_rendered_rules_pass_promtool(tmp_path):
    promtool = shutil.which("promtool")
    assert promtool, "promtool not found (apt-get install prometheus)"
    for name in ("default", "sale-day"):
        spec = hc.one(variant(name), "PrometheusRule")["spec"]
        path = tmp_path / f"{name}.yml"
        path.write_text(yaml.safe_dump(spec, sort_keys=False))
        proc = subprocess.run([promtool, "check", "rules", str(path)], capture_output=True,
                              text=True, timeout=60)
        assert proc.returncode == 0, proc.stdout + proc.stderr


def test_helm_packaged_chart_carries_the_rules(tmp_path):
    """helm package dereferences the symlink: a .tgz installs without this repository."""
    hc.helm("package", str(hc.CHART), "--destination", str(tmp_path))
    (tgz,) = tmp_path.glob("storefront-*.tgz")
    with tarfile.open(tgz) as tar:
        packaged = {Path(m.name).name: tar.extractfile(m).read().decode()
                    for m in tar.getmembers() if "/files/prometheus-rules/" in m.name and m.isfile()}
    for f in RULE_DIR.glob("*.yml"):
        assert packaged.get(f.name) == f.read_text(), f"{f.name} missing or different in {tgz.name}"
    from_tgz = hc.helm("template", hc.RELEASE, str(tgz), "--namespace", hc.NAMESPACE,
                       "--kube-version", hc.KUBE_VERSION).stdout
    assert from_tgz == hc.render_text()
