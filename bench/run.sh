#!/usr/bin/env bash
# Echo-server benchmark: raw epoll (floor) vs Boost.Asio vs libuv vs CAF's broker vs pants
# (inline handlers, the default) vs hop (pants with PANTS_INLINE=never) vs asyncore
# (examples/asyncore_echo: a dispatcher_with_send per connection, asyncore's select loop; no
# idle scenario, since select(2) holds no descriptor at or above 1024).
#
#   bench/run.sh [--udp] [BUILD_DIR] [SECONDS]          (defaults: TCP, build 5)
#   BENCH_BASE=<build dir> bench/run.sh ...              (also that build's pants, as "base")
#   BENCH_SERVERS="raw pants base" bench/run.sh ...      (only those servers)
#
# For every server binary that exists, starts it on a free fixed port (21000 + i, or the
# next free one), waits for its "listening" line, and runs the scenarios:
#   idle:       BENCH_IDLE (default 10000; 0 skips) idle connections held open by
#               bench_idle_loadgen, first, on the fresh server: the server's RSS growth per
#               connection (VmRSS before and while they are open) and the setup time (first
#               connect to last echo)
#   pingpong:   1 connection, 64-byte messages, pipeline 1
#   pipelined:  100 connections, 64-byte messages, pipeline 16
#   conn1000:   1000 connections, 64-byte messages, pipeline 1, with round-trip latency
#               p50/p99 and the time until all 1000 had their first echo (first-ms)
#   churn:      bench_churn_loadgen: connect, one 64-byte echo, close, 16 at a time; a
#               "message" is a whole connection, so cpu-us/msg is the server's CPU per connection
# and then, for pants alone, worker scaling (BENCH_HEAVY=0 skips it): bench_pants_heavy_echo,
# whose handler burns 100 us of CPU per message, with PANTS_WORKERS=1 and 2, unpinned.
# With --udp the servers are the UDP echoes (bench_raw_udp_echo, bench_asio_udp_echo,
# examples/udp_echo) and bench_udp_loadgen runs:
#   pingpong: 1 socket, 64-byte datagrams, window 1
#   windowed: 8 sockets, 64-byte datagrams, window 8 (64 in flight: far below what the
#             server socket's default receive buffer holds, so loopback should not drop)
# and the table gains a "lost" column (datagrams not echoed within 100 ms, whole run).
# Server CPU time (utime + stime of the whole process, all threads, from /proc/PID/stat) is
# sampled right before and after each loadgen run and divided by the messages the loadgen
# completed during that run (including its 0.5 s warm-up); so are the server's context
# switches (voluntary + involuntary, all threads: cs/msg). With taskset available, the
# server is pinned to CPU 0 and the loadgen to CPU 1 (BENCH_PIN=0 disables this; note that
# pinning confines a multi-threaded server to one core). The "other-cpu" column is the CPU
# used meanwhile by everything else on the machine: if it is high, the numbers are noise.
# Everything is time-bounded; servers are killed on exit. Exit status is non-zero if any
# scenario failed.

set -euo pipefail

UDP=0
if [[ ${1:-} == --udp ]]; then
  UDP=1
  shift
fi
BUILD=${1:-build}
DURATION=${2:-5}
[[ $DURATION =~ ^[0-9]+([.][0-9]+)?$ ]] || { echo "SECONDS must be a positive number" >&2; exit 2; }

if [[ $UDP == 1 ]]; then
  SERVER_NAMES=(raw asio pants)
  LOADGEN=$BUILD/bench/bench_udp_loadgen
  SERVER_BINS=("$BUILD/bench/bench_raw_udp_echo" "$BUILD/bench/bench_asio_udp_echo"
    "$BUILD/examples/udp_echo")
  SCENARIO_NAMES=(pingpong windowed)
  SCENARIO_ARGS=("--connections 1 --size 64 --pipeline 1" "--connections 8 --size 64 --pipeline 8")
  SCENARIO_DESC=("1 socket x 64 B, window 1" "8 sockets x 64 B, window 8")
