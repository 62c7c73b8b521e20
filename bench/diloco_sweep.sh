#!/bin/sh
# Benchmark: the whole Table 4 sweep (scenarios/diloco/table4.yaml: 1B, 10B, 100B x 5 methods x 50
# WAN bandwidths, plus 6 bisection steps per threshold: 1,200 abstract simulations), --jobs 2.
# Goals (issue 13): under 4 s wall on the 2-core machine, under 2 ms of CPU per simulation.
#
# Usage: bench/diloco_sweep.sh [BUILD_DIR] [BEFORE_TRAINSIM] [REPEATS]
#   BUILD_DIR        build folder of the trainsim under test (default build)
#   BEFORE_TRAINSIM  another trainsim binary (e.g. built from main) measured in the same run,
#                    alternating with the one under test, so both see the same machine load
#   REPEATS          runs of each (default 3); the median wall time is reported
# Prints one line per binary (median wall, CPU user + system, CPU per simulation, peak memory)
# and the load average before and after.
set -eu
build=${1:-build}
before=${2:-}
repeats=${3:-3}
root=$(cd "$(dirname "$0")/.." && pwd)
after="$root/$build/sim/trainsim"
scenario="$root/scenarios/diloco/table4.yaml"
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT

# One run: "<wall> <user> <sys> <peak KiB> <simulations>"
measure() {
  /usr/bin/time -f "%e %U %S %M" -o "$out/time" "$1" sweep "$scenario" --jobs 2 > "$out/stdout" 2> /dev/null
  sims=$(sed -n 's/^\([0-9][0-9]*\) simulations.*/\1/p' "$out/stdout")
  echo "$(cat "$out/time") ${sims:-0}"
}

echo "load average before: $(cut -d' ' -f1-3 /proc/loadavg)"
i=0
while [ "$i" -lt "$repeats" ]; do
  [ -n "$before" ] && measure "$before" >> "$out/before"
  measure "$after" >> "$out/after"
  i=$((i + 1))
done
echo "load average after:  $(cut -d' ' -f1-3 /proc/loadavg)"

report() {
  sort -n "$2" | awk -v label="$1" -v n="$repeats" '
    { wall[NR] = $1; cpu[NR] = $2 + $3; user[NR] = $2; sys[NR] = $3; mem[NR] = $4; sims = $5 }
    END {
      m = int((n + 1) / 2)
      printf "%-8s median wall %6.2f s   CPU %6.2f s (user %.2f, sys %.2f)   %6.3f ms CPU per simulation (%d)   peak %.0f MiB\n",
             label, wall[m], cpu[m], user[m], sys[m], 1000 * cpu[m] / sims, sims, mem[m] / 1024
    }'
}
[ -n "$before" ] && report before "$out/before"
report after "$out/after"
