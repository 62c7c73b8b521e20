#!/bin/sh
# Routing draws of one DeepSeek-V3-shaped iteration on 2,048 GPUs (bench/moe_routing.cpp), with
# wall time and peak memory. Usage: bench/moe_routing.sh [build-dir]
set -eu
root=$(cd "$(dirname "$0")/.." && pwd)
build=${1:-$root/build}
cmake --build "$build" -j2 --target bench_moe_routing >/dev/null
for mode in uniform limited zipf; do
  /usr/bin/time -f "  peak %M KiB, wall %e s" "$build/bench/bench_moe_routing" "$mode"
done
