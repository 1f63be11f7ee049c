"""Tests of deploy/mongo/init.js and its wrapper scripts/mongo-init.sh, with the real mongosh
(npm, installed by scripts/bootstrap) against the MongoDB stand-in, without Docker.

The wrapper drives the cluster only through `docker compose exec -T <service> mongosh
--file /dev/stdin` with init.js piped in. These tests put a fake `docker` first on PATH: it
runs this very file as a program (see fake_main below), which logs the call, checks that
init.js is what comes in on stdin, and runs the real mongosh on it against the stand-in, with
the environment the exec passes (and nothing from the caller's). The stand-in keeps the
documents, indexes and config.collections; what it cannot play - replica sets, users and
authentication, sharding - comes from tests/deploy/mongo_init_fake.js, loaded before init.js,
which answers those commands from a JSON model of the cluster and enforces the ordering rules.

Covered: argument handling, .env parsing, the steps' decisions and their order, idempotence
(a second run changes nothing and prints the same summary), completion of partial states,
the fill on the stand-in, the JSON summary, failures and the agreement with compose.yaml.
What only a real cluster shows (keyFile auth, elections) is checked on a Docker host
(docs/deployment.md, "What is verified where").
"""
import json
import os
import re
import stat
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
SCRIPT = REPO / "scripts" / "mongo-init.sh"
INIT_JS = REPO / "deploy" / "mongo" / "init.js"
FAKE_JS = Path(__file__).resolve().parent / "mongo_init_fake.js"
COMPOSE_FILE = REPO / "compose.yaml"
CACHE = Path(os.environ.get("STOREFRONT_CACHE", REPO / ".cache"))
MONGOSH = CACHE / "mongosh" / "node_modules" / ".bin" / "mongosh"

SECRETS = {
    "MONGO_ADMIN_PASSWORD": "adm1n-pw",
    "MONGO_APP_PASSWORD": "app-pw",
    "MONGO_MONITOR_PASSWORD": "mon-pw",
}
MUTATING = ("initiate", "create-admin", "create-user", "add-shard", "shard-collection")


# ------------------------------------------------------------- the fake
def parse_exec(argv):
    """argv after 'compose': [-f FILE] exec -T (-e K=V)* SVC mongosh args..."""
    i = 0
    compose_file = None
    while argv[i] == "-f":
        compose_file = argv[i + 1]
        i += 2
    assert argv[i] == "exec", argv
    i += 1
    env = {}
    tty_off = False
    while argv[i].startswith("-"):
        if argv[i] == "-T":
            tty_off = True
            i += 1
        elif argv[i] == "-e":
            k, _, v = argv[i + 1].partition("=")
            env[k] = v
            i += 2
        else:
            raise SystemExit(f"fake: unexpected exec flag {argv[i]}")
    return compose_file, tty_off, env, argv[i], argv[i + 1:]


def fake_main():
    argv = sys.argv[1:]
    if argv[:1] != ["compose"]:
        raise SystemExit(f"fake docker: only 'compose' is supported, got {argv}")
    if argv[1:] == ["version"]:
        print("Docker Compose version v2.40.3 (fake)")
        return
    compose_file, tty_off, env, svc, cmd = parse_exec(argv[1:])
    stdin_is_init_js = sys.stdin.buffer.read() == INIT_JS.read_bytes()
    with open(os.environ["FAKE_MONGO_STATE"]) as f:
        state = json.load(f)
    with open(os.environ["FAKE_MONGO_LOG"], "a") as f:
        f.write(json.dumps({"svc": svc, "env": env, "cmd": cmd, "step": env.get("MONGO_INIT_STEP"),
                            "compose_file": compose_file}) + "\n")
    if not tty_off:
        raise SystemExit("fake: exec without -T would need a TTY")
    if cmd[:1] != ["mongosh"] or cmd[-2:] != ["--file", "/dev/stdin"] or not stdin_is_init_js:
        raise SystemExit(f"fake: expected mongosh --file /dev/stdin with init.js on stdin, got {cmd}")
    node = state["services"].get(svc)
    if node is None or svc in state.get("down", []):
        print(f"service {svc} is not running", file=sys.stderr)
        sys.exit(1)
    if cmd[cmd.index("--port") + 1] != str(node["port"]):
        print(f"MongoNetworkError: connect ECONNREFUSED 127.0.0.1:{cmd[cmd.index('--port') + 1]}")
        sys.exit(1)
    # A container's environment: what the exec passes, not the caller's.
    child_env = {"PATH": os.environ["PATH"], "HOME": os.environ["FAKE_HOME"], **env, "FAKE_NODE": svc}
    child_env.update({k: os.environ[k] for k in ("FAKE_MONGO_STATE", "FAKE_STANDIN_URI")})
    os.execve(str(MONGOSH), [str(MONGOSH), os.environ["FAKE_STANDIN_URI"] + "/admin", "--quiet",
                             "--norc", str(FAKE_JS), str(INIT_JS)], child_env)


