#!/bin/sh
# Building only what a job uses (docs/network.md): the default scenario's 128-GPU job on a
# 100,000-GPU platform, with the scoped build (as `trainsim run` does) and with the whole
# platform built, one process each. Usage: bench/job_scope.sh [build-dir]
set -eu
root=$(cd "$(dirname "$0")/.." && pwd)
build=${1:-$root/build}
cmake --build "$build" -j2 --target bench_job_scope >/dev/null
for mode in scoped whole; do
  "$build/bench/bench_job_scope" "$root/bench/scenarios/llama3-70b-128-on-100k.yaml" "$mode"
done
