"""trainsim from Python (docs/python.md): simulate a scenario given as a path, a YAML text or a
dict, and get its results as numbers with units, numpy arrays and pandas DataFrames.

    import trainsim
    r = trainsim.run("scenarios/tutorial/gpt-1.7b-32gpu.yaml")
    r.summary["iteration_time"]        # 0.5603 s
    r.memory                           # bytes per GPU of each pipeline stage
    r.activities                       # one row per simulated activity

Each call runs the `trainsim` command of this build in a child process (SimGrid's engine is a
process singleton), so a notebook can call it any number of times; the GIL is released while it
waits, Ctrl-C stops the child (and leaves no partial output), and a refused input raises
InputError with the command's message."""
from ._core import VERSION as __version__
from ._progress import Progress
from .api import compare, profile_bandwidth, run, sweep
from .errors import InputError, SimulationError, TrainsimError, UsageError
from .results import BandwidthMatrix, CompareResult, Quantity, Result, RunResult, SweepResult

__all__ = ["run", "sweep", "compare", "profile_bandwidth", "Progress", "InputError", "UsageError",
           "SimulationError", "TrainsimError", "Quantity", "Result", "RunResult", "SweepResult", "CompareResult",
           "BandwidthMatrix", "__version__"]
