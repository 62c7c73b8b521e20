"""Schema test of the HDF5 trace: every row of docs/trace-format.md's schema table exists in a
written file with the documented type and shape, and the values round-trip.

The trace comes from the C++ test executable: `test_output "[sample]"` writes the sample trace
of tests/output/sample_trace.hpp to $TRAINSIM_SAMPLE_TRACE. The executable is found, in order,
at $TRAINSIM_TEST_OUTPUT, next to $TRAINSIM (<build>/sim/trainsim -> <build>/tests/test_output),
in ./tests/test_output (CTest runs from the build directory), or in <repo>/build*/tests/.
The expected values below are the formulas of sample_trace.hpp: keep both in step.
"""
import os
import re
import subprocess
from pathlib import Path

import h5py
import numpy as np
import pytest

REPO = Path(os.environ.get("TRAINSIM_SOURCE_DIR") or Path(__file__).resolve().parents[2])

KIND_NAMES = ["forward", "backward_input", "backward_weight", "backward", "recompute", "optimizer",
              "compute", "tp_comm", "pp_send", "pp_recv", "dp_comm", "collective", "transfer",
              "outer_sync", "wait", "memcpy"]
SAMPLE_KINDS = [KIND_NAMES.index(k) for k in ("forward", "backward", "pp_send", "dp_comm")]
N_ACTIVITIES = 16


def find_test_output():
    if os.environ.get("TRAINSIM_TEST_OUTPUT"):
        return Path(os.environ["TRAINSIM_TEST_OUTPUT"])
    candidates = []
    if os.environ.get("TRAINSIM"):
        candidates.append(Path(os.environ["TRAINSIM"]).resolve().parent.parent / "tests" / "test_output")
    candidates.append(Path.cwd() / "tests" / "test_output")
    candidates += sorted(REPO.glob("build*/tests/test_output"))
    for c in candidates:
        if c.is_file() and os.access(c, os.X_OK):
            return c
    pytest.fail("test_output executable not found (build it: ninja test_output); looked at "
                + ", ".join(str(c) for c in candidates))


def write_sample(path):
    exe = find_test_output()
    env = dict(os.environ, TRAINSIM_SAMPLE_TRACE=str(path))
    run = subprocess.run([str(exe), "[sample]"], env=env, capture_output=True, text=True, timeout=120)
    assert run.returncode == 0, run.stdout + run.stderr
    assert path.is_file()
    return path


@pytest.fixture(scope="module")
def trace(tmp_path_factory):
    path = write_sample(tmp_path_factory.mktemp("trace") / "sample.h5")
    with h5py.File(path, "r") as f:
        yield f


def documented_rows():
    """(path, type, shape) of every row of the schema table in docs/trace-format.md."""
    rows = []
    for line in (REPO / "docs" / "trace-format.md").read_text(encoding="utf-8").splitlines():
        m = re.match(r"\|\s*`(/[^`]*)`\s*\|\s*([^|]+?)\s*\|\s*([^|]+?)\s*\|", line)
        if m:
            rows.append(m.groups())
    return rows


def test_doc_lists_the_schema():
    paths = [r[0] for r in documented_rows()]
    assert len(paths) > 40, "schema table of docs/trace-format.md not found"
    assert "/activities/start" in paths and "/@format_version" in paths


def expand(trace, path):
    """Concrete paths for a documented path (generic tables expand to the sample's columns)."""
    if "<table>" not in path:
        return [path]
    out = []
    for table in trace["tables"]:
        p = path.replace("<table>", table)
        if "<column>" in p:
            out += [p.replace("<column>", c) for c in trace["tables"][table].attrs["columns"]]
        else:
            out.append(p)
    return out


def lookup(trace, path):
    """(dtype, shape) of a dataset or attribute."""
    if "@" in path:
        obj_path, attr = path.split("@")
        obj = trace[obj_path or "/"]
        assert attr in obj.attrs, f"attribute {path} missing"
        aid = obj.attrs.get_id(attr)
        return aid.dtype, aid.shape
    assert path in trace, f"dataset {path} missing"
    return trace[path].dtype, trace[path].shape


def type_matches(dtype, documented):
    string = h5py.check_string_dtype(dtype)
    is_vlen_utf8 = string is not None and string.encoding == "utf-8" and string.length is None
    if documented in ("string", "string[]"):
        return is_vlen_utf8
    if documented == "float64 or string":
        return dtype == np.float64 or is_vlen_utf8
    if documented == "uint8 enum":
        return dtype == np.uint8 and h5py.check_enum_dtype(dtype) is not None
    return dtype == np.dtype(documented)


@pytest.mark.parametrize("row", documented_rows(), ids=lambda r: r[0])
def test_documented_object_exists_with_type_and_shape(trace, row):
    path, documented_type, shape = row
    for concrete in expand(trace, path):
        dtype, actual_shape = lookup(trace, concrete)
        assert type_matches(dtype, documented_type), f"{concrete}: {dtype} is not {documented_type}"
        rank = 0 if shape == "()" else shape.count(",") + 1
        assert len(actual_shape) == rank, f"{concrete}: shape {actual_shape}, documented {shape}"


def test_every_dataset_in_the_file_is_documented(trace):
    documented = set()
    for path, _, _ in documented_rows():
        documented.update(p for p in expand(trace, path) if "@" not in p)
    found = []
    trace.visititems(lambda name, obj: found.append("/" + name) if isinstance(obj, h5py.Dataset) else None)
    assert sorted(set(found) - documented) == []


