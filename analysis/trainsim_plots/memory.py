"""Memory per GPU over the run and peak memory per stage against the HBM capacity.

The trace holds each stage's peak memory (table `stages`: weights, gradients, optimizer,
activations, from the memory estimator of docs/memory.md) and every forward/backward activity.
Memory over time is derived from them (docs/plots.md, "memory"):

    in_flight(t)  = micro-batches (per iteration and chunk) whose forward has started by t and
                    whose backward (fused backward, or backward_input under zero-bubble
                    schedules) has not ended
    memory(t)     = (memory_total - activations)
                    + activations * in_flight(t) / max_t in_flight(t)

i.e. static memory (weights, gradients, optimizer state and the estimator's other buffers) plus
one micro-batch's stored activations per micro-batch in flight, scaled so that the peak equals
the estimator's activation peak for the stage. This is exact for schedules whose activation
memory is proportional to the in-flight count (1F1B, GPipe, interleaved; see docs/schedules.md)
and ignores transient buffers (the estimator's peak includes them).
"""
import numpy as np
from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator

from .style import MIN_FONT_PT, series_style
from .trace import as_trace

STAGE_COLUMNS = ("stage", "weights", "gradients", "optimizer", "activations", "memory_total")
GIB = float(1 << 30)
MAX_CURVES = 8  # more stages: this many, evenly spaced, first and last included
HBM_ON_SCALE = 2.0  # the HBM line is drawn when it is at most this many times the data's peak
COMPONENTS = (("weights", "#4C72B0"), ("gradients", "#55A868"), ("optimizer", "#8172B2"),
              ("activations", "#DD8452"), ("other", "#9A9A9A"))


def in_flight_steps(trace, gpu):
    """(times, in-flight count after each time) step function of one GPU, starting at t = 0."""
    act = trace.activities
    fwd = trace.kind("forward")
    ends = [trace.kind("backward"), trace.kind("backward_input")]
    on = act["gpu"] == gpu
    f = on & (act["kind"] == fwd)
    b = on & np.isin(act["kind"], ends)
    # Several forward pieces of one (iteration, micro-batch, chunk) count once: first start,
    # last end. Micro-batch numbers restart every iteration, so the iteration is in the key.
    events = {}
    for s, it, mb, c in zip(act["start"][f], act["step"][f], act["micro_batch"][f], act["chunk"][f]):
        k = (int(it), int(mb), int(c))
        events.setdefault(k, [np.inf, -np.inf])
        events[k][0] = min(events[k][0], s)
    for e, it, mb, c in zip(act["end"][b], act["step"][b], act["micro_batch"][b], act["chunk"][b]):
        k = (int(it), int(mb), int(c))
        if k in events:
            events[k][1] = max(events[k][1], e)
    deltas = []
    for s, e in events.values():
        deltas.append((s, 1))
        if np.isfinite(e):
            deltas.append((e, -1))
    deltas.sort(key=lambda d: (d[0], d[1]))  # an end and a start at the same time: end first
    times, counts, n = [0.0], [0], 0
    for t, d in deltas:
        n += d
        if t == times[-1]:
            counts[-1] = n  # simultaneous events: only the count after all of them is drawn
        else:
            times.append(t)
            counts.append(n)
    return np.array(times), np.array(counts)


def _spread(items, n):
    """At most n items, evenly spaced, the first and the last included."""
    if len(items) <= n:
        return list(items)
    return [items[i] for i in sorted(set(np.linspace(0, len(items) - 1, n).round().astype(int)))]


def hbm_reference(ax, hbm, peak):
    """Draws the HBM capacity on a memory axis whose data peaks at `peak` (bytes) without
    letting it set the scale: as a line when it is within HBM_ON_SCALE of the peak (or below
    it), else as a note saying where it is. The y-axis always starts at 0."""
    top = peak * 1.12
    if hbm and hbm <= HBM_ON_SCALE * peak:
        ax.axhline(hbm / GIB, color="red", linestyle="--", label=f"HBM {hbm / GIB:.0f} GiB")
        top = max(top, hbm * 1.08)
    elif hbm:
        ax.text(0.99, 0.97, f"HBM {hbm / GIB:.0f} GiB is above this scale: the peak,\n"
                f"{peak / GIB:.1f} GiB, uses {100 * peak / hbm:.0f} % of it",
                transform=ax.transAxes, ha="right", va="top", fontsize=MIN_FONT_PT + 1, gid="note",
                bbox=dict(boxstyle="round", facecolor="white", edgecolor="red"))
        top = peak * 1.3  # room for the note above the data
    ax.set_ylim(0, top / GIB)


