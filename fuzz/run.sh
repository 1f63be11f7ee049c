#!/usr/bin/env bash
# Builds the libFuzzer targets with clang and runs each for FUZZ_SECONDS
# (default 20) from the seed corpus. A crash fails the run.
set -euo pipefail
REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
BUILD="${FUZZ_BUILD_DIR:-$REPO/build-fuzz}"
SECONDS_EACH="${FUZZ_SECONDS:-20}"
CXX=clang++ cmake -S "$REPO/fuzz" -B "$BUILD" -G Ninja -DCMAKE_BUILD_TYPE=Debug >/dev/null
cmake --build "$BUILD"
for target in new_user route http_request; do
  work="$BUILD/corpus-$target"
  mkdir -p "$work"
  echo "fuzz_$target: ${SECONDS_EACH}s"
  "$BUILD/fuzz_$target" -max_total_time="$SECONDS_EACH" -max_len=4096 -print_final_stats=0 \
    -artifact_prefix="$BUILD/crash-$target-" "$work" "$REPO/fuzz/corpus/$target" 2>&1 | tail -n 2
done
