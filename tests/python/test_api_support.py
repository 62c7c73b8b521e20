"""Shared helpers of the Python package's tests (test_api*.py; this module holds no test):
where the package is (<build>/python, next to the trainsim binary under test), and scenarios."""
import os
import sys
from pathlib import Path

from test_plots_support import REPO, TUTORIAL_SCENARIO, run, trainsim  # noqa: F401  (re-exported)

# The package built with the binary under test (CTest sets PYTHONPATH too).
sys.path.insert(0, str(trainsim().resolve().parents[1] / "python"))
import trainsim as ts  # noqa: E402

assert Path(ts.__file__).resolve().parents[1] == trainsim().resolve().parents[1] / "python", ts.__file__


def tutorial_text():
    """The tutorial scenario's text with its platform as an absolute path (it names it relative
    to its folder)."""
    return TUTORIAL_SCENARIO.read_text().replace("../../platforms", str(REPO / "platforms"))


# A run of several seconds (a 530B model on 3072 simulated GPUs, Korthikanti et al.'s row).
LONG_SCENARIO = REPO / "scenarios" / "validation" / "korthikanti-530b-full.yaml"


def children_of(pid):
    """Process ids of the live children of `pid` (from /proc)."""
    out = []
    for task in Path(f"/proc/{pid}/task").iterdir():
        try:
            out += [int(c) for c in (task / "children").read_text().split()]
        except OSError:
            pass
    return out


def alive(pid):
    """True if `pid` exists and is not a zombie."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return stat.rsplit(")", 1)[1].split()[0] != "Z"


def open_fds():
    return len(os.listdir("/proc/self/fd"))


def rss_bytes():
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) * 1024
    raise AssertionError("no VmRSS")
