"""The process supervisor of scripts/stack and the functional fixtures
(scripts/lib/supervisor): readiness waits, early exits, stop with escalation,
pid files that survive the caller, and the @NAME@ templates."""
import os
import re
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO / "scripts" / "lib"))

import supervisor  # noqa: E402
from supervisor import Process, Spec, StartError  # noqa: E402
from supervisor.stack import commands as stack_commands  # noqa: E402
from supervisor.stack import components as stack_components  # noqa: E402
from supervisor.stack import context as stack_context  # noqa: E402
from supervisor.stack import gateway as stack_gateway  # noqa: E402
from supervisor.stack import plan as stack_plan  # noqa: E402
from supervisor.stack import render as stack_render  # noqa: E402


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def cli(*args: str, env: dict | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "supervisor", *args], capture_output=True, text=True,
                          timeout=60, env={**os.environ, "PYTHONPATH": str(REPO / "scripts" / "lib"), **(env or {})})


def listener(port: int, delay: float = 0.0) -> list[str]:
    """A process that listens on port after `delay` seconds."""
    code = (f"import socket, time; time.sleep({delay}); s = socket.socket(); "
            f"s.bind(('127.0.0.1', {port})); s.listen(); print('listening', flush=True); time.sleep(60)")
    return [sys.executable, "-c", code]


def test_start_waits_for_the_port_and_records_the_pid(tmp_path):
    port = free_port()
    spec = Spec("srv", listener(port, delay=0.5), tmp_path / "srv.log", tmp_path / "srv.pid",
                ready=supervisor.TcpPort(port), ready_timeout=10)
    p = Process(spec)
    t0 = time.monotonic()
    pid = p.start()
    assert time.monotonic() - t0 >= 0.5
    assert supervisor.port_open(port)
    assert supervisor.read_pid(tmp_path / "srv.pid") == pid
    assert os.getsid(pid) == pid, "detached: its own session"
    assert p.stop() == -signal.SIGTERM
    assert not (tmp_path / "srv.pid").exists()
    assert "listening" in p.log_tail()


def test_an_early_exit_fails_at_once_with_the_log_tail(tmp_path):
    spec = Spec("bad", ["sh", "-c", "echo config broken >&2; exit 3"], tmp_path / "bad.log",
                tmp_path / "bad.pid", ready=supervisor.TcpPort(free_port()), ready_timeout=30)
    t0 = time.monotonic()
    with pytest.raises(StartError) as e:
        Process(spec).start()
    assert time.monotonic() - t0 < 5
    assert "bad exited (code 3) before it was ready" in str(e.value)
    assert "config broken" in str(e.value)


def test_a_timeout_stops_the_process_and_says_what_it_waited_for(tmp_path):
    spec = Spec("slow", ["sleep", "60"], tmp_path / "slow.log", tmp_path / "slow.pid",
                ready=supervisor.HttpOk(f"http://127.0.0.1:{free_port()}/ready"), ready_timeout=1)
    p = Process(spec)
    with pytest.raises(StartError, match=r"timed out after 1s waiting for the slow thing"):
        p.start("the slow thing")
    assert not p.alive()
    assert not (tmp_path / "slow.pid").exists()


def test_stop_escalates_to_sigkill_after_the_grace(tmp_path):
    spec = Spec("stubborn", ["sh", "-c", "trap '' TERM; echo ready; while :; do sleep 0.1; done"],
                tmp_path / "s.log", tmp_path / "s.pid", ready=supervisor.Command(("true",)))
    p = Process(spec)
    p.start()
    time.sleep(0.3)  # the trap is set
    warnings = []
    t0 = time.monotonic()
    assert p.stop(grace=1, warn=warnings.append) == -signal.SIGKILL
    assert 1 <= time.monotonic() - t0 < 5
    assert warnings == [f"stubborn (pid {p.popen.pid}) still running 1s after SIGTERM, sending SIGKILL"]


def test_a_reused_pid_is_not_ours(tmp_path):
    # Our own pid with another start time: what a pid file looks like after a reboot.
    pid_file = tmp_path / "x.pid"
    pid_file.write_text(f"{os.getpid()} 1\n")
    assert supervisor.read_pid(pid_file) is None
    pid_file.write_text(f"{os.getpid()} {supervisor.process.start_time(os.getpid())}\n")
    assert supervisor.read_pid(pid_file) == os.getpid()