if __name__ == "__main__":
    # Running as the fake `docker`: stop before the test-only imports below,
    # which would cost more than the fake itself on every call.
    fake_main()
    sys.exit(0)

import pymongo  # noqa: E402  (only needed when collected by pytest)
import pytest  # noqa: E402
import yaml  # noqa: E402


# ------------------------------------------------------------- harness
@pytest.fixture(scope="module")
def standin(tmp_path_factory):
    """One stand-in for the module; each Cluster resets its data."""
    assert MONGOSH.exists(), f"{MONGOSH} missing: run scripts/bootstrap"
    log = tmp_path_factory.mktemp("standin") / "standin.log"
    proc = subprocess.Popen([str(REPO / "scripts" / "mongo-standin"), "--port", "0"],
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                            env={**os.environ, "STOREFRONT_CACHE": str(CACHE)})
    line = proc.stdout.readline()
    m = re.search(r"listening on 127\.0\.0\.1:(\d+)", line)
    assert m, line
    uri = f"mongodb://127.0.0.1:{m.group(1)}"
    yield uri
    proc.terminate()
    log.write_text(proc.communicate(timeout=30)[0])


def standin_snapshot(uri):
    with pymongo.MongoClient(uri) as client:
        return {f"{d}.{c}": list(client[d][c].find({}))
                for d in client.list_database_names() for c in client[d].list_collection_names()}


def standin_restore(uri, snapshot):
    with pymongo.MongoClient(uri) as client:
        for d in client.list_database_names():
            client.drop_database(d)
        for ns, docs in snapshot.items():
            d, c = ns.split(".", 1)
            if docs:
                client[d][c].insert_many([dict(doc) for doc in docs])


def without_ids(docs):
    return [{k: v for k, v in d.items() if k != "_id"} for d in docs]


def initial_state():
    services = {}
    rs = {}
    for name, members, port, kind in (
        ("configrs", ["configsvr-1", "configsvr-2", "configsvr-3"], 27019, "configsvr"),
        ("shard1rs", ["shard1-1", "shard1-2", "shard1-3"], 27018, "shardsvr"),
        ("shard2rs", ["shard2-1", "shard2-2", "shard2-3"], 27018, "shardsvr"),
    ):
        rs[name] = {"members": members, "initialized": False, "users": {}}
        for m in members:
            services[m] = {"kind": kind, "rs": name, "port": port}
    for m in ("mongos-1", "mongos-2", "mongos-3"):
        services[m] = {"kind": "mongos", "port": 27017}
    return {"services": services, "rs": rs, "shards": [], "sharding_enabled": [], "mutations": []}


