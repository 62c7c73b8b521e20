#!/usr/bin/python3
"""The NCCL comparison of docs/collectives.md: the nccl-tests-like benchmarks of
scenarios/nccl/ simulated now with `trainsim run`, every algorithm's bus bandwidth at the
largest size, against the NCCL maintainers' figures of scenarios/nccl/published.tsv (from the
shared reference validation.md; held out, never fitted).

Usage: /usr/bin/python3 docs/gen/collectives.py [--check] [--trainsim PATH]   (docs/gen/docgen.py)
"""
import csv
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
import docgen  # noqa: E402
from validation import run_all  # noqa: E402

PUBLISHED = docgen.ROOT / "scenarios" / "nccl" / "published.tsv"


def collectives_table(f):
    t = f["tables/collectives"]
    return {c: (t[c].asstr()[:] if c in ("collective", "algorithm") else t[c][:]) for c in t.attrs["columns"]}


def size_text(n):
    for unit, size in (("GiB", 1 << 30), ("MiB", 1 << 20), ("KiB", 1 << 10)):
        if n >= size and n % size == 0:
            return f"{n // size} {unit}"
    return f"{n} B"


def generate(trainsim):
    with open(PUBLISHED, newline="") as f:
        published = list(csv.DictReader(f, delimiter="\t"))
    scenarios = list(dict.fromkeys(r["scenario"] for r in published))
    tables = run_all(trainsim, [f"scenarios/nccl/{s}.yaml" for s in scenarios], read=collectives_table)
    lines = ["| case | algorithm | ranks | NCCL maintainers | simulated busbw | error |",
             "|---|---|---|---|---|---|"]
    for scenario, t in zip(scenarios, tables):
        case = next(r["case"] for r in published if r["scenario"] == scenario)
        for collective, algorithm in dict.fromkeys(zip(t["collective"], t["algorithm"])):
            rows = np.flatnonzero((t["collective"] == collective) & (t["algorithm"] == algorithm))
            largest = rows[np.argmax(t["bytes"][rows])]
            busbw = t["busbw"][largest] / 1e9
            paper = next((r for r in published if (r["scenario"], r["collective"], r["algorithm"])
                          == (scenario, collective, algorithm)), None)
            known = f"about {paper['published_busbw_gbs']} GB/s" if paper else "-"
            error = f"{100 * (busbw / float(paper['published_busbw_gbs']) - 1):+.1f}%" if paper else "-"
            lines.append(f"| {case} ([{scenario}](../scenarios/nccl/{scenario}.yaml)) | "
                         f"{collective.replace('_', '-')} {algorithm} | {int(t['ranks'][largest])} | {known} | "
                         f"{busbw:.1f} GB/s at {size_text(int(t['bytes'][largest]))} | {error} |")
    return [("docs/collectives.md", "nccl-comparison", "\n".join(lines) + "\n")]


if __name__ == "__main__":
    sys.exit(docgen.main(generate, __doc__.splitlines()[0]))