def test_cli_start_pid_stop_across_invocations(tmp_path):
    port = free_port()
    pid_file = tmp_path / "pids" / "srv.pid"
    args = ["--name", "srv", "--log", str(tmp_path / "srv.log"), "--pid-file", str(pid_file)]
    started = cli("start", *args, "--cwd", str(tmp_path), "--ready-tcp", str(port), "--", *listener(port))
    assert started.returncode == 0, started.stderr
    pid = int(cli("pid", "--pid-file", str(pid_file)).stdout)
    assert Path(f"/proc/{pid}/cwd").resolve() == tmp_path.resolve()
    stopped = cli("stop", "--name", "srv", "--pid-file", str(pid_file), "--grace", "5")
    assert stopped.returncode == 0, stopped.stderr
    assert cli("pid", "--pid-file", str(pid_file)).returncode == 1
    assert not supervisor.port_open(port)


def test_cli_check_only_env_reaches_the_check_not_the_process(tmp_path):
    out = tmp_path / "env.txt"
    started = cli("start", "--name", "e", "--log", str(tmp_path / "e.log"), "--pid-file", str(tmp_path / "e.pid"),
                  "--check-only-env", "PROBE_SECRET", "--ready-cmd", "sh -c 'echo $PROBE_SECRET'",
                  "--expect", "s3cr3t", "--", "sh", "-c", f"env > {out}; sleep 30",
                  env={"PROBE_SECRET": "s3cr3t"})
    assert started.returncode == 0, started.stderr
    cli("stop", "--name", "e", "--pid-file", str(tmp_path / "e.pid"))
    assert "PROBE_SECRET" not in out.read_text()


def test_cli_start_failure_prints_the_log_tail_and_exits_1(tmp_path):
    r = cli("start", "--name", "boom", "--log", str(tmp_path / "b.log"), "--pid-file", str(tmp_path / "b.pid"),
            "--ready-tcp", str(free_port()), "--timeout", "1", "--what", "boom on :1", "--", "sleep", "30")
    assert r.returncode == 1
    assert r.stderr.startswith("stack: timed out after 1s waiting for boom on :1\n--- last lines of ")


# ------------------------------------------------------------------ templates

def test_blocks_are_kept_or_dropped_and_comments_may_hold_placeholders():
    text = "a=@A@\n#extra-begin\nb=@B@\n#extra-end\n# @DOC@ stays in a comment\nbind ipv4@x\n"
    assert supervisor.render_text(text, {"A": 1, "B": 2}, {"extra": True}) == \
        "a=1\nb=2\n# @DOC@ stays in a comment\nbind ipv4@x\n"
    assert supervisor.render_text(text, {"A": 1}, {"extra": False}) == \
        "a=1\n# @DOC@ stays in a comment\nbind ipv4@x\n"


def test_an_unfilled_placeholder_is_an_error(tmp_path):
    with pytest.raises(supervisor.TemplateError, match="@B@"):
        supervisor.render_text("a=@A@ b=@B@\n", {"A": 1})
    tmpl = tmp_path / "t.tmpl"
    tmpl.write_text("x=@X@\n")
    r = cli("render", str(tmpl), str(tmp_path / "out"), "Y=1")
    assert r.returncode == 1 and "no value for @X@" in r.stderr
    assert not (tmp_path / "out").exists(), "no half-rendered config"


def test_scripts_stack_fills_every_placeholder_of_the_local_templates(tmp_path, monkeypatch):
    """template_values (supervisor.stack.render) names every @NAME@ of deploy/local/*.tmpl
    (USER is the media edge's own, passed by render_media_edge)."""
    st = stack_at(tmp_path, monkeypatch)
    values = {**stack_render.template_values(st), "USER": ""}
    for tmpl in (REPO / "deploy" / "local").glob("*.tmpl"):
        for redis in (True, False):
            supervisor.render_text(tmpl.read_text(), values, {"redis": redis}, source=str(tmpl))


# ------------------------------------------------------------------ probes

@pytest.fixture
def fake_api():
    """A loopback HTTP server answering JSON bodies (or bytes as they are) by path: fake_api(routes) -> port."""
    import http.server
    import json
    import threading
    servers = []

    def serve(routes: dict[str, object]) -> int:
        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self):  # noqa: N802 - the http.server interface
                answer = routes.get(self.path, {})
                body = answer if isinstance(answer, bytes) else json.dumps(answer).encode()
                self.send_response(200 if self.path in routes else 404)
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args):
                pass

        server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        servers.append(server)
        return server.server_address[1]

    yield serve
    for s in servers:
        s.shutdown()


