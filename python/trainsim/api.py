"""The functions of the package: each runs one `trainsim` command (docs/python.md) in a child
process and returns its result. Keyword options not named here are the command's own
options, spelled with underscores (`host_memory_limit="8GiB"` is `--host-memory-limit 8GiB`;
`trainsim <command> --help` lists them)."""
import os

from . import _command
from ._scenario import as_file
from .results import BandwidthMatrix, CompareResult, RunResult, SweepResult


def _kept(path):
    return None if path is None else os.fspath(path)


def _simulate(command, scenario, output_flag, output_name, kept, result_type, progress, options, prefix=False):
    """Runs `trainsim COMMAND SCENARIO OUTPUT_FLAG <file> OPTIONS` where the file is `kept` (the
    user's) or `output_name` in a private temporary folder, and reads the result from that file.
    With `prefix`, the option names the file without its .h5 (`compare --output PREFIX`)."""
    with _command.scratch() as folder:
        path, rename = as_file(scenario, folder)
        target = kept if kept is not None else os.path.join(folder, output_name)
        value = target[:-len(".h5")] if prefix else target
        done = _command.invoke([command, path, output_flag, value] + _command.flags(options), progress, rename)
        return result_type.from_file(target, _command.without_lines_naming(done.stdout, folder), done.messages,
                                     keep_path=kept is not None)


def run(scenario, *, trace=None, progress=None, **options):
    """Simulates a scenario (`trainsim run`): a path, a YAML text or a dict. Returns a
    RunResult: the summary (named values with units), memory per stage, and the trace as
    numpy arrays or pandas DataFrames. `trace=PATH` also keeps the HDF5 trace there (else the
    package reads a temporary one and removes it); `progress(Progress)` receives its phases.
    Options: seed, output_dir, chrome_trace, dump_programs, force, host_memory_limit, quiet."""
    return _simulate("run", scenario, "--trace", "trace.h5", _kept(trace), RunResult, progress, options)


def sweep(scenario, *, trace=None, progress=None, **options):
    """Sweeps a DiLoCo scenario over WAN bandwidth (`trainsim sweep`). Returns a SweepResult
    with the `utilization` and `thresholds` tables. `trace=PATH` keeps the HDF5 file;
    `progress(Progress)` receives its runs done. Options: jobs, force, host_memory_limit, quiet."""
    return _simulate("sweep", scenario, "--trace", "sweep.h5", _kept(trace), SweepResult, progress, options)


def compare(scenario, *, output=None, progress=None, **options):
    """Runs the configurators on a training scenario and simulates their picks (`trainsim
    compare`). Returns a CompareResult with the `methods`, `candidates` and `space` tables.
    `output=PREFIX` keeps PREFIX.h5 and the CSV files. Options: methods (a list), top, seed,
    iterations, jobs, matrix, gpu_memory_limit, host_memory_limit, oracle_budget,
    oracle_margin, force, quiet."""
    kept = None if output is None else os.fspath(output) + ".h5"
    return _simulate("compare", scenario, "--output", "compare.h5", kept, CompareResult, progress, options,
                     prefix=True)


def profile_bandwidth(platform, *, output=None, progress=None, **options):
    """Measures a simulated platform's node-to-node bandwidth as Pipette does (`trainsim
    profile-bandwidth`): a platform file's path, a YAML text or a dict (`{"platform": {...}}`).
    Returns a BandwidthMatrix (GB/s). `output=PATH` keeps Pipette's JSON file. Options: seed,
    force, host_memory_limit."""
    with _command.scratch() as folder:
        path, rename = as_file(platform, folder, stem="platform")
        target = os.fspath(output) if output is not None else os.path.join(folder, "bandwidth.json")
        done = _command.invoke(["profile-bandwidth", path, "--output", target] + _command.flags(options), progress,
                               rename)
        with open(target, encoding="utf-8") as f:
            json_text = f.read()
        return BandwidthMatrix(_command.without_lines_naming(done.stdout, folder), done.messages, json_text,
                               target if output is not None else None)
