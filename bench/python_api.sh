#!/usr/bin/env bash
# The Python package's cost per call (docs/python.md, docs/performance.md): the same scenario
# N times through `trainsim.run` (child process, trace written to a temporary file, read back
# into numpy/pandas) and N times through the command writing the same trace, alternating, in one
# interpreter; then the interpreter's open file descriptors and resident memory before and
# after the N package calls (they must not grow). Run from the repository root after building.
# usage: bench/python_api.sh [SCENARIO] [N]
set -euo pipefail
cd "$(dirname "$0")/.."
scenario=${1:-scenarios/tutorial/gpt-1.7b-32gpu.yaml}
n=${2:-20}
PYTHONPATH=build/python /usr/bin/python3 - "$scenario" "$n" <<'PY'
import os, subprocess, sys, tempfile, time
import trainsim
from trainsim import _command

scenario, n = sys.argv[1], int(sys.argv[2])

def rss_mib():
    return int(next(l for l in open("/proc/self/status") if l.startswith("VmRSS")).split()[1]) / 1024

trainsim.run(scenario)  # imports and caches (h5py, pandas) before measuring
fds, rss = len(os.listdir("/proc/self/fd")), rss_mib()
api = cli = 0.0
with tempfile.TemporaryDirectory() as d:
    for i in range(n):
        t = time.monotonic()
        trainsim.run(scenario)
        api += time.monotonic() - t
        t = time.monotonic()
        subprocess.run([_command.executable(), "run", scenario, "--trace", f"{d}/t.h5", "--force"],
                       check=True, capture_output=True)
        cli += time.monotonic() - t
print(f"{scenario}: {n} calls each, load average {os.getloadavg()[0]:.1f}")
print(f"  trainsim.run (result read into numpy/pandas)  {api / n * 1e3:7.0f} ms per call")
print(f"  trainsim run --trace (the command alone)      {cli / n * 1e3:7.0f} ms per call")
print(f"  open fds {fds} -> {len(os.listdir('/proc/self/fd'))}, RSS {rss:.1f} -> {rss_mib():.1f} MiB")
PY