def check(check_id: str, status: str) -> dict:
    return {"CheckID": check_id, "Status": status}


def test_consul_health_reports_the_worst_check_and_maintenance(fake_api):
    entries = [
        {"Service": {"ID": "sf-1", "Port": 8081}, "Checks": [check("serfHealth", "passing"), check("sf", "passing")]},
        {"Service": {"ID": "sf-2", "Port": 8082}, "Checks": [check("serfHealth", "passing"), check("sf", "warning")]},
        {"Service": {"ID": "sf-3", "Port": 8083}, "Checks": [check("_service_maintenance:sf-3", "critical"),
                                                             check("sf", "passing")]},
    ]
    port = fake_api({"/v1/health/service/storefront": entries})
    assert supervisor.probes.consul_health(port, "storefront") == [
        ("sf-1", "passing", 8081), ("sf-2", "warning", 8082), ("sf-3", "maintenance", 8083)]
    assert supervisor.probes.consul_health(port, "storefront", maintenance=False)[2] == ("sf-3", "critical", 8083)
    out = cli("consul-health", str(port), "storefront")
    assert out.returncode == 0 and out.stdout.splitlines()[2] == "sf-3 maintenance 8083"
    assert cli("consul-health", str(free_port()), "storefront").returncode == 1


def test_prometheus_summary(fake_api):
    targets = {"data": {"activeTargets": [{"health": "up"}, {"health": "down"}, {"health": "up"}]}}
    alerts = {"data": {"alerts": [{"labels": {"alertname": "B"}, "state": "firing"},
                                  {"labels": {"alertname": "A"}, "state": "firing"},
                                  {"labels": {"alertname": "C"}, "state": "pending"}]}}
    port = fake_api({"/api/v1/targets?state=active": targets, "/api/v1/alerts": alerts})
    assert supervisor.probes.prometheus_summary(port) == ["targets up 2/3", "firing: A, B"]
    assert supervisor.probes.prometheus_summary(free_port()) == ["no answer"]


def test_haproxy_runtime_api(tmp_path):
    import threading
    path = str(tmp_path / "admin.sock")
    server = socket.socket(socket.AF_UNIX)
    server.bind(path)
    server.listen()

    def answer_once():
        conn, _ = server.accept()
        with conn:
            command = conn.recv(1024)
            conn.sendall(b"got " + command)

    threading.Thread(target=answer_once, daemon=True).start()
    assert supervisor.probes.haproxy(path, "show stat") == "got show stat\n"
    server.close()
    assert cli("haproxy", path, "show stat").returncode == 1


# ------------------------------------------------------------------ scripts/stack (supervisor.stack)
# The parts that need no servers: the port plan, settings of the run dir,
# rendering, `env`, argument errors. The drills run the commands on a real stack.

STACK_KEYS = ("STACK_RUN_DIR", "STACK_BASE_PORT", "STACK_INSTANCES", "STOREFRONT_BUILD_DIR", "STACK_LIMIT_WINDOW_S",
              "STACK_LIMIT_REQUESTS", "STACK_LIMIT_WRITES", "STACK_LIMIT_ORDERS", "CDN_BASE_URL", "MEDIA_BASE_URL")


def stack_at(tmp_path: Path, monkeypatch, **env: str) -> "stack_context.Stack":
    """A Stack for run dir tmp_path/run with exactly these STACK_* settings, loaded."""
    for key in STACK_KEYS:
        monkeypatch.delenv(key, raising=False)
    monkeypatch.setenv("STACK_RUN_DIR", str(tmp_path / "run"))
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    st = stack_context.Stack()
    st.load()
    return st


def stack_cli(tmp_path: Path, *args: str, **env: str) -> subprocess.CompletedProcess:
    clean = {k: v for k, v in os.environ.items() if k not in STACK_KEYS}
    return subprocess.run([str(REPO / "scripts" / "stack"), *args], capture_output=True, text=True, timeout=60,
                          env={**clean, "STACK_RUN_DIR": str(tmp_path / "run"), **env}, stdin=subprocess.DEVNULL)


