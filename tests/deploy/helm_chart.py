"""Rendering and offline validation of deploy/helm/storefront (issue 15), shared by
test_helm_chart.py and test_helm_logic.py.

* helm: the binary scripts/bootstrap builds into ${STOREFRONT_CACHE:-.cache}/bin.
* Built-in kinds: kubernetes-validate's strict schemas of KUBE_VERSION (unknown fields and
  wrong types fail).
* Custom resources: our schemas in crd-schemas/ (see its README), which reference the same
  Kubernetes definitions for ObjectMeta and the HPA behavior.
"""

from __future__ import annotations

import os
import subprocess
from functools import lru_cache
from pathlib import Path

import jsonschema
import kubernetes_validate
import referencing
import yaml
from importlib.resources import files

REPO = Path(__file__).resolve().parents[2]
CHART = REPO / "deploy" / "helm" / "storefront"
SALE_DAY_VALUES = REPO / "deploy" / "helm" / "values-sale-day.yaml"
CACHE = Path(os.environ.get("STOREFRONT_CACHE", REPO / ".cache"))
HELM = CACHE / "bin" / "helm"
CRD_SCHEMAS = Path(__file__).resolve().parent / "crd-schemas"

# The Kubernetes version everything is rendered for and validated against (helm's
# --kube-version and kubernetes-validate's schema set; tests/requirements.txt pins the
# package that ships it).
KUBE_VERSION = "1.37.0"
RELEASE = "storefront"
# Pre-scale in mode hpa needs an image with kubectl (the chart names none).
PRESCALE = ("preScale.enabled=true", "preScale.kubectlImage.repository=registry.example/kubectl",
            "preScale.kubectlImage.tag=v1.37.0")
NAMESPACE = "storefront"

# (apiVersion, kind) -> our schema file
CUSTOM_KINDS = {
    ("monitoring.coreos.com/v1", "ServiceMonitor"): "servicemonitor.yaml",
    ("monitoring.coreos.com/v1", "PrometheusRule"): "prometheusrule.yaml",
    ("keda.sh/v1alpha1", "ScaledObject"): "scaledobject.yaml",
    ("apisix.apache.org/v2", "ApisixRoute"): "apisixroute.yaml",
    ("apisix.apache.org/v2", "ApisixUpstream"): "apisixupstream.yaml",
}


class RenderError(Exception):
    pass


def helm(*args: str, check: bool = True) -> subprocess.CompletedProcess:
    if not HELM.is_file():
        raise AssertionError(f"{HELM} not found: run scripts/bootstrap (builds helm)")
    proc = subprocess.run([str(HELM), *args], capture_output=True, text=True, timeout=120,
                          cwd=REPO, env={**os.environ, "HELM_CACHE_HOME": str(CACHE / "helm-home"),
                                         "HELM_CONFIG_HOME": str(CACHE / "helm-home"),
                                         "HELM_DATA_HOME": str(CACHE / "helm-home")})
    if check and proc.returncode != 0:
        raise RenderError(f"helm {' '.join(args)} exited {proc.returncode}\n{proc.stderr}")
    return proc


def value_args(values_files: tuple[Path, ...] = (), sets: tuple[str, ...] = ()) -> list[str]:
    args: list[str] = []
    for f in values_files:
        args += ["-f", str(f)]
    for s in sets:
        args += ["--set", s]
    return args


@lru_cache(maxsize=None)
def render_text(values_files: tuple[Path, ...] = (), sets: tuple[str, ...] = ()) -> str:
    return helm("template", RELEASE, str(CHART), "--namespace", NAMESPACE,
                "--kube-version", KUBE_VERSION,
                *value_args(values_files, sets)).stdout


def render(values_files: tuple[Path, ...] = (), sets: tuple[str, ...] = ()) -> list[dict]:
    docs = yaml.safe_load_all(render_text(tuple(values_files), tuple(sets)))
    return [d for d in docs if d]


def by_kind(objects: list[dict], kind: str) -> list[dict]:
    return [o for o in objects if o["kind"] == kind]


def one(objects: list[dict], kind: str) -> dict:
    found = by_kind(objects, kind)
    assert len(found) == 1, f"expected one {kind}, rendered {len(found)}"
    return found[0]


# ------------------------------------------------------------------ validation

@lru_cache(maxsize=1)
def _k8s_definitions() -> referencing.Resource:
    major_minor = ".".join(KUBE_VERSION.split(".")[:2])
    path = (files("kubernetes_validate") / "kubernetes-json-schema" /
            f"v{major_minor}.0-local-strict" / "_definitions.json")
    return referencing.jsonschema.DRAFT202012.create_resource(yaml.safe_load(path.read_text()))


@lru_cache(maxsize=None)
def _crd_validator(schema_file: str) -> jsonschema.protocols.Validator:
    schema = yaml.safe_load((CRD_SCHEMAS / schema_file).read_text())
    registry = referencing.Registry().with_resource(
        "https://kubernetes.io/api/_definitions.json", _k8s_definitions())
    jsonschema.Draft202012Validator.check_schema(schema)
    return jsonschema.Draft202012Validator(schema, registry=registry)


def validation_errors(obj: dict) -> list[str]:
    """Every schema violation of one rendered object; [] when it is valid."""
    where = f"{obj.get('kind')}/{obj.get('metadata', {}).get('name')}"
    schema_file = CUSTOM_KINDS.get((obj.get("apiVersion"), obj.get("kind")))
    if schema_file:
        errors = sorted(_crd_validator(schema_file).iter_errors(obj), key=lambda e: list(e.path))
        return [f"{where}: {'.'.join(map(str, e.path)) or '<root>'}: {e.message}" for e in errors]
    try:
        kubernetes_validate.validate(obj, KUBE_VERSION, strict=True)
    except kubernetes_validate.ValidationError as e:
        return [f"{where}: {'.'.join(map(str, e.path)) or '<root>'}: {e.message}"]
    except kubernetes_validate.SchemaNotFoundError as e:
        return [f"{where}: {e.message}"]
    return []
