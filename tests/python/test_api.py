"""The Python package (docs/python.md) against the command line: the same scenario through
`trainsim.run/sweep/compare/profile_bandwidth` and through the `trainsim` command gives
identical numbers; refused inputs raise exceptions carrying the command's very text; progress
reaches the callback; the GIL is released while a simulation runs; plots take results."""
import json
import threading
import time

import h5py
import numpy as np
import pytest
import yaml

from test_api_support import REPO, TUTORIAL_SCENARIO, run, trainsim, ts, tutorial_text
from test_progress_wiring import SCENARIO as SWEEP_SCENARIO

BAD_INPUTS = REPO / "tests" / "bad-inputs"


def h5_summary(path):
    with h5py.File(path, "r") as f:
        return {n: (v, u) for n, v, u in zip(f["summary/name"].asstr()[:], f["summary/value"][:],
                                             f["summary/unit"].asstr()[:])}


def h5_table(path, name):
    with h5py.File(path, "r") as f:
        t = f["tables"][name]
        return {c: (t[c].asstr()[:] if h5py.check_string_dtype(t[c].dtype) else t[c][:]) for c in t.attrs["columns"]}


def h5_activities(path):
    with h5py.File(path, "r") as f:
        return {n: ds[:] for n, ds in f["activities"].items() if n != "kind_names"}


def same(got, want):
    got = np.asarray(got)
    return np.array_equal(got, want, equal_nan=want.dtype.kind == "f")


def cli_lines_without_files(stdout):
    return "".join(line for line in stdout.splitlines(keepends=True) if " written to " not in line)


@pytest.fixture(scope="module")
def cli_run(tmp_path_factory):
    d = tmp_path_factory.mktemp("cli")
    r = run([trainsim(), "run", TUTORIAL_SCENARIO, "--trace", d / "run.h5"])
    return r.stdout, d / "run.h5"


def assert_same_run(result, cli_run):
    stdout, trace = cli_run
    assert result.text == cli_lines_without_files(stdout)
    want = h5_summary(trace)
    assert list(result.summary) == list(want)
    for name, (value, unit) in want.items():
        assert float(result.summary[name]) == value and result.summary[name].unit == unit, name
    acts = h5_activities(trace)
    for column, values in acts.items():
        got = result.activities[column]
        if column in ("kind", "label"):
            got = np.asarray(got.cat.codes)
        assert np.array_equal(np.asarray(got), values), column
    stages = h5_table(trace, "stages")
    for column in ("stage", "weights", "gradients", "optimizer", "activations", "memory_total"):
        assert np.array_equal(np.asarray(result.memory[column]), stages[column]), column


def test_run_a_path_matches_the_command(cli_run):
    r = ts.run(TUTORIAL_SCENARIO)
    assert_same_run(r, cli_run)
    assert r.summary["iteration_time"].unit == "s" and r["mfu"].unit == "1"
    assert r.trace_path is None and r.makespan > 0 and r.seed == 0
    assert r.scenario_text == TUTORIAL_SCENARIO.read_text()


def test_run_a_yaml_text_and_a_dict_match_the_command(cli_run, tmp_path):
    # The same scenario with its platform named by absolute path: a text has no folder.
    text = tutorial_text()
    path = tmp_path / "gpt-1.7b-32gpu.yaml"
    path.write_text(text)
    stdout = run([trainsim(), "run", path, "--trace", tmp_path / "t.h5"]).stdout
    for scenario in (text, yaml.safe_load(text)):
        assert_same_run(ts.run(scenario), (stdout, tmp_path / "t.h5"))


def test_run_keeps_the_trace_it_is_given_and_refuses_to_replace_one(tmp_path, cli_run):
    kept = tmp_path / "sub" / "kept.h5"
    r = ts.run(TUTORIAL_SCENARIO, trace=kept, quiet=True)
    assert r.trace_path == str(kept) and kept.is_file()
    assert h5_summary(kept) == h5_summary(cli_run[1])
    before = kept.read_bytes()
    with pytest.raises(ts.TrainsimError) as e:
        ts.run(TUTORIAL_SCENARIO, trace=kept)
    cli = run([trainsim(), "run", TUTORIAL_SCENARIO, "--trace", kept], check=False)
    assert cli.returncode == 2 and str(e.value) in cli.stderr.strip()
    assert kept.read_bytes() == before
    ts.run(TUTORIAL_SCENARIO, trace=kept, force=True, seed=5)
    assert h5py.File(kept, "r").attrs["seed"] == 5


