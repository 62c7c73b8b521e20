#!/usr/bin/python3
"""docs/diloco.md: the full-worker scenario's table (scenarios/diloco/two-dc-full-10b.yaml), from
`trainsim run` (a few seconds on an idle machine)."""
import subprocess
import sys
import tempfile
from pathlib import Path

import h5py

sys.path.insert(0, str(Path(__file__).resolve().parent))
import docgen  # noqa: E402

DOC = "docs/diloco.md"
SCENARIO = docgen.ROOT / "scenarios/diloco/two-dc-full-10b.yaml"


def generate(trainsim):
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "full.h5"
        subprocess.run([trainsim, "run", str(SCENARIO), "--quiet", "--trace", str(out)], check=True,
                       capture_output=True)
        with h5py.File(out, "r") as f:
            t = f["tables/diloco_results"]
            ring = {k: t[k][:] for k in t}
            ring["method"] = t["method"].asstr()[:]
    table = ["| method | CU % | round s | WAN GB/round | peak WAN Gbit/s (busier direction) | wait s/round |",
             "|---|---|---|---|---|---|"]
    for i, method in enumerate(ring["method"]):
        table.append(f"| {method} | {100 * ring['utilization'][i]:.2f} | {ring['round_time_s'][i]:.2f} | "
                     f"{ring['wan_bytes_per_round'][i] / 1e9:.2f} | {ring['peak_wan_bandwidth_Bps'][i] * 8 / 1e9:.1f} | "
                     f"{ring['max_wait_per_round_s'][i]:.2f} |")
    return [(DOC, "diloco-full-table", "\n".join(table) + "\n")]


if __name__ == "__main__":
    sys.exit(docgen.main(generate, __doc__))
