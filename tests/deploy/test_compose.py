"""Structural checks of the production topology (compose.yaml, Dockerfile,
deploy/apisix, deploy/redis, deploy/mongo, deploy/consul) without Docker.

Each check is a function of the parsed files, run once on the real files and,
in the "the checks bite" section at the end, on deliberately broken copies, so
a check that can no longer fail is noticed.

compose.yaml is also loaded by compose-go (the loader of `docker compose`
itself) through tools/compose-check, which scripts/bootstrap builds into the
cache: interpolation, the Compose specification's schema and its consistency
checks, on every machine, with or without a Compose CLI.
"""
import copy
import ipaddress
import json
import os
import re
import shutil
import subprocess
from pathlib import Path
from urllib.parse import urlsplit

import pytest
import yaml

REPO = Path(__file__).resolve().parents[2]
COMPOSE_FILE = REPO / "compose.yaml"
ENV_EXAMPLE = REPO / ".env.example"
DOCKERFILE = REPO / "Dockerfile"
DOCKERIGNORE = REPO / ".dockerignore"
BOOTSTRAP = REPO / "scripts" / "bootstrap"
APISIX_CONFIG = REPO / "deploy" / "apisix" / "config.yaml"
APISIX_ROUTES = REPO / "deploy" / "apisix" / "apisix.yaml"
REDIS_CONF = REPO / "deploy" / "redis" / "redis.conf"
MONGO_WRAPPER = REPO / "deploy" / "mongo" / "entrypoint.sh"
PROMETHEUS_CONFIG = REPO / "deploy" / "prometheus" / "prometheus.yml"
DEPLOYMENT_DOC = REPO / "docs" / "deployment.md"
SECRETS_CHECK = REPO / "deploy" / "secrets-check.sh"
CONSUL_SERVER_HCL = REPO / "deploy" / "consul" / "server.hcl"
CACHE = Path(os.environ.get("STOREFRONT_CACHE", REPO / ".cache"))
COMPOSE_CHECK = CACHE / "bin" / "compose-check"

CONFIG_RS, SHARD_RS = "configrs", ("shard1rs", "shard2rs")


def load_yaml(path):
    return yaml.safe_load(Path(path).read_text())


def env_example():
    return dict(line.split("=", 1) for line in ENV_EXAMPLE.read_text().splitlines()
                if re.match(r"^[A-Z0-9_]+=", line))


def interpolate(text, env):
    """Compose's ${VAR}, ${VAR:-default}, ${VAR-default}, ${VAR:?err}, $$."""
    def sub(m):
        if m.group(0) == "$$":
            return "$"
        name, op, arg = m.group(1), m.group(2) or "", m.group(3) or ""
        val = env.get(name)
        if op in (":-", "-"):
            return val if (val if op == ":-" else val is not None) else arg
        if op in (":?", "?"):
            assert val if op == ":?" else val is not None, f"required variable {name}: {arg}"
            return val
        return val or ""
    return re.sub(r"\$\$|\$\{([A-Za-z_][A-Za-z0-9_]*)(?:(:?[-?])([^}]*))?\}", sub, text)


@pytest.fixture(scope="module")
def compose():
    """compose.yaml as `docker compose --env-file .env.example` sees it."""
    return yaml.safe_load(interpolate(COMPOSE_FILE.read_text(), env_example()))


@pytest.fixture(scope="module")
def apisix_config():
    return load_yaml(APISIX_CONFIG)


@pytest.fixture(scope="module")
def apisix_routes_text():
    return APISIX_ROUTES.read_text()


# ----------------------------------------------------------------- helpers

def services(c):
    return c["services"]


def cmd_of(svc):
    cmd = svc.get("command", [])
    assert isinstance(cmd, list), f"use the list form for commands: {cmd!r}"
    return cmd


def flag(cmd, name):
    """Value of `--name value` or `--name=value` / `-name=value` in a command list."""
    for i, arg in enumerate(cmd):
        if arg == name:
            return cmd[i + 1]
        if arg.startswith(name + "="):
            return arg.split("=", 1)[1]
    return None


def by_role(c, program, role_flag=None):
    out = {}
    for name, svc in services(c).items():
        cmd = svc.get("command")
        if isinstance(cmd, list) and cmd and cmd[0] == program and (role_flag is None or role_flag in cmd):
            out[name] = svc
    return out


def fixed_ip(svc):
    nets = svc.get("networks")
    if isinstance(nets, dict):
        for cfg in nets.values():
            if isinstance(cfg, dict) and cfg.get("ipv4_address"):
                return cfg["ipv4_address"]
    return None


def volume_mounts(svc):
    """(source, target, read_only) for the short volume syntax."""
    out = []
    for v in svc.get("volumes", []):
        assert isinstance(v, str), f"use the short volume syntax: {v!r}"
        parts = v.split(":")
        src, target = parts[0], parts[1]
        opts = parts[2].split(",") if len(parts) > 2 else []
        out.append((src, target, "ro" in opts))
    return out


def env_of(svc):
    env = svc.get("environment", {})
    assert isinstance(env, dict), "use the mapping form for environment"
    return env


def hosts_in(uri):
    """host:port list of a mongodb:// URI (several hosts, optional userinfo)."""
    rest = uri.split("://", 1)[1]
    rest = rest.split("/", 1)[0].split("?", 1)[0]
    rest = rest.rsplit("@", 1)[-1]
    return rest.split(",")


def depends(svc):
    d = svc.get("depends_on", {})
    if isinstance(d, list):
        return {k: {"condition": "service_started"} for k in d}
    return d


def network_cfg(c):
    (net,) = c["networks"].values()
    (ipam,) = net["ipam"]["config"]
    return ipaddress.ip_network(ipam["subnet"]), ipaddress.ip_network(ipam["ip_range"]), ipam.get("gateway")


def image_version(image):
    tag = image.rsplit(":", 1)[1] if ":" in image.split("/")[-1] else ""
    m = re.match(r"v?(\d+)\.(\d+)(?:\.(\d+))?", tag)
    return tuple(int(x or 0) for x in m.groups()) if m else None


# ------------------------------------------------------------------ checks
# Each check_* raises AssertionError with a readable message.

def check_project(c):
    assert c.get("name") == "storefront"
    assert set(c) <= {"name", "services", "networks", "volumes", "secrets"} | {k for k in c if k.startswith("x-")}


def check_images_pinned(c):
    for name, svc in services(c).items():
        if "build" in svc:
            assert svc["build"].get("dockerfile", "Dockerfile") == "Dockerfile", name
            continue
        image = svc.get("image")
        assert image, f"{name}: no image"
        assert "@sha256:" in image or image_version(image), f"{name}: image {image} is not pinned to a version"
        assert not image.endswith(":latest"), name


