#!/usr/bin/env bash
# Collective benchmarks: a 1 GiB ring all-reduce over 1,024 GPUs (goal: under 5 s), and the
# nccl-tests-like scenarios of scenarios/nccl/. Run from the repository root after building.
set -euo pipefail
cd "$(dirname "$0")/.."
bench/run_timed.sh "1 GiB ring all-reduce, 1,024 GPUs" run bench/scenarios/allreduce-1024.yaml
for f in scenarios/nccl/*.yaml; do bench/run_timed.sh "$(basename "$f" .yaml) (1 KiB..8 GiB)" run "$f"; done
