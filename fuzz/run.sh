#!/usr/bin/env bash
# Builds the libFuzzer targets into build-fuzz/ (clang, ASan + UBSan) and runs
# each for FUZZ_SECONDS (default 30) on a copy of its seed corpus in
# fuzz/corpus/<target>/. New corpus entries go to a temporary directory,
# never into the repository; a crashing input is kept as
# build-fuzz/artifacts/<target>-crash-<sha1>. Fails if any target finds one.
#
#   fuzz/run.sh                     every target
#   fuzz/run.sh framer_fuzz         only the ones named
#   FUZZ_SECONDS=300 fuzz/run.sh    longer runs
# CMAKE_BUILD_PARALLEL_LEVEL bounds the build's jobs (default: every core).
set -euo pipefail
cd "$(dirname "$0")/.."

targets=(framer_fuzz sender_framers_fuzz address_fuzz)
[ $# -eq 0 ] || targets=("$@")
seconds=${FUZZ_SECONDS:-30}
build=build-fuzz

CC=clang CXX=clang++ cmake -S . -B "$build" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DPANTS_FUZZ=ON \
  -DPANTS_BUILD_TESTS=OFF -DPANTS_BUILD_EXAMPLES=OFF -DPANTS_BUILD_BENCH=OFF >/dev/null
cmake --build "$build" -j "${CMAKE_BUILD_PARALLEL_LEVEL:-$(nproc)}" --target "${targets[@]}"

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
mkdir -p "$build/artifacts"
failed=()
for t in "${targets[@]}"; do
  cp -r "fuzz/corpus/$t" "$work/$t"
  echo "fuzz: $t for ${seconds} s"
  status=0
  "$build/fuzz/$t" -max_total_time="$seconds" -rss_limit_mb=2048 -timeout=10 \
    -print_final_stats=1 -artifact_prefix="$build/artifacts/$t-" "$work/$t" \
    >"$work/$t.log" 2>&1 || status=$?
  # libFuzzer's last status line: executions, coverage, speed.
  grep -E '^#[0-9]+[[:space:]]+DONE' "$work/$t.log" | tail -1 || true
  grep -E '^stat::(number_of_executed_units|average_exec_per_sec|peak_rss_mb)' "$work/$t.log" || true
  if [ "$status" -ne 0 ]; then
    tail -n 40 "$work/$t.log" >&2
    echo "fuzz: $t failed (status $status); reproduce with: $build/fuzz/$t <the artifact above>" >&2
    failed+=("$t")
  fi
done
if [ ${#failed[@]} -ne 0 ]; then
  echo "fuzz: findings in ${failed[*]}" >&2
  exit 1
fi
echo "fuzz: no findings in ${targets[*]} (${seconds} s each)"