def check_mongo_topology(c):
    cfg = by_role(c, "mongod", "--configsvr")
    shards = by_role(c, "mongod", "--shardsvr")
    routers = by_role(c, "mongos")
    assert len(cfg) == 3, f"config servers: {sorted(cfg)}"
    assert len(routers) == 3, f"routers: {sorted(routers)}"
    per_rs = {}
    for name, svc in shards.items():
        per_rs.setdefault(flag(cmd_of(svc), "--replSet"), []).append(name)
    assert sorted(per_rs) == sorted(SHARD_RS) and all(len(m) == 3 for m in per_rs.values()), per_rs

    data_volumes = []
    for name, svc in {**cfg, **shards}.items():
        cmd = cmd_of(svc)
        is_cfg = "--configsvr" in cmd
        assert flag(cmd, "--replSet") == (CONFIG_RS if is_cfg else flag(cmd, "--replSet")), name
        assert flag(cmd, "--port") == ("27019" if is_cfg else "27018"), name
        assert "--bind_ip_all" in cmd, name
        want_dir = "/data/configdb" if is_cfg else "/data/db"
        vols = [src for src, target, _ in volume_mounts(svc) if target == want_dir]
        assert len(vols) == 1 and not vols[0].startswith("."), f"{name}: needs a named volume on {want_dir}"
        data_volumes.append(vols[0])
    assert len(set(data_volumes)) == len(data_volumes), "two mongod share a data volume"
    for name, svc in cfg.items():
        assert flag(cmd_of(svc), "--replSet") == CONFIG_RS

    seed = ",".join(f"{n}:27019" for n in sorted(cfg))
    for name, svc in routers.items():
        cmd = cmd_of(svc)
        assert flag(cmd, "--configdb") == f"{CONFIG_RS}/{seed}", f"{name}: --configdb must list all config servers"
        assert flag(cmd, "--port") == "27017" and "--bind_ip_all" in cmd, name
        for dep in cfg:
            assert depends(svc).get(dep, {}).get("condition") == "service_healthy", f"{name} -> {dep}"


def check_mongo_auth(c):
    wrapper = MONGO_WRAPPER.read_text()
    m_dst = re.search(r'dst="\$\{MONGO_KEYFILE:-([^}]+)\}"', wrapper)
    m_src = re.search(r'src="\$\{MONGO_KEYFILE_SOURCE:-([^}]+)\}"', wrapper)
    assert m_dst and m_src, "wrapper defaults not found"
    assert "999:999" in wrapper and "0400" in wrapper
    mongo = {**by_role(c, "mongod"), **by_role(c, "mongos")}
    assert len(mongo) == 12
    for name, svc in mongo.items():
        cmd = cmd_of(svc)
        env = env_of(svc)
        keyfile = flag(cmd, "--keyFile")
        assert keyfile, f"{name}: no --keyFile (internal auth)"
        assert keyfile == env.get("MONGO_KEYFILE", m_dst.group(1)), f"{name}: --keyFile is not the wrapper's copy"
        source = env.get("MONGO_KEYFILE_SOURCE", m_src.group(1))
        entry = svc.get("entrypoint")
        assert entry and entry[0] == "bash" and entry[1].endswith(".sh"), f"{name}: wrapper entrypoint"
        mounts = volume_mounts(svc)
        assert (("./deploy/mongo/entrypoint.sh", entry[1], True) in mounts), f"{name}: wrapper not mounted ro"
        key_mounts = [(s, t, ro) for s, t, ro in mounts if source.startswith(t.rstrip("/") + "/")]
        assert len(key_mounts) == 1 and key_mounts[0][2], f"{name}: keyfile source must be mounted read-only"
        assert key_mounts[0][0] == "mongo-keyfile"
        assert depends(svc).get("mongo-keyfile", {}).get("condition") == "service_completed_successfully", name
        for k in env:
            assert not k.startswith("MONGO_INITDB_ROOT_"), f"{name}: {k} must not be set on cluster nodes"
    job = services(c)["mongo-keyfile"]
    assert ("mongo-keyfile", "/run/mongo-keyfile", False) in volume_mounts(job)
    assert job.get("restart") == "no"


def check_redis_cluster(c):
    conf = REDIS_CONF.read_text()
    assert re.search(r"^cluster-enabled\s+yes\s*$", conf, re.M), "redis.conf: cluster-enabled yes"
    assert re.search(r"^cluster-config-file\s+\S+", conf, re.M)
    assert re.search(r"^port\s+6379\s*$", conf, re.M)
    nodes = by_role(c, "redis-server")
    assert len(nodes) == 6, f"redis nodes: {sorted(nodes)}"
    subnet, ip_range, _ = network_cfg(c)
    ips, vols = [], []
    for name, svc in nodes.items():
        cmd = cmd_of(svc)
        conf_path = cmd[1]
        assert ("./deploy/redis/redis.conf", conf_path, True) in volume_mounts(svc), name
        ip = fixed_ip(svc)
        assert ip, f"{name}: needs a fixed IPv4 address"
        assert flag(cmd, "--cluster-announce-ip") == ip, f"{name}: cluster-announce-ip != its address"
        data = [s for s, t, _ in volume_mounts(svc) if t == "/data"]
        assert len(data) == 1 and not data[0].startswith("."), f"{name}: own /data volume for nodes.conf"
        vols.append(data[0])
        ips.append(ip)
        assert svc.get("healthcheck", {}).get("test"), name
    assert len(set(vols)) == 6 and len(set(ips)) == 6
    init = services(c)["redis-cluster-init"]
    listed = env_of(init)["REDIS_CLUSTER_NODES"].split()
    assert sorted(listed) == sorted(f"{ip}:6379" for ip in ips), "cluster-init must list every node"
    assert env_of(init)["REDIS_CLUSTER_REPLICAS"] == "1"
    for name in nodes:
        assert depends(init).get(name, {}).get("condition") == "service_healthy", f"init -> {name}"
    assert init.get("restart") == "no"
    script = REPO / [s for s, t, _ in volume_mounts(init) if t == init["entrypoint"][1]][0]
    assert "cluster info" in script.read_text(), "the init job must look at CLUSTER INFO first"


def check_addresses(c):
    subnet, ip_range, gateway = network_cfg(c)
    assert ip_range.subnet_of(subnet)
    seen = {}
    for name, svc in services(c).items():
        ip = fixed_ip(svc)
        if not ip:
            continue
        addr = ipaddress.ip_address(ip)
        assert addr in subnet, f"{name}: {ip} outside {subnet}"
        assert addr not in ip_range, f"{name}: {ip} inside the dynamic ip_range {ip_range}"
        assert ip != gateway and addr not in (subnet.network_address, subnet.broadcast_address), name
        assert ip not in seen, f"{name} and {seen.get(ip)} share {ip}"
        seen[ip] = name


