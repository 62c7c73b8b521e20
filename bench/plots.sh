#!/usr/bin/env bash
# Plot benchmarks (docs/performance.md, docs/plots.md): wall time and peak memory of each
# analysis/plot.py subcommand on the tutorial trace (32 GPUs, 1,424 activities), the Megatron
# 145.6B row (1,536 GPUs, interleaved) and the Table 4 sweep, and of the docs generators'
# --check. Run from the repository root after building.
# usage: bench/plots.sh [ANALYSIS_DIR ...]   (several folders: each case runs on each, in turn,
#                                             e.g. an old checkout's analysis/ against this one)
#        DOCS=0 bench/plots.sh ...           (skip the docs generators, 3 minutes of the run)
set -euo pipefail
cd "$(dirname "$0")/.."
TRAINSIM=${TRAINSIM:-build/sim/trainsim}
dirs=("$@")
((${#dirs[@]})) || dirs=(analysis)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
"$TRAINSIM" run scenarios/tutorial/gpt-1.7b-32gpu.yaml --trace "$tmp/tutorial.h5" --quiet >/dev/null
"$TRAINSIM" run scenarios/validation/megatron-145.6b.yaml --trace "$tmp/145b.h5" --quiet >/dev/null
"$TRAINSIM" sweep scenarios/diloco/table4.yaml --jobs 2 --trace "$tmp/table4.h5" --quiet >/dev/null
"$TRAINSIM" compare scenarios/pipette/a100-8node-18b.yaml --top 3 --output "$tmp/compare" --quiet >/dev/null
timed() {  # label, command...
  local label=$1; shift
  /usr/bin/time -o "$tmp/time" -f "%e %M" "$@" >/dev/null 2>&1
  read -r wall kib <"$tmp/time"
  printf '%-52s wall %6.2f s   peak %5.0f MiB\n' "$label" "$wall" "$(awk -v k="$kib" 'BEGIN{print k/1024}')"
}
n=0
for case in "timeline tutorial" "links tutorial" "memory tutorial" "timeline 145b" "links 145b" \
            "memory 145b" "utilization table4" "compare compare"; do
  read -r plot trace <<<"$case"
  for d in "${dirs[@]}"; do
    n=$((n + 1))
    timed "$plot $trace.h5 ($d)" /usr/bin/python3 "$d/plot.py" "$plot" "$tmp/$trace.h5" -o "$tmp/$n.png"
  done
done
[[ ${DOCS:-1} == 0 ]] && exit 0
for g in images validation collectives; do
  timed "docs/gen/$g.py --check" /usr/bin/python3 "docs/gen/$g.py" --check --trainsim "$TRAINSIM"
done