def test_sweep_matches_the_command(tmp_path):
    sc = tmp_path / "tiny.yaml"
    sc.write_text(SWEEP_SCENARIO.replace("{points}", "8").replace("{layers}", "24"))
    cli = run([trainsim(), "sweep", sc, "--trace", tmp_path / "cli.h5"])
    r = ts.sweep(sc, jobs=2)
    assert r.text.split("simulations")[0] == cli.stdout.split("simulations")[0]  # the last line has a wall time
    for name in ("utilization", "thresholds"):
        want = h5_table(tmp_path / "cli.h5", name)
        got = r.tables[name]
        assert list(got.columns) == list(want)
        for c in want:
            assert same(got[c], want[c]), (name, c)
    assert r.utilization is r.tables["utilization"]


def test_compare_matches_the_command(tmp_path):
    sc = REPO / "scenarios" / "pipette" / "a100-8node-18b.yaml"
    options = ["--methods", "pipette,megatron", "--top", "1", "--iterations", "2000"]
    cli = run([trainsim(), "compare", sc, *options, "--output", tmp_path / "cli", "--quiet"])
    r = ts.compare(sc, methods=["pipette", "megatron"], top=1, iterations=2000, quiet=True)
    assert r.text == cli_lines_without_files(cli.stdout)
    for name in ("methods", "candidates", "space"):
        want = h5_table(tmp_path / "cli.h5", name)
        for c in want:
            assert same(r.tables[name][c], want[c]), (name, c)


def test_profile_bandwidth_matches_the_command(tmp_path):
    platform = REPO / "platforms" / "v100-edr-hetero.yaml"
    cli = run([trainsim(), "profile-bandwidth", platform, "--output", tmp_path / "m.json", "--seed", "3"])
    m = ts.profile_bandwidth(platform, seed=3)
    data = json.loads((tmp_path / "m.json").read_text())
    assert m.json == data and m.nodes == data["gpus"]
    assert np.array_equal(m.matrix, np.array([[float(x) for x in row] for row in data["bandwidth"]]))
    assert m.matrix.shape == (16, 16) and m.text == cli_lines_without_files(cli.stdout)
    # A platform as a dict, the same matrix.
    assert np.array_equal(ts.profile_bandwidth(yaml.safe_load(platform.read_text()), seed=3).matrix, m.matrix)


def bad_input_cases():
    return sorted(p for p in BAD_INPUTS.glob("*.yaml")
                  if not p.with_suffix(".args").exists() and p.with_suffix(".expected").exists())


def test_every_refused_scenario_raises_the_command_message(monkeypatch):
    """The bad-input corpus (tests/bad-inputs), each run through the package: the exception's
    text is the command's line, and its fields are that line's parts."""
    monkeypatch.chdir(REPO)
    cases = bad_input_cases()
    assert len(cases) > 100
    for case in cases:
        expected = case.with_suffix(".expected").read_text().strip()
        with pytest.raises(ts.TrainsimError) as e:
            ts.run(case.relative_to(REPO))
        assert str(e.value) == expected.removeprefix("trainsim: "), case.name
        if isinstance(e.value, ts.InputError):
            err = e.value
            where = err.file + (f":{err.line}" if err.line else "") + (f":{err.column}" if err.column else "")
            assert expected == f"{where or '<input>'}: error: " + (f"key '{err.key}': " if err.key else "") + err.message
        else:
            assert isinstance(e.value, ts.UsageError) and expected.startswith("trainsim: "), case.name


def test_input_error_fields():
    text = tutorial_text().replace("micro_batch: 2", "micro_batch: -2")
    line = next(i for i, s in enumerate(text.splitlines(), 1) if "micro_batch" in s)
    for scenario, shown in ((text, "<scenario text>"), (yaml.safe_load(text), "<scenario dict>")):
        with pytest.raises(ts.InputError) as e:
            ts.run(scenario)
        err = e.value
        assert err.file == shown and err.key == "job.micro_batch" and "-2" in err.message
        assert isinstance(err, ValueError) and str(err).startswith(f"{shown}:")
        if isinstance(scenario, str):
            assert (err.line, err.column) == (line, text.splitlines()[line - 1].index("-2") + 1)
    # A file: exactly the command's line.
    with pytest.raises(ts.InputError) as e:
        ts.run(BAD_INPUTS / "03-unknown-key.yaml")
    cli = run([trainsim(), "run", BAD_INPUTS / "03-unknown-key.yaml"], check=False)
    assert cli.returncode == 2 and str(e.value) == cli.stderr.strip()
    assert e.value.file == str(BAD_INPUTS / "03-unknown-key.yaml") and e.value.line > 0 and e.value.column > 0


def test_usage_errors_are_the_command_text():
    with pytest.raises(ts.UsageError) as e:
        ts.run(TUTORIAL_SCENARIO, sed=3)
    cli = run([trainsim(), "run", TUTORIAL_SCENARIO, "--sed", "3"], check=False)
    assert cli.returncode == 2 and "trainsim: " + str(e.value) == cli.stderr.strip() and "--seed" in str(e.value)
    with pytest.raises(TypeError):
        ts.run(3.5)