else
  LOADGEN=$BUILD/bench/bench_loadgen
  CHURN=$BUILD/bench/bench_churn_loadgen
  SERVER_NAMES=(raw asio uv broker pants hop asyncore)
  SERVER_BINS=("$BUILD/bench/bench_raw_epoll_echo" "$BUILD/bench/bench_asio_echo"
    "$BUILD/bench/bench_uv_echo" "$BUILD/bench/bench_caf_broker_echo" "$BUILD/examples/echo_server"
    "$BUILD/examples/echo_server" "$BUILD/examples/asyncore_echo")
  SCENARIO_NAMES=(pingpong pipelined conn1000 churn)
  SCENARIO_ARGS=("--connections 1 --size 64 --pipeline 1" "--connections 100 --size 64 --pipeline 16"
    "--connections 1000 --size 64 --pipeline 1 --latency 1" "--concurrency 16 --size 64")
  SCENARIO_DESC=("1 conn x 64 B, pipeline 1" "100 conn x 64 B, pipeline 16"
    "1000 conn x 64 B, pipeline 1" "connect+echo+close, 16 at a time")
  SCENARIO_LOADGEN=("$LOADGEN" "$LOADGEN" "$LOADGEN" "$CHURN")
fi
# "hop" is the pants echo server with inline handlers off: every message hops to a worker.
declare -A SERVER_ENV=([hop]=PANTS_INLINE=never)
IDLE=${BENCH_IDLE:-10000}
[[ $UDP == 1 ]] && IDLE=0
[[ $IDLE =~ ^[0-9]+$ ]] || { echo "BENCH_IDLE must be a number" >&2; exit 2; }
# BENCH_BASE=<another build dir>: also measures that build's pants server, as "base", in the
# same run (before/after figures for a change: build the old commit there first).
if [[ -n ${BENCH_BASE:-} ]]; then
  SERVER_NAMES+=(base)
  SERVER_BINS+=("$BENCH_BASE/examples/$([[ $UDP == 1 ]] && echo udp_echo || echo echo_server)")
fi
[[ -x $LOADGEN ]] || { echo "missing $LOADGEN (build the bench targets first)" >&2; exit 2; }

CLK_TCK=$(getconf CLK_TCK)
LOADGEN_TIMEOUT=$((${DURATION%.*} + 15)) # loadgen hard-stops itself at S + 5 s anyway
LOGDIR=$(mktemp -d /tmp/pants-bench.XXXXXX)

PIN_SERVER=()
PIN_LOADGEN=()
if [[ ${BENCH_PIN:-1} != 0 ]] && command -v taskset >/dev/null &&
  taskset -c 0 true 2>/dev/null && taskset -c 1 true 2>/dev/null; then
  PIN_SERVER=(taskset -c 0)
  PIN_LOADGEN=(taskset -c 1)
  echo "pinning: server on CPU 0, loadgen on CPU 1"
else
  echo "pinning: off"
fi

# The servers of the idle scenario need a descriptor each: as many as the hard limit allows.
ulimit -n "$(ulimit -Hn)" 2>/dev/null || true

SERVER_PID=
stop_server() {
  [[ -n $SERVER_PID ]] || return 0
  kill -TERM "$SERVER_PID" 2>/dev/null || true
  for _ in $(seq 30); do # up to 3 s for a clean exit, then SIGKILL
    kill -0 "$SERVER_PID" 2>/dev/null || break
    sleep 0.1
  done
  kill -KILL "$SERVER_PID" 2>/dev/null || true
  wait "$SERVER_PID" 2>/dev/null || true
  SERVER_PID=
}
trap 'stop_server; rm -rf "$LOGDIR"' EXIT
trap 'exit 130' INT TERM

