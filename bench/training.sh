#!/usr/bin/env bash
# Training-iteration benchmarks (docs/performance.md). Goals (issue 13): the 145.6B Megatron
# row (1,536 GPUs) under 10 s and 2 GiB; Llama 3 405B on 16,384 H100 under 5 s; the
# MegaScale-like 175B run on 12,288 A100 under 15 s; Llama 3 405B on 131,072 H100 under 120 s
# and 16 GiB (BENCH_131K=1: about 40 s of CPU and 1.3 GiB folded). Then how wall time and memory grow from
# 64 to 16,384 GPUs (Llama 3 70B, TP 8, PP 8, 8 micro-batches per replica, DP from 1 to 256).
# Run from the repository root after building; TRAINSIM=path/to/trainsim picks the binary.
# Training runs fold symmetric tensor-parallel ranks (docs/programs.md); BENCH_NO_FOLD=1 also runs
# the 16,384- and 12,288-GPU cases with --no-fold (every GPU simulated: the "before" figures).
set -euo pipefail
cd "$(dirname "$0")/.."
bench/run_timed.sh "145.6B row, 1,536 A100 (interleaved)" run scenarios/validation/megatron-145.6b.yaml
bench/run_timed.sh "Llama 3 405B, 16,384 H100" run bench/scenarios/llama3-405b-16k.yaml
bench/run_timed.sh "MegaScale-like 175B, 12,288 A100" run bench/scenarios/megascale-175b-12k.yaml
if [ "${BENCH_NO_FOLD:-0}" = 1 ]; then
  bench/run_timed.sh "Llama 3 405B, 16,384 H100, --no-fold" run bench/scenarios/llama3-405b-16k.yaml --no-fold
  bench/run_timed.sh "MegaScale-like 175B, 12,288 A100, --no-fold" run bench/scenarios/megascale-175b-12k.yaml --no-fold
fi
if [ "${BENCH_131K:-0}" = 1 ]; then
  bench/run_timed.sh "Llama 3 405B, 131,072 H100" run bench/scenarios/llama3-405b-131k.yaml
fi
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
for dp in 1 4 16 64 256; do
  gpus=$((64 * dp))
  cat >"$tmp/scale-$gpus.yaml" <<YAML
name: scale-$gpus
platform: $PWD/platforms/h100-400g.yaml
job:
  kind: training
  model: llama3-70b
  parallelism: {tp: 8, pp: 8, dp: $dp}
  micro_batch: 1
  global_batch: $((8 * dp))
  sequence_parallel: true
  recompute: selective
  zero_stage: 1
  overlap_grad_reduce: true
YAML
  bench/run_timed.sh "scaling: Llama 3 70B, $gpus GPUs" run "$tmp/scale-$gpus.yaml"
done
