"""Starting and stopping one component: its ports checked free, its config
rendered, spawned detached (supervisor.process: own session, working
directory the run dir, output appended to logs/NAME.log, pid file) and waited
for until its readiness check passes."""
from __future__ import annotations

import os
import subprocess

from .. import process
from ..readiness import Command, HttpOk, TcpPort, port_open
from . import plan, render
from .context import Die, Stack, env_int, warn


def port_must_be_free(what: str, port: int) -> None:
    if port_open(port):
        raise Die(f"{what}: port {port} is already in use by another process (choose another STACK_BASE_PORT)")


def extra_ports(st: Stack, name: str) -> list[tuple[str, int]]:
    """The ports a component listens on besides its main one."""
    p = st.ports
    if plan.numbered(name, "redis-", plan.REDIS_NODES):
        return [(f"{name} (cluster bus)", plan.component_port(name, p) + 10000)]
    if name == "haproxy":
        return [(f"{name} (stats, TLS)", p.stats), (f"{name} (stats, TLS)", p.tls)]
    if name == "consul":
        return [(name, p.consul_dns), (name, p.consul_serf), (name, p.consul_server)]
    return []


def preflight_ports(st: Stack, names: list[str]) -> None:
    """Fails before anything starts when a port of the plan is taken."""
    for name in names:
        if name == "redis-exporter" and not render.have_redis_exporter():
            continue
        for what, port in [(name, plan.component_port(name, st.ports)), *extra_ports(st, name)]:
            port_must_be_free(what, port)


def supervise(st: Stack, name: str, argv: list[str], ready, timeout: float, what: str,
              env: dict[str, str] | None = None) -> None:
    """Starts argv as component name and waits for ready; dies if it does not come up."""
    spec = process.Spec(name=name, argv=argv, log_file=st.log_file(name), pid_file=st.pid_file(name),
                        env=env, cwd=st.run_dir, ready=ready, ready_timeout=timeout)
    try:
        process.Process(spec).start(what)
    except process.StartError as e:
        warn(str(e))
        raise Die(f"{name} did not become healthy") from None


def storefront_env(st: Stack, n: int) -> dict[str, str]:
    """storefront-N's environment: the caller's, plus the ports, URLs and ids."""
    p, e = st.ports, os.environ
    redis_url = f"redis-cluster://storefront:{st.secrets.get('REDIS_STOREFRONT_PASSWORD', '')}@" + ",".join(
        p.redis_nodes())
    env = {**e, "MONGODB_URL": f"mongodb://127.0.0.1:{p.mongo}",
           "MONGODB_DATABASE_NAME": e.get("MONGODB_DATABASE_NAME") or "somedb",
           "MONGODB_SERVER_SELECTION_TIMEOUT_MS": e.get("MONGODB_SERVER_SELECTION_TIMEOUT_MS") or "1000",
           "REDIS_URL": redis_url, "PORT": str(p.storefront(n)), "STOREFRONT_BIND": "127.0.0.1",
           "STOREFRONT_INSTANCE_ID": f"storefront-{n}", "CONSUL_HTTP_ADDR": f"http://127.0.0.1:{p.consul_http}",
           "STOREFRONT_ADVERTISE_ADDRESS": "127.0.0.1",
           "STOREFRONT_CHECK_INTERVAL_SECONDS": e.get("STACK_CHECK_INTERVAL_SECONDS") or "1",
           "STOREFRONT_DRAIN_DELAY_MS": e.get("STACK_DRAIN_DELAY_MS") or "2000",
           # helloDoc: the users API of the contract; drills: the drills' writes.
           # Any other collection is a 404, never a new one.
           "STOREFRONT_COLLECTIONS": e.get("STOREFRONT_COLLECTIONS") or "helloDoc,drills"}
    if not e.get("CDN_BASE_URL"):  # the media edge unless the caller names a CDN or another media base
        env["MEDIA_BASE_URL"] = e.get("MEDIA_BASE_URL") or f"http://127.0.0.1:{p.media}/media"
    swagger = os.path.join(os.path.dirname(st.storefront_bin), "swagger-ui")
    if not os.path.isdir(swagger) and (st.cache / "swagger-ui").is_dir():
        env["STOREFRONT_SWAGGER_DIR"] = str(st.cache / "swagger-ui")
    return env


def start_mongo(st: Stack, port: int) -> None:
    # H2 file backend: the data survives `stop mongo` / `start mongo`.
    supervise(st, "mongo", [str(st.repo / "scripts" / "mongo-standin"), "--port", str(port),
                            "--data-dir", str(st.run_dir / "mongo")],
              TcpPort(port), 60, f"the MongoDB stand-in on :{port}",
              env={**os.environ, "STOREFRONT_CACHE": str(st.cache)})


def start_media(st: Stack, port: int) -> None:
    render.render_media_edge(st)
    edge = st.run_dir / "media-edge"
    supervise(st, "media", ["nginx", "-c", str(edge / "nginx.conf"), "-p", str(edge)],
              HttpOk(f"http://127.0.0.1:{port}/health"), 15, f"the media edge on :{port}")


def render_redis_acl(st: Stack) -> None:
    """The ACL users of compose.yaml's nodes (default off, admin, storefront, exporter)."""
    acl_sh = st.repo / "deploy" / "redis" / "acl.sh"
    r = subprocess.run(["sh", str(acl_sh), "--render", str(st.run_dir / "redis" / "acl")],
                       env={**os.environ, **st.secrets})
    if r.returncode != 0:
        raise Die("could not render the Redis ACL")


