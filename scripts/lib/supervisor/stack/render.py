"""Configuration files of the stack from deploy/local/*.tmpl (supervisor.template),
each checked by its program before it is used."""
from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path

from .. import template
from . import plan
from .context import Die, Stack, warn
from .tls import ensure_tls_cert

LIMITS = (("STACK_LIMIT_WINDOW_S", "10"), ("STACK_LIMIT_REQUESTS", "5000"), ("STACK_LIMIT_WRITES", "1000"),
          ("STACK_LIMIT_ORDERS", "500"))


def limit(name: str) -> str:
    return os.environ.get(name) or dict(LIMITS)[name]


def join_targets(ports: list[int]) -> str:
    """"127.0.0.1:p1", "127.0.0.1:p2" (a YAML list's items)."""
    return ", ".join(f'"127.0.0.1:{p}"' for p in ports)


def template_values(st: Stack) -> dict[str, object]:
    """The values of the @NAME@ placeholders of deploy/local/*.tmpl."""
    p, window = st.ports, limit("STACK_LIMIT_WINDOW_S")
    return {"REPO": st.repo, "RUN_DIR": st.run_dir, "BASE_PORT": p.base, "GATEWAY_PORT": p.gateway,
            "STATS_PORT": p.stats, "TLS_PORT": p.tls, "MEDIA_PORT": p.media, "PROMETHEUS_PORT": p.prometheus,
            "ALERTMANAGER_PORT": p.alertmanager, "REDIS_EXPORTER_PORT": p.redis_exporter,
            "REDIS_TARGETS": join_targets(p.redis), "CONSUL_HTTP_PORT": p.consul_http,
            "CONSUL_DNS_PORT": p.consul_dns, "CONSUL_SERF_PORT": p.consul_serf,
            "CONSUL_SERVER_PORT": p.consul_server, "SERVICE_NAME": plan.SERVICE_NAME,
            "MAX_INSTANCES": plan.MAX_INSTANCES, "LIMIT_WINDOW_S": window,
            # validated by render_haproxy, the one config that uses it
            "LIMIT_EXPIRE_S": int(window) * 6 if window.isdigit() else window,
            "LIMIT_REQUESTS": limit("STACK_LIMIT_REQUESTS"), "LIMIT_WRITES": limit("STACK_LIMIT_WRITES"),
            "LIMIT_ORDERS": limit("STACK_LIMIT_ORDERS")}


def render(st: Stack, name: str, out: Path, extra: dict[str, object] | None = None,
           blocks: dict[str, bool] | None = None) -> Path:
    """deploy/local/NAME rendered into out with the stack's values."""
    source = st.repo / "deploy" / "local" / name
    try:
        return template.render_file(source, out, {**template_values(st), **(extra or {})}, blocks)
    except (OSError, template.TemplateError) as e:
        warn(f"ERROR: {e}")
        raise Die(f"could not render {out}") from None


def check_config(argv: list[str], what: str) -> None:
    """Dies with the checker's last lines unless argv (a config check) passes."""
    r = subprocess.run(argv, capture_output=True, text=True)
    if r.returncode != 0:
        lines = (r.stdout + r.stderr).rstrip("\n").splitlines()[-5:]
        raise Die(f"invalid {what}: " + "\n".join(lines))


def render_haproxy(st: Stack) -> None:
    out = st.run_dir / "haproxy" / "haproxy.cfg"
    for name, _ in LIMITS:
        if not re.fullmatch(r"[1-9][0-9]*", limit(name)):
            raise Die(f"STACK_LIMIT_* must be positive whole numbers (got '{limit(name)}')")
    if not ensure_tls_cert(st.run_dir / "tls"):
        raise Die(f"openssl could not generate the gateway certificate in {st.run_dir}/tls")
    render(st, "haproxy.cfg.tmpl", out)
    check_config(["haproxy", "-c", "-f", str(out)], f"HAProxy config {out}")


def render_media_edge(st: Stack) -> None:
    edge = st.run_dir / "media-edge"
    out = edge / "nginx.conf"
    for d in ("body", "proxy", "fastcgi", "uwsgi", "scgi"):
        (edge / "tmp" / d).mkdir(parents=True, exist_ok=True)
    (st.run_dir / "media").mkdir(parents=True, exist_ok=True)
    user_directive = ""
    if os.geteuid() == 0:  # nginx as root would switch its workers to nobody
        import grp
        import pwd
        user_directive = f"user {pwd.getpwuid(os.getuid()).pw_name} {grp.getgrgid(os.getgid()).gr_name};"
    render(st, "nginx-media.conf.tmpl", out, {"USER": user_directive})
    check_config(["nginx", "-t", "-q", "-c", str(out), "-p", str(edge)], f"nginx config {out}")


def have_redis_exporter() -> bool:
    return shutil.which("prometheus-redis-exporter") is not None


def render_prometheus(st: Stack) -> None:
    out = st.run_dir / "prometheus" / "prometheus.yml"
    render(st, "prometheus.yml.tmpl", out, blocks={"redis": have_redis_exporter()})
    check_config([str(st.promtool_bin), "check", "config", str(out)], f"Prometheus config {out}")


def render_alertmanager(st: Stack) -> None:
    """The production config (routes, inhibitions) with every webhook pointed at
    HAProxy's no-op /alert-sink, so deliveries succeed locally."""
    (st.run_dir / "alertmanager").mkdir(parents=True, exist_ok=True)
    sink = f"http://127.0.0.1:{st.ports.stats}/alert-sink"
    deploy = st.repo / "deploy" / "alertmanager"
    r = subprocess.run(["sh", str(deploy / "render-config.sh"), str(deploy / "alertmanager.yml"),
                        str(st.run_dir / "alertmanager" / "alertmanager.yml")],
                       env={**os.environ, "ALERTMANAGER_WEBHOOK_URL": sink, "ALERTMANAGER_CRITICAL_WEBHOOK_URL": sink})
    if r.returncode != 0:
        raise SystemExit(r.returncode)


def render_consul(st: Stack) -> Path:
    return render(st, "consul.hcl.tmpl", st.run_dir / "consul" / "consul.hcl")
