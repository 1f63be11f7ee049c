#!/usr/bin/env python3
"""clang-tidy over every src/**/*.cpp of a build's compile_commands.json.

Fails on any finding (the root .clang-tidy sets WarningsAsErrors). A file that
passed is remembered under BUILD/clang-tidy-cache by a hash of everything its
result depends on: the clang-tidy version, .clang-tidy, the compile command,
the file and every header under src/ (system headers change only with the
packages, which change the version line or the command). Boost.Beast/Asio TUs
take many seconds each, so an unchanged tree re-checks in about a second.

    clang_tidy.py BUILD_DIR [--jobs N] [--exclude REGEX] [--junit FILE]
"""
import argparse
import concurrent.futures
import hashlib
import json
import os
import re
import subprocess
import sys
import time
from pathlib import Path
from xml.sax.saxutils import escape

REPO = Path(__file__).resolve().parents[2]
SRC = REPO / "src"


def tidy_binary():
    for name in ("clang-tidy", "clang-tidy-14"):
        if subprocess.run(["which", name], capture_output=True).returncode == 0:
            return name
    sys.exit("clang-tidy is not installed (apt-get install clang-tidy)")


def shared_inputs(binary):
    """What every file's result depends on besides its own command and text."""
    h = hashlib.sha256()
    h.update(subprocess.run([binary, "--version"], capture_output=True).stdout)
    h.update((REPO / ".clang-tidy").read_bytes())
    for header in sorted(SRC.rglob("*.hpp")):
        h.update(str(header.relative_to(REPO)).encode() + b"\0" + header.read_bytes())
    return h.digest()


def file_key(shared, entry):
    h = hashlib.sha256(shared)
    h.update(json.dumps(entry.get("arguments") or entry["command"]).encode())
    h.update(Path(entry["file"]).read_bytes())
    return h.hexdigest()


def check(binary, build, entry):
    started = time.monotonic()
    proc = subprocess.run([binary, "-p", str(build), "--quiet", entry["file"]],
                          capture_output=True, text=True)
    output = proc.stdout + proc.stderr
    findings = [line for line in output.splitlines() if re.search(r": (warning|error):", line)]
    ok = proc.returncode == 0 and not findings
    return ok, output if not ok else "", time.monotonic() - started


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("build")
    parser.add_argument("--jobs", type=int, default=os.cpu_count())
    parser.add_argument("--exclude", help="regex of src paths to skip (local runs only)")
    parser.add_argument("--junit")
    args = parser.parse_args()
    build = Path(args.build).resolve()
    entries = json.loads((build / "compile_commands.json").read_text())
    entries = [e for e in entries
               if Path(e["file"]).is_relative_to(SRC) and e["file"].endswith(".cpp")
               and not (args.exclude and re.search(args.exclude, e["file"]))]
    binary = tidy_binary()
    cache = build / "clang-tidy-cache"
    cache.mkdir(exist_ok=True)
    shared = shared_inputs(binary)
    todo, cached = [], 0
    for entry in sorted(entries, key=lambda e: e["file"]):
        key = file_key(shared, entry)
        if (cache / key).exists():
            cached += 1
        else:
            todo.append((entry, key))

    started = time.monotonic()
    results = []
    with concurrent.futures.ThreadPoolExecutor(max_workers=max(1, args.jobs)) as pool:
        futures = {pool.submit(check, binary, build, e): (e, k) for e, k in todo}
        for future in concurrent.futures.as_completed(futures):
            entry, key = futures[future]
            ok, output, seconds = future.result()
            rel = os.path.relpath(entry["file"], REPO)
            results.append((rel, ok, output, seconds))
            if ok:
                (cache / key).touch()
            else:
                print(output, end="")
            print(f"clang-tidy {'ok  ' if ok else 'FAIL'} {seconds:6.1f}s {rel}", flush=True)

    failed = [r for r in results if not r[1]]
    print(f"clang-tidy: {len(entries)} files, {cached} unchanged since they passed, "
          f"{len(todo)} checked in {time.monotonic() - started:.0f}s, {len(failed)} failed")
    if args.junit:
        cases = "".join(
            f'<testcase classname="clang-tidy" name="{escape(rel)}" time="{seconds:.1f}">'
            + (f"<failure>{escape(output)}</failure>" if not ok else "") + "</testcase>"
            for rel, ok, output, seconds in results)
        Path(args.junit).write_text(
            f'<testsuite name="clang-tidy" tests="{len(results)}" failures="{len(failed)}">'
            f"{cases}</testsuite>\n")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