def plot_memory(trace, hbm=None):
    """Left: memory of one GPU per stage over time (derived as above). Right: peak memory per
    stage, stacked by component, against the HBM capacity."""
    trace = as_trace(trace)  # a Trace, a trainsim result or a trace file's path
    trace.require_activities()
    t = trace.table("stages", STAGE_COLUMNS, "trainsim run TRAINING_SCENARIO --trace FILE.h5")
    if hbm is None:
        hbm = trace.summary.get("hbm_per_gpu")
    stages = [int(s) for s in t["stage"]]
    total = np.asarray(t["memory_total"], dtype=float)
    gpu_stage = np.asarray(trace.gpus.get("stage", []))
    used = np.unique(trace.activities["gpu"][trace.activities["gpu"] >= 0])
    fig = Figure(figsize=(14, 5), layout="constrained")
    ax, bar = fig.subplots(1, 2)

    drawn = _spread(list(enumerate(stages)), MAX_CURVES)
    iterations = len(np.unique(trace.activities["step"][trace.activities["step"] >= 0]))
    peak_drawn = 0.0
    for n, (i, s) in enumerate(drawn):
        on_stage = used[gpu_stage[used] == s] if len(gpu_stage) else used
        if len(on_stage) == 0:
            continue
        g = int(on_stage.min())
        times, counts = in_flight_steps(trace, g)
        static = total[i] - t["activations"][i]
        most = counts.max() if len(counts) else 0
        mem = static + (t["activations"][i] * counts / most if most > 0 else 0 * counts)
        times = np.append(times, trace.makespan)
        mem = np.append(mem, mem[-1])
        colour, style = series_style(n)
        # Earlier stages wider: a curve on top of another (two stages of equal memory) leaves
        # the one below visible as a border.
        width = 1.2 + 1.6 * (len(drawn) - 1 - n) / max(1, len(drawn) - 1)
        ax.step(times, mem / GIB, where="post", color=colour, linestyle=style, linewidth=width,
                label=f"stage {s} (GPU {g})")
        peak_drawn = max(peak_drawn, float(mem.max()))
    hbm_reference(ax, hbm, peak_drawn)
    ax.set_xlim(0, trace.makespan)
    ax.set_xlabel("simulated time (s)")
    ax.set_ylabel("memory per GPU (GiB)")
    over = "the iteration" if iterations <= 1 else f"{iterations} iterations"
    shown = "" if len(drawn) == len(stages) else f"; {len(drawn)} of {len(stages)} stages"
    ax.set_title(f"Memory over {over} (static + activations in flight{shown})")
    ax.legend(fontsize=MIN_FONT_PT + 1, loc="upper center", bbox_to_anchor=(0.5, -0.13), ncol=4)
    ax.grid(linestyle=":", linewidth=0.5)

    x = np.arange(len(stages))
    bottom = np.zeros(len(stages))
    parts = {c: np.asarray(t[c], dtype=float) for c, _ in COMPONENTS if c != "other"}
    # The estimator also counts communication buffers and a fixed overhead (docs/memory.md).
    parts["other"] = np.maximum(0.0, total - sum(parts.values()))
    for col, colour in COMPONENTS:
        if col == "other" and not parts[col].any():
            continue
        v = parts[col] / GIB
        bar.bar(x, v, bottom=bottom, color=colour, label={"other": "comm buffers + overhead"}.get(col, col))
        bottom += v
    hbm_reference(bar, hbm, float(total.max()))
    if len(stages) <= 16:
        bar.set_xticks(x, [str(s) for s in stages])
    else:  # one label per stage would overlap: integer ticks, as many as fit
        bar.xaxis.set_major_locator(MaxNLocator(integer=True))
    bar.set_xlabel("pipeline stage")
    bar.set_ylabel("peak memory per GPU (GiB)")
    bar.set_title("Peak memory per stage")
    bar.legend(fontsize=MIN_FONT_PT + 1, loc="upper center", bbox_to_anchor=(0.5, -0.13), ncol=3)
    fig.trainsim_info = {"stages": stages, "hbm": hbm, "curves": [s for _, s in drawn],
                         "iterations": iterations}
    return fig
