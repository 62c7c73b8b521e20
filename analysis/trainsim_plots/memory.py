"""Memory per GPU over the iteration and peak memory per stage against the HBM capacity.

The trace holds each stage's peak memory (table `stages`: weights, gradients, optimizer,
activations, from the memory estimator of docs/memory.md) and every forward/backward activity.
Memory over time is derived from them (docs/plots.md, "memory"):

    in_flight(t)  = micro-batches (per chunk) whose forward has started by t and whose backward
                    (fused backward, or backward_input under zero-bubble schedules) has not ended
    memory(t)     = (memory_total - activations)
                    + activations * in_flight(t) / max_t in_flight(t)

i.e. static memory (weights, gradients, optimizer state and the estimator's other buffers) plus one micro-batch's stored activations per micro-batch in flight, scaled so
that the peak equals the estimator's activation peak for the stage. This is exact for schedules
whose activation memory is proportional to the in-flight count (1F1B, GPipe, interleaved; see
docs/schedules.md) and ignores transient buffers (the estimator's peak includes them).
"""
import numpy as np
from matplotlib.figure import Figure

STAGE_COLUMNS = ("stage", "weights", "gradients", "optimizer", "activations", "memory_total")
GIB = float(1 << 30)


def in_flight_steps(trace, gpu):
    """(times, in-flight count after each time) step function of one GPU, starting at t = 0."""
    act = trace.activities
    fwd = trace.kind("forward")
    ends = [trace.kind("backward"), trace.kind("backward_input")]
    on = act["gpu"] == gpu
    f = on & (act["kind"] == fwd)
    b = on & np.isin(act["kind"], ends)
    # Several forward pieces of one (micro-batch, chunk) count once: first start, last end.
    events = {}
    for s, mb, c in zip(act["start"][f], act["micro_batch"][f], act["chunk"][f]):
        k = (int(mb), int(c))
        events.setdefault(k, [np.inf, -np.inf])
        events[k][0] = min(events[k][0], s)
    for e, mb, c in zip(act["end"][b], act["micro_batch"][b], act["chunk"][b]):
        k = (int(mb), int(c))
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


def plot_memory(trace, hbm=None):
    """Left: memory of one GPU per stage over time (derived as above). Right: peak memory per
    stage, stacked by component, with the HBM capacity as a horizontal line."""
    trace.require_activities()
    t = trace.table("stages", STAGE_COLUMNS, "trainsim run TRAINING_SCENARIO --trace FILE.h5")
    if hbm is None:
        hbm = trace.summary.get("hbm_per_gpu")
    stages = [int(s) for s in t["stage"]]
    gpu_stage = np.asarray(trace.gpus.get("stage", []))
    used = np.unique(trace.activities["gpu"][trace.activities["gpu"] >= 0])
    fig = Figure(figsize=(14, 5))
    ax = fig.add_subplot(1, 2, 1)
    bar = fig.add_subplot(1, 2, 2)
    cmap = __import__("matplotlib").colormaps["viridis"]
    for i, s in enumerate(stages):
        on_stage = used[gpu_stage[used] == s] if len(gpu_stage) else used
        if len(on_stage) == 0:
            continue
        g = int(on_stage.min())
        times, counts = in_flight_steps(trace, g)
        static = t["memory_total"][i] - t["activations"][i]
        peak = counts.max() if len(counts) else 0
        mem = static + (t["activations"][i] * counts / peak if peak > 0 else 0 * counts)
        times = np.append(times, trace.makespan)
        mem = np.append(mem, mem[-1])
        ax.step(times, mem / GIB, where="post", color=cmap(i / max(1, len(stages) - 1)),
                label=f"stage {s} (GPU {g})")
    if hbm:
        ax.axhline(hbm / GIB, color="red", linestyle="--", label=f"HBM {hbm / GIB:.0f} GiB")
    ax.set_xlabel("simulated time (s)")
    ax.set_ylabel("memory per GPU (GiB)")
    ax.set_title("Memory over the iteration (static + activations of micro-batches in flight)")
    ax.set_ylim(bottom=0)
    ax.legend(fontsize=8, loc="lower right")
    ax.grid(linestyle=":", linewidth=0.5)

    x = np.arange(len(stages))
    bottom = np.zeros(len(stages))
    parts = {c: np.asarray(t[c], dtype=float) for c in ("weights", "gradients", "optimizer", "activations")}
    # The estimator also counts communication buffers and a fixed overhead (docs/memory.md).
    parts["other"] = np.maximum(0.0, np.asarray(t["memory_total"], dtype=float) - sum(parts.values()))
    for col, colour in (("weights", "#4C72B0"), ("gradients", "#55A868"), ("optimizer", "#8172B2"),
                        ("activations", "#DD8452"), ("other", "#BBBBBB")):
        if col == "other" and not parts[col].any():
            continue
        v = parts[col] / GIB
        bar.bar(x, v, bottom=bottom, color=colour, label={"other": "comm buffers + overhead"}.get(col, col))
        bottom += v
    if hbm:
        bar.axhline(hbm / GIB, color="red", linestyle="--", label=f"HBM {hbm / GIB:.0f} GiB")
    bar.set_xticks(x)
    bar.set_xticklabels([str(s) for s in stages])
    bar.set_xlabel("pipeline stage")
    bar.set_ylabel("peak memory per GPU (GiB)")
    bar.set_title("Peak memory per stage")
    bar.legend(fontsize=8)
    fig.tight_layout()
    fig.trainsim_info = {"stages": stages, "hbm": hbm}
    return fig
