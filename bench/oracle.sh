#!/bin/sh
# Times `trainsim compare` on the 16-node scenarios with every method and the placement-searching
# oracle at its defaults (budget 64 placements per searched configuration, margin 5%), 2 child
# processes; then Pipette's search alone (bench_pipette_search). Prints wall time, CPU time of
# the command and its children, peak RSS of the parent, and the machine's load average (a
# loaded machine stretches the wall time, not the CPU time).
# Usage: bench/oracle.sh [build-dir]
set -eu
root=$(cd "$(dirname "$0")/.." && pwd)
build=${1:-$root/build-bench}
cmake -S "$root" -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=Release >/dev/null
ninja -C "$build" -j2 trainsim bench_pipette_search >/dev/null
cd "$root"
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
echo "load average before: $(cut -d' ' -f1-3 /proc/loadavg)"
for s in v100-16node-8.1b a100-16node-39b; do
  /usr/bin/time -f "compare $s (16 nodes x 8 GPUs, all methods, oracle): %e s wall, %U s user + %S s sys (children included), %M KiB peak RSS" \
    "$build/sim/trainsim" compare "scenarios/pipette/$s.yaml" --quiet --jobs 2 --output "$out/$s" | grep '^oracle:'
done
/usr/bin/time -f "pipette search: %e s wall" "$build/bench/bench_pipette_search"
echo "load average after: $(cut -d' ' -f1-3 /proc/loadavg)"
