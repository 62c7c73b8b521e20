#!/usr/bin/env bash
# Builds the fuzz seed corpus in DIR from the repository's own inputs: every shipped scenario,
# platform and bad input, and every bandwidth matrix, each prefixed with the selector byte of
# its loader (tests/fuzz/src/fuzz_input.hpp: 0 scenario, 1 platform, 2 matrix), plus the
# regression inputs (already in fuzz-input form). Usage: make_corpus.sh DIR (from anywhere).
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
out=$1
mkdir -p "$out"
n=0
add() {  # selector file
  local name
  name=$(printf '%s' "$2" | sed "s|^$root/||; s|/|_|g")
  { printf "\\x$1"; cat "$2"; } > "$out/$name"
  n=$((n + 1))
}
while IFS= read -r f; do add 00 "$f"; done < <(find "$root/scenarios" "$root/tests/bad-inputs" -maxdepth 1 -name '*.yaml' | sort)
while IFS= read -r f; do add 00 "$f"; done < <(find "$root/scenarios" -mindepth 2 -name '*.yaml' -not -path '*/platforms/*' | sort)
while IFS= read -r f; do add 01 "$f"; done < <(find "$root/platforms" "$root/scenarios" "$root/tests/bad-inputs" -path '*platforms*' -name '*.yaml' | sort)
while IFS= read -r f; do add 02 "$f"; done < <(find "$root/platforms" "$root/scenarios" "$root/tests" -name '*.json' | sort)
for f in "$root"/tests/fuzz/regressions/*; do
  [ -f "$f" ] || continue
  cp "$f" "$out/regression_$(basename "$f")"
  n=$((n + 1))
done
echo "fuzz corpus: $n seed inputs in $out"