def check_storefront(c):
    sf = {n: s for n, s in services(c).items() if "build" in s}
    assert len(sf) >= 3, f"storefront instances: {sorted(sf)}"
    routers = by_role(c, "mongos")
    redis = by_role(c, "redis-server")
    consul = {n for n, s in services(c).items() if s.get("image", "").startswith("hashicorp/consul")}
    ids = set()
    for name, svc in sf.items():
        env = env_of(svc)
        url = env["MONGODB_URL"]
        assert url.startswith("mongodb://")
        assert sorted(hosts_in(url)) == sorted(f"{r}:{flag(cmd_of(s), '--port')}" for r, s in routers.items()), \
            f"{name}: MONGODB_URL must list every mongos"
        assert "replicaSet=" not in url, f"{name}: no replicaSet= for mongos"
        assert env["MONGODB_DATABASE_NAME"] == "somedb"
        r = urlsplit(env["REDIS_URL"])
        assert r.scheme == "redis-cluster"
        hosts = r.netloc.rsplit("@", 1)[-1].split(",")
        assert sorted(h.split(":")[0] for h in hosts) == sorted(redis), f"{name}: REDIS_URL"
        cu = urlsplit(env["CONSUL_HTTP_ADDR"])
        assert cu.hostname in consul and cu.port == 8500, f"{name}: CONSUL_HTTP_ADDR"
        ip = fixed_ip(svc)
        assert ip and env["STOREFRONT_ADVERTISE_ADDRESS"] == ip, f"{name}: advertised address != its address"
        ids.add(env["STOREFRONT_INSTANCE_ID"])
        assert env["PORT"] == "8080"
        assert env["STOREFRONT_SWAGGER_DIR"] == "/usr/share/storefront/swagger-ui"
        assert "/health/ready" in " ".join(svc["healthcheck"]["test"])
        assert svc.get("ports") in (None, []), f"{name}: instances are reached through the gateway only"
        for router in routers:
            # started, not healthy: a router answers only after mongo-init.sh has
            # initiated the config set, which happens after `docker compose up`
            assert depends(svc).get(router, {}).get("condition") == "service_started", f"{name} -> {router}"
    assert len(ids) == len(sf), "instance ids must be unique"


def check_consul(c):
    consul = {n: s for n, s in services(c).items() if s.get("image", "").startswith("hashicorp/consul")}
    assert consul
    servers = {n: s for n, s in consul.items() if "-server" in cmd_of(s)}
    for name, svc in servers.items():
        cmd = cmd_of(svc)
        assert "-client=0.0.0.0" in cmd and "-ui" in cmd, name
        assert flag(cmd, "-bootstrap-expect") == str(len(servers)), name
        if len(servers) > 1:
            assert flag(cmd, "-retry-join"), f"{name}: -retry-join for a multi-server cluster"
        bind = flag(cmd, "-bind")
        assert bind and bind == fixed_ip(svc), f"{name}: -bind must be its fixed address"
    if len(servers) == 1:
        doc = DEPLOYMENT_DOC.read_text()
        assert re.search(r"^#+ .*one Consul server", doc, re.M | re.I), \
            "one Consul server: docs/deployment.md must explain why"
    published = [p for s in consul.values() for p in s.get("ports", [])]
    assert any(p.endswith(":8500:8500") or p == "8500:8500" for p in published), "Consul UI on 8500"


def check_apisix(c, cfg, routes_text):
    apisix = {n: s for n, s in services(c).items() if s.get("image", "").startswith("apache/apisix")}
    assert len(apisix) == 1
    (name, svc), = apisix.items()
    assert image_version(svc["image"]) >= (3, 13, 0), "APISIX >= 3.13"
    mounts = volume_mounts(svc)
    assert ("./deploy/apisix/config.yaml", "/usr/local/apisix/conf/config.yaml", True) in mounts
    assert ("./deploy/apisix/apisix.yaml", "/usr/local/apisix/conf/apisix.yaml", True) in mounts

    assert cfg["deployment"]["role"] == "data_plane"
    assert cfg["deployment"]["role_data_plane"]["config_provider"] == "yaml"
    # the image's entrypoint greps for these lines before it would sed a read-only file
    raw = APISIX_CONFIG.read_text()
    assert re.search(r"^\s*role: data_plane\s*$", raw, re.M) and re.search(r"^\s*config_provider: yaml\s*$", raw, re.M)
    assert "consul_kv" not in cfg.get("discovery", {}), "use discovery.consul, not consul_kv"
    consul_servers = cfg["discovery"]["consul"]["servers"]
    consul_names = {n for n, s in services(c).items() if s.get("image", "").startswith("hashicorp/consul")}
    for url in consul_servers:
        u = urlsplit(url)
        assert u.hostname in consul_names and u.port == 8500, url
    listen = cfg["apisix"]["node_listen"]
    ports = [str(p if not isinstance(p, dict) else p["port"]) for p in listen]
    assert any(p.endswith(f"8080:{ports[0]}") for p in svc.get("ports", [])), \
        "APISIX must publish host port 8080 to its node_listen port"
    exp = cfg["plugin_attr"]["prometheus"]["export_addr"]
    assert exp["ip"] == "0.0.0.0" and int(exp["port"]) == 9091

    lines = [ln for ln in routes_text.splitlines() if ln.strip()]
    assert lines and lines[-1] == "#END", "apisix.yaml must end with a line '#END'"
    routes_doc = yaml.safe_load(routes_text)
    forwarding = [r for r in routes_doc["routes"] if "upstream" in r or "upstream_id" in r]
    assert forwarding, "no route forwards to storefront"
    ups = {r.get("upstream_id") for r in forwarding}
    assert len(ups) == 1, "every route forwards to the one storefront upstream"
    up = next(u for u in routes_doc.get("upstreams", []) if u["id"] == ups.pop())
    assert up["service_name"] == "storefront" and up["discovery_type"] == "consul"
    assert up["type"] == "roundrobin"
    assert up["checks"]["active"]["http_path"] == "/health/ready"
    assert up["checks"]["passive"]["unhealthy"], "passive checks"
    plugins = [p for rule in routes_doc.get("global_rules", []) for p in rule.get("plugins", {})]
    assert "prometheus" in plugins, "prometheus plugin in global_rules"


def check_healthchecks(c):
    for name, svc in services(c).items():
        hc = svc.get("healthcheck")
        assert hc, f"{name}: no healthcheck"
        if hc.get("disable"):
            assert svc.get("restart") == "no", f"{name}: only one-shot jobs may disable the healthcheck"
            continue
        test = hc.get("test")
        assert isinstance(test, list) and test[0] in ("CMD", "CMD-SHELL") and len(test) > 1, f"{name}: {test}"


