"""Every shell script of the repository passes `bash -n` (or `sh -n` for POSIX
sh scripts) and shellcheck, and the deployment helper scripts behave as their
headers promise.

The script list is globbed at collection time - every file under scripts/ and
every deploy/**/*.sh - so scripts added later are checked without touching
this file. The shell is taken from the shebang (or a `# shellcheck shell=`
directive for sourced libraries); files in another language (the Python
supervisor under scripts/lib, say) are left out of the shell checks, and a file
whose language cannot be told fails.
"""
import http.server
import os
import re
import shutil
import stat
import subprocess
import sys
import threading
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]


def script_files():
    files = {p for p in (REPO / "scripts").rglob("*") if p.is_file()}
    files |= set((REPO / "deploy").rglob("*.sh"))
    files |= set((REPO / "tools").rglob("*.sh"))
    return sorted(p for p in files if "__pycache__" not in p.parts)


NOT_SHELL_SUFFIXES = {".py", ".pl", ".rb", ".js", ".awk", ".jq", ".sed", ".md", ".txt", ".json",
                      ".yaml", ".yml", ".toml", ".conf", ".tmpl"}


def shell_of(path):
    """'bash' | 'sh' | None (not a shell script) | 'unknown'."""
    if path.suffix in NOT_SHELL_SUFFIXES:
        return None
    head = path.read_bytes()[:512].decode("utf-8", "replace")
    first = head.splitlines()[0] if head else ""
    m = re.match(r"#!\s*(\S+)(?:\s+(\S+))?", first)
    if m:
        prog = m.group(2) if m.group(1).endswith("/env") else m.group(1)
        prog = prog.rsplit("/", 1)[-1]
        if prog in ("bash", "sh", "dash"):
            return "bash" if prog == "bash" else "sh"
        return None
    m = re.search(r"^#\s*shellcheck\s+shell=(\w+)", head, re.M)
    if m:
        return "bash" if m.group(1) == "bash" else "sh"
    if path.suffix == ".sh":
        return "bash"
    return "unknown"


SCRIPTS = script_files()
SHELL_SCRIPTS = [p for p in SCRIPTS if shell_of(p) is not None]


def rel(p):
    return str(p.relative_to(REPO))


def test_scripts_were_found():
    names = {rel(p) for p in SCRIPTS}
    assert {"scripts/mongo-init.sh", "deploy/mongo/entrypoint.sh", "deploy/mongo/keyfile-init.sh",
            "deploy/redis/cluster-init.sh", "deploy/apisix/healthcheck.sh"} <= names


def test_every_file_is_shell_or_another_known_language():
    unknown = [rel(p) for p in SHELL_SCRIPTS if shell_of(p) == "unknown"]
    assert not unknown, f"no shebang and no .sh suffix - which shell is it? {unknown}"


@pytest.mark.parametrize("path", SHELL_SCRIPTS, ids=rel)
def test_syntax(path):
    sh = shell_of(path)
    assert sh != "unknown", f"{rel(path)}: no shebang and no .sh suffix - which shell is it?"
    r = subprocess.run(["bash" if sh == "bash" else "sh", "-n", str(path)], capture_output=True, text=True)
    assert r.returncode == 0, r.stderr


@pytest.mark.parametrize("path", SHELL_SCRIPTS, ids=rel)
def test_shellcheck(path):
    sh = shell_of(path)
    assert sh != "unknown", f"{rel(path)}: no shebang and no .sh suffix - which shell is it?"
    shellcheck = shutil.which("shellcheck")
    assert shellcheck, "shellcheck is missing: apt-get install shellcheck (scripts/bootstrap installs it)"
    r = subprocess.run([shellcheck, "--shell", "bash" if sh == "bash" else "sh", "--external-sources",
                        "--source-path=SCRIPTDIR", str(path)],
                       capture_output=True, text=True, cwd=path.parent)
    assert r.returncode == 0, r.stdout + r.stderr


PROGRAMS = [p for p in SCRIPTS if p.parent == REPO / "scripts"
            and (shell_of(p) is not None or p.read_bytes().startswith(b"#!"))]