# True if nothing on this host uses TCP (or with --udp, UDP) port $1 (any state).
port_free() {
  if command -v ss >/dev/null; then
    [[ -z $(ss -H"$([[ $UDP == 1 ]] && echo u || echo t)"an "( sport = :$1 )") ]]
  elif [[ $UDP == 1 ]]; then
    return 0 # no way to tell: a taken port shows as a server that never says "listening"
  else
    if (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; then return 1; fi
  fi
}

# utime + stime of process $1 in clock ticks (fields 14 and 15 of /proc/PID/stat; the
# command name in field 2 may contain spaces, so split after its closing parenthesis).
cpu_ticks() {
  local stat rest
  stat=$(<"/proc/$1/stat") || return 1
  rest=${stat##*) }
  local -a f
  read -ra f <<<"$rest"
  echo $((f[11] + f[12]))
}

# Context switches of process $1 so far, all threads (voluntary + involuntary).
ctx_switches() {
  awk '/^(voluntary|nonvoluntary)_ctxt_switches:/ { n += $2 } END { print n + 0 }' \
    /proc/"$1"/task/*/status 2>/dev/null
}

# Resident set of process $1 in KiB.
rss_kib() { awk '/^VmRSS:/ { print $2 }' "/proc/$1/status"; }

# Extracts key=value from a loadgen result line.
field() { sed -n "s/.*\\b$1=\\([^ ]*\\).*/\\1/p" <<<"$2"; }

# Busy CPU ticks of the whole machine (user+nice+system+irq+softirq: /proc/stat, 1st line).
machine_busy_ticks() {
  local -a c
  read -ra c </proc/stat
  echo $((c[1] + c[2] + c[3] + c[6] + c[7]))
}

# msgs/s are only meaningful on an otherwise idle machine (CPU-us/msg is more robust).
b0=$(machine_busy_ticks)
sleep 1
busy=$((($(machine_busy_ticks) - b0) * 100 / CLK_TCK))
if ((busy > 15)); then
  echo "WARNING: machine not idle before the run (${busy}% of a core busy); msgs/s will be noisy"
fi

# launch_server NAME INDEX COMMAND...: runs COMMAND PORT on a free port (21000 + INDEX, or
# the next free one) and waits up to 10 s for its "listening" line. Sets SERVER_PID and port;
# returns non-zero (with the log on stderr) if it does not come up.
launch_server() {
  local name=$1 index=$2
  shift 2
  port=$((21000 + index)) # below the ephemeral range (32768-60999), which the loadgens fill
  for _ in $(seq 20); do
    port_free "$port" && break
    port=$((port + 10))
  done
  port_free "$port" || { echo "[$name] skipped: no free port found" >&2; return 1; }
  local log=$LOGDIR/$name.log
  "$@" "$port" >"$log" 2>&1 &
  SERVER_PID=$!
  for _ in $(seq 100); do
    grep -q listening "$log" && return 0
    kill -0 "$SERVER_PID" 2>/dev/null || break
    sleep 0.1
  done
  echo "[$name] FAILED: no 'listening' line within 10 s; log:" >&2
  tail -n 20 "$log" >&2
  stop_server
  return 1
}

declare -A MSGS CPU_US CPU_PCT OTHER_PCT LOST CS P50 P99 FIRST IDLE_KIB IDLE_SETUP
FAILED=0

for i in "${!SERVER_NAMES[@]}"; do
  name=${SERVER_NAMES[$i]}
  bin=${SERVER_BINS[$i]}
  [[ -z ${BENCH_SERVERS:-} || " $BENCH_SERVERS " == *" $name "* ]] || continue
  if [[ ! -x $bin ]]; then
    echo "[$name] skipped: $bin not found"
    continue
  fi
  # shellcheck disable=SC2086 # an empty SERVER_ENV adds no word
  launch_server "$name" "$i" "${PIN_SERVER[@]}" env ${SERVER_ENV[$name]:-} "$bin" ||
    { FAILED=1; continue; }
  echo "[$name] $bin listening on port $port (pid $SERVER_PID)"

  # asyncore's loop selects: select(2) holds no descriptor at or above 1024.
  if ((IDLE > 0)) && [[ $name != asyncore ]]; then
    rss0=$(rss_kib "$SERVER_PID")
    idle_out=$LOGDIR/$name.idle
    "${PIN_LOADGEN[@]}" "$BUILD/bench/bench_idle_loadgen" --port "$port" --connections "$IDLE" \
      --hold 3 >"$idle_out" 2>&1 &
    idle_pid=$!
    for _ in $(seq 300); do # up to 30 s for every connection to be set up
      grep -q '^open=' "$idle_out" && break
      kill -0 "$idle_pid" 2>/dev/null || break
      sleep 0.1
    done
    if grep -q '^open=' "$idle_out"; then
      sleep 0.5 # let the server finish what the last echoes started
      rss1=$(rss_kib "$SERVER_PID")
      IDLE_KIB[$name]=$(awk -v a="$rss0" -v b="$rss1" -v n="$IDLE" 'BEGIN { printf "%.2f", (b - a) / n }')
      IDLE_SETUP[$name]=$(field setup_seconds "$(cat "$idle_out")")
      echo "[$name] idle: $(cat "$idle_out") rss_kib_before=$rss0 rss_kib_open=$rss1"
    else
      echo "[$name] idle FAILED: $(cat "$idle_out")" >&2
      FAILED=1
    fi
    wait "$idle_pid" 2>/dev/null || true
  fi

  for j in "${!SCENARIO_NAMES[@]}"; do
    scen=${SCENARIO_NAMES[$j]}
    before=$(cpu_ticks "$SERVER_PID") || { echo "[$name] server died" >&2; FAILED=1; break; }
    cs_before=$(ctx_switches "$SERVER_PID")
    busy_before=$(machine_busy_ticks)
    rc=0
    # shellcheck disable=SC2086 # SCENARIO_ARGS is a list of words on purpose
    out=$(timeout "$LOADGEN_TIMEOUT" "${PIN_LOADGEN[@]}" "${SCENARIO_LOADGEN[$j]:-$LOADGEN}" \
      --host 127.0.0.1 --port "$port" ${SCENARIO_ARGS[$j]} --seconds "$DURATION") || rc=$?
    cs_after=$(ctx_switches "$SERVER_PID")
    after=$(cpu_ticks "$SERVER_PID") || after=
    busy_after=$(machine_busy_ticks)
    if [[ $rc != 0 || -z $after ]]; then
      echo "[$name] $scen FAILED (loadgen exit $rc): $out" >&2
      tail -n 5 "$LOGDIR/$name.log" >&2
      FAILED=1
      continue
    fi
    total=$(field total_messages "$out")
    total_secs=$(field total_seconds "$out")
    MSGS[$name/$scen]=$(field msgs_per_sec "$out")
    LOST[$name/$scen]=$(field lost "$out")
    P50[$name/$scen]=$(field p50_us "$out")
    P99[$name/$scen]=$(field p99_us "$out")
    FIRST[$name/$scen]=$(field first_all_ms "$out")
    CS[$name/$scen]=$(awk -v c="$((cs_after - cs_before))" -v n="$total" 'BEGIN { printf "%.2f", c / n }')
    CPU_US[$name/$scen]=$(awk -v t="$((after - before))" -v hz="$CLK_TCK" -v n="$total" \
      'BEGIN { printf "%.3f", t / hz * 1e6 / n }')
    CPU_PCT[$name/$scen]=$(awk -v t="$((after - before))" -v hz="$CLK_TCK" -v s="$total_secs" \
      'BEGIN { printf "%.0f", t / hz / s * 100 }')
    # CPU used by anything but the server and the loadgen, in % of one core: the noise level.
    OTHER_PCT[$name/$scen]=$(awk -v m="$((busy_after - busy_before))" -v t="$((after - before))" \
      -v l="$(field loadgen_cpu_seconds "$out")" -v hz="$CLK_TCK" -v s="$total_secs" \
      'BEGIN { o = ((m - t) / hz - l) / s * 100; printf "%.0f", o < 0 ? 0 : o }')
    echo "[$name] $scen: $out server_cpu_ticks=$((after - before))"
  done
  stop_server
done

# Worker scaling: the pants echo whose handler burns 100 us of CPU per message, with 1 and then
# 2 CAF workers, 16 connections x pipeline 1, unpinned (pinning would put both workers on one
# core). BENCH_HEAVY=0 skips it.
declare -A HEAVY_MSGS HEAVY_CPU
HEAVY_BIN=$BUILD/bench/bench_pants_heavy_echo
if [[ $UDP == 0 && ${BENCH_HEAVY:-1} != 0 && -x $HEAVY_BIN ]]; then
  for workers in 1 2; do
    launch_server "heavy$workers" "$((20 + workers))" env PANTS_WORKERS="$workers" "$HEAVY_BIN" ||
      { FAILED=1; continue; }
    before=$(cpu_ticks "$SERVER_PID")
    out=$(timeout "$LOADGEN_TIMEOUT" "$LOADGEN" --host 127.0.0.1 --port "$port" --connections 16 \
      --size 64 --pipeline 1 --seconds "$DURATION") || { echo "[heavy$workers] FAILED: $out" >&2; FAILED=1; }
    after=$(cpu_ticks "$SERVER_PID")
    HEAVY_MSGS[$workers]=$(field msgs_per_sec "$out")
    HEAVY_CPU[$workers]=$(awk -v t="$((after - before))" -v hz="$CLK_TCK" \
      -v n="$(field total_messages "$out")" 'BEGIN { printf "%.1f", t / hz * 1e6 / n }')
    echo "[heavy$workers] $out server_cpu_ticks=$((after - before))"
    stop_server
  done
fi

# ratio A B -> "A/B" formatted as "1.23x", or "-" if either is missing.
ratio() {
  if [[ -n $1 && -n $2 ]]; then
    awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.2fx", a / b; else print "-" }'
  else
    echo "-"
  fi
}

echo
echo "seconds per scenario: $DURATION (+0.5 s warm-up); server-cpu = server utime+stime (all"
echo "threads) in % of one core; other-cpu = everything but server and loadgen (noise: results"
echo "with other-cpu above ~10% are unreliable, rerun on a quiet machine)"
[[ $UDP == 1 ]] && echo "lost = datagrams not echoed within 100 ms, over the whole run"
printf '%-8s %-42s %12s %8s %12s %8s %7s %10s %9s%s\n' server scenario msgs/s vs-raw cpu-us/msg \
  vs-raw cs/msg server-cpu other-cpu "$([[ $UDP == 1 ]] && printf ' %8s' lost)"
for j in "${!SCENARIO_NAMES[@]}"; do
  scen=${SCENARIO_NAMES[$j]}
  for name in "${SERVER_NAMES[@]}"; do
    k=$name/$scen
    [[ -n ${MSGS[$k]:-} ]] || continue
    printf '%-8s %-42s %12.0f %8s %12s %8s %7s %9s%% %8s%%%s\n' "$name" "$scen (${SCENARIO_DESC[$j]})" \
      "${MSGS[$k]}" "$(ratio "${MSGS[$k]}" "${MSGS[raw/$scen]:-}")" "${CPU_US[$k]}" \
      "$(ratio "${CPU_US[$k]}" "${CPU_US[raw/$scen]:-}")" "${CS[$k]}" "${CPU_PCT[$k]}" \
      "${OTHER_PCT[$k]}" "$([[ $UDP == 1 ]] && printf ' %8s' "${LOST[$k]}")"
  done
done
if [[ -n ${P50[*]:-} ]]; then
  echo
  echo "conn1000 latency: round trip p50/p99 (us) during the measurement; first-ms = until all"
  echo "1000 fresh connections had their first echo (-1: not all did during the run)"
  printf '%-8s %10s %10s %10s\n' server p50-us p99-us first-ms
  for name in "${SERVER_NAMES[@]}"; do
    [[ -n ${P50[$name/conn1000]:-} ]] || continue
    printf '%-8s %10s %10s %10s\n' "$name" "${P50[$name/conn1000]}" "${P99[$name/conn1000]}" \
      "${FIRST[$name/conn1000]}"
  done
fi
if [[ -n ${IDLE_KIB[*]:-} ]]; then
  echo
  echo "idle: $IDLE connections held open; server RSS growth per connection and setup time"
  printf '%-8s %14s %8s %10s\n' server rss-KiB/conn vs-raw setup-s
  for name in "${SERVER_NAMES[@]}"; do
    [[ -n ${IDLE_KIB[$name]:-} ]] || continue
    printf '%-8s %14s %8s %10s\n' "$name" "${IDLE_KIB[$name]}" \
      "$(ratio "${IDLE_KIB[$name]}" "${IDLE_KIB[raw]:-}")" "${IDLE_SETUP[$name]}"
  done
fi
if [[ -n ${HEAVY_MSGS[1]:-} && -n ${HEAVY_MSGS[2]:-} ]]; then
  echo
  echo "heavy: pants, each on_read burns 100 us of CPU; 16 conn x 64 B, pipeline 1, unpinned"
  printf '%-8s %12s %12s\n' workers msgs/s cpu-us/msg
  for workers in 1 2; do
    printf '%-8s %12.0f %12s\n' "$workers" "${HEAVY_MSGS[$workers]}" "${HEAVY_CPU[$workers]}"
  done
  echo "scaling, 2 workers / 1 worker: $(ratio "${HEAVY_MSGS[2]}" "${HEAVY_MSGS[1]}")"
fi
exit "$FAILED"
