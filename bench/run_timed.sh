#!/usr/bin/env bash
# Runs one trainsim command and prints "<label>: wall <s> s, peak <MiB> MiB".
# usage: bench/run_timed.sh LABEL trainsim-args...
set -euo pipefail
label=$1; shift
TRAINSIM=${TRAINSIM:-build/sim/trainsim}
out=$( { /usr/bin/time -f "%e %M" "$TRAINSIM" "$@" --quiet >/dev/null; } 2>&1 | tail -n 1 )
read -r wall kib <<<"$out"
printf '%-44s wall %7.2f s   peak %7.0f MiB\n' "$label" "$wall" "$(awk -v k="$kib" 'BEGIN{print k/1024}')"
