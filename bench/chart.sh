#!/usr/bin/env bash
# Draws docs/performance's chart from a saved bench/run.sh report: server CPU per message
# against raw epoll, per scenario and server (lower is better; 1.0 = the hand-written floor).
#
#   bench/run.sh build 5 | tee /tmp/report.txt
#   bench/chart.sh /tmp/report.txt docs/performance-cpu.svg
#
# Needs gnuplot (Debian's gnuplot-nox); not part of the build or the suite.
set -euo pipefail
[[ $# == 2 ]] || { echo "usage: $0 REPORT OUT.svg" >&2; exit 2; }
REPORT=$1
OUT=$2
command -v gnuplot >/dev/null || { echo "gnuplot is missing: apt-get install gnuplot-nox" >&2; exit 2; }
DATA=$(mktemp)
trap 'rm -f "$DATA"' EXIT

# The table rows: "<server> <scenario> (<desc>) msgs/s vs-raw cpu-us/msg vs-raw ...".
awk '
  /^(raw|asio|uv|broker|pants|base) +[a-z0-9]+ \(/ {
    server = $1; scen = $2
    line = $0; sub(/\([^)]*\)/, "", line); split(line, f, " +")
    ratio = f[6]; sub(/x$/, "", ratio)
    if (!(server in seen)) { seen[server] = 1; servers[++ns] = server }
    if (!(scen in sseen)) { sseen[scen] = 1; scens[++nc] = scen }
    v[scen, server] = ratio
  }
  END {
    if (nc == 0) exit 1
    printf "scenario"; for (i = 1; i <= ns; i++) printf " %s", servers[i]; print ""
    for (j = 1; j <= nc; j++) {
      printf "%s", scens[j]
      for (i = 1; i <= ns; i++) printf " %s", ((scens[j], servers[i]) in v ? v[scens[j], servers[i]] : "-")
      print ""
    }
  }' "$REPORT" >"$DATA" || { echo "no benchmark table in $REPORT" >&2; exit 1; }

columns=$(head -1 "$DATA" | wc -w)
gnuplot <<GP
set terminal svg size 900,420 dynamic font "sans,12" background "#ffffff"
set output "$OUT"
set title "Server CPU per message, relative to a hand-written epoll echo (lower is better)"
set style data histograms
set style histogram clustered gap 1
set style fill solid 0.85 border -1
set datafile missing "-"
set key top left
set ylabel "x raw epoll"
set yrange [0:*]
set grid ytics
set arrow from graph 0, first 1 to graph 1, first 1 nohead dashtype 2
plot for [c=2:$columns] "$DATA" using c:xtic(1) title columnheader(c)
GP
echo "wrote $OUT"
