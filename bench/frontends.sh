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
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
"$TRAINSIM" run scenarios/tutorial/gpt-1.7b-32gpu.yaml --trace "$tmp/tutorial.h5" --quiet >/dev/null
"$TRAINSIM" run scenarios/validation/megatron-145.6b.yaml --trace "$tmp/145b.h5" --quiet >/dev/null
"$TRAINSIM" sweep scenarios/diloco/table4.yaml --jobs 2 --trace "$tmp/table4.h5" --quiet >/dev/null
"$TRAINSIM" compare scenarios/pipette/a100-8node-18b.yaml --top 3 --output "$tmp/compare" --quiet >/dev/null
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
timed() {  # label, command...
  local label=$1; shift
  /usr/bin/time -o "$tmp/time" -f "%e %M" "$@" >/dev/null 2>&1
  read -r wall kib <"$tmp/time"
  printf '%-52s wall %6.2f s   peak %5.0f MiB\n' "$label" "$wall" "$(awk -v k="$kib" 'BEGIN{print k/1024}')"
}
timed "import megatron (SC21 145.6B script, pasted)" "$TRAINSIM" import megatron --platform selene-dgx-a100 \
  --nodes 192 --quiet --output "$tmp/imported.yaml" -- "$script"
timed "import torchtitan (Llama 3 70B, 64 GPUs)" "$TRAINSIM" import torchtitan tests/importer/torchtitan/llama3_70b.toml \
  --platform h100-400g --nodes 8 --quiet --output "$tmp/titan.yaml"
timed "export megatron (SC21 1T, 3,072 GPUs)" "$TRAINSIM" export megatron scenarios/validation/megatron-1t.yaml
for trace in tutorial 145b table4 compare; do
  timed "report $trace.h5" "$TRAINSIM" report "$tmp/$trace.h5" -o "$tmp/$trace.html"
  printf '%-52s %s bytes\n' "  page size" "$(stat -c %s "$tmp/$trace.html")"
done
