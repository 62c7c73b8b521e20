"""Progress bars and resume of `trainsim sweep` (docs/robustness.md): the bar shows on a
terminal only (not when piped, not with --quiet), and an interrupted sweep resumes from its
journal, skipping the runs already done, with a result equal to an uninterrupted sweep's."""
import signal
import subprocess
import time

import h5py
import numpy as np

from test_plots_support import run, run_on_terminal, trainsim

# A small abstract-worker sweep: 1 model x 2 methods x {points} grid points + bisection (2 steps).
SCENARIO = """name: tiny-sweep
seed: 3
platform:
  name: two-sites
  clusters:
    - {name: dc1, gpu: H100-SXM, nodes: 2, gpus_per_node: 8,
       intra_node: {kind: nvswitch, bandwidth: 370.8GB/s, latency: 1us},
       nic: {count: 8, bandwidth: 400Gbps, latency: 600ns}, fabric: {kind: single_switch}}
    - {name: dc2, gpu: H100-SXM, nodes: 2, gpus_per_node: 8,
       intra_node: {kind: nvswitch, bandwidth: 370.8GB/s, latency: 1us},
       nic: {count: 8, bandwidth: 400Gbps, latency: 600ns}, fabric: {kind: single_switch}}
  wan:
    - {between: [dc1, dc2], bandwidth: 10Gbps, latency: 0s}
job:
  kind: diloco
  worker: abstract
  models:
    - {name: 1B, layers: {layers}, parameters: 1.0e9, step_time: 0.1s}
  methods:
    - {name: Data-Parallel, algorithm: data_parallel}
    - {name: DiLoCo H=20, algorithm: diloco, inner_steps: 20}
  sweep: {min: 0.1Gbps, max: 1000Gbps, points: {points}, targets: [0.5, 0.9], bisection_steps: 2}
"""
GRID_RUNS = 2 * 8


def scenario(tmp_path, points=8, layers=24):
    p = tmp_path / "tiny.yaml"
    p.write_text(SCENARIO.replace("{points}", str(points)).replace("{layers}", str(layers)))
    return p


def test_sweep_bar_on_a_terminal_only(tmp_path):
    sc = scenario(tmp_path)
    out, term = run_on_terminal([trainsim(), "sweep", sc, "--jobs", "2"])
    assert "sweep grid [" in term and f"{GRID_RUNS}/{GRID_RUNS} runs" in term
    assert "bisection [" in term
    assert "runs" not in out.split("simulations")[0].split("WAN bandwidth")[0]  # stdout: results only
    assert "[#" not in out

    out, term = run_on_terminal([trainsim(), "sweep", sc, "--jobs", "2", "--quiet"])
    assert term == ""
    assert "WAN bandwidth" in out

    piped = run([trainsim(), "sweep", sc, "--jobs", "2"])
    assert "[" not in piped.stderr and "runs/s" not in piped.stderr


def tables(path):
    """The sweep file's tables and summary, without the wall time (the only value that differs
    between two runs of one sweep)."""
    with h5py.File(path, "r") as h5:
        out = {}
        for name in ("utilization", "thresholds"):
            g = h5["tables"][name] if "tables" in h5 else h5[name]
            for col in g:
                out[f"{name}/{col}"] = g[col][:]
        names = list(h5["summary/name"].asstr()[:])
        values = h5["summary/value"][:]
        out["summary"] = dict(zip(names, values))
    return out


def assert_same(a, b):
    assert a.keys() == b.keys()
    for k in a:
        if k == "summary":
            assert a[k] == b[k]
        elif a[k].dtype.kind in "fc":
            np.testing.assert_array_equal(a[k], b[k])  # bit-identical, NaNs included
        else:
            assert list(a[k]) == list(b[k])


def test_interrupted_sweep_resumes_and_matches(tmp_path):
    # 2 x 200 grid runs of a 1,000-layer model (a few ms each here, journalled in batches at most
    # 0.2 s apart): long enough to interrupt with some runs journalled and most not.
    sc = scenario(tmp_path, points=200, layers=1000)
    ref = tmp_path / "ref.h5"
    run([trainsim(), "sweep", sc, "--jobs", "2", "--trace", ref, "--quiet"])
    assert not (tmp_path / "ref.h5.partial").exists()  # the journal goes once the output is written

    # Interrupt a sweep with SIGINT once a few runs are journalled.
    out = tmp_path / "out.h5"
    journal = tmp_path / "out.h5.partial"
    p = subprocess.Popen([str(trainsim()), "sweep", str(sc), "--jobs", "1", "--trace", str(out), "--quiet"],
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    deadline = time.time() + 120
    while time.time() < deadline and p.poll() is None:
        if journal.exists() and journal.read_text().count("\n") >= 3:
            break
        time.sleep(0.01)
    assert p.poll() is None, "the sweep finished before it could be interrupted"
    p.send_signal(signal.SIGINT)
    p.communicate(timeout=60)
    assert p.returncode == 130
    assert not out.exists()
    done = journal.read_text().count("\n")
    assert done >= 3

    # Rerun: says how many runs it skips, simulates only the others, equals the reference.
    r = run([trainsim(), "sweep", sc, "--jobs", "2", "--trace", out])
    assert f"resuming: {done} of up to " in r.stderr
    assert f"({done} from the journal)" in r.stdout
    assert not journal.exists()
    assert_same(tables(ref), tables(out))


def test_journal_of_another_scenario_is_not_reused(tmp_path):
    sc = scenario(tmp_path)
    out = tmp_path / "out.h5"
    (tmp_path / "out.h5.partial").write_text("0123456789abcdef 1B / Data-Parallel @ 0x1p+0\t0.5\n")
    r = run([trainsim(), "sweep", sc, "--jobs", "2", "--trace", out])
    assert "ignoring" in r.stderr and "resuming" not in r.stderr
    assert "from the journal" not in r.stdout
