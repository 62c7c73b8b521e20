"""The plots of analysis/plot.py, rendered from traces the simulator writes, checked for their
content: titles, axis labels with units, legends, and the series drawn (rows, bars, lines)
against the trace and against hand-computed schedule facts."""
from pathlib import Path

import h5py
import numpy as np
import pytest
from matplotlib.backends.backend_agg import FigureCanvasAgg

from test_plots_support import PLOT, REPO, TUTORIAL_SCENARIO, readability, run, trainsim, tutorial_trace
from trainsim_plots.compare import plot_compare
from trainsim_plots.links import name_pattern, plot_links
from trainsim_plots.memory import in_flight_steps, plot_memory
from trainsim_plots.timeline import plot_timeline
from trainsim_plots.trace import Trace, TraceError
from trainsim_plots.utilization import plot_utilization

# The tutorial scenario: tp 2, pp 4, dp 4, 8 micro-batches per pipeline, 1F1B, A100 80 GB.
PP, MICRO_BATCHES, GPUS = 4, 8, 32


@pytest.fixture(scope="module")
def training(tmp_path_factory):
    path = tmp_path_factory.mktemp("plots") / "training.h5"
    run([trainsim(), "run", TUTORIAL_SCENARIO, "--trace", path, "--quiet"])
    return Trace(path)


@pytest.fixture(scope="module")
def three_iterations(tmp_path_factory):
    return Trace(tutorial_trace(tmp_path_factory.mktemp("plots3"), iterations=3))


def legend_labels(ax):
    leg = ax.get_legend()
    assert leg is not None, "plot has no legend"
    return [t.get_text() for t in leg.get_texts()]


def kind_collections(ax, kind):
    return [c for c in ax.collections if c.get_gid() == f"kind:{kind}"]


def test_timeline_is_the_pipeline_schedule(training):
    fig = plot_timeline(training)
    ax = fig.axes[0]
    assert "pipeline schedule" in ax.get_title()
    assert ax.get_xlabel() == "simulated time (s)"
    assert "stage" in ax.get_ylabel()
    # One row per stage, top to bottom.
    rows = [t.get_text() for t in ax.get_yticklabels()]
    assert len(rows) == PP and [r.split("\n")[0] for r in rows] == [f"stage {s}" for s in range(PP)]
    # Compute, the TP collectives inside ops, pipeline receives and the DP reduction.
    assert set(legend_labels(ax)) == {"forward", "backward", "optimizer", "tp comm", "pp send", "pp recv",
                                      "dp comm"}
    # Each stage's row holds its GPU's forwards: one bar per micro-batch.
    forward = kind_collections(ax, "forward")
    assert len(forward) == PP
    assert all(len(c.get_paths()) == MICRO_BATCHES for c in forward)
    # Micro-batch numbers are readable: at this width every compute bar of the 4 rows carries
    # its number, each number 0..7 appearing twice (forward, backward) per stage.
    numbers = [t.get_text() for t in ax.texts if t.get_gid() == "micro_batch"]
    assert len(numbers) == 2 * PP * MICRO_BATCHES
    assert sorted(set(numbers)) == [str(i) for i in range(MICRO_BATCHES)]


def test_timeline_1f1b_order_on_the_last_stage(training):
    """Hand check of the schedule drawn: in 1F1B the last stage alternates F0 B0 F1 B1 ..."""
    fig = plot_timeline(training)
    ax = fig.axes[0]
    last_row_y = PP - 1
    bars = []
    for kind in ("forward", "backward"):
        for c in kind_collections(ax, kind):
            for p in c.get_paths():
                x0, y0 = p.vertices.min(axis=0)
                if int(y0) == last_row_y:
                    bars.append((x0, kind[0]))
    assert "".join(k for _, k in sorted(bars)) == "fb" * MICRO_BATCHES