class Cluster:
    def __init__(self, tmp_path, standin, state=None, data=None):
        self.dir = tmp_path
        self.standin = standin
        self.state_file = tmp_path / "state.json"
        self.log_file = tmp_path / "calls.jsonl"
        self.bin = tmp_path / "bin"
        self.bin.mkdir()
        docker = self.bin / "docker"
        docker.write_text(f'#!/bin/sh\nexec "{sys.executable}" -S "{Path(__file__).resolve()}" "$@"\n')
        docker.chmod(docker.stat().st_mode | stat.S_IXUSR)
        self.write(state or initial_state())
        self.log_file.write_text("")
        standin_restore(standin, data or {})

    def write(self, state):
        self.state_file.write_text(json.dumps(state))

    @property
    def state(self):
        return json.loads(self.state_file.read_text())

    def calls(self):
        return [json.loads(line) for line in self.log_file.read_text().splitlines() if line]

    def docs(self, ns="somedb.helloDoc"):
        return without_ids(standin_snapshot(self.standin).get(ns, []))

    def env(self, extra=None, secrets=True):
        e = {k: v for k, v in os.environ.items()
             if not k.startswith(("MONGO_", "MONGODB_", "COMPOSE"))}
        e.update(PATH=f"{self.bin}:{os.environ['PATH']}", FAKE_MONGO_STATE=str(self.state_file),
                 FAKE_MONGO_LOG=str(self.log_file), FAKE_STANDIN_URI=self.standin,
                 FAKE_HOME=str(self.dir), MONGO_INIT_TIMEOUT="5", MONGO_INIT_POLL="0.05")
        if secrets:
            e.update(SECRETS)
        e.update(extra or {})
        return e

    def run(self, *args, env=None, secrets=True, cwd=None, script=SCRIPT):
        # --env-file /dev/null keeps a developer's real .env out of the tests
        # unless a test passes its own --env-file.
        argv = list(args)
        if not any(a.startswith("--env-file") for a in argv) and script == SCRIPT:
            argv = ["--env-file", "/dev/null", *argv]
        return subprocess.run(["bash", str(script), *argv], env=self.env(env, secrets),
                              cwd=cwd or self.dir, capture_output=True, text=True, timeout=600)


def summary_of(result):
    """The wrapper's stdout: exactly one JSON line, the report step's summary."""
    lines = result.stdout.splitlines()
    assert len(lines) == 1, result.stdout
    return json.loads(lines[0])


@pytest.fixture
def cluster(tmp_path, standin):
    return Cluster(tmp_path, standin)


class FirstRun:
    """One complete run against an empty cluster, shared by the tests that
    only inspect it (or start from the cluster it leaves behind)."""

    def __init__(self, tmp_path_factory, standin):
        self.standin = standin
        c = Cluster(tmp_path_factory.mktemp("first-run"), standin)
        self.result = c.run()
        assert self.result.returncode == 0, self.result.stderr + self.result.stdout
        self.state = c.state
        self.calls = c.calls()
        self.data = standin_snapshot(standin)

    def cluster(self, tmp_path):
        """A fresh fake and stand-in holding the cluster as the first run left it."""
        return Cluster(tmp_path, self.standin, state=json.loads(json.dumps(self.state)), data=self.data)


@pytest.fixture(scope="module")
def first_run(tmp_path_factory, standin):
    return FirstRun(tmp_path_factory, standin)


# ------------------------------------------------------ argument handling

def test_help_exits_zero_and_documents_options(cluster):
    r = cluster.run("--help")
    assert r.returncode == 0, r.stderr
    for opt in ("--count", "--db", "--collection", "--env-file", "--no-fill", "--report-only"):
        assert opt in r.stdout
    assert cluster.calls() == []


@pytest.mark.parametrize("args, message", [
    (["--bogus"], "unknown argument: --bogus"),
    (["--count"], "--count needs a value"),
    (["--count", "--db"], "--count needs a value"),
    (["--count", "0"], "--count must be a positive integer"),
    (["--count", "ten"], "--count must be a positive integer"),
    (["--count", "-5"], "--count"),
    (["--count", "010"], "--count must be a positive integer"),
    (["--db", "bad name"], "invalid --db name"),
    (["--collection", "x;drop"], "invalid --collection name"),
    (["--env-file", "/nonexistent/.env"], "env file not readable"),
])
def test_bad_arguments_fail_before_touching_the_cluster(cluster, args, message):
    r = cluster.run(*args)
    assert r.returncode != 0
    assert message in r.stderr
    assert cluster.calls() == []


