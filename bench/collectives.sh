#!/usr/bin/env bash
# Collective benchmarks: a 1 GiB ring all-reduce over 1,024 GPUs (goal: under 5 s), and the
# nccl-tests-like scenarios of scenarios/nccl/. Run from the repository root after building.
set -euo pipefail
cd "$(dirname "$0")/.."
bench/run_timed.sh "1 GiB ring all-reduce, 1,024 GPUs" run bench/scenarios/allreduce-1024.yaml
for f in scenarios/nccl/*.yaml; do bench/run_timed.sh "$(basename "$f" .yaml) (1 KiB..8 GiB)" run "$f"; done
# Granularity (docs/collectives.md): the same 1 GiB ring all-reduce as aggregated flows (one per
# rank and channel) and step by step (2(n-1) steps of one flow per rank and channel).
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
for nodes in 8 32 128; do
  for g in aggregated stepwise; do
    cat >"$tmp/$g-$nodes.yaml" <<YAML
name: granularity
platform: $PWD/platforms/h100-400g.yaml
job:
  kind: collective_benchmark
  collectives: [all_reduce]
  algorithms: [ring]
  group: {nodes: $nodes}
  sizes: {min: 1GiB, max: 1GiB, factor: 2}
  granularity: $g
YAML
    bench/run_timed.sh "ring all-reduce 1 GiB, $((nodes * 8)) GPUs, $g" run "$tmp/$g-$nodes.yaml"
  done
done
