"""The MongoDB stand-in (scripts/mongo-standin) and the guarantee the store is
built on: a conditional single-document update is atomic, across processes."""
from __future__ import annotations

import concurrent.futures
import json
import os
import signal
import subprocess

import pymongo

from servers import BUILD_DIR, REPO

UNITS = 50
CLIENTS_PER_INSTANCE = 32


def probe(mongo_url: str, collection: str) -> subprocess.Popen:
    env = {"PATH": os.environ.get("PATH", ""), "MONGODB_URL": mongo_url,
           "MONGODB_DATABASE_NAME": "somedb", "LOG_LEVEL": "warn",
           **{k: v for k, v in os.environ.items() if k.endswith("SAN_OPTIONS")}}
    return subprocess.Popen([str(BUILD_DIR / "storefront"), "probe-atomicity",
                             "--collection", collection, "--id", "sku-1", "--field", "available",
                             "--clients", str(CLIENTS_PER_INSTANCE)],
                            env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def test_two_instances_racing_64_clients_take_exactly_the_stock(mongo, collection):
    coll = pymongo.MongoClient(mongo.url)["somedb"][collection]
    for round_ in range(5):
        coll.replace_one({"_id": "sku-1"}, {"_id": "sku-1", "available": UNITS}, upsert=True)
        procs = [probe(mongo.url, collection) for _ in range(2)]
        results = []
        for p in procs:
            out, err = p.communicate(timeout=120)
            assert p.returncode == 0, err
            results.append(json.loads(out))
        # Every client stops at its first "short": each one saw an empty counter.
        assert [r["short"] for r in results] == [CLIENTS_PER_INSTANCE] * 2, (round_, results)
        assert [r["errors"] for r in results] == [0, 0], (round_, results)
        assert sum(r["taken"] for r in results) == UNITS, (round_, results)
        assert coll.find_one({"_id": "sku-1"})["available"] == 0


def test_probe_takes_nothing_from_a_missing_document(mongo, collection):
    p = probe(mongo.url, collection)
    out, err = p.communicate(timeout=60)
    assert p.returncode == 0, err
    assert json.loads(out) == {"clients": CLIENTS_PER_INSTANCE, "taken": 0,
                               "short": CLIENTS_PER_INSTANCE, "errors": 0}


def test_data_dir_survives_a_restart_and_sigterm_exits_0(spawn):
    db = spawn.mongo(persistent=True)
    pymongo.MongoClient(db.url)["somedb"]["kept"].insert_one({"_id": 1, "v": "here"})
    assert db.stop(signal.SIGTERM) == 0
    again = spawn.track(db.restarted())
    again.start()
    assert pymongo.MongoClient(again.url)["somedb"]["kept"].find_one({"_id": 1})["v"] == "here"
    assert again.stop(signal.SIGINT) == 0


def test_unique_index_admits_one_of_32_concurrent_inserts(mongo, collection):
    coll = pymongo.MongoClient(mongo.url, maxPoolSize=40)["somedb"][collection]
    coll.create_index("key", unique=True)

    def insert(_):
        try:
            coll.insert_one({"key": "one"})
            return "ok"
        except pymongo.errors.DuplicateKeyError:
            return "duplicate"

    with concurrent.futures.ThreadPoolExecutor(32) as pool:
        outcomes = list(pool.map(insert, range(32)))
    assert outcomes.count("ok") == 1 and outcomes.count("duplicate") == 31


def test_launcher_refuses_bad_arguments():
    script = str(REPO / "scripts" / "mongo-standin")
    for args in ([], ["--port"], ["--port", "70000"], ["--port", "1", "--nope", "x"]):
        r = subprocess.run([script, *args], capture_output=True, text=True, timeout=60)
        assert r.returncode == 2, (args, r.stdout, r.stderr)
        assert "usage: mongo-standin" in r.stderr


def test_launcher_reports_a_taken_port(mongo):
    r = subprocess.run([str(REPO / "scripts" / "mongo-standin"), "--port", str(mongo.port)],
                       capture_output=True, text=True, timeout=60)
    assert r.returncode == 1 and "cannot start" in r.stderr, r.stderr