@pytest.mark.parametrize("missing", sorted(SECRETS))
def test_missing_password_is_an_error(cluster, missing):
    env = dict(SECRETS)
    del env[missing]
    r = cluster.run(env=env, secrets=False)
    assert r.returncode != 0
    assert f"{missing} is not set" in r.stderr
    assert cluster.calls() == []


def test_missing_compose_cli_is_reported(cluster):
    r = cluster.run(env={"COMPOSE": "no-such-compose-binary"})
    assert r.returncode != 0
    assert "'no-such-compose-binary' not found" in r.stderr


def _fails_after_first_call(cluster):
    """The first exec carries every credential; a cluster without a primary stops right after it."""
    st = initial_state()
    st["no_primary"] = True
    cluster.write(st)
    return {"MONGO_INIT_TIMEOUT": "0"}


def test_env_file_is_parsed_not_executed(cluster, tmp_path):
    marker = tmp_path / "pwned"
    env_file = tmp_path / "custom.env"
    env_file.write_text(
        "# comment\n"
        "\n"
        "MONGO_ADMIN_USER=root2\n"
        'MONGO_ADMIN_PASSWORD="quoted pw with $HOME"\n'
        "export MONGO_APP_PASSWORD='single'\n"
        "MONGO_MONITOR_PASSWORD=from-file\r\n"
        f"EVIL=$(touch {marker})\n"
        f"`touch {marker}`\n"
    )
    # a value already in the environment wins over the file
    env = {"MONGO_MONITOR_PASSWORD": "from-env", **_fails_after_first_call(cluster)}
    r = cluster.run("--env-file", str(env_file), secrets=False, env=env)
    assert "timed out after 0s waiting for a primary in configrs" in r.stdout + r.stderr
    assert not marker.exists()
    passed = cluster.calls()[0]["env"]
    assert passed["MONGO_ADMIN_USER"] == "root2"
    assert passed["MONGO_ADMIN_PASSWORD"] == "quoted pw with $HOME"
    assert passed["MONGO_APP_PASSWORD"] == "single"
    assert passed["MONGO_MONITOR_PASSWORD"] == "from-env"


def test_dotenv_in_repo_is_the_default_env_file(first_run, tmp_path):
    # The script reads <repo>/.env and uses <repo>/compose.yaml and
    # <repo>/deploy/mongo/init.js wherever it is started from: run a copy of
    # it inside a throw-away repo layout.
    repo = tmp_path / "repo"
    (repo / "scripts").mkdir(parents=True)
    (repo / "deploy" / "mongo").mkdir(parents=True)
    (repo / "scripts" / "mongo-init.sh").write_text(SCRIPT.read_text())
    (repo / "deploy" / "mongo" / "init.js").write_text(INIT_JS.read_text())
    (repo / "compose.yaml").write_text(COMPOSE_FILE.read_text())
    (repo / ".env").write_text("".join(f"{k}={v}\n" for k, v in SECRETS.items()))
    fake_dir = tmp_path / "fake"
    fake_dir.mkdir()
    c = first_run.cluster(fake_dir)
    r = c.run("--report-only", secrets=False, cwd=tmp_path, script=repo / "scripts" / "mongo-init.sh")
    assert r.returncode == 0, r.stderr
    assert summary_of(r)["documents"]["total"] == 1000
    assert {call["compose_file"] for call in c.calls()} == {str(repo / "compose.yaml")}


def test_report_only_needs_only_the_admin_password_and_changes_nothing(first_run, tmp_path):
    cluster = first_run.cluster(tmp_path)
    r = cluster.run("--report-only", "--db", "shop",
                    env={"MONGO_ADMIN_PASSWORD": SECRETS["MONGO_ADMIN_PASSWORD"]}, secrets=False)
    assert r.returncode == 0, r.stderr
    s = summary_of(r)
    assert s["ns"] == "shop.helloDoc" and s["documents"]["total"] == 0
    assert s["steps"] == []
    assert [c["step"] for c in cluster.calls()] == ["report"]
    assert cluster.state == first_run.state


# ------------------------------------------------------------ first run

