#!/bin/sh
# Times the oracle: every feasible configuration of a 64-GPU cluster simulated with the full
# simulator (one iteration each) in child processes, 2 at a time, plus Pipette's full search on
# 128 GPUs (bench_pipette_search). Usage: bench/oracle.sh [build-dir] [scenario]
set -eu
root=$(cd "$(dirname "$0")/.." && pwd)
build=${1:-$root/build-bench}
scenario=${2:-scenarios/pipette/v100-8node-8.1b-spread.yaml}
cmake -S "$root" -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=Release >/dev/null
ninja -C "$build" -j2 trainsim bench_pipette_search >/dev/null
cd "$root"
out=$(mktemp -d)
/usr/bin/time -f "oracle over all feasible configurations: %e s wall, %M KiB peak RSS (parent)" \
  "$build/sim/trainsim" configure "$scenario" --method oracle --top 1000 --jobs 2 --output-dir "$out/oracle" | \
  awk 'NR<=3 || /^ +1 /; END {print NR-5 " configurations simulated"}'
/usr/bin/time -f "pipette search: %e s wall" "$build/bench/bench_pipette_search"
rm -rf "$out"