def check_depends(c):
    svcs = services(c)
    jobs = {n for n, s in svcs.items() if s.get("restart") == "no"}
    for name, svc in svcs.items():
        for dep, cond in depends(svc).items():
            assert dep in svcs, f"{name} depends on unknown {dep}"
            if dep in jobs:
                assert cond.get("condition") == "service_completed_successfully", f"{name} -> {dep}: {cond}"
            else:
                assert cond.get("condition") in ("service_healthy", "service_started"), f"{name} -> {dep}"
                if cond["condition"] == "service_healthy":
                    hc = svcs[dep].get("healthcheck", {})
                    assert hc.get("test") and not hc.get("disable"), f"{name} waits for {dep}'s missing healthcheck"
    # nothing may wait for a router to be healthy: routers become healthy only
    # after scripts/mongo-init.sh, which runs after `docker compose up -d`
    routers = set(by_role(c, "mongos"))
    for name, svc in svcs.items():
        for dep, cond in depends(svc).items():
            assert not (dep in routers and cond.get("condition") == "service_healthy"), \
                f"{name} waits for {dep} to be healthy: `docker compose up -d` would fail before mongo-init.sh"
    # no cycles
    state = {}

    def visit(n, path):
        assert state.get(n) != "active", f"dependency cycle: {' -> '.join(path + [n])}"
        if state.get(n) == "done":
            return
        state[n] = "active"
        for d in depends(svcs[n]):
            visit(d, path + [n])
        state[n] = "done"

    for n in svcs:
        visit(n, [])


def check_mounts_exist(c, repo=REPO):
    declared = set(c.get("volumes") or {})
    used = set()
    for name, svc in services(c).items():
        for src, target, _ in volume_mounts(svc):
            if src.startswith("./"):
                assert (repo / src).exists(), f"{name}: mounted path {src} does not exist in the repo"
            elif src.startswith("/"):
                continue  # host paths (node-exporter's /)
            else:
                assert src in declared, f"{name}: volume {src} not declared"
                used.add(src)
    assert declared == used, f"declared but unused volumes: {sorted(declared - used)}"


def check_ports(c):
    host_ports = {}
    for name, svc in services(c).items():
        for p in svc.get("ports", []):
            parts = str(p).split(":")
            host = parts[-2]
            assert host not in host_ports, f"host port {host}: {name} and {host_ports[host]}"
            host_ports[host] = name
    assert host_ports.get("8080", "").startswith("apisix"), "http://localhost:8080 must be the gateway"


def check_required_secrets(c):
    text = COMPOSE_FILE.read_text()
    required = set(re.findall(r"\$\{([A-Z0-9_]+):\?", text))
    assert {"MONGO_APP_PASSWORD", "MONGO_MONITOR_PASSWORD", "GRAFANA_ADMIN_PASSWORD"} <= required
    example = env_example()
    missing = required - set(example)
    assert not missing, f".env.example lacks {sorted(missing)}"
    for k, v in example.items():
        if "PASSWORD" in k:
            assert v in ("", "change-me"), f".env.example must not carry a real secret in {k}"
    assert "MONGO_ADMIN_PASSWORD" in example  # used by scripts/mongo-init.sh


def check_exporters(c, prom):
    svcs = services(c)
    shard_nodes = by_role(c, "mongod", "--shardsvr")
    cfg_nodes = by_role(c, "mongod", "--configsvr")
    routers = by_role(c, "mongos")
    exporters = {n: s for n, s in svcs.items() if s.get("image", "").startswith("percona/mongodb_exporter")}
    assert len(exporters) == 3
    covered = set()
    for name, svc in exporters.items():
        cmd = cmd_of(svc)
        uri = flag(cmd, "--mongodb.uri")
        assert uri and "--no-mongodb.direct-connect" in cmd, name
        hosts = set()
        for part in uri.split(",mongodb://"):
            hosts |= {h.split(":")[0] for h in hosts_in(part if part.startswith("mongodb://") else "mongodb://" + part)}
        covered |= hosts
        rs = re.search(r"replicaSet=([\w-]+)", uri).group(1)
        members = {n for n, s in {**shard_nodes, **cfg_nodes}.items() if flag(cmd_of(s), "--replSet") == rs}
        assert members <= hosts, f"{name}: URI must list every member of {rs}"
    assert covered == set(shard_nodes) | set(cfg_nodes) | set(routers), "exporters must cover every node"
    redis_exp = [s for s in svcs.values() if s.get("image", "").startswith("oliver006/redis_exporter")]
    assert len(redis_exp) == 1 and flag(cmd_of(redis_exp[0]), "--redis.addr") == ""
    # every host Prometheus scrapes (directly or through an exporter) is a service
    names = set(svcs)
    for job in prom["scrape_configs"]:
        for sc in job.get("static_configs", []):
            for t in sc["targets"]:
                host = urlsplit(t).hostname if "://" in t else t.rsplit(":", 1)[0]
                assert host in names, f"prometheus job {job['job_name']}: {t} is not a compose service"
        for sd in job.get("consul_sd_configs", []):
            assert sd["server"].rsplit(":", 1)[0] in names, f"prometheus job {job['job_name']}: Consul"
        for rl in job.get("relabel_configs", []):
            if rl.get("target_label") == "__address__":
                assert rl["replacement"].rsplit(":", 1)[0] in names, job["job_name"]


# ------------------------------------------------- edge, hardening, secrets
# The public API as the gateways see it: what must be forwarded and what not.
PUBLIC_PATHS = ["/", "/helloDoc/users", "/helloDoc/users/ly1", "/helloDoc/count", "/catalog/products",
                "/catalog/products/sku-1", "/catalog/categories", "/orders/abc", "/docs",
                "/docs/assets/swagger-ui.css", "/openapi.json"]
INTERNAL_PATHS = ["/metrics", "/health/ready", "/health/live", "/health", "/a/b/c/d", "/helloDoc/users/a/b"]
# Services whose root file system stays writable, and why (the comment in compose.yaml says it too).
WRITABLE_ROOT = {"apisix": "apisix start writes conf/nginx.conf next to the shipped conf/ files"}
# Capabilities a root entrypoint may take back, per image family.
ALLOWED_CAPS = {"CHOWN", "FOWNER", "SETUID", "SETGID"}


def _route_matches(route, method, path):
    import fnmatch
    if route.get("methods") and method not in route["methods"]:
        return False
    uris = route.get("uris") or [route.get("uri")]
    if not any(u == path or (u.endswith("/*") and path.startswith(u[:-1])) for u in uris if u):
        return False
    for var in route.get("vars", []):
        name, op, value = var
        assert name == "uri" and op == "~~", f"unsupported vars in the check: {var}"
        if not re.search(value, path):
            return False
    return True


def route_for(routes_doc, method, path):
    """The route APISIX picks: the highest priority among those that match."""
    matching = [r for r in routes_doc["routes"] if _route_matches(r, method, path)]
    return max(matching, key=lambda r: r.get("priority", 0)) if matching else None


