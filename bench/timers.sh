#!/usr/bin/env bash
# Timers at scale: N one-shot timers (delays spread over 1 ms .. 1 s, scrambled) on pants
# (engine.defer), Boost.Asio (steady_timer) and libuv (uv_timer_t), each in its own process,
# RUNS times; then the same with every other timer cancelled right after scheduling.
#
#   bench/timers.sh [BUILD_DIR] [N] [RUNS]            (defaults: build 1000000 3)
#   BENCH_BASE=<build dir> bench/timers.sh ...         (also that build's pants, as "base")
#   BENCH_PIN=0 bench/timers.sh ...                     (do not pin to CPU 0 with taskset)
#
# Prints, per library and mode, the medians of schedule_s (scheduling, and cancelling half),
# finish_s (first schedule to last run) and rss_mb (peak RSS), then pants' ratios to Asio and
# libuv measured in the same run. Every run must report early=0 disorder=0 and the right
# count (bench/timer_common.hpp), or the script fails.
set -euo pipefail
build=${1:-build}
n=${2:-1000000}
runs=${3:-3}
dir="$build/bench"
pin=()
if [ "${BENCH_PIN:-1}" != 0 ] && command -v taskset >/dev/null; then pin=(taskset -c 0); fi

declare -A bin=([pants]="$dir/bench_timers_pants" [asio]="$dir/bench_timers_asio"
                [uv]="$dir/bench_timers_uv")
libs=(pants asio uv)
if [ -n "${BENCH_BASE:-}" ]; then
  bin[base]="$BENCH_BASE/bench/bench_timers_pants"
  libs=(pants base asio uv)
fi
for lib in "${libs[@]}"; do
  [ -x "${bin[$lib]}" ] || { echo "timers.sh: ${bin[$lib]} is missing (build it)" >&2; exit 1; }
done

median() { sort -g | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }
field() { sed -n "s/.*\<$1=\([^ ]*\).*/\1/p"; }

declare -A result
status=0
for mode in fire cancel; do
  for lib in "${libs[@]}"; do
    lines=()
    for ((r = 0; r < runs; ++r)); do
      arg=()
      [ "$mode" = cancel ] && arg=(cancel)
      if line=$(timeout 120 "${pin[@]}" "${bin[$lib]}" "$n" "${arg[@]}"); then
        lines+=("$line")
      else
        echo "timers.sh: $lib $mode failed: $line" >&2
        status=1
      fi
    done
    [ ${#lines[@]} -gt 0 ] || continue
    for key in schedule_s finish_s rss_mb late_ms; do
      result[$lib,$mode,$key]=$(printf '%s\n' "${lines[@]}" | field "$key" | median)
    done
  done
done

printf '%-7s %-7s %11s %9s %8s %8s\n' lib mode schedule_s finish_s rss_mb late_ms
for mode in fire cancel; do
  for lib in "${libs[@]}"; do
    [ -n "${result[$lib,$mode,finish_s]:-}" ] || continue
    printf '%-7s %-7s %11s %9s %8s %8s\n' "$lib" "$mode" "${result[$lib,$mode,schedule_s]}" \
      "${result[$lib,$mode,finish_s]}" "${result[$lib,$mode,rss_mb]}" "${result[$lib,$mode,late_ms]}"
  done
done
echo
echo "pants / peer, same run (below 1: pants is faster or smaller):"
for peer in asio uv; do
  for mode in fire cancel; do
    for key in schedule_s finish_s rss_mb; do
      a=${result[pants,$mode,$key]:-} b=${result[$peer,$mode,$key]:-}
      [ -n "$a" ] && [ -n "$b" ] || continue
      printf '  %-5s %-7s %-11s %s\n' "$peer" "$mode" "$key" \
        "$(awk -v a="$a" -v b="$b" 'BEGIN { if (b > 0) printf "%.2f", a / b; else print "-" }')"
    done
  done
done
exit $status