def test_first_run_builds_the_whole_cluster(first_run):
    st = first_run.state
    for name in ("configrs", "shard1rs", "shard2rs"):
        assert st["rs"][name]["initialized"], name
        assert st["rs"][name]["users"]["admin"]["roles"] == [{"role": "root", "db": "admin"}]
        assert st["rs"][name]["users"]["monitor"]["roles"] == [
            {"role": "clusterMonitor", "db": "admin"}, {"role": "read", "db": "local"}]
    assert st["rs"]["configrs"]["config"]["configsvr"] is True
    assert "configsvr" not in st["rs"]["shard1rs"]["config"]
    assert [m["priority"] for m in st["rs"]["shard1rs"]["config"]["members"]] == [2, 1, 1]
    app = st["rs"]["configrs"]["users"]["storefront"]
    assert {"role": "readWrite", "db": "somedb"} in app["roles"]
    # the app user is cluster-wide only; shards get admin + monitor
    assert set(st["rs"]["shard1rs"]["users"]) == {"admin", "monitor"}
    assert st["shards"] == ["shard1rs", "shard2rs"]
    assert first_run.data["config.collections"] == [{"_id": "somedb.helloDoc", "key": {"name": "hashed"}}]
    docs = without_ids(first_run.data["somedb.helloDoc"])
    assert len(docs) == 1000
    assert {"name": "ly999", "age": 999} in docs


def test_summary_is_one_json_line_with_documents_members_and_steps(first_run):
    s = summary_of(first_run.result)
    assert s["step"] == "report" and s["ns"] == "somedb.helloDoc"
    assert s["documents"] == {"total": 1000, "per_shard": {"shard1rs": 500, "shard2rs": 500}}
    assert s["replica_sets"]["configrs"][0] == {"host": "configsvr-1:27019", "state": "PRIMARY"}
    assert s["replica_sets"]["shard2rs"][2] == {"host": "shard2-3:27018", "state": "SECONDARY"}
    assert {k: len(v) for k, v in s["replica_sets"].items()} == {"configrs": 3, "shard1rs": 3, "shard2rs": 3}
    assert [x["step"] for x in s["steps"]] == ["replica-set", "admin-user"] * 3 + ["cluster", "fill"]
    assert s["steps"][0] == {"step": "replica-set", "rs": "configrs", "initiated": True,
                             "primary": "configsvr-1:27019"}
    cluster = s["steps"][6]
    assert cluster["shards_added"] == ["shard1rs", "shard2rs"]
    assert cluster["collection"] == {"ns": "somedb.helloDoc", "result": "created", "key": {"name": "hashed"}}
    assert cluster["users"]["configrs"] == [
        {"user": "storefront", "result": "created", "password_ok": True},
        {"user": "monitor", "result": "created", "password_ok": True}]
    assert s["steps"][7] == {"step": "fill", "ns": "somedb.helloDoc", "before": 0, "upserted": 1000, "total": 1000}
    # every step's line was shown on stderr as progress
    assert first_run.result.stderr.count("mongo-init: {\"step\":") == 8


def test_steps_run_where_the_localhost_exception_needs_them(first_run):
    calls = [(c["step"], c["svc"]) for c in first_run.calls]
    assert calls == [
        ("replica-set", "configsvr-1"), ("admin-user", "configsvr-1"),
        ("replica-set", "shard1-1"), ("admin-user", "shard1-1"),
        ("replica-set", "shard2-1"), ("admin-user", "shard2-1"),
        ("cluster", "mongos-1"), ("fill", "mongos-1"), ("report", "mongos-1")]
    muts = first_run.state["mutations"]
    for rs in ("configrs", "shard1rs", "shard2rs"):
        # initiate -> admin (localhost exception) -> other users (authenticated)
        assert muts.index(f"initiate {rs}") < muts.index(f"create-admin {rs} admin") \
            < muts.index(f"create-user {rs} monitor"), rs


def test_passwords_never_appear_in_the_mongosh_command_or_output(first_run):
    r = first_run.result
    for call in first_run.calls:
        for pw in SECRETS.values():
            assert pw not in " ".join(call["cmd"])
    for pw in SECRETS.values():
        assert pw not in r.stdout and pw not in r.stderr


