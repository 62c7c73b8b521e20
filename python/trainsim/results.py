"""Result objects of the package, built from the files the `trainsim` command writes (the HDF5
trace of docs/trace-format.md, Pipette's JSON matrix) and the text it prints. This module is
the one place where command outputs become Python values: numpy arrays, and pandas DataFrames
when pandas is installed (Debian python3-pandas), else dicts of numpy arrays.

The trace is read by the plotting package's reader (analysis/trainsim_plots/trace.py), so the
schema is interpreted once, and every plot function takes these results directly."""
import json

import numpy as np

from trainsim_plots.trace import Trace


def _pandas():
    """pandas if installed, else None (tables are then dicts of numpy arrays)."""
    try:
        import pandas
    except ImportError:
        return None
    return pandas


def frame(columns):
    """A table (dict of equal-length columns) as a DataFrame, or as the dict itself when pandas
    is not installed. String columns are lists in the reader; they become numpy arrays."""
    columns = {k: (v if isinstance(v, np.ndarray) else np.asarray(v, dtype=object)) for k, v in columns.items()}
    pd = _pandas()
    return pd.DataFrame(columns) if pd is not None else columns


class Quantity(float):
    """A number with its unit (`s`, `B`, `FLOP/s`, `1/s`, `1` for ratios): a float, so it
    computes as one; `.unit` names the unit."""

    def __new__(cls, value, unit):
        q = super().__new__(cls, value)
        q.unit = unit
        return q

    def __repr__(self):
        return f"{float(self)!r} {self.unit}" if self.unit != "1" else repr(float(self))

    __str__ = __repr__  # print(q): "0.5603 s"; format(q, ".3f") formats the number alone

    def __reduce__(self):
        return (Quantity, (float(self), self.unit))


class Result:
    """What every result has: `text` (what the command printed, with the lines about the
    package's temporary files left out), `warnings` (its other stderr lines), `trace` (the
    trace file's content, `trainsim_plots.trace.Trace`), `trace_path` (the file when you named
    one, else None: the package's temporary copy is gone), `summary` (name -> Quantity),
    `tables` (name -> table) and `scenario_text`."""

    def __init__(self, text, warnings, trace, trace_path=None):
        self.text = text
        self.warnings = list(warnings)
        self.trace = trace
        self.trace_path = trace_path
        self.summary = {n: Quantity(v, trace.summary_unit[n]) for n, v in trace.summary.items()}
        self.tables = {name: frame(columns) for name, columns in trace.tables.items()}
        self.scenario_text = trace.scenario_text

    @classmethod
    def from_file(cls, path, text="", warnings=(), keep_path=True):
        return cls(text, warnings, Trace(path), str(path) if keep_path else None)

    def __getitem__(self, name):
        """A summary value: `result["iteration_time"]`."""
        return self.summary[name]

    def __repr__(self):
        values = ", ".join(f"{n}={q!r}" for n, q in list(self.summary.items())[:4])
        return f"<{type(self).__name__} {values}{', ...' if len(self.summary) > 4 else ''}>"


class RunResult(Result):
    """`trainsim.run`: besides Result's, `makespan` (s), `seed`, the per-stage table `stages`
    (compute seconds and memory in bytes, for training jobs), `memory` (its memory columns),
    `iterations`, and the trace's tables `activities`, `gpus`, `links` and `link_series`."""

    MEMORY_COLUMNS = ("stage", "weights", "gradients", "optimizer", "activations", "memory_total")

    def __init__(self, text, warnings, trace, trace_path=None):
        super().__init__(text, warnings, trace, trace_path)
        self.makespan = Quantity(trace.makespan, "s")
        self.seed = trace.seed
        self._activities = None

    @property
    def stages(self):
        return self.tables.get("stages")

    @property
    def memory(self):
        """Memory per GPU of each pipeline stage, bytes: weights, gradients, optimizer state,
        activations and their total (None for jobs without stages)."""
        stages = self.trace.tables.get("stages")
        if stages is None:
            return None
        return frame({c: stages[c] for c in self.MEMORY_COLUMNS if c in stages})

    @property
    def iterations(self):
        return self.tables.get("iterations")

    @property
    def activities(self):
        """One row per activity: start, end (s), bytes (B), flops, gpu, peer, stage,
        micro_batch, chunk, step, label, kind. With pandas, `kind` and `label` are categoricals
        of their names (a missing label is NaN); without it, integer codes into
        `trace.kind_names` and `trace.labels`."""
        if self._activities is None:
            order = ("start", "end", "bytes", "flops", "gpu", "peer", "stage", "micro_batch", "chunk", "step",
                     "label", "kind")  # docs/trace-format.md's order
            have = self.trace.activities
            columns = {c: have[c] for c in order if c in have}
            columns.update({c: v for c, v in have.items() if c not in columns})
            pd = _pandas()
            if pd is not None and "kind" in columns:
                columns["kind"] = pd.Categorical.from_codes(columns["kind"].astype(np.int64),
                                                            categories=self.trace.kind_names)
                columns["label"] = pd.Categorical.from_codes(columns["label"].astype(np.int64),
                                                             categories=self.trace.labels)
                self._activities = pd.DataFrame(columns)
            else:
                self._activities = columns
        return self._activities

    @property
    def gpus(self):
        return frame(self.trace.gpus)

    @property
    def links(self):
        return frame(self.trace.links)

    @property
    def link_series(self):
        """Bytes carried per time bin by each recorded link (rows: links by name; columns: bin
        start times in s), with pandas; else (bin_width, link names, bytes array)."""
        names = [self.trace.links["name"][i] for i in self.trace.series_link] if len(self.trace.links) else []
        pd = _pandas()
        if pd is None:
            return self.trace.series_bin_width, names, self.trace.series_bytes
        starts = np.arange(self.trace.series_bytes.shape[1]) * self.trace.series_bin_width
        return pd.DataFrame(self.trace.series_bytes, index=pd.Index(names, name="link"),
                            columns=pd.Index(starts, name="start"))


class SweepResult(Result):
    """`trainsim.sweep`: `utilization` (compute utilization per model, method and WAN
    bandwidth) and `thresholds` (bandwidth needed per utilization target) tables."""

    @property
    def utilization(self):
        return self.tables.get("utilization")

    @property
    def thresholds(self):
        return self.tables.get("thresholds")


class CompareResult(Result):
    """`trainsim.compare`: `methods` (each method's pick, predicted and simulated time, error,
    rank correlations), `candidates` (every configuration simulated) and `space` tables."""

    @property
    def methods(self):
        return self.tables.get("methods")

    @property
    def candidates(self):
        return self.tables.get("candidates")

    @property
    def space(self):
        return self.tables.get("space")


class BandwidthMatrix:
    """`trainsim.profile_bandwidth`: `matrix` (numpy, GB/s, [sender, receiver] as Pipette's
    JSON), `nodes` (their names), `json` (the file's content) and
    `text` (the table the command printed)."""

    def __init__(self, text, warnings, json_text, path=None):
        self.text = text
        self.warnings = list(warnings)
        self.json = json.loads(json_text)
        self.path = path
        self.nodes, self.matrix = _matrix(self.json)

    def __repr__(self):
        return f"<BandwidthMatrix {self.matrix.shape[0]} nodes, GB/s>"


def _matrix(data):
    """(node names, square numpy matrix) of Pipette's bandwidth JSON: {"gpus": [node names],
    "bandwidth": [[GB/s as strings with 2 decimals]]} (sim/configurator/bandwidth.hpp)."""
    return list(data["gpus"]), np.asarray(data["bandwidth"], dtype=float)
