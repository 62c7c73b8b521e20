#!/usr/bin/env bash
# Import, export and report benchmarks (docs/performance.md, docs/import.md, docs/report.md):
# wall time and peak memory of `trainsim import megatron` on a pasted SC21 launch script (the
# 145.6B row: 1,536 GPUs, interleaved), `import torchtitan` on the Llama 3 70B config, `export
# megatron` of the 3,072-GPU row, and `trainsim report` on the tutorial trace (32 GPUs), the
# 145.6B row's trace, the Table 4 sweep and a configurator comparison. Run from the repository
# root after building.
# usage: bench/frontends.sh
set -euo pipefail
cd "$(dirname "$0")/.."
TRAINSIM=${TRAINSIM:-build/sim/trainsim}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
# The results to report on: name, then the trainsim command that writes <name>.h5.
while read -r name command; do
  # shellcheck disable=SC2086  # the command's words
  "$TRAINSIM" $command "$work/$name$([[ $command == compare* ]] || echo .h5)" --quiet >/dev/null
done <<LIST
tutorial run scenarios/tutorial/gpt-1.7b-32gpu.yaml --trace
145b run scenarios/validation/megatron-145.6b.yaml --trace
table4 sweep scenarios/diloco/table4.yaml --jobs 2 --trace
compare compare scenarios/pipette/a100-8node-18b.yaml --top 3 --output
LIST
script="TP=8
PP=8
MBS=2
GBS=2304
NLS=80
HS=12288
NAH=96
DDP=local
NNODES=192
MEGATRON_EXTRA_PARAMS=\"--activations-checkpoint-method uniform --num-layers-per-virtual-pipeline-stage 5 \"
$(cat tests/importer/sc21/CONFIG.sh)
$(cat tests/importer/sc21/SRUN.sh)"
measure() {  # label, command... : one line of wall time and peak memory
  local label=$1; shift
  /usr/bin/time -o "$work/figures" -f "%e %M" "$@" >/dev/null 2>&1
  awk -v l="$label" '{ printf "%-52s wall %6.2f s   peak %5.0f MiB\n", l, $1, $2 / 1024 }' "$work/figures"
}
measure "import megatron (SC21 145.6B script, pasted)" "$TRAINSIM" import megatron --platform selene-dgx-a100 \
  --nodes 192 --quiet --output "$work/imported.yaml" -- "$script"
measure "import torchtitan (Llama 3 70B, 64 GPUs)" "$TRAINSIM" import torchtitan \
  tests/importer/torchtitan/llama3_70b.toml --platform h100-400g --nodes 8 --quiet --output "$work/titan.yaml"
measure "export megatron (SC21 1T, 3,072 GPUs)" "$TRAINSIM" export megatron scenarios/validation/megatron-1t.yaml
for name in tutorial 145b table4 compare; do
  measure "report $name.h5" "$TRAINSIM" report "$work/$name.h5" -o "$work/$name.html"
  echo "  page: $(stat -c %s "$work/$name.html") bytes"
done