def test_provenance_round_trips(trace):
    a = trace.attrs
    assert a["format"] == "trainsim-trace"
    assert a["format_version"] == 1
    assert a["seed"] == 42
    assert a["makespan"] == 8.0
    assert a["scenario_file"] == "examples/sample.yaml"
    assert a["command_line"] == "trainsim run examples/sample.yaml --trace sample.h5"
    assert (a["trainsim_version"], a["simgrid_version"]) == ("0.1.0", "3.32")
    assert trace["scenario/text"].asstr()[()] == "name: sample\nseed: 42\n"
    assert list(trace["labels"].asstr()[:]) == ["fwd", "bwd", "send µ-batch"]


def test_activities_round_trip(trace):
    act = trace["activities"]
    i = np.arange(N_ACTIVITIES)
    kind = np.array(SAMPLE_KINDS)[i % 4]
    gpu = i % 4
    np.testing.assert_array_equal(act["start"][:], 0.5 * i)
    np.testing.assert_array_equal(act["end"][:], 0.5 * i + 0.25)
    np.testing.assert_array_equal(act["bytes"][:], 1024.0 * i)
    np.testing.assert_array_equal(act["flops"][:], 1e12 * i)
    np.testing.assert_array_equal(act["gpu"][:], gpu)
    np.testing.assert_array_equal(act["peer"][:], np.where(kind == KIND_NAMES.index("pp_send"), (i + 1) % 4, -1))
    np.testing.assert_array_equal(act["stage"][:], gpu // 2)
    np.testing.assert_array_equal(act["micro_batch"][:], i // 4)
    np.testing.assert_array_equal(act["chunk"][:], 0)
    np.testing.assert_array_equal(act["step"][:], i // 8)
    np.testing.assert_array_equal(act["label"][:], i % 3)
    np.testing.assert_array_equal(act["kind"][:], kind)
    assert list(act["kind_names"].asstr()[:]) == KIND_NAMES
    assert h5py.check_enum_dtype(act["kind"].dtype) == {n: v for v, n in enumerate(KIND_NAMES)}
    assert act["start"].attrs["unit"] == "s" and act["flops"].attrs["unit"] == "FLOP"
    assert act["start"].compression == "gzip" and act["start"].shuffle
    assert act["start"].chunks is not None and act["start"].maxshape == (None,)


def test_links_gpus_summary_tables_round_trip(trace):
    links = trace["links"]
    assert list(links["name"].asstr()[:]) == ["nvlink-0", "nic-0"]
    assert list(links["tier"].asstr()[:]) == ["nvlink", "nic"]
    np.testing.assert_array_equal(links["bandwidth"][:], [450e9, 50e9])
    np.testing.assert_array_equal(links["latency"][:], [1e-6, 5e-6])
    np.testing.assert_array_equal(links["bytes"][:], [1e9, 2e8])
    np.testing.assert_array_equal(links["busy_time"][:], [2.0, 4.0])
    np.testing.assert_array_equal(links["utilization"][:], [2.0 / 8.0, 4.0 / 8.0])

    series = trace["link_series"]
    assert series.attrs["bin_width"] == 1.0
    np.testing.assert_array_equal(series["link"][:], [0, 1])
    np.testing.assert_array_equal(series["bytes"][:], 100.0 * np.arange(2)[:, None] + np.arange(8)[None, :])

    gpus = trace["gpus"]
    g = np.arange(4)
    assert list(gpus["name"].asstr()[:]) == [f"gpu{k}" for k in g]
    assert list(gpus["model"].asstr()[:]) == ["H200"] * 4
    assert list(gpus["cluster"].asstr()[:]) == ["c0"] * 4
    assert list(gpus["node"].asstr()[:]) == [f"node{k // 2}" for k in g]
    np.testing.assert_array_equal(gpus["local_index"][:], g % 2)
    np.testing.assert_array_equal(gpus["stage"][:], g // 2)
    np.testing.assert_array_equal(gpus["tp_rank"][:], g % 2)
    np.testing.assert_array_equal(gpus["dp_rank"][:], 0)
    np.testing.assert_array_equal(gpus["replica"][:], 0)

    summary = dict(zip(trace["summary/name"].asstr()[:], trace["summary/value"][:]))
    units = dict(zip(trace["summary/name"].asstr()[:], trace["summary/unit"].asstr()[:]))
    assert summary == {"makespan": 8.0, "throughput": 1234.5}
    assert units == {"makespan": "s", "throughput": "tokens/s"}
    assert dict(zip(trace["summary_text/name"].asstr()[:], trace["summary_text/value"].asstr()[:])) == \
        {"schedule": "1f1b", "gpu": "H200"}

    sweep = trace["tables/sweep"]
    assert list(sweep.attrs["columns"]) == ["tp", "time", "plan"]
    assert sweep.attrs["rows"] == 3
    np.testing.assert_array_equal(sweep["tp"][:], [1, 2, 4])
    np.testing.assert_array_equal(sweep["time"][:], [3.5, 2.0, 1.25])
    assert list(sweep["plan"].asstr()[:]) == ["a", "b", "c"]
    assert trace["tables/empty/x"].shape == (0,)
    assert trace["tables/empty"].attrs["rows"] == 0


def test_two_processes_write_identical_bytes(tmp_path):
    a = write_sample(tmp_path / "a.h5").read_bytes()
    b = write_sample(tmp_path / "b.h5").read_bytes()
    assert a == b
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.h5", "b.h5"]  # no temporaries left