def route_plugins(routes_doc, route):
    plugins = {}
    for pc in routes_doc.get("plugin_configs", []):
        if pc["id"] == route.get("plugin_config_id"):
            plugins.update(pc["plugins"])
    plugins.update(route.get("plugins", {}))
    return plugins


def check_apisix_edge(c, cfg, routes_text):
    doc = yaml.safe_load(routes_text)
    for path in PUBLIC_PATHS:
        r = route_for(doc, "GET", path)
        assert r and r.get("upstream_id"), f"GET {path} must be forwarded"
    for path in INTERNAL_PATHS:
        r = route_for(doc, "GET", path)
        assert r and not r.get("upstream_id") and not r.get("upstream"), f"GET {path} must not be forwarded"
        mock = r["plugins"]["mocking"]
        assert mock["response_status"] == 404 and json.loads(mock["response_example"])["detail"]
    writes = [("POST", "/helloDoc/users"), ("PUT", "/catalog/products/sku-1"), ("DELETE", "/catalog/products/sku-1"),
              ("POST", "/catalog/products/sku-1/stock"), ("POST", "/orders/abc/cancel"), ("POST", "/orders")]
    counts = {}
    for method, path in writes:
        r = route_for(doc, method, path)
        assert r and r.get("upstream_id"), f"{method} {path} must be forwarded"
        counts[(method, path)] = route_plugins(doc, r)["limit-count"]
    assert route_for(doc, "POST", "/metrics") is None or not route_for(doc, "POST", "/metrics").get("upstream_id")
    env = env_example()
    apisix_env = env_of(next(s for n, s in services(c).items() if n == "apisix"))

    def number(v):
        m = re.fullmatch(r"\$\{\{(\w+):=(\d+)\}\}", str(v))
        assert m, f"limits come from the environment with a default: {v}"
        assert m.group(1) in apisix_env, f"{m.group(1)} is not passed to the apisix container"
        assert m.group(1) in cfg["nginx_config"]["envs"], f"{m.group(1)} must be in nginx_config.envs"
        assert f"# {m.group(1)}=" in ENV_EXAMPLE.read_text() or m.group(1) in env, f"{m.group(1)} not in .env.example"
        return int(m.group(2))

    orders = counts[("POST", "/orders")]
    other = counts[("POST", "/helloDoc/users")]
    assert number(orders["count"]) / number(orders["time_window"]) < number(other["count"]) / number(other["time_window"]), \
        "POST /orders must have a stricter limit than other writes"
    for route in doc["routes"]:
        if not route.get("upstream_id"):
            continue
        plugins = route_plugins(doc, route)
        req = plugins.get("limit-req")
        assert req, f"route {route['id']}: limit-req on every forwarded route"
        assert req["key"] == "remote_addr" and req["rejected_code"] == 429
        number(req["rate"]), number(req["burst"])
        if "limit-count" in plugins:
            lc = plugins["limit-count"]
            assert lc["key"] == "remote_addr" and lc["rejected_code"] == 429
        rw = plugins["response-rewrite"]
        assert rw["vars"] == [["status", "==", 429]]
        assert json.loads(rw["body"])["detail"]
        assert rw["headers"]["set"]["Content-Type"] == "application/json" and rw["headers"]["set"]["Retry-After"]
    # TLS from the environment
    assert cfg["apisix"]["ssl"]["enable"] is True
    (ssl_port,) = [p["port"] for p in cfg["apisix"]["ssl"]["listen"]]
    (svc,) = [s for n, s in services(c).items() if n == "apisix"]
    assert any(p.endswith(f":8443:{ssl_port}") for p in svc["ports"]), "https published on 8443"
    (cert,) = doc["ssls"]
    assert cert["cert"] == "${{APISIX_TLS_CERT}}" and cert["key"] == "${{APISIX_TLS_KEY}}"
    assert {"APISIX_TLS_CERT", "APISIX_TLS_KEY"} <= set(apisix_env) <= set(apisix_env) | set(cfg["nginx_config"]["envs"])
    assert cfg["discovery"]["consul"]["token"] == "${{CONSUL_READ_TOKEN}}" and "CONSUL_READ_TOKEN" in apisix_env


def check_hardening(c):
    for name, svc in services(c).items():
        if name in WRITABLE_ROOT:
            assert svc.get("read_only") is False, name
            assert svc.get("tmpfs"), f"{name}: writable paths as tmpfs all the same"
        else:
            assert svc.get("read_only") is True, f"{name}: read_only: true (tmpfs where it must write)"
        assert svc.get("cap_drop") == ["ALL"], f"{name}: cap_drop: [ALL]"
        extra = set(svc.get("cap_add", []))
        assert extra <= ALLOWED_CAPS, f"{name}: cap_add {sorted(extra - ALLOWED_CAPS)}"
        assert "no-new-privileges:true" in svc.get("security_opt", []), f"{name}: no-new-privileges"
        limits = svc.get("deploy", {}).get("resources", {}).get("limits", {})
        assert float(limits.get("cpus", 0)) > 0 and re.fullmatch(r"\d+[mg]", str(limits.get("memory", ""))), \
            f"{name}: deploy.resources.limits cpus and memory"
        log = svc.get("logging", {})
        assert log.get("driver") == "json-file", f"{name}: logging driver json-file"
        opts = log.get("options", {})
        assert re.fullmatch(r"\d+[kmg]", str(opts.get("max-size", ""))) and int(opts.get("max-file", 0)) >= 1, \
            f"{name}: logging max-size and max-file"
    text = COMPOSE_FILE.read_text()
    for m in re.finditer(r"^(\s*)cap_add:", text, re.M):
        before = text[:m.start()].rstrip("\n").splitlines()[-1]
        assert before.strip().startswith("#"), f"a comment must say why, before: {text[m.start():m.end() + 40]}"


def secret_names(c):
    text = COMPOSE_FILE.read_text()
    required = set(re.findall(r"\$\{([A-Z0-9_]+):\?", text))
    return {n for n in required if re.search(r"PASSWORD|TOKEN|TLS_CERT|TLS_KEY", n)}


def check_secrets_gate(c):
    svcs = services(c)
    gate = svcs["secrets-check"]
    assert gate.get("restart") == "no" and gate.get("network_mode") == "none"
    env = env_of(gate)
    listed = set((env["SECRETS_CHECK_PASSWORDS"] + " " + env["SECRETS_CHECK_UUIDS"] + " "
                  + env["SECRETS_CHECK_PEM"]).split())
    assert secret_names(c) <= listed, f"not checked: {sorted(secret_names(c) - listed)}"
    for n in listed:
        assert n in env, f"secrets-check does not receive {n}"
    for name, svc in svcs.items():
        if name == "secrets-check":
            continue
        assert depends(svc).get("secrets-check", {}).get("condition") == "service_completed_successfully", \
            f"{name} must wait for secrets-check"


