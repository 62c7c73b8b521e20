#!/bin/sh
# The DeepSeek-V3-shaped run on 2,048 GPUs (scenarios/validation/deepseek-v3-2048.yaml: PP 16,
# EP 64, every GPU and micro-batch simulated), with wall time, CPU time and peak memory, and the
# load average it ran under. Usage: bench/moe_deepseek.sh [build-dir]
set -eu
root=$(cd "$(dirname "$0")/.." && pwd)
build=${1:-$root/build}
cmake --build "$build" -j2 --target trainsim >/dev/null
echo "load average before: $(cut -d' ' -f1-3 /proc/loadavg)"
/usr/bin/time -f "  wall %e s, user %U s, system %S s, peak %M KiB" \
  "$build/sim/trainsim" run "$root/scenarios/validation/deepseek-v3-2048.yaml" --quiet
echo "load average after: $(cut -d' ' -f1-3 /proc/loadavg)"