@pytest.mark.parametrize("path", PROGRAMS, ids=rel)
def test_top_level_scripts_are_executable(path):
    assert path.stat().st_mode & stat.S_IXUSR, f"{rel(path)} must be executable (./{rel(path)})"


# ------------------------------------------------ deploy/mongo/keyfile-init.sh

KEYFILE_INIT = REPO / "deploy" / "mongo" / "keyfile-init.sh"
ENTRYPOINT = REPO / "deploy" / "mongo" / "entrypoint.sh"
root_only = pytest.mark.skipif(os.geteuid() != 0, reason="chown to uid 999 needs root")


def run_keyfile_init(d, **env):
    e = {**os.environ, "MONGO_KEYFILE_DIR": str(d), **env}
    return subprocess.run(["bash", str(KEYFILE_INIT)], env=e, capture_output=True, text=True)


def test_keyfile_is_generated_once_and_kept(tmp_path):
    r = run_keyfile_init(tmp_path, MONGO_KEYFILE_OWNER=f"{os.getuid()}:{os.getgid()}")
    assert r.returncode == 0, r.stderr
    key = tmp_path / "keyfile"
    content = key.read_text()
    assert re.fullmatch(r"[A-Za-z0-9+/=]{6,1024}", content), "base64, 6..1024 characters"
    assert len(content) >= 1000
    assert stat.S_IMODE(key.stat().st_mode) == 0o400
    r = run_keyfile_init(tmp_path, MONGO_KEYFILE_OWNER=f"{os.getuid()}:{os.getgid()}")
    assert r.returncode == 0 and "keeping the existing key" in r.stdout
    assert key.read_text() == content
    # a second fresh volume gets a different key
    other = tmp_path / "other"
    assert run_keyfile_init(other).returncode == 0
    assert (other / "keyfile").read_text() != content


@pytest.mark.parametrize("bad", ["", "abc", "not base64 !!", "A" * 1025])
def test_invalid_keyfile_is_replaced(tmp_path, bad):
    key = tmp_path / "keyfile"
    key.write_text(bad)
    r = run_keyfile_init(tmp_path)
    assert r.returncode == 0, r.stderr
    assert key.read_text() != bad
    assert re.fullmatch(r"[A-Za-z0-9+/=]{6,1024}", key.read_text())


@root_only
def test_keyfile_owner_is_mongodb_uid(tmp_path):
    assert run_keyfile_init(tmp_path).returncode == 0
    st = (tmp_path / "keyfile").stat()
    assert (st.st_uid, st.st_gid) == (999, 999)


# ------------------------------------------------- deploy/mongo/entrypoint.sh

def run_wrapper(tmp_path, src, *args):
    dst = tmp_path / "private" / "keyfile"
    record = tmp_path / "exec-args"
    fake = tmp_path / "fake-entrypoint.sh"
    fake.write_text(f'#!/bin/sh\nprintf "%s\\n" "$@" > "{record}"\n')
    fake.chmod(0o755)
    e = {**os.environ, "MONGO_KEYFILE_SOURCE": str(src), "MONGO_KEYFILE": str(dst),
         "MONGO_ENTRYPOINT": str(fake)}
    r = subprocess.run(["bash", str(ENTRYPOINT), *args], env=e, capture_output=True, text=True)
    return r, dst, record


@root_only
def test_wrapper_installs_a_private_copy_and_execs_the_image_entrypoint(tmp_path):
    src = tmp_path / "shared" / "keyfile"
    src.parent.mkdir()
    src.write_text("c2VjcmV0a2V5c2VjcmV0a2V5")
    src.chmod(0o644)  # whatever the volume gives us
    r, dst, record = run_wrapper(tmp_path, src, "mongod", "--keyFile", "x", "--port", "27018")
    assert r.returncode == 0, r.stderr
    assert dst.read_text() == src.read_text()
    st = dst.stat()
    assert stat.S_IMODE(st.st_mode) == 0o400 and (st.st_uid, st.st_gid) == (999, 999)
    assert record.read_text().split() == ["mongod", "--keyFile", "x", "--port", "27018"]
    # restart of the same container: an existing copy is replaced, not appended to
    r, dst, _ = run_wrapper(tmp_path, src, "mongod")
    assert r.returncode == 0 and dst.read_text() == src.read_text()