def check_redis_acl(c):
    nodes = by_role(c, "redis-server")
    for name, svc in nodes.items():
        assert svc["entrypoint"][1] == "/opt/storefront/redis-acl.sh", name
        assert ("./deploy/redis/acl.sh", "/opt/storefront/redis-acl.sh", True) in volume_mounts(svc), name
        assert {"REDIS_ADMIN_PASSWORD", "REDIS_STOREFRONT_PASSWORD", "REDIS_EXPORTER_PASSWORD"} <= set(env_of(svc))
        assert "/run/redis" in svc.get("tmpfs", []), f"{name}: the rendered ACL lives on a tmpfs"
        assert "REDISCLI_AUTH" in " ".join(svc["healthcheck"]["test"]), f"{name}: the healthcheck authenticates"
    conf = REDIS_CONF.read_text()
    assert not re.search(r"^\s*(requirepass|user)\s", conf, re.M), "users come from acl.sh, not redis.conf"
    for name, svc in services(c).items():
        if "build" in svc:
            r = urlsplit(env_of(svc)["REDIS_URL"])
            assert r.username == "storefront" and r.password, f"{name}: REDIS_URL with the storefront ACL user"
    exp = next(s for s in services(c).values() if s.get("image", "").startswith("oliver006/redis_exporter"))
    assert env_of(exp).get("REDIS_USER") == "exporter" and env_of(exp).get("REDIS_PASSWORD"), "exporter ACL user"
    init = services(c)["redis-cluster-init"]
    assert env_of(init)["REDIS_ADMIN_USER"] == "admin" and env_of(init)["REDIS_ADMIN_PASSWORD"]


def check_consul_acl(c, prom):
    hcl = CONSUL_SERVER_HCL.read_text()
    acl = re.search(r"^acl \{(.*?)^\}", hcl, re.M | re.S)
    assert acl and re.search(r'enabled\s*=\s*true', acl.group(1)) and re.search(r'default_policy\s*=\s*"deny"', acl.group(1))
    svcs = services(c)
    consul = svcs["consul"]
    assert consul["entrypoint"][1] == "/opt/storefront/consul-entrypoint.sh"
    assert {"CONSUL_MANAGEMENT_TOKEN", "CONSUL_AGENT_TOKEN"} <= set(env_of(consul))
    init = svcs["consul-acl-init"]
    assert init.get("restart") == "no"
    assert depends(init)["consul"]["condition"] == "service_healthy"
    for name, svc in svcs.items():
        if "build" in svc:
            assert env_of(svc).get("CONSUL_HTTP_TOKEN"), f"{name}: registers with a token"
            assert depends(svc)["consul-acl-init"]["condition"] == "service_completed_successfully", name
    for job in prom["scrape_configs"]:
        for sd in job.get("consul_sd_configs", []):
            assert sd.get("authorization", {}).get("credentials_file") == "/run/secrets/consul_read_token", job["job_name"]
    jobs = {j["job_name"]: j for j in prom["scrape_configs"]}
    assert jobs["consul"]["metrics_path"] == "/v1/agent/metrics" and jobs["consul"]["params"] == {"format": ["prometheus"]}
    assert "consul_read_token" in svcs["prometheus"].get("secrets", [])
    assert c["secrets"]["consul_read_token"] == {"environment": "CONSUL_READ_TOKEN"}


# ------------------------------------------------------------------- tests

def test_project(compose):
    check_project(compose)


def test_images_are_pinned(compose):
    check_images_pinned(compose)


def test_mongo_topology(compose):
    check_mongo_topology(compose)


def test_mongo_internal_auth(compose):
    check_mongo_auth(compose)


def test_redis_cluster(compose):
    check_redis_cluster(compose)


def test_fixed_addresses(compose):
    check_addresses(compose)


def test_storefront_instances(compose):
    check_storefront(compose)


def test_consul(compose):
    check_consul(compose)


def test_apisix(compose, apisix_config, apisix_routes_text):
    check_apisix(compose, apisix_config, apisix_routes_text)


def test_every_service_has_a_healthcheck(compose):
    check_healthchecks(compose)


def test_depends_on(compose):
    check_depends(compose)


def test_mounted_paths_exist(compose):
    check_mounts_exist(compose)


def test_published_ports(compose):
    check_ports(compose)


def test_secrets_come_from_env(compose):
    check_required_secrets(compose)


def test_exporters_and_prometheus_targets(compose):
    check_exporters(compose, load_yaml(PROMETHEUS_CONFIG))


def test_monitoring_config_files_are_mounted(compose):
    svcs = services(compose)
    mounts = {n: {s for s, _, _ in volume_mounts(svcs[n])} for n in ("prometheus", "alertmanager", "grafana")}
    assert "./deploy/prometheus" in mounts["prometheus"]
    assert "./deploy/alertmanager" in mounts["alertmanager"]
    assert {"./deploy/grafana/provisioning", "./deploy/grafana/dashboards"} <= mounts["grafana"]
    for f in ("deploy/prometheus/prometheus.yml", "deploy/alertmanager/alertmanager.yml",
              "deploy/alertmanager/render-config.sh"):
        assert (REPO / f).is_file(), f
    am = svcs["alertmanager"]
    assert am["entrypoint"][1] == "/etc/alertmanager/render-config.sh"
    assert "--config.file=/tmp/alertmanager.yml" in am["entrypoint"]
    providers = [p for f in (REPO / "deploy/grafana/provisioning/dashboards").glob("*.yml")
                 for p in (load_yaml(f) or {}).get("providers", [])]
    assert providers and all(p["options"]["path"] == "/var/lib/grafana/dashboards" for p in providers)


def test_dockerfile():
    text = DOCKERFILE.read_text()
    froms = re.findall(r"^FROM\s+(\S+)(?:\s+AS\s+(\S+))?", text, re.M | re.I)
    assert len(froms) >= 2, "multi-stage build"
    assert re.search(r"^ARG DEBIAN_IMAGE=debian:bookworm", text, re.M)
    boot = BOOTSTRAP.read_text()
    block = re.search(r"^APT_PACKAGES=\((.*?)^\)", boot, re.M | re.S).group(1)
    wanted = {p for p in re.sub(r"#.*", "", block).split()
              if p in ("build-essential", "cmake", "ninja-build", "pkg-config")
              or (p.endswith("-dev") and p not in ("libgtest-dev", "libgmock-dev", "libbenchmark-dev",
                                                   "libhiredis-dev"))}  # test / bench only
    build_stage = text.split("FROM ${DEBIAN_IMAGE} AS runtime")[0]
    installed = set(re.findall(r"[a-z0-9][a-z0-9.+-]+", build_stage))
    assert wanted and wanted <= installed, f"build stage lacks {sorted(wanted - installed)}"
    assert {"nodejs", "npm"} <= installed
    # swagger-ui: same version and files as bootstrap
    assert re.search(r"^SWAGGER_UI_VERSION=\S+$", boot, re.M)
    assert re.search(r"^SWAGGER_FILES=\(.+\)$", boot, re.M)
    assert "STOREFRONT_SWAGGER_DIR=/usr/share/storefront/swagger-ui" in text
    assert "cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=Release" in text
    user = re.findall(r"^USER\s+(\S+)", text, re.M)
    assert user and not user[-1].startswith(("root", "0")), "runs as non-root"
    assert re.search(r"^HEALTHCHECK .*\n?.*/health/ready", text, re.M)
    assert re.search(r"^EXPOSE 8080", text, re.M)


