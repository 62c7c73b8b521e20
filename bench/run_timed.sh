#!/usr/bin/env bash
# Runs one trainsim command and prints "<label>: wall <s> s, CPU <s> s, peak <MiB> MiB" (CPU: user +
# system seconds, the figure to compare on a shared machine; say the load average with it).
# usage: bench/run_timed.sh LABEL trainsim-args...
set -euo pipefail
label=$1; shift
TRAINSIM=${TRAINSIM:-build/sim/trainsim}
out=$( { /usr/bin/time -f "%e %U %S %M" "$TRAINSIM" "$@" --quiet >/dev/null; } 2>&1 | tail -n 1 )
read -r wall user sys kib <<<"$out"
printf '%-44s wall %7.2f s   CPU %7.2f s   peak %7.0f MiB\n' "$label" "$wall" "$(awk -v u="$user" -v s="$sys" 'BEGIN{print u+s}')" \
  "$(awk -v k="$kib" 'BEGIN{print k/1024}')"