def test_timeline_zooms_to_a_window(training):
    end = training.makespan / 4
    fig = plot_timeline(training, start=0.0, end=end)
    ax = fig.axes[0]
    assert ax.get_xlim() == pytest.approx((0.0, end))
    assert "to" in ax.get_title()
    full = plot_timeline(training).trainsim_info["micro_batch_labels"]
    assert 0 < fig.trainsim_info["micro_batch_labels"] < full
    with pytest.raises(TraceError):
        plot_timeline(training, start=1.0, end=0.5)


def test_timeline_per_gpu_rows(training):
    fig = plot_timeline(training, rows="gpu")
    assert len(fig.axes[0].get_yticklabels()) == GPUS
    fig = plot_timeline(training, gpus=[0, 8])
    assert [t.get_text().split("\n")[1] for t in fig.axes[0].get_yticklabels()] == [
        training.gpus["name"][0], training.gpus["name"][8]]


def bars_on_screen(fig, kind):
    """(row, display x0, x1, y0, y1) of every bar of `kind`, in pixels (y up)."""
    ax = fig.axes[0]
    FigureCanvasAgg(fig).draw()
    out = []
    for c in kind_collections(ax, kind):
        for p in c.get_paths():
            lo, hi = p.vertices.min(axis=0), p.vertices.max(axis=0)
            (x0, y0), (x1, y1) = ax.transData.transform([lo, hi])
            out.append((int(lo[1]), x0, x1, min(y0, y1), max(y0, y1)))
    return out


def test_timeline_draws_communication_below_compute(training):
    """The legend says compute on top, then collectives, sends, receives: on screen every
    communication bar of a row is under every compute bar of the row."""
    fig = plot_timeline(training)
    legend_title = fig.axes[0].get_legend().get_title().get_text()
    assert "top to bottom:\ncompute,\ncollectives,\nsends,\nreceives" in legend_title
    compute = [b for k in ("forward", "backward", "optimizer") for b in bars_on_screen(fig, k)]
    comm = [b for k in ("tp_comm", "pp_send", "pp_recv", "dp_comm") for b in bars_on_screen(fig, k)]
    assert compute and comm
    for row in range(PP):
        lowest_compute = min(b[3] for b in compute if b[0] == row)
        assert all(b[4] <= lowest_compute for b in comm if b[0] == row), f"row {row}"


def test_timeline_draws_pipeline_sends_and_visible_receives(training):
    """1F1B with 4 stages and 8 micro-batches: a stage sends its activations forward (not the
    last) and its gradients back (not the first), 8 of each, and receives as many. Every
    transfer is a bar at least 2 px wide, and each send matches a receive on the next or
    previous stage at the same time."""
    fig = plot_timeline(training)
    sends, recvs = bars_on_screen(fig, "pp_send"), bars_on_screen(fig, "pp_recv")
    for row in range(PP):
        expected = MICRO_BATCHES * ((row < PP - 1) + (row > 0))
        assert sum(b[0] == row for b in sends) == expected, f"sends of stage {row}"
        assert sum(b[0] == row for b in recvs) == expected, f"receives of stage {row}"
    for b in sends + recvs:
        assert b[2] - b[1] >= 1.99, f"a transfer {b[2] - b[1]:.2f} px wide"
    recv_times = {(b[0], round(b[1], 3)) for b in recvs}
    for row, x0, *_ in sends:
        assert (row + 1, round(x0, 3)) in recv_times or (row - 1, round(x0, 3)) in recv_times
    assert readability(fig) == []


def test_timeline_of_one_iteration_keeps_its_reductions(three_iterations):
    """--step 1 zooms to the second iteration and keeps its data-parallel reduction (recorded
    without an iteration number); an iteration that does not exist is refused."""
    act = three_iterations.activities
    fig = plot_timeline(three_iterations, step=1)
    assert "dp_comm" in fig.trainsim_info["kinds"]
    own = act["step"] == 1
    assert fig.axes[0].get_xlim() == pytest.approx((act["start"][own].min(), act["end"][own].max()))
    assert "iteration 1" in fig.axes[0].get_title()
    with pytest.raises(TraceError, match=r"iteration 3 is not in .*\(iterations 0-2\)"):
        plot_timeline(three_iterations, step=3)
    with pytest.raises(TraceError, match="after the run's end"):
        plot_timeline(three_iterations, start=5.0)