def start_redis(st: Stack, name: str, port: int) -> None:
    (st.run_dir / "redis" / name).mkdir(parents=True, exist_ok=True)
    render_redis_acl(st)
    # The password reaches the readiness check (REDISCLI_AUTH), not the node's environment.
    ping = Command(("redis-cli", "--user", "admin", "-h", "127.0.0.1", "-p", str(port), "ping"), "PONG",
                   env={"REDISCLI_AUTH": st.secrets.get("REDIS_ADMIN_PASSWORD", "")})
    env = {k: v for k, v in os.environ.items() if k != "REDISCLI_AUTH"}
    supervise(st, name, ["redis-server", str(st.repo / "deploy" / "redis" / "redis.conf"), "--port", str(port),
                         "--bind", "127.0.0.1", "--dir", str(st.run_dir / "redis" / name),
                         "--cluster-node-timeout", os.environ.get("STACK_REDIS_NODE_TIMEOUT_MS") or "2000",
                         "--maxmemory", "64mb", "--daemonize", "no", "--logfile", "",
                         "--include", str(st.run_dir / "redis" / "acl" / "auth.conf")],
              ping, 15, f"{name} on :{port}", env=env)


def start_redis_exporter(st: Stack, port: int) -> None:
    # ACL user exporter; the password through the environment, not argv.
    env = {**os.environ, "REDIS_USER": "exporter", "REDIS_PASSWORD": st.secrets.get("REDIS_EXPORTER_PASSWORD", "")}
    supervise(st, "redis-exporter", ["prometheus-redis-exporter", "-web.listen-address", f"127.0.0.1:{port}",
                                     "-redis.addr=", "-connection-timeout", "1s"],
              HttpOk(f"http://127.0.0.1:{port}/metrics"), 15, f"redis_exporter on :{port}", env=env)


def start_consul(st: Stack, port: int) -> None:
    config = render.render_consul(st)
    # The leader's "address:port", once the agent elected itself.
    supervise(st, "consul", [st.consul_bin(), "agent", "-dev", f"-config-file={config}"],
              HttpOk(f"http://127.0.0.1:{port}/v1/status/leader", r'^"[^"]+:[0-9]+"$'), 30,
              f"Consul on :{port} to elect itself leader")


def start_storefront(st: Stack, name: str, port: int) -> None:
    n = plan.numbered(name, "storefront-", plan.MAX_INSTANCES)
    supervise(st, name, [st.storefront_bin], HttpOk(f"http://127.0.0.1:{port}/health/ready"), 30,
              f"{name} ready on :{port}", env=storefront_env(st, n))


def start_haproxy(st: Stack, port: int) -> None:
    render.render_haproxy(st)
    stats = st.ports.stats
    supervise(st, "haproxy", ["haproxy", "-db", "-f", str(st.run_dir / "haproxy" / "haproxy.cfg")],
              HttpOk(f"http://127.0.0.1:{stats}/metrics"), 15, f"HAProxy metrics on :{stats}")


def start_alertmanager(st: Stack, port: int) -> None:
    render.render_alertmanager(st)
    d = st.run_dir / "alertmanager"
    supervise(st, "alertmanager", ["prometheus-alertmanager", f"--config.file={d / 'alertmanager.yml'}",
                                   f"--storage.path={d / 'data'}", f"--web.listen-address=127.0.0.1:{port}",
                                   "--cluster.listen-address="],
              HttpOk(f"http://127.0.0.1:{port}/-/ready"), 20, f"Alertmanager on :{port}")


def start_prometheus(st: Stack, port: int) -> None:
    render.render_prometheus(st)
    d = st.run_dir / "prometheus"
    supervise(st, "prometheus", [str(st.prometheus_bin), f"--config.file={d / 'prometheus.yml'}",
                                 f"--storage.tsdb.path={d / 'data'}", "--storage.tsdb.retention.time=2d",
                                 f"--web.listen-address=127.0.0.1:{port}"],
              HttpOk(f"http://127.0.0.1:{port}/-/ready"), 30, f"Prometheus on :{port}")


_STARTERS = {"mongo": start_mongo, "media": start_media, "redis-exporter": start_redis_exporter,
             "consul": start_consul, "haproxy": start_haproxy, "alertmanager": start_alertmanager,
             "prometheus": start_prometheus}


def start_component(st: Stack, name: str) -> None:
    """Starts name unless it runs already; dies if it does not become healthy."""
    if st.alive(name):
        return
    if name == "redis-exporter" and not render.have_redis_exporter():
        return
    port = plan.component_port(name, st.ports)
    port_must_be_free(name, port)
    if name == "haproxy":
        port_must_be_free("haproxy (stats)", st.ports.stats)
        port_must_be_free("haproxy (TLS)", st.ports.tls)
    else:
        for what, extra in extra_ports(st, name):
            port_must_be_free(what, extra)
    if plan.numbered(name, "redis-", plan.REDIS_NODES):
        start_redis(st, name, port)
    elif plan.numbered(name, "storefront-", plan.MAX_INSTANCES):
        start_storefront(st, name, port)
    else:
        _STARTERS[name](st, port)


def stop_timeout(name: str) -> float:
    """Seconds to wait after SIGTERM before SIGKILL: an instance's drain delay and
    shutdown grace, with some slack."""
    if name.startswith("storefront-"):
        return (env_int("STOREFRONT_SHUTDOWN_GRACE_MS", 10000) + env_int("STACK_DRAIN_DELAY_MS", 2000)) // 1000 + 5
    return 15


def stop_component(st: Stack, name: str, sig: str = "TERM") -> None:
    """Signals the recorded process and waits for it to exit (SIGKILL after the
    timeout); removes the pid file. Only the pid file goes when it is not running."""
    spec = process.Spec(name=name, argv=[], log_file=st.log_file(name), pid_file=st.pid_file(name))
    process.Process(spec).stop(sig.removeprefix("SIG"), stop_timeout(name), warn=process.warn_stderr("stack: "))