def test_dockerignore():
    patterns = [ln.strip() for ln in DOCKERIGNORE.read_text().splitlines()
                if ln.strip() and not ln.startswith("#")]
    for p in (".git", ".env", ".cache/"):
        assert p in patterns, p
    for needed in ("src", "CMakeLists.txt", "scripts", "cmake"):
        assert not any(p.strip("/").split("/")[0] == needed for p in patterns), f"{needed} must reach the build"


# The edge and hardening checks, each on the real files.
EDGE_CHECKS = {
    "apisix-routes-only-the-public-api-with-limits-and-tls":
        lambda c: check_apisix_edge(c, load_yaml(APISIX_CONFIG), APISIX_ROUTES.read_text()),
    "every-container-is-hardened": check_hardening,
    "shipped-secrets-are-refused-before-anything-starts": check_secrets_gate,
    "redis-acl-users": check_redis_acl,
    "consul-acls": lambda c: check_consul_acl(c, load_yaml(PROMETHEUS_CONFIG)),
}


@pytest.mark.parametrize("name", sorted(EDGE_CHECKS))
def test_edge_and_hardening(compose, name):
    EDGE_CHECKS[name](compose)


def run_secrets_check(env):
    return subprocess.run(["sh", str(SECRETS_CHECK)], env={"PATH": "/usr/bin:/bin", **env},
                          capture_output=True, text=True, timeout=30)


def test_the_secrets_check_refuses_env_example_and_passes_real_values(compose):
    gate_env = env_of(services(compose)["secrets-check"])   # interpolated from .env.example
    r = run_secrets_check(gate_env)
    assert r.returncode == 1
    for name in secret_names(compose):
        assert f"secrets-check: {name} is still the shipped placeholder 'change-me'" in r.stderr, name
    good = dict(gate_env)
    for name in gate_env["SECRETS_CHECK_PASSWORDS"].split():
        good[name] = "a1b2c3d4e5f6a7b8c9d0"
    for name in gate_env["SECRETS_CHECK_UUIDS"].split():
        good[name] = "0b6f3c1e-6a43-4a4e-9d65-1f0f3b7c2a10"
    for name in gate_env["SECRETS_CHECK_PEM"].split():
        good[name] = "-----BEGIN X-----\nAAAA\n-----END X-----"
    r = run_secrets_check(good)
    assert r.returncode == 0 and "secrets-check: ok" in r.stdout, r.stderr
    for bad_value, message in (("short", "shorter than 16"), ("has space inside it!", "may contain only"), ("", "is empty")):
        r = run_secrets_check({**good, "REDIS_ADMIN_PASSWORD": bad_value})
        assert r.returncode == 1 and f"REDIS_ADMIN_PASSWORD {message}" in r.stderr.replace("is empty", "REDIS_ADMIN_PASSWORD is empty") or message in r.stderr, r.stderr
    r = run_secrets_check({**good, "CONSUL_READ_TOKEN": "not-a-uuid"})
    assert r.returncode == 1 and "CONSUL_READ_TOKEN must be a UUID" in r.stderr


def compose_check(*args, env_file=ENV_EXAMPLE, compose_file=COMPOSE_FILE):
    if not COMPOSE_CHECK.is_file():
        pytest.fail(f"{COMPOSE_CHECK} missing: scripts/bootstrap builds it (tools/compose-check)")
    return subprocess.run([str(COMPOSE_CHECK), "-f", str(compose_file), "--env-file", str(env_file), *args],
                          capture_output=True, text=True, cwd=REPO, timeout=120)


def test_compose_config_validates_with_compose_go():
    r = compose_check()
    assert r.returncode == 0, r.stderr
    assert re.search(r'project "storefront", \d+ services valid', r.stdout)
    # the normalised model agrees with what the static checks read
    model = json.loads(compose_check("--json").stdout)
    assert model["services"]["storefront-1"]["read_only"] is True
    assert model["services"]["redis-node-1"]["cap_drop"] == ["ALL"]
    # the required secrets really are required
    r = compose_check(env_file="/dev/null")
    assert r.returncode == 1 and "PASSWORD" in r.stderr


@pytest.mark.parametrize("edit, error", [
    (lambda t: t.replace("read_only: true", "read_only: maybe", 1), "read_only"),
    (lambda t: t.replace("condition: service_completed_successfully", "condition: when_ready", 1), "condition"),
    (lambda t: t.replace("      - backend\n", "      - frontend\n", 1), "frontend"),
    (lambda t: t.replace("    environment: CONSUL_READ_TOKEN", "    nonsense: CONSUL_READ_TOKEN"), "nonsense"),
], ids=["bad-type", "bad-enum", "unknown-network", "bad-secret"])
def test_compose_go_rejects_broken_files(tmp_path, edit, error):
    text = COMPOSE_FILE.read_text()
    broken = edit(text)
    assert broken != text
    f = REPO / f".compose-check-{tmp_path.name}.yaml"        # beside compose.yaml: same relative paths
    try:
        f.write_text(broken)
        r = compose_check(compose_file=f)
    finally:
        f.unlink(missing_ok=True)
    assert r.returncode == 1 and error in r.stderr, r.stderr


# ------------------------------------------------------- the checks bite
# Each case breaks one thing in a copy and expects the matching check to fail.