def test_every_call_is_non_interactive_mongosh_on_the_right_port(first_run):
    ports = {"configsvr": "27019", "shard": "27018", "mongos": "27017"}
    for call in first_run.calls:
        assert call["cmd"][0] == "mongosh"
        port = call["cmd"][call["cmd"].index("--port") + 1]
        prefix = "shard" if call["svc"].startswith("shard") else call["svc"].split("-")[0]
        assert port == ports[prefix], call
        assert "--quiet" in call["cmd"] and "--norc" in call["cmd"]


# ------------------------------------------------------------ idempotence

def test_second_run_changes_nothing_and_prints_the_same_report(first_run, tmp_path):
    cluster = first_run.cluster(tmp_path)
    second = cluster.run()
    assert second.returncode == 0, second.stderr
    assert cluster.state == first_run.state
    assert standin_snapshot(first_run.standin) == first_run.data
    first, again = summary_of(first_run.result), summary_of(second)
    assert {k: v for k, v in again.items() if k != "steps"} == {k: v for k, v in first.items() if k != "steps"}
    steps = {x["step"] + x.get("rs", ""): x for x in again["steps"]}
    assert steps["replica-setconfigrs"]["initiated"] is False
    assert steps["admin-usershard2rs"]["result"] == "exists"
    assert steps["cluster"]["shards_added"] == []
    assert steps["cluster"]["collection"]["result"] == "exists"
    assert {u["result"] for us in steps["cluster"]["users"].values() for u in us} == {"exists"}
    assert steps["fill"] == {"step": "fill", "ns": "somedb.helloDoc", "before": 1000, "upserted": 0, "total": 1000}


def test_partial_state_is_completed_not_redone_and_the_primary_is_followed(cluster):
    st = initial_state()
    st["rs"]["configrs"].update(initialized=True,
                                users={"admin": {"pwd": SECRETS["MONGO_ADMIN_PASSWORD"], "roles": []}})
    st["rs"]["shard1rs"].update(initialized=True, users={})
    st["shards"] = ["shard1rs"]
    st["primary_index"] = 2
    cluster.write(st)
    r = cluster.run("--no-fill")
    assert r.returncode == 0, r.stderr
    muts = cluster.state["mutations"]
    assert "initiate configrs" not in muts and "initiate shard1rs" not in muts
    assert "initiate shard2rs" in muts
    assert "create-admin configrs admin" not in muts
    assert "create-admin shard1rs admin" in muts
    assert "add-shard shard1rs" not in muts and "add-shard shard2rs" in muts
    admin_calls = [c["svc"] for c in cluster.calls() if c["step"] == "admin-user"]
    assert admin_calls == ["configsvr-3", "shard1-3", "shard2-3"]
    assert summary_of(r)["replica_sets"]["configrs"][2] == {"host": "configsvr-3:27019", "state": "PRIMARY"}


def test_existing_documents_are_topped_up_and_a_changed_password_is_warned_about(first_run, tmp_path):
    cluster = first_run.cluster(tmp_path)
    r = cluster.run("--count", "1200", env={"MONGO_APP_PASSWORD": "rotated"})
    assert r.returncode == 0, r.stderr
    s = summary_of(r)
    assert s["steps"][-1] == {"step": "fill", "ns": "somedb.helloDoc", "before": 1000, "upserted": 200, "total": 1200}
    assert s["documents"]["total"] == 1200 == len(cluster.docs())
    assert "WARNING: a user exists but does not accept the password" in r.stderr
    assert {"user": "storefront", "result": "exists", "password_ok": False} in s["steps"][-2]["users"]["configrs"]


def test_no_fill_and_database_from_mongodb_database_name(cluster):
    r = cluster.run("--no-fill", "--collection", "items", env={"MONGODB_DATABASE_NAME": "otherdb"})
    assert r.returncode == 0, r.stderr
    assert standin_snapshot(cluster.standin)["config.collections"] == [
        {"_id": "otherdb.items", "key": {"name": "hashed"}}]
    assert cluster.docs("otherdb.items") == []
    s = summary_of(r)
    assert s["ns"] == "otherdb.items" and s["documents"]["total"] == 0
    assert "fill" not in [x["step"] for x in s["steps"]]
    app_roles = cluster.state["rs"]["configrs"]["users"]["storefront"]["roles"]
    assert {"role": "readWrite", "db": "otherdb"} in app_roles