def fake_command(tmp_path, body):
    exe = tmp_path / "fake-trainsim"
    exe.write_text("#!/bin/sh\n" + body + "\n")
    exe.chmod(0o755)
    return str(exe)


def test_failures_that_are_not_bad_input(tmp_path, monkeypatch):
    monkeypatch.setenv("TRAINSIM_EXECUTABLE", fake_command(tmp_path, "echo 'trainsim: internal error: boom' >&2; exit 3"))
    with pytest.raises(ts.SimulationError) as e:
        ts.run(TUTORIAL_SCENARIO)
    assert e.value.status == 3 and str(e.value) == "trainsim: internal error: boom"
    monkeypatch.setenv("TRAINSIM_EXECUTABLE", fake_command(tmp_path, "kill -9 $$"))
    with pytest.raises(ts.SimulationError) as e:
        ts.run(TUTORIAL_SCENARIO)
    assert e.value.status == -9 and "signal 9" in str(e.value)


def test_progress_reaches_the_callback(tmp_path):
    events = []
    ts.run(TUTORIAL_SCENARIO, progress=events.append)
    phases = [(e.what, e.done) for e in events]
    assert phases[:2] == [("simulating", 0.0), ("simulating", 1.0)] and ("writing trace", 1.0) in phases
    assert all(e.unit == "phase" and e.total == 1.0 for e in events)
    sc = tmp_path / "tiny.yaml"
    sc.write_text(SWEEP_SCENARIO.replace("{points}", "8").replace("{layers}", "24"))
    events = []
    r = ts.sweep(sc, jobs=2, progress=events.append)
    grid = [e for e in events if e.what == "sweep grid"]
    assert grid and grid[-1].done == grid[-1].total == 16 and grid[-1].unit == "runs"
    assert all(a.done <= b.done for a, b in zip(grid, grid[1:]))
    assert r.warnings == [] and "runs/s" not in r.text
    # A callback that raises stops the run and propagates.
    def stop(event):
        raise RuntimeError("enough")
    with pytest.raises(RuntimeError, match="enough"):
        ts.sweep(sc, jobs=2, progress=stop)


def test_the_gil_is_released_while_a_simulation_runs(tmp_path, monkeypatch):
    """Another thread runs while the package waits for its child: here a command that takes 2 s
    (a fake one, so that the whole wait is the child's). A waiting loop holding the GIL leaves
    the thread no turn at all (it only ever runs Python between the calls of the loop); a
    released GIL, about one per millisecond, fewer on a loaded machine."""
    monkeypatch.setenv("TRAINSIM_EXECUTABLE", fake_command(tmp_path, "sleep 2; echo 'trainsim: internal error: x' >&2; exit 3"))
    counter = [0]
    done = threading.Event()

    def count():
        while not done.is_set():
            counter[0] += 1
            time.sleep(0.001)

    t = threading.Thread(target=count)
    t.start()
    try:
        with pytest.raises(ts.SimulationError):
            ts.run(TUTORIAL_SCENARIO)
    finally:
        done.set()
        t.join()
    assert counter[0] > 50, counter[0]


def test_tables_without_pandas(monkeypatch):
    from trainsim import results
    monkeypatch.setattr(results, "_pandas", lambda: None)
    r = ts.run(TUTORIAL_SCENARIO)
    assert isinstance(r.memory, dict) and isinstance(r.memory["memory_total"], np.ndarray)
    assert isinstance(r.activities["kind"], np.ndarray) and r.activities["kind"].dtype == np.uint8
    bin_width, names, series = r.link_series
    assert bin_width > 0 and len(names) == series.shape[0]


def test_plots_take_a_result_as_well_as_a_trace_file(tmp_path):
    from trainsim_plots.structure import figure_structure
    import trainsim.plots as plots
    path = tmp_path / "run.h5"
    r = ts.run(TUTORIAL_SCENARIO, trace=path)
    for plot in (plots.timeline, plots.memory, plots.links):
        assert figure_structure(plot(r)) == figure_structure(plot(path)) == figure_structure(plot(str(path)))


def test_a_dict_with_a_relative_platform_path_is_refused_with_the_way_out():
    """docs/python.md: a text or a dict has no folder; the command's message says where a
    relative path was looked for and names the shipped platform to use instead."""
    scenario = yaml.safe_load(TUTORIAL_SCENARIO.read_text())
    with pytest.raises(ts.InputError) as e:
        ts.run(scenario)
    assert e.value.file == "<scenario dict>" and e.value.key == "platform"
    assert "relative paths are read from the folder of '<scenario dict>'" in e.value.message
    assert "`platform: dgx-a100-16node`" in e.value.message
    scenario["platform"] = "dgx-a100-16node"
    assert ts.run(scenario).summary["iteration_time"] > 0
