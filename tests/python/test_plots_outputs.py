"""What `trainsim run` leaves for the user besides the summary: the Chrome trace JSON that
Perfetto opens, outputs under --output-dir without overwriting, and the progress lines drawn
only on a terminal."""
import collections
import json
import os

import h5py
import pytest

from test_plots_support import TUTORIAL_SCENARIO, run, run_on_terminal, trainsim


@pytest.fixture(scope="module")
def exported(tmp_path_factory):
    d = tmp_path_factory.mktemp("export")
    run([trainsim(), "run", TUTORIAL_SCENARIO, "--trace", d / "t.h5", "--chrome-trace", d / "t.json", "--quiet"])
    with open(d / "t.json") as f:
        doc = json.load(f)
    with h5py.File(d / "t.h5", "r") as h5:
        trace = {"kind": h5["activities/kind"][:], "gpu": h5["activities/gpu"][:],
                 "start": h5["activities/start"][:], "end": h5["activities/end"][:],
                 "kind_names": list(h5["activities/kind_names"].asstr()[:]),
                 "gpu_names": list(h5["gpus/name"].asstr()[:]),
                 "tiers": list(h5["links/tier"].asstr()[:]), "series_link": h5["link_series/link"][:],
                 "series_bytes": h5["link_series/bytes"][:], "bin_width": h5["link_series"].attrs["bin_width"]}
    return doc, trace


def gpu_processes(doc):
    return {e["pid"]: e["args"]["name"] for e in doc["traceEvents"]
            if e["ph"] == "M" and e["name"] == "process_name" and e["args"]["name"].startswith("GPU ")}


def test_chrome_trace_has_a_process_per_gpu_with_activity(exported):
    """GPUs the job does not use would fill the view (96 of 128 in the tutorial run): only GPUs
    with activities get a process; otherData says how many were left out."""
    doc, trace = exported
    names = gpu_processes(doc)
    active = sorted({int(g) for g in trace["gpu"] if g >= 0})
    assert sorted(names) == [g + 1 for g in active]
    for g in active:
        assert names[g + 1].startswith(f"GPU {g}: {trace['gpu_names'][g]}")
    assert "stage 0, tp 0, dp 0" in names[1]
    idle = len(trace["gpu_names"]) - len(active)
    assert doc["otherData"]["gpus_without_activity"] == idle
    assert doc["otherData"]["gpus_left_out"] == idle


def test_chrome_trace_keeps_idle_gpus_on_request(tmp_path):
    out = tmp_path / "all.json"
    r = run([trainsim(), "run", TUTORIAL_SCENARIO, "--chrome-trace", out, "--chrome-trace-all-gpus"])
    assert "left out" not in r.stdout
    with open(out) as f:
        doc = json.load(f)
    n = doc["otherData"]["gpus_without_activity"]
    assert doc["otherData"]["gpus_left_out"] == 0
    assert len(gpu_processes(doc)) == 32 + n  # the job's 32 GPUs and the platform's idle ones
    shown = run([trainsim(), "run", TUTORIAL_SCENARIO, "--chrome-trace", tmp_path / "some.json"])
    if n:
        assert f"{n} GPUs without activity left out; --chrome-trace-all-gpus keeps them" in shown.stdout


def test_chrome_trace_holds_every_activity(exported):
    doc, trace = exported
    x = [e for e in doc["traceEvents"] if e["ph"] == "X"]
    assert len(x) == len(trace["kind"])
    expected = collections.Counter(trace["kind_names"][k] for k in trace["kind"])
    assert collections.Counter(e["cat"] for e in x) == expected
    # Microseconds: the events span the trace's activities.
    assert min(e["ts"] for e in x) == pytest.approx(trace["start"].min() * 1e6, abs=1e-3)
    assert max(e["ts"] + e["dur"] for e in x) == pytest.approx(trace["end"].max() * 1e6, abs=2e-3)
    # Per GPU, the same number of events as activities.
    per_pid = collections.Counter(e["pid"] for e in x)
    assert per_pid == collections.Counter(int(g) + 1 for g in trace["gpu"])


def test_chrome_trace_threads_do_not_overlap(exported):
    """The format requires the complete events of a thread to nest; overlapping activities are
    spread over extra threads, so no two events of one thread overlap here."""
    doc, _ = exported
    lanes = collections.defaultdict(list)
    for e in doc["traceEvents"]:
        if e["ph"] == "X":
            lanes[(e["pid"], e["tid"])].append((e["ts"], e["ts"] + e["dur"]))
    for spans in lanes.values():
        spans.sort()
        for (_, end), (start, _) in zip(spans, spans[1:]):
            assert start >= end - 1e-3
    thread_names = {e["args"]["name"] for e in doc["traceEvents"] if e["name"] == "thread_name"}
    assert {"compute", "communication"} <= thread_names


def test_chrome_trace_has_a_counter_per_link_tier(exported):
    doc, trace = exported
    counters = collections.defaultdict(list)
    for e in doc["traceEvents"]:
        if e["ph"] == "C":
            counters[e["name"]].append(e["args"]["GB/s"])
    tiers = sorted({trace["tiers"][l] for l in trace["series_link"]})
    assert sorted(counters) == [f"{t} GB/s" for t in tiers]
    # Each tier's total bytes equal the sum of its links' series.
    for t in tiers:
        rows = [i for i, l in enumerate(trace["series_link"]) if trace["tiers"][l] == t]
        total = trace["series_bytes"][rows].sum()
        assert sum(counters[f"{t} GB/s"]) * 1e9 * trace["bin_width"] == pytest.approx(total, rel=1e-9)


def test_output_dir_names_and_no_overwrite(tmp_path):
    out = tmp_path / "results"
    r = run([trainsim(), "run", TUTORIAL_SCENARIO, "--output-dir", out])
    name = "gpt-1.7b-32gpu"
    assert sorted(os.listdir(out)) == [f"{name}.summary.txt", f"{name}.trace.h5"]
    assert "iteration time" in (out / f"{name}.summary.txt").read_text()
    assert f"trace written to {out / (name + '.trace.h5')}" in r.stdout
    again = run([trainsim(), "run", TUTORIAL_SCENARIO, "--output-dir", out], check=False)
    assert again.returncode == 2 and "--force" in again.stderr
    run([trainsim(), "run", TUTORIAL_SCENARIO, "--output-dir", out, "--force", "--quiet"])
    # Explicit names go inside the directory.
    run([trainsim(), "run", TUTORIAL_SCENARIO, "--output-dir", out, "--chrome-trace", "p.json", "--quiet", "--force"])
    assert (out / "p.json").is_file()


def test_progress_on_a_terminal_only(tmp_path):
    out, term = run_on_terminal([trainsim(), "run", TUTORIAL_SCENARIO, "--trace", tmp_path / "a.h5"])
    assert "simulating ..." in term and "writing trace ..." in term
    assert "simulating" not in out  # results on stdout stay clean
    _, term = run_on_terminal([trainsim(), "run", TUTORIAL_SCENARIO, "--trace", tmp_path / "b.h5", "--quiet"])
    assert term == ""
    piped = run([trainsim(), "run", TUTORIAL_SCENARIO, "--trace", tmp_path / "c.h5"])
    assert piped.stderr == ""
