#!/usr/bin/env bash
# Builds the libFuzzer targets with clang (build-fuzz/) and runs each for a
# bounded time on a copy of its seed corpus (tests/fuzz/corpus/TARGET),
# printing executions and seconds per target. A crash stops with its input
# saved as build-fuzz/findings/TARGET-crash-*: make it a regression test.
# Usage: scripts/fuzz.sh [SECONDS per target, default 60]
# FUZZ_RUNS=N instead runs N inputs per target from a fixed seed (CI's
# short, repeatable pass).
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${1:-60}
build=build-fuzz
if [ ! -f "$build/build.ninja" ]; then
  CC=clang CXX=clang++ cmake -S . -B "$build" -G Ninja -DHEARTH_FUZZ=ON -DCMAKE_BUILD_TYPE=RelWithDebInfo > "$build.cmake.log" 2>&1 ||
    { cat "$build.cmake.log"; exit 1; }
fi
cmake --build "$build" --target fuzz_targets -j "$(nproc)"
mkdir -p "$build/findings"
status=0
for seeds in tests/fuzz/corpus/*/; do
  target=$(basename "$seeds")
  work="$build/corpus/$target"
  mkdir -p "$work"
  cp -n "$seeds"* "$work"/ 2> /dev/null || true
  log="$build/findings/$target.log"
  if [ -n "${FUZZ_RUNS:-}" ]; then bound=(-runs="$FUZZ_RUNS" -seed=1); else bound=(-max_total_time="$seconds"); fi
  start=$(date +%s)
  if "$build/tests/fuzz/$target" "${bound[@]}" -rss_limit_mb=2048 -max_len=65536 -print_final_stats=1 \
      -artifact_prefix="$build/findings/$target-" "$work" > "$log" 2>&1; then
    runs=$(grep -m1 '^stat::number_of_executed_units' "$log" | awk '{print $2}')
    echo "fuzz $target: ${runs:-?} executions in $(( $(date +%s) - start )) s, no finding"
  else
    echo "fuzz $target: FINDING (see $log and $build/findings/$target-*)"
    tail -40 "$log"
    status=1
  fi
done
exit $status
