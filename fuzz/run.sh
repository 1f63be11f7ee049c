#!/usr/bin/env bash
# Builds the libFuzzer targets with clang and runs each from the seed corpus
# (which keeps every input that once crashed). A crash fails the run.
#   default            -seed=1 -runs=FUZZ_RUNS (300000): the same inputs every
#                      time, so CI is reproducible
#   FUZZ_SECONDS=600   random exploration for that long per target
set -euo pipefail
REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
BUILD="${FUZZ_BUILD_DIR:-$REPO/build-fuzz}"
if [[ -n "${FUZZ_SECONDS:-}" ]]; then
  BUDGET=(-max_total_time="$FUZZ_SECONDS")
else
  BUDGET=(-seed=1 -runs="${FUZZ_RUNS:-300000}")
fi
CXX=clang++ cmake -S "$REPO/fuzz" -B "$BUILD" -G Ninja -DCMAKE_BUILD_TYPE=Debug >/dev/null
cmake --build "$BUILD"
for target in new_user product order route http_request redis_reply; do
  work="$BUILD/corpus-$target"
  mkdir -p "$work"
  echo "fuzz_$target: ${BUDGET[*]}"
  "$BUILD/fuzz_$target" "${BUDGET[@]}" -max_len=4096 -print_final_stats=0 \
    -artifact_prefix="$BUILD/crash-$target-" "$work" "$REPO/fuzz/corpus/$target" 2>&1 | tail -n 2
done
