"""Shared helpers of the plot tests (test_plots*.py; this module holds no test): where the
analysis package are, and traces written by the simulator itself."""
import os
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(os.environ.get("TRAINSIM_SOURCE_DIR") or Path(__file__).resolve().parents[2])
PLOT = REPO / "analysis" / "plot.py"
TUTORIAL_SCENARIO = REPO / "scenarios" / "tutorial" / "gpt-1.7b-32gpu.yaml"

sys.path.insert(0, str(REPO / "analysis"))
import matplotlib  # noqa: E402

matplotlib.use("Agg")


def trainsim():
    """The trainsim binary: $TRAINSIM (CTest sets it), else ./sim/trainsim (CTest's working
    directory is the build directory), else the newest <repo>/build*/sim/trainsim."""
    if os.environ.get("TRAINSIM"):
        return Path(os.environ["TRAINSIM"])
    local = Path.cwd() / "sim" / "trainsim"
    if local.is_file():
        return local
    found = sorted(REPO.glob("build*/sim/trainsim"), key=lambda p: p.stat().st_mtime)
    if not found:
        pytest.fail("trainsim binary not found: set TRAINSIM or build it (ninja trainsim)")
    return found[-1]


def run(args, cwd=None, check=True, **kw):
    r = subprocess.run([str(a) for a in args], cwd=cwd, capture_output=True, text=True, timeout=300, **kw)
    if check:
        assert r.returncode == 0, f"{args} failed ({r.returncode}):\n{r.stdout}\n{r.stderr}"
    return r


def run_on_terminal(args):
    """Runs with stderr on a pseudo-terminal; returns (stdout, what the terminal received)."""
    import pty
    master, slave = pty.openpty()
    try:
        r = subprocess.run([str(a) for a in args], stdout=subprocess.PIPE, stderr=slave, timeout=300)
    finally:
        os.close(slave)
    received = b""
    try:
        while True:
            chunk = os.read(master, 65536)
            if not chunk:
                break
            received += chunk
    except OSError:  # Linux reports the end of a closed pty as EIO
        pass
    os.close(master)
    assert r.returncode == 0, received.decode()
    return r.stdout.decode(), received.decode()