# ------------------------------------------------------------ failures

def test_wrong_admin_password_on_an_existing_cluster_is_a_clear_error(first_run, tmp_path):
    cluster = first_run.cluster(tmp_path)
    r = cluster.run(env={"MONGO_ADMIN_PASSWORD": "not-the-one"})
    assert r.returncode != 0
    assert "configrs already has users but 'admin' cannot log in with MONGO_ADMIN_PASSWORD" in r.stderr
    assert [c["step"] for c in cluster.calls()] == ["replica-set", "admin-user"]


def test_no_primary_times_out_with_a_message(cluster):
    st = initial_state()
    st["no_primary"] = True
    cluster.write(st)
    r = cluster.run(env={"MONGO_INIT_TIMEOUT": "1", "MONGO_INIT_POLL": "0.2"})
    assert r.returncode != 0
    assert "timed out after 1s waiting for a primary in configrs" in r.stderr


def test_node_that_never_answers_times_out(cluster):
    st = initial_state()
    st["down"] = ["shard2-1"]
    cluster.write(st)
    r = cluster.run(env={"MONGO_INIT_TIMEOUT": "1"})
    assert r.returncode != 0
    assert "waiting for shard2-1 to answer (replica-set)" in r.stderr
    # what could be done before the failure was done
    assert cluster.state["rs"]["shard1rs"]["initialized"]


# ------------------------------------------- init.js alone on the stand-in

def mongosh_step(uri, step, params, **env):
    """init.js run by the real mongosh against the stand-in (or none), no fake:
    (exit code, its JSON line). params: a dict, or a string passed as is."""
    raw = params if isinstance(params, str) else json.dumps(params)
    e = {"PATH": os.environ["PATH"], "HOME": os.environ.get("HOME", "/tmp"),
         "MONGO_INIT_STEP": step, "MONGO_INIT_PARAMS": raw, **env}
    target = [uri + "/admin"] if uri else ["--nodb"]
    r = subprocess.run([str(MONGOSH), *target, "--quiet", "--norc", "--file", "/dev/stdin"],
                       stdin=INIT_JS.open("rb"), env=e, capture_output=True, text=True, timeout=120)
    lines = [line for line in r.stdout.splitlines() if line.startswith("{")]
    assert len(lines) == 1, r.stdout + r.stderr
    return r.returncode, json.loads(lines[0])


def test_fill_on_the_standin_reaches_count_and_is_idempotent(standin):
    standin_restore(standin, {})
    params = {"db": "filldb", "collection": "c", "count": 1500}
    assert mongosh_step(standin, "fill", params) == (
        0, {"step": "fill", "ns": "filldb.c", "before": 0, "upserted": 1500, "total": 1500})
    assert mongosh_step(standin, "fill", params) == (
        0, {"step": "fill", "ns": "filldb.c", "before": 1500, "upserted": 0, "total": 1500})
    docs = standin_snapshot(standin)["filldb.c"]
    assert sorted(d["age"] for d in docs) == list(range(1500))
    assert all(d["name"] == f"ly{d['age']}" for d in docs)
    # a smaller count never deletes
    assert mongosh_step(standin, "fill", {**params, "count": 10})[1]["total"] == 1500


