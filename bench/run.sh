#!/usr/bin/env bash
# Echo-server benchmark: raw epoll (floor) vs Boost.Asio vs libuv vs CAF's broker vs pants.
#
#   bench/run.sh [--udp] [BUILD_DIR] [SECONDS]          (defaults: TCP, build 5)
#   BENCH_BASE=<build dir> bench/run.sh ...              (also that build's pants, as "base")
#
# For every server binary that exists, starts it on a free fixed port (41000 + i, or the
# next free one), waits for its "listening" line, and runs bench_loadgen twice:
#   pingpong: 1 connection, 64-byte messages, pipeline 1
#   pipelined: 100 connections, 64-byte messages, pipeline 16
# With --udp the servers are the UDP echoes (bench_raw_udp_echo, bench_asio_udp_echo,
# examples/udp_echo) and bench_udp_loadgen runs:
#   pingpong: 1 socket, 64-byte datagrams, window 1
#   windowed: 8 sockets, 64-byte datagrams, window 8 (64 in flight: far below what the
#             server socket's default receive buffer holds, so loopback should not drop)
# and the table gains a "lost" column (datagrams not echoed within 100 ms, whole run).
# Server CPU time (utime + stime of the whole process, all threads, from /proc/PID/stat) is
# sampled right before and after each loadgen run and divided by the messages the loadgen
# completed during that run (including its 0.5 s warm-up). With taskset available, the
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
  SERVER_NAMES=(raw asio uv broker pants)
  SERVER_BINS=("$BUILD/bench/bench_raw_epoll_echo" "$BUILD/bench/bench_asio_echo"
    "$BUILD/bench/bench_uv_echo" "$BUILD/bench/bench_caf_broker_echo" "$BUILD/examples/echo_server")
  SCENARIO_NAMES=(pingpong pipelined)
  SCENARIO_ARGS=("--connections 1 --size 64 --pipeline 1" "--connections 100 --size 64 --pipeline 16")
  SCENARIO_DESC=("1 conn x 64 B, pipeline 1" "100 conn x 64 B, pipeline 16")
fi
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

declare -A MSGS CPU_US CPU_PCT OTHER_PCT LOST
FAILED=0

for i in "${!SERVER_NAMES[@]}"; do
  name=${SERVER_NAMES[$i]}
  bin=${SERVER_BINS[$i]}
  if [[ ! -x $bin ]]; then
    echo "[$name] skipped: $bin not found"
    continue
  fi
  port=$((41000 + i))
  for _ in $(seq 20); do
    port_free "$port" && break
    port=$((port + 10))
  done
  port_free "$port" || { echo "[$name] skipped: no free port found" >&2; FAILED=1; continue; }

  log=$LOGDIR/$name.log
  "${PIN_SERVER[@]}" "$bin" "$port" >"$log" 2>&1 &
  SERVER_PID=$!
  ready=0
  for _ in $(seq 100); do # up to 10 s
    if grep -q listening "$log"; then ready=1; break; fi
    kill -0 "$SERVER_PID" 2>/dev/null || break
    sleep 0.1
  done
  if [[ $ready != 1 ]]; then
    echo "[$name] FAILED: no 'listening' line within 10 s; log:" >&2
    tail -n 20 "$log" >&2
    stop_server
    FAILED=1
    continue
  fi
  echo "[$name] $bin listening on port $port (pid $SERVER_PID)"

  for j in "${!SCENARIO_NAMES[@]}"; do
    scen=${SCENARIO_NAMES[$j]}
    before=$(cpu_ticks "$SERVER_PID") || { echo "[$name] server died" >&2; FAILED=1; break; }
    busy_before=$(machine_busy_ticks)
    rc=0
    # shellcheck disable=SC2086 # SCENARIO_ARGS is a list of words on purpose
    out=$(timeout "$LOADGEN_TIMEOUT" "${PIN_LOADGEN[@]}" "$LOADGEN" --host 127.0.0.1 \
      --port "$port" ${SCENARIO_ARGS[$j]} --seconds "$DURATION") || rc=$?
    after=$(cpu_ticks "$SERVER_PID") || after=
    busy_after=$(machine_busy_ticks)
    if [[ $rc != 0 || -z $after ]]; then
      echo "[$name] $scen FAILED (loadgen exit $rc): $out" >&2
      tail -n 5 "$log" >&2
      FAILED=1
      continue
    fi
    total=$(field total_messages "$out")
    total_secs=$(field total_seconds "$out")
    MSGS[$name/$scen]=$(field msgs_per_sec "$out")
    LOST[$name/$scen]=$(field lost "$out")
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
printf '%-6s %-42s %12s %8s %12s %8s %10s %9s%s\n' server scenario msgs/s vs-raw cpu-us/msg \
  vs-raw server-cpu other-cpu "$([[ $UDP == 1 ]] && printf ' %8s' lost)"
for j in "${!SCENARIO_NAMES[@]}"; do
  scen=${SCENARIO_NAMES[$j]}
  for name in "${SERVER_NAMES[@]}"; do
    k=$name/$scen
    [[ -n ${MSGS[$k]:-} ]] || continue
    printf '%-6s %-42s %12.0f %8s %12s %8s %9s%% %8s%%%s\n' "$name" "$scen (${SCENARIO_DESC[$j]})" \
      "${MSGS[$k]}" "$(ratio "${MSGS[$k]}" "${MSGS[raw/$scen]:-}")" "${CPU_US[$k]}" \
      "$(ratio "${CPU_US[$k]}" "${CPU_US[raw/$scen]:-}")" "${CPU_PCT[$k]}" "${OTHER_PCT[$k]}" \
      "$([[ $UDP == 1 ]] && printf ' %8s' "${LOST[$k]}")"
  done
done
exit "$FAILED"
