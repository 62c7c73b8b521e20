"""Reproducibility and numerical sanity of trainsim's outputs (issue 7, docs/robustness.md).

- The same scenario and seed give byte-identical HDF5 traces and summaries (`cmp` and `h5diff`).
- A different seed changes only what is random (NIC bandwidth spread, stragglers): the
  structure of the run (activities, their GPUs, stages, FLOPs, link names) stays the same.
- Numbers are sane: no NaN or infinity, no activity ending before it starts, compute on one
  GPU never overlapping, the makespan is the last activity's end, link totals equal the sum
  of their time series, and summary times agree with the trace rows.
"""
import filecmp
import math
import shutil
import subprocess
from pathlib import Path

import h5py
import numpy as np
import pytest

from test_plots_support import REPO, run, trainsim

SPREAD_PLATFORM = REPO / "scenarios" / "pipette" / "platforms" / "v100-edr-8node-spread.yaml"
COLLECTIVE = REPO / "scenarios" / "nccl" / "dgx-a100-allreduce-2node.yaml"

# A training run with both sources of randomness: the platform's lognormal NIC spread and
# lognormal stragglers (docs/scenarios.md).
RANDOM_TRAINING = f"""name: random-training
seed: 1
platform: {SPREAD_PLATFORM}
job:
  kind: training
  model: {{preset: gpt-8.1b, seq_len: 1024}}
  parallelism: {{tp: 8, pp: 2, dp: 4}}
  micro_batch: 1
  global_batch: 32
  iterations: 2
  stragglers: {{sigma: 0.2}}
"""

COMPUTE_KINDS = {"forward", "backward", "backward_input", "backward_weight", "recompute", "optimizer"}


@pytest.fixture(scope="module")
def scenario(tmp_path_factory):
    path = tmp_path_factory.mktemp("scen") / "random-training.yaml"
    path.write_text(RANDOM_TRAINING)
    return path


def simulate(scenario, out_dir, name, seed=None):
    """Runs trainsim; returns (trace path, printed summary)."""
    # Relative trace path, run inside out_dir: the command line (stored in the trace) is then
    # the same for runs that write to different directories.
    args = [trainsim(), "run", Path(scenario).resolve(), "--quiet", "--trace", f"{name}.h5"]
    if seed is not None:
        args += ["--seed", seed]
    r = run(args, cwd=out_dir)
    return Path(out_dir) / f"{name}.h5", r.stdout


def h5diff(a, b):
    exe = shutil.which("h5diff")
    if exe is None:
        pytest.skip("h5diff (Debian package hdf5-tools) is not installed")
    return subprocess.run([exe, str(a), str(b)], capture_output=True, text=True)


@pytest.mark.parametrize("which", ["training", "collective"])
def test_same_seed_gives_identical_outputs(which, scenario, tmp_path):
    scen = scenario if which == "training" else COLLECTIVE
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    a, sa = simulate(scen, tmp_path / "a", "t")
    b, sb = simulate(scen, tmp_path / "b", "t")
    assert sa == sb
    assert filecmp.cmp(a, b, shallow=False), "traces differ byte-wise"
    d = h5diff(a, b)
    assert d.returncode == 0, d.stdout + d.stderr


def table(f, group):
    """The row columns of a table group (not its lookup datasets such as kind_names)."""
    return {k: f[group][k][()] for k in f[group] if isinstance(f[group][k], h5py.Dataset) and k != "kind_names"}


def test_other_seed_changes_only_random_quantities(scenario, tmp_path):
    a, sa = simulate(scenario, tmp_path, "seed1", seed=1)
    b, sb = simulate(scenario, tmp_path, "seed2", seed=2)
    assert sa != sb, "the spread and stragglers should move the results"
    with h5py.File(a) as fa, h5py.File(b) as fb:
        ta, tb = table(fa, "activities"), table(fb, "activities")
        # Rows are recorded as activities end, so timing moves them: compare them in a
        # canonical order (every column but the times).
        keys = ("bytes", "flops", "label", "kind", "peer", "chunk", "micro_batch", "stage", "step", "gpu")
        for t in (ta, tb):
            order = np.lexsort([t[k] for k in keys])
            for k in t:
                t[k] = t[k][order]
        # Structure: the same activities, on the same GPUs, doing the same work.
        for col in ("gpu", "peer", "stage", "micro_batch", "chunk", "step", "kind", "label", "flops", "bytes"):
            np.testing.assert_array_equal(ta[col], tb[col], err_msg=col)
        assert not np.array_equal(ta["end"], tb["end"]), "timings should depend on the seed"
        for col in ("name", "tier", "latency"):
            np.testing.assert_array_equal(fa["links"][col][()], fb["links"][col][()], err_msg=col)
        # Only links under the spread change bandwidth: the NICs, not NVLink.
        bw_a, bw_b = fa["links/bandwidth"][()], fb["links/bandwidth"][()]
        tiers = fa["links/tier"].asstr()[()]
        changed = set(tiers[bw_a != bw_b])
        assert changed and "nvlink" not in changed, changed
        for col in fa["gpus"]:
            np.testing.assert_array_equal(fa["gpus"][col][()], fb["gpus"][col][()], err_msg=col)
        assert fa["labels"].asstr()[()].tolist() == fb["labels"].asstr()[()].tolist()