def test_links_heat_map_by_tier(training):
    fig = plot_links(training, top=5)
    heat, colorbar, bar = fig.axes
    assert "Link utilization over time" in heat.get_title()
    assert heat.get_xlabel() == "simulated time (s)"
    assert "tier" in heat.get_ylabel()
    assert "utilization" in colorbar.get_ylabel()
    images = heat.get_images()  # one band per tier
    assert sum(im.get_array().shape[0] for im in images) == len(training.series_link)
    assert all(im.get_array().shape[1] == training.series_bytes.shape[1] for im in images)
    assert all(im.get_clim() == (0, 1) for im in images)  # a utilization; values above 1 do not stretch it
    tiers = [t.get_text().split(" (")[0] for t in heat.get_yticklabels()]
    assert tiers == ["nvlink", "nic"]  # GPU outwards; this run crosses NVLink and NICs only
    assert "utilization" in bar.get_xlabel()
    assert legend_labels(bar) == ["nvlink", "nic"] or legend_labels(bar) == ["nic"]
    assert readability(fig) == []


def test_links_busiest_panel_groups_equal_links(training):
    """Data-parallel rings load many links equally: the busiest panel shows one bar per load
    (the tutorial run has 8 NICs per node at exactly the same utilization), never a column of
    identical bars, and each bar's label names exactly the links of its group (checked here
    against the series by hand)."""
    bw = training.links["bandwidth"][training.series_link]
    mean = (training.series_bytes / (training.series_bin_width * bw[:, None])).mean(axis=1)
    names = [training.links["name"][r] for r in training.series_link]
    groups = {}
    for name, m in zip(names, mean):
        if m > 0:
            groups.setdefault(next((k for k in groups if abs(k - m) <= 1e-9 * m), m), []).append(name)
    loads = sorted(groups, reverse=True)[:4]
    fig = plot_links(training, top=4)
    bar = fig.axes[2]
    widths = [p.get_width() for p in bar.patches]
    assert widths == pytest.approx(loads, rel=1e-9)
    assert len(set(np.round(widths, 12))) == len(widths), "identical bars"
    labels = [t.get_text() for t in bar.get_yticklabels()]
    for label, load in zip(labels, loads):
        members = sorted(groups[load])
        assert label == name_pattern(members) + (f" ({len(members)} links)" if len(members) > 1 else "")
    assert any("(16 links)" in label or "(8 links)" in label for label in labels)


def test_link_name_patterns():
    assert name_pattern(["dgx.n0.nic0"]) == "dgx.n0.nic0"
    assert name_pattern([f"dgx.n{n}.nic{i}" for n in (0, 3) for i in range(8)]) == "dgx.n[0,3].nic[0-7]"
    assert name_pattern(["dgx.n0.nic0", "dgx.n1.nic1"]) == "dgx.n0.nic0 + 1 more"  # not all pairs
    assert name_pattern(["leaf0", "spine1"]) == "leaf0 + 1 more"


