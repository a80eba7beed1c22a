#!/usr/bin/env bash
# Soak: pants' echo server (examples/echo_server) under SECONDS (default 60) of connection
# churn, bench_churn_loadgen with 1000 connections at a time (connect, echo 64 bytes, check,
# close), while bench_idle_loadgen holds 1000 more open and idle. Samples the server's RSS,
# open descriptors and CPU once a second, prints every sample, and checks:
#   memory       the largest RSS of the last third at most 10 % + 4 MiB above the largest of
#                the middle third (the first third is warm-up: pools and arenas fill)
#   descriptors  never above 1000 idle + 2 x 1000 churning + the server's own 64 (a client's
#                next connection may be accepted before the server has seen the end of its
#                last one); back at the baseline (taken before the load, +-2) within 5 s
#                after the load ends
#   errors       none from the churn loadgen; the idle loadgen exits 0
#   CPU          reported (percent of one core, whole process), not judged
#
#   bench/soak.sh [BUILD_DIR] [SECONDS]        (defaults: build 60)
#   BENCH_PIN=0 bench/soak.sh ...               (do not pin server to CPU 0, loadgens to 1)
# Exit status: 0 when every check holds.
set -euo pipefail
build=${1:-build}
seconds=${2:-60}
churn=1000 idle=1000
server_bin=$build/examples/echo_server
for b in "$server_bin" "$build/bench/bench_churn_loadgen" "$build/bench/bench_idle_loadgen"; do
  [ -x "$b" ] || { echo "soak.sh: $b is missing (build it)" >&2; exit 1; }
done
pin_server=() pin_load=()
if [ "${BENCH_PIN:-1}" != 0 ] && command -v taskset >/dev/null && [ "$(nproc)" -ge 2 ]; then
  pin_server=(taskset -c 0) pin_load=(taskset -c 1)
fi
ulimit -n "$(ulimit -Hn)" 2>/dev/null || true
clk_tck=$(getconf CLK_TCK)
logdir=$(mktemp -d)
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill -TERM "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
  rm -rf "$logdir"
}
trap cleanup EXIT

# utime + stime of process $1, in clock ticks (after the command name's parenthesis).
cpu_ticks() { local s; s=$(<"/proc/$1/stat"); read -ra f <<<"${s##*) }"; echo $((f[11] + f[12])); }
rss_kib() { awk '/^VmRSS:/ { print $2 }' "/proc/$1/status"; }
fds() { find "/proc/$1/fd" -mindepth 1 -maxdepth 1 | wc -l; }

port=$((23000 + RANDOM % 1000))
"${pin_server[@]}" "$server_bin" "$port" >"$logdir/server.log" 2>&1 &
server=$!
pids+=("$server")
for _ in $(seq 100); do
  grep -q listening "$logdir/server.log" && break
  sleep 0.1
done
grep -q listening "$logdir/server.log" || { echo "soak.sh: the server did not start" >&2; exit 1; }
base_fds=$(fds "$server")

"${pin_load[@]}" "$build/bench/bench_idle_loadgen" --port "$port" --connections "$idle" \
  --hold $((seconds + 5)) >"$logdir/idle.out" 2>&1 &
idle_pid=$!
pids+=("$idle_pid")
for _ in $(seq 200); do # the idle connections are set up before the churn starts
  grep -q "^open=" "$logdir/idle.out" && break
  sleep 0.1
done
grep -q "^open=$idle" "$logdir/idle.out" || { echo "soak.sh: idle loadgen: $(cat "$logdir/idle.out")" >&2; exit 1; }

"${pin_load[@]}" "$build/bench/bench_churn_loadgen" --port "$port" --concurrency "$churn" \
  --seconds "$seconds" >"$logdir/churn.out" 2>&1 &
churn_pid=$!
pids+=("$churn_pid")

echo "second rss_kib fds cpu_pct"
declare -a rss fd
prev=$(cpu_ticks "$server")
t=0
while kill -0 "$churn_pid" 2>/dev/null && ((t < seconds + 10)); do
  sleep 1
  t=$((t + 1))
  now=$(cpu_ticks "$server")
  rss[t]=$(rss_kib "$server")
  fd[t]=$(fds "$server")
  echo "$t ${rss[t]} ${fd[t]} $(((now - prev) * 100 / clk_tck))"
  prev=$now
done
status=0
wait "$churn_pid" || { echo "soak.sh: churn loadgen failed: $(cat "$logdir/churn.out")" >&2; status=1; }
cat "$logdir/churn.out"
wait "$idle_pid" || { echo "soak.sh: idle loadgen failed: $(cat "$logdir/idle.out")" >&2; status=1; }
back=""
for _ in $(seq 50); do
  back=$(fds "$server")
  ((back <= base_fds + 2 && back >= base_fds - 2)) && break
  sleep 0.1
done

third=$((t / 3))
max_of() { local m=0; for ((i = $1; i <= $2; ++i)); do ((rss[i] > m)) && m=${rss[i]}; done; echo $m; }
mid=$(max_of $((third + 1)) $((2 * third)))
last=$(max_of $((2 * third + 1)) "$t")
most_fds=0
for ((i = 1; i <= t; ++i)); do ((fd[i] > most_fds)) && most_fds=${fd[i]}; done
errors=$(sed -n 's/.*\<errors=\([0-9]*\).*/\1/p' "$logdir/churn.out")
conns=$(sed -n 's/^messages=\([0-9]*\).*/\1/p' "$logdir/churn.out")
echo
echo "connections churned: ${conns:-?} in ${seconds} s; errors: ${errors:-?}"
echo "RSS: middle third at most $mid KiB, last third at most $last KiB"
echo "descriptors: baseline $base_fds, at most $most_fds under load, $back after it"
if ((last > mid + mid / 10 + 4096)); then echo "FAIL: memory grew"; status=1; fi
if ((most_fds > idle + 2 * churn + 64 + base_fds)); then echo "FAIL: too many descriptors"; status=1; fi
if ((back > base_fds + 2 || back < base_fds - 2)); then echo "FAIL: descriptors not released"; status=1; fi
if [ "${errors:-1}" != 0 ]; then echo "FAIL: churn errors"; status=1; fi
((status == 0)) && echo "soak: every check holds"
exit $status
