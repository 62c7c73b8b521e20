#!/usr/bin/python3
"""docs/diloco.md: the Table 4 comparison (published versus simulated bandwidths) and its counts,
from `trainsim sweep scenarios/diloco/table4.yaml` (under a second). The grid-step differences
come from the sweep itself (thresholds table, column grid_steps_from_published)."""
import subprocess
import sys
import tempfile
from pathlib import Path

import h5py

sys.path.insert(0, str(Path(__file__).resolve().parent))
import docgen  # noqa: E402

DOC = "docs/diloco.md"


def number(v):
    """As the sweep prints its cells: 4 significant digits."""
    return f"{v:.4g}"


def generate(trainsim):
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "table4.h5"
        subprocess.run([trainsim, "sweep", str(docgen.ROOT / "scenarios/diloco/table4.yaml"), "--quiet",
                        "--trace", str(out)], check=True, capture_output=True)
        with h5py.File(out, "r") as f:
            t = f["tables/thresholds"]
            rows = list(zip(t["model"].asstr()[:], t["method"].asstr()[:], t["target"][:], t["grid_gbps"][:],
                            t["exact_gbps"][:], t["published_gbps"][:], t["grid_steps_from_published"][:]))
    targets = sorted({r[2] for r in rows})
    table = ["| model | method | " + " | ".join(f"{round(100 * x)}%" for x in targets) + " |",
             "|---|---|" + "---|" * len(targets)]
    cells = {}
    for model, method, target, grid, exact, published, steps in rows:
        if published == published:  # not NaN
            text = f"{number(grid)} / {number(published)} ({int(steps):+d})"
            cells[(model, method, target)] = text
        else:
            cells[(model, method, target)] = f"{number(grid)} (exact {number(exact)})"
    seen = []
    for model, method, *_ in rows:
        if (model, method) not in seen:
            seen.append((model, method))
    for model, method in seen:
        table.append(f"| {model} | {method} | " + " | ".join(cells[(model, method, x)] for x in targets) + " |")

    steps = [int(r[6]) for r in rows if r[5] == r[5]]
    above = sum(s > 0 for s in steps)
    equal = sum(s == 0 for s in steps)
    below = sum(s < 0 for s in steps)
    worst = max(abs(s) for s in steps)
    within1 = sum(abs(s) <= 1 for s in steps)
    counts = (f"{len(steps)} published cells: {within1} within one grid step ({above} above, {equal} equal, "
              f"{below} below); the farthest is {worst} step{'s' if worst != 1 else ''} away.")
    return [(DOC, "diloco-table4", "\n".join(table) + "\n"), (DOC, "diloco-table4-counts", counts + "\n")]


if __name__ == "__main__":
    sys.exit(docgen.main(generate, __doc__))