def test_the_port_plan_is_the_documented_one():
    p = stack_plan.Ports(8080, 3)
    assert (p.gateway, p.stats, p.mongo, p.prometheus, p.alertmanager, p.redis_exporter) == \
        (8080, 8090, 8091, 8092, 8093, 8094)
    assert (p.consul_http, p.consul_dns, p.consul_serf, p.consul_server, p.media, p.tls) == \
        (8095, 8096, 8097, 8098, 8099, 8106)
    assert p.storefronts == [8081, 8082, 8083] and p.storefront(9) == 8089
    assert p.redis == list(range(8100, 8106))
    assert stack_plan.HIGHEST_OFFSET == 10025, "the last Redis node's cluster bus: base + 25 + 10000"
    names = stack_plan.components(2)
    assert names[:2] == ["mongo", "media"] and names[-3:] == ["haproxy", "alertmanager", "prometheus"]
    assert [stack_plan.component_port(n, p) for n in ("redis-6", "storefront-2", "consul", "haproxy")] == \
        [8105, 8082, 8095, 8080]
    for bad in ("redis-7", "redis-0", "storefront-10", "storefront-", "nginx"):
        assert stack_plan.component_port(bad, p) is None, bad


def test_env_prints_the_plan_as_key_value_lines(tmp_path):
    r = stack_cli(tmp_path, "env", STACK_BASE_PORT="14000", STACK_INSTANCES="2")
    assert r.returncode == 0, r.stderr
    env = dict(line.split("=", 1) for line in r.stdout.splitlines())
    assert list(env)[:3] == ["STACK_RUN_DIR", "STACK_BASE_PORT", "STACK_INSTANCES"]
    assert env["STACK_RUN_DIR"] == str(tmp_path / "run")
    assert (env["GATEWAY_PORT"], env["STATS_PORT"], env["TLS_PORT"]) == ("14000", "14010", "14026")
    assert env["STOREFRONT_PORTS"] == "14001 14002"
    assert env["REDIS_PORTS"].split() == [env[f"REDIS_{i}_PORT"] for i in range(1, 7)]
    assert env["HAPROXY_SOCKET"] == f"{tmp_path}/run/haproxy/admin.sock"
    assert env["TLS_CA"] == f"{tmp_path}/run/tls/gateway.crt"
    assert env["STOREFRONT_BIN"] == f"{REPO}/build-release/storefront"
    assert (env["SERVICE_NAME"], env["REDIS_ADMIN_USER"], env["REDIS_ADMIN_PASSWORD"]) == ("storefront", "admin", "")
    assert not (tmp_path / "run").exists(), "env changes nothing"


@pytest.mark.parametrize("args, env, message", [
    (["scale", "0"], {}, "usage: scripts/stack scale N (1..9)"),
    (["scale", "10"], {}, "usage: scripts/stack scale N (1..9)"),
    (["restart-instance", "x"], {}, "usage: scripts/stack restart-instance N"),
    (["start"], {}, "usage: scripts/stack start NAME"),
    (["stop"], {}, "usage: scripts/stack stop NAME [SIGNAL]"),
    (["logs"], {}, "usage: scripts/stack logs NAME"),
    (["stop", "storefront-4"], {}, "unknown component 'storefront-4' (one of: mongo media redis-1"),
    (["stop", "mongo", "NOPE"], {}, "unknown signal 'NOPE'"),
    (["start", "mongo"], {}, "no stack in "),
    (["scale", "4"], {}, "no running stack in "),
    (["env"], {"STACK_BASE_PORT": "80"}, "STACK_BASE_PORT must be a number from 1024 to 55510"),
    (["env"], {"STACK_BASE_PORT": "55511"}, "STACK_BASE_PORT must be a number from 1024 to 55510"),
    (["env"], {"STACK_BASE_PORT": "8o80"}, "STACK_BASE_PORT must be a number"),
    (["env"], {"STACK_INSTANCES": "10"}, "STACK_INSTANCES must be 1..9"),
    (["env"], {"STOREFRONT_BUILD_DIR": "/nonexistent/b"}, "STOREFRONT_BUILD_DIR=/nonexistent/b does not exist"),
])
def test_argument_and_setting_errors_exit_1_with_the_reason(tmp_path, args, env, message):
    r = stack_cli(tmp_path, *args, **env)
    assert r.returncode == 1, (r.stdout, r.stderr)
    assert r.stderr.startswith("stack: ERROR: " + message), r.stderr