@pytest.mark.parametrize("content", [None, ""], ids=["missing", "empty"])
def test_wrapper_refuses_a_missing_or_empty_key(tmp_path, content):
    src = tmp_path / "keyfile"
    if content is not None:
        src.write_text(content)
    r, dst, record = run_wrapper(tmp_path, src, "mongod")
    assert r.returncode != 0
    assert "keyfile" in r.stderr
    assert not record.exists(), "mongod must not be started without a key"


# ------------------------------------------------ deploy/redis/cluster-init.sh

CLUSTER_INIT = REPO / "deploy" / "redis" / "cluster-init.sh"
NODES = [f"10.9.0.{i}:6379" for i in range(1, 7)]

FAKE_REDIS_CLI = r'''#!/usr/bin/env python3
# fake redis-cli: state in $FAKE_REDIS_STATE (one line per node: host slots known)
import os, sys
state_file = os.environ["FAKE_REDIS_STATE"]
nodes = {}
for line in open(state_file):
    h, slots, known = line.split()
    nodes[h] = [int(slots), int(known)]
args = sys.argv[1:]
with open(os.environ["FAKE_REDIS_LOG"], "a") as log:
    log.write(" ".join(args) + "\n")
if args[:1] == ["--cluster"]:
    assert args[1] == "create"
    hosts = [a.split(":")[0] for a in args[2:] if ":" in a]
    for i, h in enumerate(hosts):
        nodes[h] = [16384, len(hosts)]
    with open(state_file, "w") as f:
        for h, (s, k) in nodes.items():
            f.write(f"{h} {s} {k}\n")
    print(">>> Performing hash slots allocation on 6 nodes...")
    sys.exit(0)
host = args[args.index("-h") + 1]
cmd = args[args.index("-p") + 2:]
if host in os.environ.get("FAKE_REDIS_DOWN", "").split():
    print("Could not connect to Redis", file=sys.stderr)
    sys.exit(1)
slots, known = nodes[host]
if cmd == ["ping"]:
    print("PONG")
elif cmd == ["cluster", "info"]:
    ok = slots == 16384 and os.environ.get("FAKE_REDIS_STATE_OK", "1") == "1"
    print(f"cluster_state:{'ok' if ok else 'fail'}\r")
    print(f"cluster_slots_assigned:{slots}\r")
    print(f"cluster_known_nodes:{known}\r")
else:
    sys.exit(f"unexpected {cmd}")
'''


class FakeRedis:
    def __init__(self, tmp_path, slots=0, known=1, per_node=None):
        self.state = tmp_path / "redis-state"
        self.log = tmp_path / "redis-log"
        self.cli = tmp_path / "redis-cli"
        self.cli.write_text(FAKE_REDIS_CLI.replace("#!/usr/bin/env python3", f"#!{sys.executable}"))
        self.cli.chmod(0o755)
        lines = []
        for n in NODES:
            s, k = (per_node or {}).get(n, (slots, known))
            lines.append(f"{n.split(':')[0]} {s} {k}\n")
        self.state.write_text("".join(lines))
        self.log.write_text("")

    def run(self, **env):
        e = {**os.environ, "REDIS_CLUSTER_NODES": " ".join(NODES), "REDIS_CLUSTER_REPLICAS": "1",
             "REDIS_CLI": str(self.cli), "REDIS_WAIT_SECONDS": "2",
             "FAKE_REDIS_STATE": str(self.state), "FAKE_REDIS_LOG": str(self.log), **env}
        return subprocess.run(["bash", str(CLUSTER_INIT)], env=e, capture_output=True, text=True, timeout=60)

    def creates(self):
        return [ln for ln in self.log.read_text().splitlines() if ln.startswith("--cluster")]


