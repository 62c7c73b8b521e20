#!/bin/sh
# The DeepSeek-V3-shaped run on 2,048 GPUs (scenarios/validation/deepseek-v3-2048.yaml: PP 16,
# EP 64, DualPipe, every GPU and micro-batch simulated), with wall time, CPU time and peak
# memory, and the load average it ran under; then, with --1f1b, the same scenario on 1F1B (the
# schedule it ran before DualPipe reached training jobs) in the same run, for before/after.
# Usage: bench/moe_deepseek.sh [--1f1b] [build-dir]
set -eu
root=$(cd "$(dirname "$0")/.." && pwd)
also_1f1b=no
if [ "${1:-}" = "--1f1b" ]; then also_1f1b=yes; shift; fi
build=${1:-$root/build}
scenario=$root/scenarios/validation/deepseek-v3-2048.yaml
cmake --build "$build" -j2 --target trainsim >/dev/null
echo "load average before: $(cut -d' ' -f1-3 /proc/loadavg)"
echo "deepseek-v3-2048 (dualpipe):"
/usr/bin/time -f "  wall %e s, user %U s, system %S s, peak %M KiB" "$build/sim/trainsim" run "$scenario" --quiet
if [ "$also_1f1b" = yes ]; then
  tmp=$(mktemp -d)
  trap 'rm -rf "$tmp"' EXIT
  sed -e 's/^  schedule: dualpipe$/  schedule: 1f1b/' -e "s#\.\./\.\./platforms/#$root/platforms/#" "$scenario" >"$tmp/1f1b.yaml"
  grep -q '^  schedule: 1f1b$' "$tmp/1f1b.yaml"
  echo "load average between: $(cut -d' ' -f1-3 /proc/loadavg)"
  echo "deepseek-v3-2048 with schedule: 1f1b:"
  /usr/bin/time -f "  wall %e s, user %U s, system %S s, peak %M KiB" "$build/sim/trainsim" run "$tmp/1f1b.yaml" --quiet
fi
echo "load average after: $(cut -d' ' -f1-3 /proc/loadavg)"