def test_usage_is_the_comment_block_of_scripts_stack(tmp_path):
    r = stack_cli(tmp_path, "help")
    assert r.returncode == 0
    assert r.stdout.startswith("The whole storefront system on one machine, without Docker, on loopback:\n")
    assert "  scripts/stack scale N " in r.stdout and "STACK_BASE_PORT" in r.stdout
    assert "set -euo" not in r.stdout and not re.search(r"^#", r.stdout, re.M)
    unknown = stack_cli(tmp_path, "frobnicate")
    assert unknown.returncode == 2 and unknown.stdout == "" and unknown.stderr == r.stdout


def test_status_of_a_stopped_stack_exits_3(tmp_path):
    r = stack_cli(tmp_path, "status", STACK_BASE_PORT="14000")
    assert r.returncode == 3
    lines = r.stdout.splitlines()
    assert lines[0].split() == ["COMPONENT", "PID", "PORT", "HEALTH", "DETAIL"]
    assert lines[1].split() == ["mongo", "-", "14011", "STOPPED"]
    assert [line.split()[0] for line in lines[1:]] == stack_plan.components(3)


def test_down_stops_nothing_that_is_not_there_and_purges_only_a_run_dir(tmp_path):
    r = stack_cli(tmp_path, "down")
    assert r.returncode == 0 and r.stdout == f"stack: nothing to stop ({tmp_path}/run does not exist)\n"
    (tmp_path / "run").mkdir()
    (tmp_path / "run" / "precious.txt").write_text("x")
    r = stack_cli(tmp_path, "down", "--purge")
    assert r.returncode == 1 and "does not look like a stack run dir; not deleting it" in r.stderr
    assert (tmp_path / "run" / "precious.txt").exists()
    (tmp_path / "run" / "pids").mkdir()
    r = stack_cli(tmp_path, "down", "--purge")
    assert r.returncode == 0, r.stderr
    assert r.stdout.splitlines()[-2:] == [f"stack: deleted {tmp_path}/run", "stack: down"]
    assert not (tmp_path / "run").exists()


def pretend_running(st: "stack_context.Stack", name: str) -> None:
    """A pid file naming this test process: a component that runs (start time checked)."""
    st.pid_file(name).parent.mkdir(parents=True, exist_ok=True)
    st.pid_file(name).write_text(f"{os.getpid()} {supervisor.process.start_time(os.getpid())}\n")


def test_a_running_stack_keeps_its_settings(tmp_path, monkeypatch):
    st = stack_at(tmp_path, monkeypatch, STACK_BASE_PORT="14000", STACK_INSTANCES="2")
    st.save()
    assert (tmp_path / "run" / "stack.env").read_text() == \
        f"BASE_PORT=14000\nINSTANCES=2\nSTOREFRONT_BIN={REPO}/build-release/storefront\n"
    # Stopped: the last run's settings unless the environment says otherwise.
    assert (stack_at(tmp_path, monkeypatch).base_port, stack_at(tmp_path, monkeypatch).instances) == (14000, 2)
    assert stack_at(tmp_path, monkeypatch, STACK_BASE_PORT="15000").base_port == 15000
    pretend_running(st, "mongo")
    assert stack_at(tmp_path, monkeypatch, STACK_BASE_PORT="14000").ports.storefronts == [14001, 14002]
    with pytest.raises(SystemExit):
        stack_at(tmp_path, monkeypatch, STACK_BASE_PORT="15000")
    r = stack_cli(tmp_path, "env", STACK_INSTANCES="3")
    assert r.returncode == 1
    assert r.stderr == (f"stack: ERROR: the stack in {tmp_path}/run runs 2 instances (STACK_INSTANCES=3); "
                        "run 'down' first\n")


def test_secrets_are_made_once_with_mode_0600(tmp_path, monkeypatch):
    st = stack_at(tmp_path, monkeypatch)
    st.ensure_secrets()
    path = tmp_path / "run" / "secrets.env"
    assert path.stat().st_mode & 0o777 == 0o600
    first = dict(st.secrets)
    assert set(first) == {"REDIS_ADMIN_PASSWORD", "REDIS_STOREFRONT_PASSWORD", "REDIS_EXPORTER_PASSWORD"}
    assert all(re.fullmatch(r"[0-9a-f]{32}", v) for v in first.values())
    again = stack_at(tmp_path, monkeypatch)
    again.ensure_secrets()
    assert again.secrets == first
    env = stack_cli(tmp_path, "env").stdout
    assert f"REDIS_ADMIN_PASSWORD={first['REDIS_ADMIN_PASSWORD']}\n" in env


