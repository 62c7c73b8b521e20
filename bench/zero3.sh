#!/bin/sh
# Benchmark: what per-unit ZeRO-3 costs to simulate (issue 12). Runs the shipped
# scenarios/zero3/gpt3-175b-zero3.yaml (128 GPUs, 96 one-layer units: per micro-batch 2 x 98
# gathers and 98 reduce-scatters over 128 ranks) and the same run with the whole model as one
# unit (fsdp.unit_layers 96: the gather granularity before issue 12), in the same run so both
# see the same machine load.
#
# Usage: bench/zero3.sh [BUILD_DIR] [REPEATS]
# Prints one line per variant (median wall, CPU user + system, peak memory) and the load
# average before and after.
set -eu
build=${1:-build}
repeats=${2:-3}
root=$(cd "$(dirname "$0")/.." && pwd)
trainsim="$root/$build/sim/trainsim"
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
sed -e 's/fsdp: {unit_layers: 1, prefetch: 1}/fsdp: {unit_layers: 96, prefetch: 1}/' \
    -e "s|\.\./\.\./platforms/|$root/platforms/|" "$root/scenarios/zero3/gpt3-175b-zero3.yaml" > "$out/whole.yaml"

measure() {  # "<wall> <user> <sys> <peak KiB>"
  /usr/bin/time -f "%e %U %S %M" -o "$out/time" "$trainsim" run "$1" --quiet > /dev/null 2>&1
  cat "$out/time"
}

echo "load average before: $(cut -d' ' -f1-3 /proc/loadavg)"
i=0
while [ "$i" -lt "$repeats" ]; do
  measure "$root/scenarios/zero3/gpt3-175b-zero3.yaml" >> "$out/units"
  measure "$out/whole.yaml" >> "$out/whole"
  i=$((i + 1))
done
echo "load average after:  $(cut -d' ' -f1-3 /proc/loadavg)"
for v in units whole; do
  sort -n "$out/$v" | awk -v label="$v" -v n="$repeats" '
    { w[NR] = $1; c[NR] = $2 + $3; m[NR] = $4 }
    END { i = int((n + 1) / 2); printf "%-6s wall %.2f s, CPU %.2f s, peak %.0f MiB\n", label, w[i], c[i], m[i] / 1024 }'
done