def test_cluster_is_created_on_fresh_nodes(tmp_path):
    f = FakeRedis(tmp_path)
    r = f.run()
    assert r.returncode == 0, r.stderr
    (create,) = f.creates()
    assert create.split() == ["--cluster", "create", *NODES, "--cluster-replicas", "1", "--cluster-yes"]
    assert "cluster_state:ok on all 6 nodes" in r.stdout
    # CLUSTER INFO was asked before anything was created
    log = f.log.read_text().splitlines()
    assert log.index(next(ln for ln in log if ln.endswith("cluster info"))) < log.index(create)


def test_existing_cluster_is_left_alone(tmp_path):
    f = FakeRedis(tmp_path, slots=16384, known=6)
    r = f.run()
    assert r.returncode == 0, r.stderr
    assert f.creates() == []
    assert "cluster already exists" in r.stdout


def test_existing_cluster_still_converging_is_not_an_error(tmp_path):
    f = FakeRedis(tmp_path, slots=16384, known=6)
    r = f.run(FAKE_REDIS_STATE_OK="0", REDIS_WAIT_SECONDS="1")
    assert r.returncode == 0, r.stderr
    assert f.creates() == []
    assert "converge" in r.stdout


@pytest.mark.parametrize("per_node, reason", [
    ({NODES[0]: (5461, 3)}, "some slots are assigned"),
    ({NODES[2]: (0, 4)}, "know each other"),
])
def test_half_made_cluster_is_refused(tmp_path, per_node, reason):
    f = FakeRedis(tmp_path, per_node=per_node)
    r = f.run()
    assert r.returncode != 0
    assert reason in r.stderr
    assert f.creates() == []


def test_unreachable_node_fails_after_the_wait(tmp_path):
    f = FakeRedis(tmp_path)
    r = f.run(FAKE_REDIS_DOWN="10.9.0.4", REDIS_WAIT_SECONDS="1")
    assert r.returncode != 0
    assert "10.9.0.4:6379 does not answer PING" in r.stderr
    assert f.creates() == []


@pytest.mark.parametrize("env, message", [
    ({"REDIS_CLUSTER_NODES": ""}, "REDIS_CLUSTER_NODES is empty"),
    ({"REDIS_CLUSTER_NODES": " ".join(NODES[:5])}, "need at least 6 nodes"),
    ({"REDIS_CLUSTER_REPLICAS": "one"}, "must be a number"),
])
def test_cluster_init_argument_errors(tmp_path, env, message):
    f = FakeRedis(tmp_path)
    r = f.run(**env)
    assert r.returncode != 0 and message in r.stderr


# ----------------------------------------------- deploy/apisix/healthcheck.sh

APISIX_HC = REPO / "deploy" / "apisix" / "healthcheck.sh"


@pytest.mark.parametrize("status, ok", [(200, True), (503, False)])
def test_apisix_healthcheck(status, ok):
    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self):  # noqa: N802
            code = status if self.path == "/status/ready" else 404
            self.send_response(code)
            self.end_headers()
            self.wfile.write(b'{"status": "ok"}')

        def log_message(self, *a):
            pass

    srv = http.server.HTTPServer(("127.0.0.1", 0), Handler)
    t = threading.Thread(target=srv.serve_forever, daemon=True)
    t.start()
    try:
        e = {**os.environ, "APISIX_STATUS_HOST": "127.0.0.1", "APISIX_STATUS_PORT": str(srv.server_port)}
        r = subprocess.run(["bash", str(APISIX_HC)], env=e, capture_output=True, text=True, timeout=20)
        assert (r.returncode == 0) == ok, r.stderr
    finally:
        srv.shutdown()
        srv.server_close()


def test_apisix_healthcheck_fails_when_nothing_listens():
    import socket
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    e = {**os.environ, "APISIX_STATUS_HOST": "127.0.0.1", "APISIX_STATUS_PORT": str(port)}
    r = subprocess.run(["bash", str(APISIX_HC)], env=e, capture_output=True, text=True, timeout=20)
    assert r.returncode != 0