def test_links_flag_missing_tensor_parallel_traffic(training):
    """Tensor-parallel collectives that carry no bytes leave NVLink looking idle during
    compute: the plot says so. Once their bytes are recorded, NVLink carries traffic while
    stage 0 computes its first forward and the note is gone."""
    act = training.activities
    tp = act["kind"] == training.kind("tp_comm")
    assert tp.any()  # tp 2
    notes = plot_links(training).trainsim_info["notes"]
    if act["bytes"][tp].sum() == 0:
        assert any("tensor-parallel" in n and "missing" in n for n in notes)
    else:
        assert not any("tensor-parallel" in n for n in notes)
        first = (act["gpu"] == 0) & (act["kind"] == training.kind("forward"))
        i = int(act["end"][first].min() // training.series_bin_width)
        nvlink = [k for k, r in enumerate(training.series_link) if training.links["tier"][r] == "nvlink"]
        assert training.series_bytes[nvlink, : i + 1].sum() > 0


def test_links_flag_bins_above_capacity(training, tmp_path):
    """A bin carrying more than the link's bandwidth is a recorder defect: drawn in the
    colour bar's 'over' colour and counted in a note, the scale stays 0-1."""
    path = tmp_path / "over.h5"
    path.write_bytes(Path(training.path).read_bytes())
    with h5py.File(path, "r+") as f:
        f["link_series/bytes"][0, :] = f["link_series/bytes"][0, :] * 0 + (
            1.7 * f["link_series"].attrs["bin_width"] * f["links/bandwidth"][f["link_series/link"][0]])
    fig = plot_links(Trace(path))
    heat = fig.axes[0]
    assert heat.get_images()[0].get_clim() == (0, 1)
    assert any("bins above the nominal bandwidth" in n and "1.70" in n for n in fig.trainsim_info["notes"])
    assert readability(fig) == []


def test_in_flight_count_follows_1f1b(training):
    """1F1B keeps min(pp - stage, m) micro-batches in flight on a stage (docs/schedules.md):
    4, 3, 2, 1 on stages 0..3; the count returns to 0 at the end of the iteration."""
    stage = training.gpus["stage"]
    for s in range(PP):
        gpu = int(np.flatnonzero(stage == s).min())
        _, counts = in_flight_steps(training, gpu)
        assert counts.max() == min(PP - s, MICRO_BATCHES)
        assert counts[-1] == 0


def test_memory_per_stage_against_hbm(training):
    fig = plot_memory(training)
    over_time, peak = fig.axes
    for ax in (over_time, peak):
        assert ax.get_title() and "GiB" in ax.get_ylabel() and legend_labels(ax)
    assert over_time.get_xlabel() == "simulated time (s)"
    assert peak.get_xlabel() == "pipeline stage"
    hbm_gib = training.summary["hbm_per_gpu"] / 2**30
    assert hbm_gib == pytest.approx(80.0)  # A100-80GB
    assert legend_labels(over_time) == [f"stage {s} (GPU {8 * s})" for s in range(PP)]
    # The peak of each stage's curve is the stage's total of the `stages` table.
    stages = training.tables["stages"]
    for line, total in zip(over_time.get_lines()[:PP], stages["memory_total"]):
        assert max(line.get_ydata()) == pytest.approx(total / 2**30)
    # Stacked bars: the top of each stack is the stage total.
    tops = {}
    for patch in peak.patches:
        x = round(patch.get_x() + patch.get_width() / 2)
        tops[x] = max(tops.get(x, 0), patch.get_y() + patch.get_height())
    assert [tops[s] for s in range(PP)] == pytest.approx(list(stages["memory_total"] / 2**30))
    assert readability(fig) == []


def test_memory_scale_is_set_by_the_data_not_by_hbm(training):
    """The stages peak at 10.4 GiB of 80: an 80 GiB axis would squash the curves into its bottom
    eighth. The axis follows the data and a note says where HBM is; a near HBM is a line."""
    top = max(training.tables["stages"]["memory_total"]) / 2**30
    fig = plot_memory(training)
    for ax in fig.axes:
        assert top < ax.get_ylim()[1] < 1.5 * top
        notes = [t.get_text() for t in ax.texts if t.get_gid() == "note"]
        assert len(notes) == 1 and "HBM 80 GiB" in notes[0] and "13 %" in notes[0]
    near = plot_memory(training, hbm=12 * 2**30)
    for ax in near.axes:
        assert any(l.get_ydata()[0] == pytest.approx(12.0) for l in ax.get_lines()), "no HBM line"
        assert "HBM 12 GiB" in legend_labels(ax)
        assert ax.get_ylim()[1] >= 12.0
    assert readability(near) == []


def test_memory_drops_between_iterations(three_iterations):
    """Micro-batch numbers restart every iteration: with 3 iterations each stage's in-flight
    count still follows 1F1B within an iteration and is 0 when its optimizer step starts, and
    the drawn memory falls back to the static memory between iterations."""
    act = three_iterations.activities
    optimizer = three_iterations.kind("optimizer")
    stages = three_iterations.tables["stages"]
    fig = plot_memory(three_iterations)
    for s in range(PP):
        gpu = 8 * s
        times, counts = in_flight_steps(three_iterations, gpu)
        assert counts.max() == min(PP - s, MICRO_BATCHES)
        starts = act["start"][(act["gpu"] == gpu) & (act["kind"] == optimizer)]
        assert len(starts) == 3
        for t in starts:
            assert counts[np.searchsorted(times, t, side="right") - 1] == 0, f"stage {s} at {t} s"
        line = fig.axes[0].get_lines()[s]
        static = (stages["memory_total"][s] - stages["activations"][s]) / 2**30
        y = np.asarray(line.get_ydata())
        x = np.asarray(line.get_xdata())
        for t in starts[:2]:
            assert y[np.searchsorted(x, t, side="right") - 1] == pytest.approx(static)
    assert "3 iterations" in fig.axes[0].get_title()
    assert readability(fig) == []


def write_tables(path, tables):
    """A trace-format file holding only generic tables (what `sweep` and `compare` write)."""
    with h5py.File(path, "w") as f:
        f.attrs["format"] = "trainsim-trace"
        f.attrs["format_version"] = np.int32(1)
        f.attrs["makespan"] = 0.0
        for name, columns in tables.items():
            g = f.create_group(f"tables/{name}")
            g.attrs["columns"] = list(columns)
            g.attrs["rows"] = np.uint64(len(next(iter(columns.values()))))
            for c, values in columns.items():
                if isinstance(values[0], str):
                    g.create_dataset(c, data=values, dtype=h5py.string_dtype())
                else:
                    g.create_dataset(c, data=np.asarray(values, dtype=float))
    return Trace(path)


def test_utilization_from_written_tables(tmp_path):
    bws = [0.1, 1.0, 10.0, 100.0]
    rows = [(model, method, bw, u) for model in ("1B", "10B") for method, scale in (("DP", 100.0), ("DiLoCo", 1.0))
            for bw in bws for u in [bw / (bw + scale)]]
    trace = write_tables(tmp_path / "sweep.h5", {
        "utilization": {"model": [r[0] for r in rows], "method": [r[1] for r in rows],
                        "bandwidth_gbps": [r[2] for r in rows], "utilization": [r[3] for r in rows]},
        "thresholds": {"model": ["1B", "10B"], "method": ["DiLoCo", "DiLoCo"], "target": [0.5, 0.5],
                       "grid_gbps": [1.0, 1.0], "exact_gbps": [1.0, 1.0], "published_gbps": [1.4, np.nan]}})
    fig = plot_utilization(trace)
    panels, key = fig.axes[:2], fig.axes[2]
    # Published values are overlaid where the scenario carried one (1B), nowhere else.
    published = [[(l.get_xdata()[0], l.get_ydata()[0]) for l in ax.get_lines() if l.get_gid() == "published"]
                 for ax in panels]
    assert published == [[(1.4, 0.5)], []]
    for ax, model in zip(panels, ("1B", "10B")):
        assert model in ax.get_title()
        assert ax.get_xscale() == "log"
        assert "Gbit/s" in ax.get_xlabel() and "utilization" in ax.get_ylabel()
        curves = [l for l in ax.get_lines() if l.get_label() in ("DP", "DiLoCo")]
        assert [list(l.get_xdata()) for l in curves] == [bws, bws]
        dp = next(l for l in curves if l.get_label() == "DP")
        assert list(dp.get_ydata()) == pytest.approx([b / (b + 100) for b in bws])
        # The threshold marker sits at (exact_gbps, target).
        markers = [l for l in ax.get_lines() if l.get_gid() == "threshold"]
        assert [(l.get_xdata()[0], l.get_ydata()[0]) for l in markers] == [(1.0, 0.5)]
        assert ax.get_legend() is None  # one legend for all panels, under them
    labels = legend_labels(key)
    assert labels[:3] == ["DP", "DiLoCo", "utilization target"]
    assert labels[3].startswith("simulated threshold") and labels[4].startswith("published threshold")
    assert readability(fig) == []


def test_utilization_overlays_published_values_of_the_scenario(tmp_path):
    """A scenario's `published:` rows (the bandwidth a paper reports for each target) are drawn
    next to the simulated thresholds, from the sweep's own file."""
    text = (REPO / "scenarios/tutorial/streaming-diloco-two-dc.yaml").read_text()
    text = text.replace("../../platforms", str(REPO / "platforms")).replace("points: 30", "points: 8")
    text += "  published:\n    - {model: 10B, method: DiLoCo H=100, gbps: [0.7, 3.0, 6.5]}\n"
    (tmp_path / "s.yaml").write_text(text)
    run([trainsim(), "sweep", tmp_path / "s.yaml", "--trace", tmp_path / "s.h5", "--quiet"])
    fig = plot_utilization(Trace(tmp_path / "s.h5"))
    ax = fig.axes[0]
    marks = sorted((l.get_xdata()[0], l.get_ydata()[0]) for l in ax.get_lines() if l.get_gid() == "published")
    assert marks == pytest.approx([(0.7, 0.5), (3.0, 0.8), (6.5, 0.9)])
    diloco = next(l for l in ax.get_lines() if l.get_label() == "DiLoCo H=100")
    assert all(l.get_markeredgecolor() == diloco.get_color() for l in ax.get_lines() if l.get_gid() == "published")
    assert any(x.startswith("published threshold") for x in legend_labels(fig.axes[1]))
    assert readability(fig) == []


def test_utilization_needs_the_sweep_table(training):
    with pytest.raises(TraceError, match="trainsim sweep"):
        plot_utilization(training)


def test_compare_from_written_tables(tmp_path):
    """Three methods pick the same configuration, two under different rank mappings and one
    out of memory: the three bars must be told apart, the OOM pick marked in both panels."""
    trace = write_tables(tmp_path / "compare.h5", {"candidates": {
        "method": ["pipette", "pipette", "amp", "amp", "megatron", "oracle"],
        "config": ["pp4 tp2", "pp2 tp4", "pp4 tp2", "pp8 tp1", "pp2 tp8", "pp4 tp2"],
        "mapping": ["n1 n0 | n2 n3", "default", "default", "default", "default", "n0 n1 | n3 n2"],
        "predicted_s": [1.0, 1.2, 0.8, 0.9, np.nan, 1.05],
        "simulated_s": [1.1, 1.3, 1.15, np.nan, 2.0, 1.05],
        "is_pick": [1, 0, 1, 0, 1, 1], "oom": [0, 0, 1, 1, 0, 0],
        "rank_predicted": [1, 2, 1, 2, 1, 1], "rank_simulated": [1, 2, 1, 2, 1, 1]}})
    fig = plot_compare(trace)
    scatter, bars = fig.axes
    assert scatter.get_xlabel() == "predicted iteration time (s)"
    assert scatter.get_ylabel() == "simulated iteration time (s)"
    oom = [c for c in scatter.collections if c.get_gid() == "oom"]
    assert len(oom) == 1 and oom[0].get_offsets().tolist() == [[0.8, 1.15]]
    assert legend_labels(scatter) == ["pipette candidates", "pipette pick", "amp pick", "oracle pick",
                                      "out of memory (ringed)", "y = x (exact)"]
    diagonal = next(l for l in scatter.get_lines() if l.get_label() == "y = x (exact)")
    assert list(diagonal.get_xdata()) == list(diagonal.get_ydata())
    # Picks: one bar per method, height = the pick's simulated time; labels all different.
    ticks = [t.get_text() for t in bars.get_xticklabels()]
    assert [t.split("\n")[0] for t in ticks] == ["pipette", "amp", "megatron", "oracle"]
    assert len(set(ticks)) == 4 and len({t.split("\n", 1)[1] for t in ticks if "pp4 tp2" in t}) == 3
    assert ticks[0].endswith("mapping A") and ticks[1].endswith("default order") and ticks[3].endswith("mapping B")
    assert "mapping A = n1 n0 | n2 n3" in bars.get_xlabel() and "mapping B = n0 n1 | n3 n2" in bars.get_xlabel()
    assert [p.get_height() for p in bars.patches] == pytest.approx([1.1, 1.15, 2.0, 1.05])
    assert [p.get_hatch() for p in bars.patches] == [None, "//", None, None]
    labels = [t.get_text() for t in bars.texts]
    assert "out of memory" in labels[1] and not any("out of memory" in x for x in labels[:1] + labels[2:])
    assert labels[3] == "1.050 s" and "+4.8 %" in labels[0]  # against the fastest pick
    assert fig.trainsim_info["oom_picks"] == ["amp"]
    assert "pick" in bars.get_ylabel() and legend_labels(bars)
    assert readability(fig) == []


def test_cli_writes_each_plot_and_refuses_to_overwrite(training, tmp_path):
    for command in ("timeline", "links", "memory"):
        out = tmp_path / f"{command}.png"
        r = run(["/usr/bin/python3", PLOT, command, training.path, "-o", out])
        assert out.stat().st_size > 10000 and f"written to {out}" in r.stdout
        again = run(["/usr/bin/python3", PLOT, command, training.path, "-o", out], check=False)
        assert again.returncode == 2 and "--force" in again.stderr
    wrong = run(["/usr/bin/python3", PLOT, "compare", training.path, "-o", tmp_path / "c.png"], check=False)
    assert wrong.returncode == 2 and "trainsim compare" in wrong.stderr
    help_text = run(["/usr/bin/python3", PLOT, "timeline", "--help"]).stdout
    assert "example:" in help_text and "analysis/plot.py timeline" in help_text


def test_utilization_and_compare_from_the_simulator(tmp_path):
    """The sweep and compare commands' own files plot (both take a few seconds)."""
    sweep = tmp_path / "sweep.h5"
    run([trainsim(), "sweep", REPO / "scenarios/diloco/two-dc-10b.yaml", "--trace", sweep, "--quiet"])
    fig = plot_utilization(Trace(sweep))
    assert len(fig.trainsim_info["methods"]) == 5 and fig.trainsim_info["lines"] == 5
    assert readability(fig) == []  # the legend hid the data-parallel curve
    run([trainsim(), "compare", REPO / "scenarios/pipette/a100-8node-18b.yaml", "--top", "2",
         "--methods", "pipette,amp,megatron", "--output", tmp_path / "cmp"])
    fig = plot_compare(Trace(tmp_path / "cmp.h5"))
    assert fig.trainsim_info["picks"] == ["pipette", "amp", "megatron"]
    assert fig.trainsim_info["candidates"] >= 4  # megatron's candidates have no prediction
    assert readability(fig) == []


def test_compare_marks_an_out_of_memory_pick_from_the_simulator(tmp_path):
    """On the 16-node 39B case AMP's pick needs more than the A100's 80 GB (docs/pipette.md):
    hatched red in the bars, ringed in the scatter."""
    run([trainsim(), "compare", REPO / "scenarios/pipette/a100-16node-39b.yaml", "--top", "1",
         "--methods", "pipette,amp", "--output", tmp_path / "cmp", "--quiet"])
    trace = Trace(tmp_path / "cmp.h5")
    t = trace.tables["candidates"]
    amp = [i for i, m in enumerate(t["method"]) if m == "amp" and t["is_pick"][i]][0]
    assert t["oom"][amp] == 1
    fig = plot_compare(trace)
    scatter, bars = fig.axes
    ring = [c for c in scatter.collections if c.get_gid() == "oom"]
    assert ring and [t["predicted_s"][amp], t["simulated_s"][amp]] in ring[0].get_offsets().tolist()
    assert fig.trainsim_info["oom_picks"] == ["amp"]
    assert bars.patches[1].get_hatch() == "//" and "out of memory" in bars.texts[1].get_text()
    assert readability(fig) == []
