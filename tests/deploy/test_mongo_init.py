"""Tests of scripts/mongo-init.sh without Docker or MongoDB.

The script drives the cluster only through `docker compose exec -T <service>
mongosh --eval <tagged JS>`. These tests put a fake `docker` first on PATH: it
runs this very file as a program (see fake_main below), which keeps a JSON
model of the cluster, answers each tagged query the way the real cluster
would, enforces the ordering rules the script has to respect (initiate before
anything else, the first user only through the localhost exception and on the
primary, authentication for everything after that, addShard seeds that match
the replica set members) and logs every call.

What is covered here: argument handling, the .env parsing, the decisions the
script makes from what the cluster reports (idempotence: a second run makes no
change and prints the same report; partial states are completed, not redone),
failure messages, and that the script's topology matches compose.yaml. What
the JavaScript does inside a real mongosh is checked on a Docker host
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
COMPOSE_FILE = REPO / "compose.yaml"

SECRETS = {
    "MONGO_ADMIN_PASSWORD": "adm1n-pw",
    "MONGO_APP_PASSWORD": "app-pw",
    "MONGO_MONITOR_PASSWORD": "mon-pw",
}
MUTATING = {"rs-initiate", "create-admin", "add-shard", "shard-collection", "fill"}


# ------------------------------------------------------------- the fake
def load():
    with open(os.environ["FAKE_MONGO_STATE"]) as f:
        return json.load(f)


def save(state):
    with open(os.environ["FAKE_MONGO_STATE"], "w") as f:
        json.dump(state, f, indent=1, sort_keys=True)


def out(*lines):
    for line in lines:
        print("@@ " + line)


def fail(msg, code=1):
    print("MongoServerError: " + msg)
    sys.exit(code)


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
    svc = argv[i]
    cmd = argv[i + 1:]
    return compose_file, tty_off, env, svc, cmd


def fake_main():
    argv = sys.argv[1:]
    if argv[:1] != ["compose"]:
        raise SystemExit(f"fake docker: only 'compose' is supported, got {argv}")
    argv = argv[1:]
    if argv == ["version"]:
        print("Docker Compose version v2.40.3 (fake)")
        return
    compose_file, tty_off, env, svc, cmd = parse_exec(argv)
    state = load()
    entry = {"svc": svc, "env": env, "cmd": cmd[:-1], "compose_file": compose_file}
    js = cmd[-1] if cmd else ""
    m = re.search(r"/\*q:([a-z-]+)\*/", js)
    entry["q"] = m.group(1) if m else None
    entry["auth"] = "SF_AUTH_USER" in js
    with open(os.environ["FAKE_MONGO_LOG"], "a") as f:
        f.write(json.dumps(entry) + "\n")

    if not tty_off:
        raise SystemExit("fake: exec without -T would need a TTY")
    if cmd[:1] != ["mongosh"] or "--eval" not in cmd:
        raise SystemExit(f"fake: expected mongosh --eval, got {cmd}")
    port = int(cmd[cmd.index("--port") + 1])
    if svc in state.get("down", []):
        print(f"service {svc} is not running", file=sys.stderr)
        sys.exit(1)

    node = state["services"].get(svc)
    if node is None:
        print(f"no such service: {svc}", file=sys.stderr)
        sys.exit(1)
    if node["port"] != port:
        fail(f"connect ECONNREFUSED 127.0.0.1:{port}")
    kind = node["kind"]
    rs_name = "configrs" if kind == "mongos" else node["rs"]
    rs = state["rs"][rs_name]

    def check_auth():
        if not entry["auth"]:
            return
        u, p = env.get("SF_AUTH_USER"), env.get("SF_AUTH_PASSWORD")
        if kind == "mongos" and not state["rs"]["configrs"]["initialized"]:
            out("auth-failed could not reach config servers")
            sys.exit(3)
        if rs["users"].get(u, {}).get("pwd") != p:
            out("auth-failed Authentication failed.")
            sys.exit(3)

    def require_auth():
        if not entry["auth"]:
            fail("command requires authentication", 13)

    def primary_svc():
        return rs["members"][state.get("primary_index", 0)] if rs["initialized"] else None

    def require_primary():
        if svc != primary_svc():
            fail("NotWritablePrimary: not primary", 1)

    check_auth()
    q = entry["q"]
    if q == "rs-state":
        out("initialized" if rs["initialized"] else "uninitialized")
    elif q == "rs-initiate":
        cfg = json.loads(env["SF_RS_CONFIG"])
        if cfg["_id"] != rs_name:
            fail(f"replSet name mismatch {cfg['_id']} != {rs_name}")
        if bool(cfg.get("configsvr")) != (kind == "configsvr"):
            fail("configsvr flag does not match the node's --configsvr")
        hosts = [mm["host"] for mm in cfg["members"]]
        want = [f"{mm}:{state['services'][mm]['port']}" for mm in rs["members"]]
        if hosts != want:
            fail(f"members {hosts} != {want}")
        if rs["initialized"]:
            out("already")
        else:
            rs["initialized"] = True
            rs["config"] = cfg
            state["mutations"].append(f"initiate {rs_name}")
            out("initiated")
    elif q == "primary":
        if rs["initialized"] and not state.get("no_primary"):
            p = primary_svc()
            out(f"{p}:{state['services'][p]['port']}")
    elif q == "auth-check":
        u, p = env["SF_CHECK_USER"], env["SF_CHECK_PASSWORD"]
        out("auth-ok" if rs["users"].get(u, {}).get("pwd") == p else "auth-failed")
    elif q == "create-admin":
        if not rs["initialized"]:
            fail("NotYetInitialized", 94)
        require_primary()
        if rs["users"]:
            out("unauthorized")
        else:
            rs["users"][env["SF_NEW_USER"]] = {"pwd": env["SF_NEW_PASSWORD"], "roles": [{"role": "root", "db": "admin"}]}
            state["mutations"].append(f"create-admin {rs_name} {env['SF_NEW_USER']}")
            out("created")
    elif q == "ensure-user":
        require_auth()
        require_primary()
        u = env["SF_NEW_USER"]
        if u in rs["users"]:
            out("exists")
        else:
            rs["users"][u] = {"pwd": env["SF_NEW_PASSWORD"], "roles": json.loads(env["SF_NEW_ROLES"])}
            state["mutations"].append(f"create-user {rs_name} {u}")
            out("created")
    elif q == "mongos-ready":
        require_auth()
        assert kind == "mongos"
        out("ready")
    elif q == "list-shards":
        require_auth()
        for s in state["shards"]:
            out(s)
    elif q == "add-shard":
        require_auth()
        seed = env["SF_SHARD_SEED"]
        name, _, hosts = seed.partition("/")
        want = ",".join(f"{mm}:{state['services'][mm]['port']}" for mm in state["rs"][name]["members"])
        if hosts != want:
            fail(f"seed {hosts} != {want}")
        if not state["rs"][name]["initialized"]:
            fail("shard replica set not initiated")
        if name in state["shards"]:
            fail(f"E11000 shard {name} already exists")
        state["shards"].append(name)
        state["mutations"].append(f"add-shard {name}")
        out(f"added {name}")
    elif q == "is-sharded":
        require_auth()
        key = state["sharded"].get(env["SF_NS"])
        out(f"sharded {json.dumps(key, separators=(',', ':'))}" if key else "unsharded")
    elif q == "shard-collection":
        require_auth()
        if not state["shards"]:
            fail("no shards")
        ns = env["SF_NS"]
        if ns != f"{env['SF_DB']}.{env['SF_COLLECTION']}":
            fail("namespace mismatch")
        state["sharded"][ns] = {env["SF_SHARD_KEY"]: "hashed"}
        state["mutations"].append(f"shard-collection {ns}")
        out("sharded")
    elif q == "count":
        require_auth()
        out(str(len(state["docs"].get(f"{env['SF_DB']}.{env['SF_COLLECTION']}", []))))
    elif q == "fill":
        require_auth()
        ns = f"{env['SF_DB']}.{env['SF_COLLECTION']}"
        if ns not in state["sharded"]:
            fail("filling an unsharded collection")
        docs = state["docs"].setdefault(ns, [])
        have = set(docs)
        new = [f"ly{i}" for i in range(int(env["SF_COUNT"])) if f"ly{i}" not in have]
        docs.extend(new)
        if new:
            state["mutations"].append(f"fill {ns} {len(new)}")
        out(f"upserted {len(new)}")
    elif q == "shard-counts":
        require_auth()
        docs = state["docs"].get(f"{env['SF_DB']}.{env['SF_COLLECTION']}", [])
        shards = sorted(state["shards"])
        for idx, s in enumerate(shards):
            out(f"{s} {sum(1 for j, _ in enumerate(docs) if j % len(shards) == idx)}")
    elif q == "members":
        require_auth()
        for idx, mm in enumerate(rs["members"]):
            st = "PRIMARY" if idx == state.get("primary_index", 0) else "SECONDARY"
            out(f"{mm}:{state['services'][mm]['port']} {st}")
    else:
        raise SystemExit(f"fake: unknown query tag {q!r} in {js[:80]!r}")
    save(state)



if __name__ == "__main__":
    # Running as the fake `docker`: stop before the test-only imports below,
    # which would cost more than the fake itself on every call.
    fake_main()
    sys.exit(0)

import pytest  # noqa: E402  (only needed when collected by pytest)
import yaml  # noqa: E402

# ------------------------------------------------------------- harness

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
    return {"services": services, "rs": rs, "shards": [], "sharded": {}, "docs": {},
            "mutations": []}


class Cluster:
    def __init__(self, tmp_path, state=None):
        self.dir = tmp_path
        self.state_file = tmp_path / "state.json"
        self.log_file = tmp_path / "calls.jsonl"
        self.bin = tmp_path / "bin"
        self.bin.mkdir()
        docker = self.bin / "docker"
        docker.write_text(f'#!/bin/sh\nexec "{sys.executable}" -S "{Path(__file__).resolve()}" "$@"\n')
        docker.chmod(docker.stat().st_mode | stat.S_IXUSR)
        self.write(state or initial_state())
        self.log_file.write_text("")

    def write(self, state):
        self.state_file.write_text(json.dumps(state))

    @property
    def state(self):
        return json.loads(self.state_file.read_text())

    def calls(self):
        return [json.loads(line) for line in self.log_file.read_text().splitlines() if line]

    def reset_log(self):
        self.log_file.write_text("")

    def run(self, *args, env=None, secrets=True, cwd=None):
        e = {k: v for k, v in os.environ.items()
             if not k.startswith(("MONGO_", "MONGODB_", "COMPOSE"))}
        e.update(PATH=f"{self.bin}:{os.environ['PATH']}",
                 FAKE_MONGO_STATE=str(self.state_file), FAKE_MONGO_LOG=str(self.log_file),
                 MONGO_INIT_TIMEOUT="5", MONGO_INIT_POLL="0.05")
        if secrets:
            e.update(SECRETS)
        e.update(env or {})
        # --env-file /dev/null keeps a developer's real .env out of the tests
        # unless a test passes its own --env-file.
        argv = list(args)
        if not any(a.startswith("--env-file") for a in argv):
            argv = ["--env-file", "/dev/null", *argv]
        return subprocess.run(["bash", str(SCRIPT), *argv], env=e, cwd=cwd or self.dir,
                              capture_output=True, text=True, timeout=120)


def report_of(stdout):
    return stdout[stdout.index("\n== "):]


@pytest.fixture
def cluster(tmp_path):
    return Cluster(tmp_path)


class FirstRun:
    """One complete run against an empty cluster, shared by the tests that
    only inspect it (or start from the cluster it leaves behind)."""

    def __init__(self, tmp_path_factory):
        c = Cluster(tmp_path_factory.mktemp("first-run"))
        self.result = c.run()
        assert self.result.returncode == 0, self.result.stderr + self.result.stdout
        self.state = c.state
        self.calls = c.calls()

    def cluster(self, tmp_path):
        """A fresh fake holding the cluster as the first run left it."""
        return Cluster(tmp_path, state=json.loads(json.dumps(self.state)))


@pytest.fixture(scope="module")
def first_run(tmp_path_factory):
    return FirstRun(tmp_path_factory)


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


def test_report_only_needs_only_the_admin_password(first_run, tmp_path):
    cluster = first_run.cluster(tmp_path)
    r = cluster.run("--report-only", env={"MONGO_ADMIN_PASSWORD": SECRETS["MONGO_ADMIN_PASSWORD"]},
                    secrets=False)
    assert r.returncode == 0, r.stderr
    assert "total documents: 1000" in r.stdout
    assert not {c["q"] for c in cluster.calls()} & (MUTATING | {"ensure-user"})


def test_missing_compose_cli_is_reported(cluster):
    r = cluster.run(env={"COMPOSE": "no-such-compose-binary"})
    assert r.returncode != 0
    assert "'no-such-compose-binary' not found" in r.stderr


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
    r = cluster.run("--env-file", str(env_file), secrets=False,
                    env={"MONGO_MONITOR_PASSWORD": "from-env"})
    assert r.returncode == 0, r.stderr
    assert not marker.exists()
    users = cluster.state["rs"]["configrs"]["users"]
    assert users["root2"]["pwd"] == "quoted pw with $HOME"
    assert users["storefront"]["pwd"] == "single"
    assert users["monitor"]["pwd"] == "from-env"


def test_dotenv_in_repo_is_the_default_env_file(tmp_path):
    # The script reads <repo>/.env and uses <repo>/compose.yaml wherever it is
    # started from: run a copy of it inside a throw-away repo layout.
    repo = tmp_path / "repo"
    (repo / "scripts").mkdir(parents=True)
    (repo / "scripts" / "mongo-init.sh").write_text(SCRIPT.read_text())
    (repo / "compose.yaml").write_text(COMPOSE_FILE.read_text())
    (repo / ".env").write_text("".join(f"{k}={v}\n" for k, v in SECRETS.items()))
    fake_dir = tmp_path / "fake"
    fake_dir.mkdir()
    c = Cluster(fake_dir)
    e = {k: v for k, v in os.environ.items() if not k.startswith(("MONGO_", "COMPOSE"))}
    e.update(PATH=f"{c.bin}:{os.environ['PATH']}", FAKE_MONGO_STATE=str(c.state_file),
             FAKE_MONGO_LOG=str(c.log_file), MONGO_INIT_TIMEOUT="5", MONGO_INIT_POLL="0.05")
    r = subprocess.run(["bash", str(repo / "scripts" / "mongo-init.sh"), "--no-fill"], env=e,
                       cwd=tmp_path, capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r.stderr
    assert c.state["rs"]["configrs"]["users"]["admin"]["pwd"] == SECRETS["MONGO_ADMIN_PASSWORD"]
    assert {call["compose_file"] for call in c.calls()} == {str(repo / "compose.yaml")}


# ------------------------------------------------------------ first run

def test_first_run_builds_the_whole_cluster(first_run):
    r = first_run.result
    st = first_run.state
    for name in ("configrs", "shard1rs", "shard2rs"):
        assert st["rs"][name]["initialized"], name
        assert st["rs"][name]["users"]["admin"]["roles"] == [{"role": "root", "db": "admin"}]
        assert st["rs"][name]["users"]["monitor"]["roles"] == [
            {"role": "clusterMonitor", "db": "admin"}, {"role": "read", "db": "local"}]
    assert st["rs"]["configrs"]["config"]["configsvr"] is True
    assert "configsvr" not in st["rs"]["shard1rs"]["config"]
    app = st["rs"]["configrs"]["users"]["storefront"]
    assert {"role": "readWrite", "db": "somedb"} in app["roles"]
    # the app user is cluster-wide only; shards get admin + monitor
    assert set(st["rs"]["shard1rs"]["users"]) == {"admin", "monitor"}
    assert st["shards"] == ["shard1rs", "shard2rs"]
    assert st["sharded"] == {"somedb.helloDoc": {"name": "hashed"}}
    assert len(st["docs"]["somedb.helloDoc"]) == 1000

    out = r.stdout
    assert "total documents: 1000" in out
    assert "on shard1rs: 500 documents" in out and "on shard2rs: 500 documents" in out
    for name in ("configrs", "shard1rs", "shard2rs"):
        assert f"{name} (3 members):" in out
    assert re.search(r"configsvr-1:27019\s+PRIMARY", out)
    assert re.search(r"shard2-3:27018\s+SECONDARY", out)


def test_users_are_created_in_localhost_exception_order(first_run):
    calls = first_run.calls
    for rs, first in (("configrs", "configsvr-1"), ("shard1rs", "shard1-1"), ("shard2rs", "shard2-1")):
        idx = [i for i, c in enumerate(calls) if c["svc"].startswith(first.rsplit("-", 1)[0])]
        qs = [calls[i]["q"] for i in idx]
        # initiate -> primary -> admin (unauthenticated) -> other users (authenticated)
        assert qs.index("rs-initiate") < qs.index("create-admin") < qs.index("ensure-user"), rs
        admin_call = calls[idx[qs.index("create-admin")]]
        assert not admin_call["auth"]
        assert all(calls[i]["auth"] for i in idx if calls[i]["q"] == "ensure-user")
    # routers are used only after all three sets have their users
    first_mongos = min(i for i, c in enumerate(calls) if c["svc"].startswith("mongos"))
    last_user = max(i for i, c in enumerate(calls) if c["q"] in ("create-admin", "ensure-user"))
    assert last_user < first_mongos


def test_passwords_never_appear_in_the_javascript_or_output(first_run):
    r = first_run.result
    for call in first_run.calls:
        js = call["cmd"][-1] if call["cmd"] else ""
        for pw in SECRETS.values():
            assert pw not in js
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
    first = first_run.result
    before = first_run.state
    cluster = first_run.cluster(tmp_path)
    second = cluster.run()
    assert second.returncode == 0, second.stderr
    assert cluster.state == before
    assert cluster.state["mutations"] == before["mutations"]
    asked = [c["q"] for c in cluster.calls()]
    assert not set(asked) & MUTATING, asked
    assert report_of(second.stdout) == report_of(first.stdout)
    for phrase in ("configrs: already initialized", "admin user 'admin' exists",
                   "shard shard1rs: already in the cluster", "somedb.helloDoc: already sharded",
                   "nothing to insert"):
        assert phrase in second.stdout


def test_partial_state_is_completed_not_redone(cluster):
    st = initial_state()
    st["rs"]["configrs"].update(initialized=True,
                                users={"admin": {"pwd": SECRETS["MONGO_ADMIN_PASSWORD"], "roles": []}})
    st["rs"]["shard1rs"].update(initialized=True, users={})
    st["shards"] = ["shard1rs"]
    cluster.write(st)
    r = cluster.run()
    assert r.returncode == 0, r.stderr
    muts = cluster.state["mutations"]
    assert "initiate configrs" not in muts and "initiate shard1rs" not in muts
    assert "initiate shard2rs" in muts
    assert "create-admin configrs admin" not in muts
    assert "create-admin shard1rs admin" in muts
    assert "add-shard shard1rs" not in muts and "add-shard shard2rs" in muts
    assert "rs-initiate" not in {c["q"] for c in cluster.calls() if c["svc"].startswith("configsvr")}


def test_existing_documents_are_topped_up_to_count(first_run, tmp_path):
    cluster = first_run.cluster(tmp_path)
    r = cluster.run("--count", "1200")
    assert r.returncode == 0, r.stderr
    assert "had 1000 documents, upserted 200" in r.stdout
    assert len(cluster.state["docs"]["somedb.helloDoc"]) == 1200
    assert "total documents: 1200" in r.stdout
    r = cluster.run("--count", "1000")
    assert "has 1200 documents (>= 1000), nothing to insert" in r.stdout


def test_no_fill_and_custom_namespace(cluster):
    r = cluster.run("--no-fill", "--db", "shop", "--collection", "items")
    assert r.returncode == 0, r.stderr
    assert cluster.state["sharded"] == {"shop.items": {"name": "hashed"}}
    assert "shop.items" not in cluster.state["docs"]
    assert "total documents: 0" in r.stdout
    app_roles = cluster.state["rs"]["configrs"]["users"]["storefront"]["roles"]
    assert {"role": "readWrite", "db": "shop"} in app_roles


def test_database_name_defaults_to_mongodb_database_name(cluster):
    r = cluster.run(env={"MONGODB_DATABASE_NAME": "otherdb"})
    assert r.returncode == 0, r.stderr
    assert "otherdb.helloDoc" in cluster.state["sharded"]


# ------------------------------------------------------------ failures

def test_wrong_admin_password_on_an_existing_cluster_is_a_clear_error(first_run, tmp_path):
    r = first_run.cluster(tmp_path).run(env={"MONGO_ADMIN_PASSWORD": "not-the-one"})
    assert r.returncode != 0
    assert "cannot log in with MONGO_ADMIN_PASSWORD" in r.stderr


def test_changed_app_password_is_warned_about(first_run, tmp_path):
    r = first_run.cluster(tmp_path).run(env={"MONGO_APP_PASSWORD": "rotated"})
    assert r.returncode == 0, r.stderr
    assert "user 'storefront' exists but does not accept the password" in r.stdout


def test_no_primary_times_out_with_a_message(cluster):
    st = initial_state()
    st["no_primary"] = True
    cluster.write(st)
    r = cluster.run(env={"MONGO_INIT_TIMEOUT": "1"})
    assert r.returncode != 0
    assert "timed out after 1s waiting for a primary in configrs" in r.stderr


def test_node_that_never_answers_times_out(cluster):
    st = initial_state()
    st["down"] = ["shard2-1"]
    cluster.write(st)
    r = cluster.run(env={"MONGO_INIT_TIMEOUT": "1"})
    assert r.returncode != 0
    assert "waiting for shard2-1 to answer" in r.stderr
    # what could be done before the failure was done
    assert cluster.state["rs"]["shard1rs"]["initialized"]


def test_primary_elsewhere_is_followed(cluster):
    st = initial_state()
    st["primary_index"] = 2
    cluster.write(st)
    r = cluster.run()
    assert r.returncode == 0, r.stderr
    assert "configrs: primary is configsvr-3:27019" in r.stdout
    admin_calls = [c for c in cluster.calls() if c["q"] in ("create-admin", "ensure-user")]
    assert admin_calls and all(c["svc"].endswith("-3") for c in admin_calls)


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

