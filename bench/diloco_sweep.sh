#!/bin/sh
# Benchmark: the whole Table 4 sweep (1B, 10B, 100B x 5 methods x 50 WAN bandwidths, 3 outer
# rounds each, plus 6 bisection steps per threshold) with two children at a time. The issue's
# target is under 60 s on the 2-core development machine.
# Usage: bench/diloco_sweep.sh [BUILD_DIR]   (default build)
set -eu
build=${1:-build}
root=$(cd "$(dirname "$0")/.." && pwd)
start=$(date +%s.%N)
"$root/$build/sim/trainsim" sweep "$root/scenarios/diloco/table4.yaml" --jobs 2
end=$(date +%s.%N)
echo "wall time: $(echo "$end - $start" | bc) s"
