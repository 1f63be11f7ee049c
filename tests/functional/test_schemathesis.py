"""Property-based API testing from /openapi.json (schemathesis, every check,
every phase: examples, coverage, fuzzing and the stateful phase, which chains
calls along the document's OpenAPI links: POST a user, then GET it by name,
list and count its collection; PUT a product, then GET it): schema-valid
requests are accepted, schema-violating ones rejected, every answer matches
its documented status, headers and schema, no 5xx. Runs against the real
binary with the stand-in, Redis, the admin and write tokens and a filled
catalog, with a fixed seed so CI is reproducible."""
import os
import shutil
import subprocess
import sys
from pathlib import Path


from servers import run_fill, run_fill_products

TOKEN = "schemathesis-token"


def schemathesis_binary() -> str:
    local = Path(sys.executable).parent / "schemathesis"
    return str(local) if local.exists() else (shutil.which("schemathesis") or "schemathesis")


def test_openapi_holds_for_every_operation(spawn, mongo, redis, workdir):
    run_fill_products(mongo.url, 30, None, "stdb", stock=5)
    run_fill(mongo.url, "helloDoc", 20, "stdb")
    app = spawn.storefront({"MONGODB_URL": mongo.url, "MONGODB_DATABASE_NAME": "stdb",
                            "REDIS_URL": f"redis://127.0.0.1:{redis.port}",
                            "STOREFRONT_ADMIN_TOKEN": TOKEN, "STOREFRONT_WRITE_TOKEN": TOKEN,
                            "STOREFRONT_ACCESS_LOG": "false"})
    seed = os.environ.get("SCHEMATHESIS_SEED", "1")
    examples = os.environ.get("SCHEMATHESIS_MAX_EXAMPLES", "25")
    out = subprocess.run(
        [schemathesis_binary(), "--config-file", str(Path(__file__).with_name("schemathesis.toml")),
         "run", app.url("/openapi.json"), "--checks", "all",
         "--phases", "examples,coverage,fuzzing,stateful",
         "-H", f"Authorization: Bearer {TOKEN}", "--max-examples", examples, "--seed", seed,
         "--no-color", "--request-timeout", "20"],
        capture_output=True, text=True, timeout=900, cwd=workdir,
        env=dict(os.environ))
    report = out.stdout[-6000:] + out.stderr[-2000:]
    assert out.returncode == 0, report
    assert " passed" in out.stdout and "failure" not in out.stdout.split("SUMMARY")[-1], report
    # The stateful phase ran on the links and passed (without links it is skipped:
    # "⏭  Stateful" in the summary's "Test Phases").
    phases = out.stdout.split("Test Phases:")[-1].split("\n\n")[0]
    assert "✅ Stateful" in phases, report
