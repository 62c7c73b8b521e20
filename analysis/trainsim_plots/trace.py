"""Reading a trainsim trace (docs/trace-format.md) into numpy arrays.

One reader for every plot, so that the schema is interpreted in one place: columns become numpy
arrays, strings become Python str, generic tables become dicts of columns.
"""
import os

import h5py
import numpy as np


class TraceError(Exception):
    """The file is not a trace, or lacks what a plot needs; the message says what to do."""


def _strings(ds):
    return [str(s) for s in ds.asstr()[:]]


class Trace:
    """The content of one trace file. Only what is present is loaded: a `trainsim compare` or
    `trainsim sweep` file has tables but no activities."""

    def __init__(self, path):
        self.path = str(path)
        if not os.path.exists(self.path):
            raise TraceError(f"'{self.path}' does not exist; write a trace with "
                             "'trainsim run SCENARIO --trace FILE.h5'")
        if not os.path.isfile(self.path):
            raise TraceError(f"'{self.path}' is not a regular file; name a trace file (.h5)")
        try:
            f = h5py.File(self.path, "r")
        except OSError:
            raise TraceError(f"'{self.path}' is not an HDF5 file; name a file written by 'trainsim run "
                             "--trace', 'trainsim sweep --trace' or 'trainsim compare --output'") from None
        with f:
            if f.attrs.get("format") != "trainsim-trace":
                raise TraceError(f"'{self.path}' is an HDF5 file but not a trainsim trace "
                                 "(root attribute format != 'trainsim-trace')")
            self.makespan = float(f.attrs.get("makespan", 0.0))
            self.scenario_file = str(f.attrs.get("scenario_file", ""))
            self.seed = int(f.attrs.get("seed", 0))
            self.scenario_text = str(f["scenario/text"].asstr()[()]) if "scenario/text" in f else ""
            self.activities = {}
            if "activities" in f:
                g = f["activities"]
                for name, ds in g.items():
                    if name != "kind_names":
                        self.activities[name] = ds[:]
                self.kind_names = _strings(g["kind_names"]) if "kind_names" in g else []
            else:
                self.kind_names = []
            self.labels = _strings(f["labels"]) if "labels" in f else []
            self.gpus = self._columns(f, "gpus")
            self.links = self._columns(f, "links")
            self.series_bin_width = 0.0
            self.series_link = np.zeros(0, dtype=np.int32)
            self.series_bytes = np.zeros((0, 0))
            if "link_series" in f:
                s = f["link_series"]
                self.series_bin_width = float(s.attrs.get("bin_width", 0.0))
                self.series_link = s["link"][:]
                self.series_bytes = s["bytes"][:]
            self.summary = {}
            self.summary_unit = {}
            if "summary" in f:
                for n, v, u in zip(_strings(f["summary/name"]), f["summary/value"][:],
                                   _strings(f["summary/unit"])):
                    self.summary[n] = float(v)
                    self.summary_unit[n] = u
            self.summary_text = {}
            if "summary_text" in f:
                self.summary_text = dict(zip(_strings(f["summary_text/name"]), _strings(f["summary_text/value"])))
            self.tables = {}
            if "tables" in f:
                for name, t in f["tables"].items():
                    cols = [str(c) for c in t.attrs["columns"]]
                    self.tables[name] = {
                        c: (_strings(t[c]) if h5py.check_string_dtype(t[c].dtype) else t[c][:])
                        for c in cols}

    @staticmethod
    def _columns(f, group):
        if group not in f:
            return {}
        out = {}
        for name, ds in f[group].items():
            out[name] = _strings(ds) if h5py.check_string_dtype(ds.dtype) else ds[:]
        return out

    def kind(self, name):
        """Numeric value of an activity kind, or -1 if this trace does not know the name."""
        return self.kind_names.index(name) if name in self.kind_names else -1

    def table(self, name, columns, producer):
        """A generic table with the given columns, or a TraceError naming the command that
        writes it."""
        if name not in self.tables:
            have = ", ".join(sorted(self.tables)) or "none"
            raise TraceError(f"'{self.path}' has no table '{name}' (tables: {have}); "
                             f"write one with '{producer}'")
        t = self.tables[name]
        missing = [c for c in columns if c not in t]
        if missing:
            raise TraceError(f"table '{name}' of '{self.path}' lacks column(s) {', '.join(missing)}")
        return t

    def require_activities(self):
        if not self.activities or len(self.activities.get("start", [])) == 0:
            raise TraceError(f"'{self.path}' has no activities; it must come from "
                             "'trainsim run SCENARIO --trace FILE.h5'")


def as_trace(source):
    """What every plot function takes: a Trace, a result of the trainsim Python package (its
    `.trace`, docs/python.md), or the path of a trace file."""
    if isinstance(source, Trace):
        return source
    inner = getattr(source, "trace", None)
    if isinstance(inner, Trace):
        return inner
    return Trace(source)