def _mutants():
    def drop_healthcheck(c):
        del c["services"]["redis-node-3"]["healthcheck"]

    def drop_router_from_url(c):
        e = c["services"]["storefront-2"]["environment"]
        e["MONGODB_URL"] = e["MONGODB_URL"].replace("mongos-3:27017,", "").replace(",mongos-3:27017", "")

    def replica_set_in_url(c):
        c["services"]["storefront-1"]["environment"]["MONGODB_URL"] += "&replicaSet=rs0"

    def announce_wrong_ip(c):
        cmd = c["services"]["redis-node-4"]["command"]
        cmd[cmd.index("--cluster-announce-ip") + 1] = "172.28.0.99"

    def two_nodes_same_volume(c):
        c["services"]["shard1-2"]["volumes"][0] = "shard1-1-data:/data/db"

    def no_bind_ip_all(c):
        c["services"]["mongos-2"]["command"].remove("--bind_ip_all")

    def missing_mount(c):
        c["services"]["consul"]["volumes"].append("./deploy/consul/nope.hcl:/consul/config/nope.hcl:ro")

    def initdb_root_on_shard(c):
        c["services"]["shard2-1"]["environment"] = {**c["services"]["shard2-1"]["environment"],
                                                    "MONGO_INITDB_ROOT_USERNAME": "x"}

    def dynamic_ip_collision(c):
        c["services"]["storefront-3"]["networks"]["backend"]["ipv4_address"] = "172.28.0.200"
        c["services"]["storefront-3"]["environment"]["STOREFRONT_ADVERTISE_ADDRESS"] = "172.28.0.200"

    def latest_image(c):
        c["services"]["prometheus"]["image"] = "prom/prometheus:latest"

    def configdb_missing_member(c):
        cmd = c["services"]["mongos-1"]["command"]
        i = cmd.index("--configdb") + 1
        cmd[i] = cmd[i].replace(",configsvr-3:27019", "")

    def consul_two_servers_without_join(c):
        c["services"]["consul"]["command"] = [a.replace("-bootstrap-expect=1", "-bootstrap-expect=3")
                                              for a in c["services"]["consul"]["command"]]

    def wait_for_healthy_router(c):
        c["services"]["storefront-1"]["depends_on"]["mongos-1"]["condition"] = "service_healthy"

    def writable_root(c):
        c["services"]["redis-node-2"]["read_only"] = False

    def keep_capabilities(c):
        del c["services"]["storefront-1"]["cap_drop"]

    def extra_capability(c):
        c["services"]["consul"]["cap_add"] = ["CHOWN", "NET_ADMIN"]

    def no_memory_limit(c):
        c["services"]["prometheus"]["deploy"] = {"resources": {"limits": {"cpus": "1"}}}

    def unbounded_logs(c):
        c["services"]["grafana"]["logging"] = {"driver": "json-file", "options": {}}

    def skip_the_gate(c):
        c["services"]["mongo-keyfile"]["depends_on"] = {}

    def unchecked_secret(c):
        e = c["services"]["secrets-check"]["environment"]
        e["SECRETS_CHECK_PASSWORDS"] = e["SECRETS_CHECK_PASSWORDS"].replace("REDIS_EXPORTER_PASSWORD", "")

    def redis_without_user(c):
        e = c["services"]["storefront-2"]["environment"]
        e["REDIS_URL"] = "redis-cluster://" + e["REDIS_URL"].split("@", 1)[1]

    def register_without_token(c):
        del c["services"]["storefront-3"]["environment"]["CONSUL_HTTP_TOKEN"]

    return [
        (writable_root, check_hardening),
        (keep_capabilities, check_hardening),
        (extra_capability, check_hardening),
        (no_memory_limit, check_hardening),
        (unbounded_logs, check_hardening),
        (skip_the_gate, check_secrets_gate),
        (unchecked_secret, check_secrets_gate),
        (redis_without_user, check_redis_acl),
        (lambda c: c["services"]["redis-exporter"]["environment"].pop("REDIS_USER"), check_redis_acl),
        (register_without_token, lambda c: check_consul_acl(c, load_yaml(PROMETHEUS_CONFIG))),
        (wait_for_healthy_router, check_depends),
        (drop_healthcheck, check_healthchecks),
        (drop_router_from_url, check_storefront),
        (replica_set_in_url, check_storefront),
        (announce_wrong_ip, check_redis_cluster),
        (two_nodes_same_volume, check_mongo_topology),
        (no_bind_ip_all, check_mongo_topology),
        (missing_mount, check_mounts_exist),
        (initdb_root_on_shard, check_mongo_auth),
        (dynamic_ip_collision, check_addresses),
        (latest_image, check_images_pinned),
        (configdb_missing_member, check_mongo_topology),
        (consul_two_servers_without_join, check_consul),
    ]


@pytest.mark.parametrize("mutate, check", _mutants(), ids=lambda x: getattr(x, "__name__", "x"))
def test_checks_fail_on_broken_compose(compose, mutate, check):
    broken = copy.deepcopy(compose)
    mutate(broken)
    with pytest.raises(AssertionError):
        check(broken)
    check(compose)  # and the real file passes


@pytest.mark.parametrize("edit", [
    lambda t: t.replace("#END", ""),
    lambda t: t + "\nroutes: []\n",
    lambda t: t.replace("discovery_type: consul", "discovery_type: dns"),
    lambda t: t.replace("service_name: storefront", "service_name: web"),
    lambda t: t.replace("      prometheus:\n", "      limit-count:\n"),
], ids=["no-END", "after-END", "dns-discovery", "other-service", "no-prometheus"])
def test_apisix_check_fails_on_broken_routes(compose, apisix_config, apisix_routes_text, edit):
    broken = edit(apisix_routes_text)
    assert broken != apisix_routes_text
    with pytest.raises(AssertionError):
        check_apisix(compose, apisix_config, broken)


@pytest.mark.parametrize("edit", [
    lambda c: c["discovery"].update(consul_kv=c["discovery"].pop("consul")),
    lambda c: c["deployment"].update(role="traditional"),
    lambda c: c["plugin_attr"]["prometheus"]["export_addr"].update(ip="127.0.0.1"),
], ids=["consul_kv", "traditional", "metrics-on-loopback"])
def test_apisix_check_fails_on_broken_config(compose, apisix_config, apisix_routes_text, edit):
    broken = copy.deepcopy(apisix_config)
    edit(broken)
    with pytest.raises((AssertionError, KeyError)):
        check_apisix(compose, broken, apisix_routes_text)


@pytest.mark.parametrize("edit", [
    lambda t: t.replace("[^/]+/count)$", "[^/]+/count|metrics)$"),
    lambda t: t.replace("        key: remote_addr\n        rejected_code: 429\n        nodelay: true",
                        "        key: remote_addr\n        rejected_code: 503\n        nodelay: true"),
    lambda t: t.replace("count: ${{APISIX_LIMIT_ORDERS_COUNT:=10}}", "count: ${{APISIX_LIMIT_ORDERS_COUNT:=1000}}"),
    lambda t: t.replace("            Retry-After: \"1\"\n", ""),
    lambda t: t.replace("    priority: 0\n", "    priority: 0\n    upstream_id: storefront\n"),
    lambda t: t.replace('cert: "${{APISIX_TLS_CERT}}"', "cert: /etc/ssl/cert.pem"),
], ids=["metrics-public", "limit-not-429", "orders-not-stricter", "no-retry-after", "catch-all-forwards", "cert-not-env"])
def test_apisix_edge_check_fails_on_broken_routes(compose, apisix_config, apisix_routes_text, edit):
    broken = edit(apisix_routes_text)
    assert broken != apisix_routes_text
    with pytest.raises((AssertionError, KeyError)):
        check_apisix_edge(compose, apisix_config, broken)
