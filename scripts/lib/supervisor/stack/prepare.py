"""What `up` needs before it starts anything, and the data it fills in:
the tools, redis_exporter (installed from Debian if missing), the storefront
binary, the database's documents and the Redis Cluster."""
from __future__ import annotations

import os
import shutil
import subprocess
import sys

from . import render
from .context import Die, Stack, log

TOOLS = ("haproxy", "nginx", "redis-server", "redis-cli", "prometheus-alertmanager", "curl", "python3")
POLICY_RC = "/usr/sbin/policy-rc.d"


def check_tools(st: Stack) -> None:
    missing = [t for t in TOOLS if shutil.which(t) is None]
    if missing:
        raise Die(f"missing: {' '.join(missing)} (scripts/bootstrap installs them)")
    jar = st.cache / "mongo-standin" / "mongo-standin.jar"
    if not jar.is_file():
        raise Die(f"the MongoDB stand-in {jar} is missing (scripts/bootstrap builds it)")
    if not os.access(st.consul_bin(), os.X_OK):
        raise Die(f"Consul binary {st.consul_bin()} missing (scripts/bootstrap builds it)")
    if not (os.access(st.prometheus_bin, os.X_OK) and os.access(st.promtool_bin, os.X_OK)):
        raise Die(f"{st.prometheus_bin} or {st.promtool_bin} missing (scripts/bootstrap builds them)")


def as_root(argv: list[str], **kwargs) -> subprocess.CompletedProcess:
    sudo = [] if os.geteuid() == 0 else ["sudo"]
    return subprocess.run([*sudo, *argv], **kwargs)


def apt_get(*args: str) -> int:
    quiet = {"stdout": subprocess.DEVNULL, "stderr": subprocess.DEVNULL}
    return as_root(["env", "DEBIAN_FRONTEND=noninteractive", "apt-get", *args, "-qq"], **quiet).returncode


def install_redis_exporter() -> int:
    """apt-get install (after an update if the first try fails), with the
    package's service kept from starting (policy-rc.d exit 101)."""
    own_policy = not os.path.exists(POLICY_RC)
    if own_policy:
        as_root(["tee", POLICY_RC], input=b"#!/bin/sh\nexit 101\n", stdout=subprocess.DEVNULL)
        as_root(["chmod", "755", POLICY_RC])
    try:
        if apt_get("install", "-y", "prometheus-redis-exporter") == 0:
            return 0
        return apt_get("update") or apt_get("install", "-y", "prometheus-redis-exporter")
    finally:
        if own_policy:
            as_root(["rm", "-f", POLICY_RC])


def ensure_redis_exporter() -> None:
    if render.have_redis_exporter():
        return
    if os.environ.get("STACK_NO_INSTALL", "0") == "1":
        log("prometheus-redis-exporter is not installed (STACK_NO_INSTALL=1): Redis is not scraped")
        return
    log("installing Debian package prometheus-redis-exporter")
    rc = install_redis_exporter()
    if rc != 0:
        log(f"could not install prometheus-redis-exporter (rc={rc}): Redis is not scraped")
        return
    quiet = {"stdout": subprocess.DEVNULL, "stderr": subprocess.DEVNULL}
    as_root(["service", "prometheus-redis-exporter", "stop"], **quiet)
    as_root(["update-rc.d", "prometheus-redis-exporter", "disable"], **quiet)


def build_storefront(st: Stack) -> None:
    """The Release build in build-release, unless STOREFRONT_BUILD_DIR names one to use as it is."""
    if os.environ.get("STOREFRONT_BUILD_DIR"):
        if not os.access(st.storefront_bin, os.X_OK):
            raise Die(f"{st.storefront_bin} missing (STOREFRONT_BUILD_DIR is used as it is)")
        return
    build_dir, build_log = st.repo / "build-release", st.log_file("build")
    build_log.parent.mkdir(parents=True, exist_ok=True)
    log(f"building storefront (Release, {build_dir}; log {build_log})")
    jobs = os.environ.get("STOREFRONT_JOBS") or str(os.cpu_count() or 1)
    steps = [["cmake", "-S", str(st.repo), "-B", str(build_dir), "-G", "Ninja", "-DCMAKE_BUILD_TYPE=Release",
              "-DSTOREFRONT_BUILD_TESTS=OFF", "-DSTOREFRONT_BUILD_BENCH=OFF"],
             ["cmake", "--build", str(build_dir), "-j", jobs]]
    with open(build_log, "w") as out:
        ok = all(subprocess.run(argv, stdout=out, stderr=subprocess.STDOUT).returncode == 0 for argv in steps)
    if not ok:
        warn_lines(build_log.read_text(errors="replace").splitlines()[-30:])
        raise Die(f"build failed, see {build_log}")


def warn_lines(lines: list[str]) -> None:
    for line in lines:
        print(line, file=sys.stderr, flush=True)


def run_logged(st: Stack, argv: list[str], env: dict[str, str], log_name: str, failure: str) -> str:
    """Runs argv; its output goes to logs/LOG_NAME.log, or to stderr when it fails."""
    r = subprocess.run(argv, env={**os.environ, **env}, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                       text=True, errors="replace", stdin=subprocess.DEVNULL)
    out = r.stdout.rstrip("\n")
    if r.returncode != 0:
        warn_lines(out.splitlines())
        raise Die(failure)
    with open(st.log_file(log_name), "a") as f:
        f.write(out + "\n")
    return out


def fill_db(st: Stack) -> None:
    e = os.environ
    run_logged(st, [st.storefront_bin, "fill", "--collection", "helloDoc", "--count", "1000",
                    "--products", e.get("STACK_PRODUCTS") or "1000", "--stock", e.get("STACK_STOCK") or "1000",
                    "--media-dir", str(st.run_dir / "media")],
               {"MONGODB_URL": f"mongodb://127.0.0.1:{st.ports.mongo}",
                "MONGODB_DATABASE_NAME": e.get("MONGODB_DATABASE_NAME") or "somedb"},
               "fill", "storefront fill failed")


def create_redis_cluster(st: Stack) -> None:
    """deploy/redis/cluster-init.sh (compose's job): creates the cluster only when
    the nodes have none yet."""
    out = run_logged(st, ["bash", str(st.repo / "deploy" / "redis" / "cluster-init.sh")],
                     {"REDIS_CLUSTER_NODES": " ".join(st.ports.redis_nodes()), "REDIS_CLUSTER_REPLICAS": "1",
                      "REDIS_WAIT_SECONDS": "30", "REDIS_ADMIN_USER": "admin",
                      "REDIS_ADMIN_PASSWORD": st.secrets.get("REDIS_ADMIN_PASSWORD", "")},
                     "redis-cluster-init", "Redis Cluster setup failed")
    for line in out.splitlines():
        if "creating" in line or "already exists" in line:
            if line.startswith("redis-cluster-init: "):
                line = "stack: redis: " + line.removeprefix("redis-cluster-init: ")
            print(line, flush=True)
