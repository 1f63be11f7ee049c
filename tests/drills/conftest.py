"""Failure drills against the whole local stack (scripts/stack).

The stack is brought up once per session on free, non-default ports in a fresh
run directory (so a developer's own stack on :8080 is never touched) and taken
down at the end; the run directory is deleted unless a test failed.

    PATH=.cache/venv/bin:$PATH python -m pytest tests/drills -q

STOREFRONT_BUILD_DIR, when set (scripts/test sets it), selects the storefront
binary; otherwise scripts/stack builds build-release.
"""
from __future__ import annotations

import os
import shutil
import sys
import tempfile
import time
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))

from stack import Stack, pick_base_port  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "functional"))
import atomicity  # noqa: E402

DRILL_LINES: list[str] = []
_T0 = time.monotonic()


@pytest.fixture(scope="session")
def stack(request):
    # A short path: HAProxy's admin socket must fit in sun_path (108 bytes).
    # STACK_RUN_DIR / STACK_BASE_PORT from the environment pin both (a shared
    # machine where each person has a port range); else a fresh temp dir and a
    # free range.
    own_dir = not os.environ.get("STACK_RUN_DIR")
    run_dir = Path(tempfile.mkdtemp(prefix="sf-drills-") if own_dir else os.environ["STACK_RUN_DIR"])
    base = int(os.environ["STACK_BASE_PORT"]) if os.environ.get("STACK_BASE_PORT") else pick_base_port()
    s = Stack(run_dir, base, env={"CACHE_TTL_SECONDS": "5", "STOREFRONT_ADMIN_TOKEN": "drill-admin-token"})
    t0 = time.monotonic()
    try:
        s.run("up", timeout=1800)
        s.load_env()
    except BaseException:
        s.run("down", timeout=120, check=False)
        raise
    s.up_seconds = time.monotonic() - t0
    mongo_url = f"mongodb://127.0.0.1:{s.port('MONGO_PORT')}"
    check = atomicity.probe(mongo_url)
    if not check.atomic:
        s.run("down", timeout=180, check=False)
        pytest.exit(atomicity.refusal(mongo_url, check), returncode=3)
    DRILL_LINES.append(f"stack up: {s.up_seconds:.0f}s (run dir {run_dir}, base port {s.base_port})")
    yield s
    down = s.run("down", timeout=180, check=False)
    if own_dir and request.session.testsfailed == 0 and down.returncode == 0:
        shutil.rmtree(run_dir, ignore_errors=True)
    else:
        DRILL_LINES.append(f"kept the run dir for inspection: {run_dir}")


@pytest.fixture
def report():
    """report(line): prints a drill result line and repeats it in the summary."""
    def _report(line: str) -> None:
        print(line, flush=True)
        DRILL_LINES.append(line)
    return _report


def pytest_terminal_summary(terminalreporter):
    if not DRILL_LINES:
        return
    terminalreporter.section("failure drills")
    for line in DRILL_LINES:
        terminalreporter.write_line(line)
    terminalreporter.write_line(f"drills total: {time.monotonic() - _T0:.0f}s")
