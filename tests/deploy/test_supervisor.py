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


def test_scripts_stack_fills_every_placeholder_of_the_local_templates():
    """template_values in scripts/stack names every @NAME@ of deploy/local/*.tmpl
    (USER is the media edge's own, passed by render_media_edge)."""
    stack = (REPO / "scripts" / "stack").read_text()
    body = stack[stack.index("template_values() {"):stack.index("render() {")]
    provided = set(re.findall(r'"([A-Z_]+)=', body)) | {"USER"}
    for tmpl in (REPO / "deploy" / "local").glob("*.tmpl"):
        values = {name: "1" for name in provided}
        supervisor.render_text(tmpl.read_text(), values, {"redis": True}, source=str(tmpl))


# ------------------------------------------------------------------ probes

@pytest.fixture
def fake_api():
    """A loopback HTTP server answering JSON bodies by path: fake_api(routes) -> port."""
    import http.server
    import json
    import threading
    servers = []

    def serve(routes: dict[str, object]) -> int:
        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self):  # noqa: N802 - the http.server interface
                body = json.dumps(routes.get(self.path, {})).encode()
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
