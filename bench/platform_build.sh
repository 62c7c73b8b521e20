#!/bin/sh
# Builds bench_platform_build and runs it for 1k, 4k and 16k GPUs (one process each), printing
# build wall time and peak RSS. Usage: bench/platform_build.sh [build-dir] [sizes...]
set -eu
root=$(cd "$(dirname "$0")/.." && pwd)
build=${1:-$root/build-bench}
[ $# -gt 0 ] && shift
sizes=${*:-1024 4096 16384}
cmake -S "$root" -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=Release >/dev/null
ninja -C "$build" -j2 bench_platform_build >/dev/null
printf '%-8s %-8s %-9s %-10s %-10s %s\n' GPUs nodes links build_s RSS_MiB route_us
for n in $sizes; do
  "$build/bench/bench_platform_build" "$n" | awk '{printf "%-8s %-8s %-9s %-10s %-10s %s\n", $1, $3, $5, $8, $12, $19}'
done