@pytest.fixture(scope="module")
def traces(scenario, tmp_path_factory):
    out = tmp_path_factory.mktemp("sanity")
    return {
        "training": simulate(scenario, out, "training")[0],
        "collective": simulate(COLLECTIVE, out, "collective")[0],
        "default": simulate(REPO / "scenarios" / "default.yaml", out, "default")[0],
    }


@pytest.mark.parametrize("which", ["training", "collective", "default"])
def test_trace_numbers_are_sane(which, traces):
    with h5py.File(traces[which]) as f:
        act = table(f, "activities")
        assert len(act["start"]) > 0
        for col in ("start", "end", "bytes", "flops"):
            assert np.all(np.isfinite(act[col])), f"{col} has NaN or infinity"
            assert np.all(act[col] >= 0), f"{col} negative"
        assert np.all(act["start"] <= act["end"]), "an activity ends before it starts"
        makespan = f.attrs["makespan"]
        assert math.isfinite(makespan) and makespan > 0
        assert act["end"].max() == pytest.approx(makespan, rel=1e-12)
        for group in ("links",):
            for col in ("bandwidth", "latency", "bytes", "busy_time"):
                v = f[group][col][()]
                assert np.all(np.isfinite(v)) and np.all(v >= 0), f"{group}/{col}"
            assert np.all(f["links/busy_time"][()] <= makespan * (1 + 1e-9))
        values = f["summary/value"][()]
        assert np.all(np.isfinite(values)), dict(zip(f["summary/name"].asstr()[()], values))


@pytest.mark.parametrize("which", ["training", "default"])
def test_compute_stream_never_overlaps(which, traces):
    """One GPU computes one thing at a time: its compute activities, in trace order, never
    overlap and simulated time never runs backwards."""
    with h5py.File(traces[which]) as f:
        act = table(f, "activities")
        names = f["activities/kind_names"].asstr()[()]
        compute = np.isin(names[act["kind"]], list(COMPUTE_KINDS))
        assert compute.any()
        for gpu in np.unique(act["gpu"][compute]):
            sel = compute & (act["gpu"] == gpu)
            s, e = act["start"][sel], act["end"][sel]
            order = np.argsort(s, kind="stable")
            s, e = s[order], e[order]
            assert np.all(s[1:] >= e[:-1] - 1e-12), f"GPU {gpu}: compute activities overlap"


@pytest.mark.parametrize("which", ["training", "collective", "default"])
def test_link_series_agree_with_link_totals(which, traces):
    with h5py.File(traces[which]) as f:
        rows = f["link_series/link"][()]
        if len(rows) == 0:
            pytest.skip("no link series recorded")
        series = f["link_series/bytes"][()]
        totals = f["links/bytes"][()][rows]
        # The series holds each link's busier direction, the totals both directions: the
        # busier direction carries between half and all of the bytes.
        sums = series.sum(axis=1)
        assert np.all(sums <= totals * (1 + 1e-9) + 1.0)
        assert np.all(sums >= totals / 2 * (1 - 1e-9) - 1.0)
        bandwidth = f["links/bandwidth"][()][rows]
        width = f["link_series"].attrs["bin_width"]
        assert np.all(series <= bandwidth[:, None] * width * (1 + 1e-6)), "a direction above its bandwidth"



def test_training_summary_matches_trace_rows(traces):
    """The summary's times are sums or spans of trace rows: the iteration time is the
    makespan split over the iterations, and the optimizer time is the mean duration
    of the optimizer rows."""
    with h5py.File(traces["training"]) as f:
        summary = dict(zip(f["summary/name"].asstr()[()], f["summary/value"][()]))
        act = table(f, "activities")
        names = f["activities/kind_names"].asstr()[()]
        iterations = int(act["step"].max()) + 1
        assert iterations == 2
        # Iterations run back to back: the summary's mean iteration time times their count
        # is the makespan.
        assert summary["iteration_time"] * iterations == pytest.approx(f.attrs["makespan"], rel=1e-9)
        opt = names[act["kind"]] == "optimizer"
        assert opt.any()
        # optimizer_time: mean over GPUs and iterations (sim/training/simulator.cpp).
        gpus = len(np.unique(act["gpu"][opt]))
        assert gpus == 64
        total = np.sum(act["end"][opt] - act["start"][opt])
        assert total / (gpus * iterations) == pytest.approx(summary["optimizer_time"], rel=1e-9)