@pytest.mark.parametrize("step, params, env, message", [
    ("bogus", {}, {}, 'MONGO_INIT_STEP must be one of replica-set, admin-user, cluster, fill, report, got "bogus"'),
    ("fill", {"db": "d", "collection": "c", "count": 0}, {}, '"count" must be a positive integer, got 0'),
    ("fill", {"db": "d", "collection": "c", "count": "5"}, {}, '"count" must be a positive integer, got "5"'),
    ("fill", {"db": "a b", "collection": "c", "count": 1}, {}, 'invalid "db" "a b"'),
    ("replica-set", {"rs": "configrs"}, {}, '"rs" must be "name/host:port,..."'),
    ("report", {"db": "d", "collection": "c", "config_rs": "x/h:1", "shard_rs": ["bad"]}, {}, 'invalid "shard_rs"'),
    ("admin-user", {"rs": "x/h:1"}, {}, "MONGO_ADMIN_PASSWORD is not set"),
])
def test_bad_params_are_one_json_error_and_exit_code_2(standin, step, params, env, message):
    code, line = mongosh_step(standin, step, params, **env)
    assert code == 2
    assert line["step"] == step and message in line["error"], line


def test_params_that_are_not_json_are_an_error():
    code, line = mongosh_step(None, "fill", "{db:")
    assert code == 2
    assert "MONGO_INIT_PARAMS is not JSON" in line["error"]


# ------------------------------------------------- agreement with compose

def _compose():
    return yaml.safe_load(COMPOSE_FILE.read_text())


def _script_array(name):
    m = re.search(rf"^{name}=\(([^)]*)\)", SCRIPT.read_text(), re.M)
    assert m, f"{name}=(...) not found in mongo-init.sh"
    return m.group(1).split()


def _script_scalar(name):
    m = re.search(rf"^{name}=(\S+)$", SCRIPT.read_text(), re.M)
    assert m, f"{name}= not found in mongo-init.sh"
    return m.group(1)


def _flag(cmd, flag):
    return cmd[cmd.index(flag) + 1]


def test_script_topology_matches_compose():
    services = _compose()["services"]
    config_rs = _script_scalar("CONFIG_RS")
    for svc in _script_array("CONFIG_MEMBERS"):
        cmd = services[svc]["command"]
        assert "--configsvr" in cmd and _flag(cmd, "--replSet") == config_rs
        assert _flag(cmd, "--port") == _script_scalar("CONFIG_PORT")
    for rs in _script_array("SHARD_RS"):
        members = _script_array(f"{rs.upper()}_MEMBERS")
        assert len(members) == 3
        for svc in members:
            cmd = services[svc]["command"]
            assert "--shardsvr" in cmd and _flag(cmd, "--replSet") == rs
            assert _flag(cmd, "--port") == _script_scalar("SHARD_PORT")
    routers = _script_array("MONGOS")
    for svc in routers:
        cmd = services[svc]["command"]
        assert cmd[0] == "mongos" and _flag(cmd, "--port") == _script_scalar("MONGOS_PORT")
        seed = ",".join(f"{m}:{_script_scalar('CONFIG_PORT')}" for m in _script_array("CONFIG_MEMBERS"))
        assert _flag(cmd, "--configdb") == f"{config_rs}/{seed}"
    # every mongo service of compose is known to the script
    known = set(_script_array("CONFIG_MEMBERS")) | set(routers)
    for rs in _script_array("SHARD_RS"):
        known |= set(_script_array(f"{rs.upper()}_MEMBERS"))
    mongo_services = {n for n, s in services.items()
                      if isinstance(s.get("command"), list) and s["command"][0] in ("mongod", "mongos")}
    assert mongo_services == known


def test_monitor_user_matches_the_exporters():
    services = _compose()["services"]
    exporters = [s for n, s in services.items() if n.startswith("mongodb-exporter")]
    assert len(exporters) == 3
    for e in exporters:
        assert e["environment"]["MONGODB_USER"] == "${MONGO_MONITOR_USER:-monitor}"
        assert e["environment"]["MONGODB_PASSWORD"].startswith("${MONGO_MONITOR_PASSWORD:?")
    text = SCRIPT.read_text()
    assert 'MONGO_MONITOR_USER="${MONGO_MONITOR_USER:-monitor}"' in text
    assert 'MONGO_APP_USER="${MONGO_APP_USER:-storefront}"' in text
    url = services["storefront-1"]["environment"]["MONGODB_URL"]
    assert url.startswith("mongodb://${MONGO_APP_USER:-storefront}:${MONGO_APP_PASSWORD:?")