def test_limits_and_the_media_base_reach_the_configs_and_instances(tmp_path, monkeypatch):
    st = stack_at(tmp_path, monkeypatch, STACK_BASE_PORT="14000", STACK_LIMIT_WINDOW_S="7")
    values = stack_render.template_values(st)
    assert (values["LIMIT_WINDOW_S"], values["LIMIT_EXPIRE_S"], values["LIMIT_ORDERS"]) == ("7", 42, "500")
    assert values["REDIS_TARGETS"] == ", ".join(f'"127.0.0.1:{p}"' for p in range(14020, 14026))
    monkeypatch.setenv("CACHE_TTL_SECONDS", "5")
    env = stack_components.storefront_env(st, 2)
    assert (env["PORT"], env["STOREFRONT_INSTANCE_ID"], env["CACHE_TTL_SECONDS"]) == ("14002", "storefront-2", "5")
    assert env["MEDIA_BASE_URL"] == "http://127.0.0.1:14019/media"
    assert env["REDIS_URL"].endswith("@" + ",".join(f"127.0.0.1:{p}" for p in range(14020, 14026)))
    monkeypatch.setenv("CDN_BASE_URL", "https://cdn.example")
    assert "MEDIA_BASE_URL" not in stack_components.storefront_env(st, 2)
    monkeypatch.setenv("STACK_LIMIT_ORDERS", "0")
    with pytest.raises(SystemExit):
        stack_render.render_haproxy(st)
    assert not (tmp_path / "run" / "haproxy" / "haproxy.cfg").exists()


SHOW_STAT = """# pxname,svname,qcur,qmax,scur,smax,slim,stot,bin,bout,dreq,dresp,ereq,econ,eresp,wretr,wredis,status,weight,addr
gateway,FRONTEND,,,0,1,,,,,,,,,,,,OPEN,,
storefront,sf1,0,0,2,3,,,,,,,,,,,,UP,1,127.0.0.1:14002
storefront,sf2,0,0,0,1,,,,,,,,,,,,UP 1/2,1,127.0.0.1:14001
storefront,sf3,0,0,0,0,,,,,,,,,,,,MAINT (resolution),1,
storefront,BACKEND,0,0,2,3,,,,,,,,,,,,UP,2,
"""


def test_haproxy_slots_are_read_from_show_stat():
    slots = stack_gateway.parse_slots(SHOW_STAT)
    assert slots == [("sf1", "14002", "UP", "2"), ("sf2", "14001", "UP", "0"), ("sf3", "-", "MAINT", "0")]
    assert stack_gateway.servers_summary(14000, slots) == "sf2=UP sf1=UP, 1 empty slots"
    assert stack_gateway.servers_summary(14000, []) == "0 empty slots"
    assert stack_gateway.consul_summary([("storefront-1", "passing", 1), ("storefront-2", "critical", 2),
                                         ("storefront-3", "passing", 3)]) == "storefront: 2 passing, 1 critical"
    assert stack_gateway.consul_summary([]) == "storefront: none registered"


def test_env_lines_and_status_need_no_running_process(tmp_path, monkeypatch):
    st = stack_at(tmp_path, monkeypatch, STACK_BASE_PORT="14000", STACK_INSTANCES="1")
    assert stack_commands.env_lines(st)[3:5] == ["GATEWAY_PORT=14000", "STATS_PORT=14010"]
    assert stack_commands.leftover_instances(st) == []
    pretend_running(st, "storefront-3")
    assert stack_commands.leftover_instances(st) == ["storefront-3"]


def test_consul_has_a_leader_once_it_names_one(fake_api):
    # Consul answers the leader's address as a JSON string and a newline; "" while it has none.
    assert stack_gateway.consul_has_leader(fake_api({"/v1/status/leader": b'"127.0.0.1:8300"\n'}))
    assert not stack_gateway.consul_has_leader(fake_api({"/v1/status/leader": b'""\n'}))
    assert not stack_gateway.consul_has_leader(free_port())
