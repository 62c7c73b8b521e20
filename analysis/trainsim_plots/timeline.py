"""Pipeline schedule as a Gantt chart (like the schedule figures of Megatron-LM, Narayanan et al.
SC21, Fig. 4, and of zero-bubble pipeline parallelism, Qi et al. ICLR 2024, Fig. 3).

Each row is a GPU. Compute fills the upper lane of the row; below it, three thin lanes hold the
communication: collectives (tensor-parallel, data-parallel, ...), pipeline sends and pipeline
receives, so that overlapped communication stays visible and a send never hides a receive.
Lanes without bars are left out (a collective benchmark's row is all communication).
Compute bars carry their micro-batch number (with the chunk as a letter for interleaved
schedules) when the bar is wide enough on the figure to hold it. Communication bars are drawn at
least MIN_BAR_PX wide: a 0.4 ms receive in a 0.5 s iteration would otherwise be under a pixel.
"""
import os

import numpy as np
from matplotlib.figure import Figure
from matplotlib.patches import Patch

from .style import COMMUNICATION_KINDS, COMPUTE_KINDS, MIN_FONT_PT, kind_colour
from .trace import TraceError, as_trace

# Lanes of a row, top to bottom, and their relative heights; only lanes with bars are drawn,
# so a trace without compute (a collective benchmark) gives its communication the whole row.
LANES = (("compute", 4.0), ("collectives", 1.3), ("sends", 1.0), ("receives", 1.0))
LANE_OF_KIND = {"pp_send": "sends", "pp_recv": "receives"}
ROW_MARGIN, LANE_GAP = 0.06, 0.03  # in row units
LEGEND_LINE_INCHES = 0.2  # one legend line at 9 pt
MIN_EDGE_PX = 4.0  # narrower bars get no white edge: it would paint them white
ROW_INCHES = 0.7
LEFT_INCHES, RIGHT_INCHES = 1.5, 2.1  # row labels; legend
MIN_LABEL_PX = 11.0  # narrower compute bars are not labelled: the digits would overflow
MIN_BAR_PX = 2.0


def select_rows(trace, rows="stage", gpus=None):
    """GPU indices to draw, in drawing order (top to bottom).

    rows='stage': one GPU per pipeline stage (the lowest GPU index of the stage, i.e. TP rank 0 of
    the first data-parallel replica in Megatron's layout), which is the pipeline schedule.
    rows='gpu': every GPU that has activities (or the `gpus` subset), by index.
    """
    act = trace.activities
    used = np.unique(act["gpu"][act["gpu"] >= 0])
    if gpus is not None:
        missing = [g for g in gpus if g not in set(used.tolist())]
        if missing:
            raise TraceError(f"GPU(s) {', '.join(map(str, missing))} have no activities in '{trace.path}' "
                             f"(GPUs with activities: {_ranges(used)})")
        return [int(g) for g in gpus]
    if rows == "gpu":
        return [int(g) for g in used]
    stage = np.asarray(trace.gpus.get("stage", []))
    if len(stage) == 0 or (stage < 0).all():
        return [int(g) for g in used]  # no pipeline: one row per GPU
    chosen = []
    for s in sorted(set(int(x) for x in stage[used] if x >= 0)):
        chosen.append(int(used[stage[used] == s].min()))
    return chosen


def _ranges(values):
    """'0-31, 40' for sorted integers."""
    out, values = [], [int(v) for v in values]
    i = 0
    while i < len(values):
        j = i
        while j + 1 < len(values) and values[j + 1] == values[j] + 1:
            j += 1
        out.append(str(values[i]) if i == j else f"{values[i]}-{values[j]}")
        i = j + 1
    return ", ".join(out) or "none"


def _row_label(trace, g):
    name = trace.gpus["name"][g] if "name" in trace.gpus else f"gpu {g}"
    stage = trace.gpus.get("stage")
    if stage is not None and stage[g] >= 0:
        return f"stage {int(stage[g])}\n{name}"
    return name


def pipeline_sends(trace):
    """(gpu, start, end, step) arrays of the pipeline sends to draw.

    The trace's own pp_send activities when it has any. A trace that records only the receiving
    side of a pipeline transfer still shows the send: SimGrid moves a message as one flow, so the
    sender's link is busy exactly while the receiver's is, and each pp_recv with a peer is drawn
    on that peer too."""
    act = trace.activities
    send = act["kind"] == trace.kind("pp_send")
    if send.any():
        return act["gpu"][send], act["start"][send], act["end"][send], act["step"][send]
    recv = (act["kind"] == trace.kind("pp_recv")) & (act["peer"] >= 0)
    return act["peer"][recv], act["start"][recv], act["end"][recv], act["step"][recv]


def _in_iteration(act, keep, step):
    """Activities of iteration `step`: those recorded with it, and those recorded without an
    iteration (step -1: data-parallel reductions in the simulator's traces) that lie inside its
    span, so that zooming to an iteration hides none of its work."""
    own = act["step"] == step
    if not (keep & own).any():
        return own
    lo, hi = act["start"][keep & own].min(), act["end"][keep & own].max()
    return own | ((act["step"] < 0) & (act["start"] >= lo) & (act["end"] <= hi))


def lane_of(kind):
    return "compute" if kind in COMPUTE_KINDS else LANE_OF_KIND.get(kind, "collectives")


def lane_bands(kinds):
    """{lane: (offset from the row's top, height)} in row units for the lanes these kinds use."""
    used = [(lane, weight) for lane, weight in LANES if any(lane_of(k) == lane for k in kinds)]
    room = 1 - 2 * ROW_MARGIN - LANE_GAP * (len(used) - 1)
    total = sum(w for _, w in used)
    bands, y = {}, ROW_MARGIN
    for lane, weight in used:
        bands[lane] = (y, room * weight / total)
        y += room * weight / total + LANE_GAP
    return bands


def _window(trace, keep, start, end, step):
    """The time window (t0, t1) to draw: the whole run, or the iteration `step`, narrowed by
    `start`/`end`. Refuses windows that would draw nothing."""
    act = trace.activities
    run_end = trace.makespan
    if step is not None:
        steps = np.unique(act["step"][act["step"] >= 0])
        if int(step) not in set(steps.tolist()):
            have = f"iterations {_ranges(steps)}" if len(steps) else "no iterations"
            raise TraceError(f"iteration {step} is not in '{trace.path}' ({have})")
    t0, t1 = 0.0, run_end
    if step is not None and keep.any():
        t0, t1 = float(act["start"][keep].min()), float(act["end"][keep].max())
    t0 = t0 if start is None else float(start)
    t1 = t1 if end is None else float(end)
    if t0 >= run_end:
        raise TraceError(f"empty time window: it starts at {t0:.6g} s, after the run's end at {run_end:.6g} s")
    if t1 <= t0:
        raise TraceError(f"empty time window: the end {t1:.6g} s is not after the start {t0:.6g} s")
    if not (keep & (act["end"] > t0) & (act["start"] < t1)).any():
        raise TraceError(f"no activity of the drawn GPUs in the window {t0:.6g} s to {t1:.6g} s "
                         f"(the run spans 0 to {run_end:.6g} s)")
    return t0, t1


def plot_timeline(trace, rows="stage", gpus=None, start=None, end=None, step=None, width=14.0):
    """Gantt chart of the trace's activities; `start`/`end` (seconds) zoom to a window, `step`
    keeps one training iteration (and zooms to it unless a window is given)."""
    trace = as_trace(trace)  # a Trace, a trainsim result or a trace file's path
    trace.require_activities()
    act = trace.activities
    chosen = select_rows(trace, rows, gpus)
    row_of = {g: i for i, g in enumerate(chosen)}
    keep = np.isin(act["gpu"], chosen) & (act["kind"] != trace.kind("wait"))
    if step is not None:
        keep &= _in_iteration(act, keep, int(step))
    t0, t1 = _window(trace, keep, start, end, step)
    keep &= (act["end"] > t0) & (act["start"] < t1)

    bars = []  # (kind, gpu, start, end, micro_batch, chunk)
    for kind_value in np.unique(act["kind"][keep]):
        name = trace.kind_names[kind_value] if kind_value < len(trace.kind_names) else str(kind_value)
        if name == "pp_send":
            continue  # drawn from pipeline_sends below
        sel = keep & (act["kind"] == kind_value)
        bars.append((name, act["gpu"][sel], act["start"][sel], act["end"][sel], act["micro_batch"][sel],
                     act["chunk"][sel]))
    g, s, e, st = pipeline_sends(trace)
    sel = np.isin(g, chosen) & (e > t0) & (s < t1)
    if step is not None:
        sel &= st == int(step)
    if sel.any():
        none = np.full(sel.sum(), -1)
        bars.append(("pp_send", g[sel], s[sel], e[sel], none, none))

    bands = lane_bands([b[0] for b in bars])
    # Tall enough for the rows and for the legend (its entries and the lanes in its title).
    legend_lines = len(bars) + 3 + len(bands)
    height = max(2.5, ROW_INCHES * len(chosen) + 1.4, LEGEND_LINE_INCHES * legend_lines + 0.9)
    fig = Figure(figsize=(width, height))
    fig.subplots_adjust(left=LEFT_INCHES / width, right=1 - RIGHT_INCHES / width,
                        bottom=0.75 / height, top=1 - 0.45 / height)
    ax = fig.add_subplot(1, 1, 1)
    px_per_s = (width - LEFT_INCHES - RIGHT_INCHES) * fig.dpi / (t1 - t0)
    min_width = MIN_BAR_PX / px_per_s

    labels = 0
    kinds_drawn = []
    for name, gpu, s, e, mb, chunk in bars:
        compute = name in COMPUTE_KINDS
        band = bands[lane_of(name)]
        for row_gpu in chosen:
            m = gpu == row_gpu
            if not m.any():
                continue
            x0 = np.maximum(s[m], t0)
            x1 = np.minimum(e[m], t1)
            w = x1 - x0 if compute else np.maximum(x1 - x0, min_width)
            y = row_of[row_gpu] + band[0]
            edged = compute and np.median(w) * px_per_s >= MIN_EDGE_PX
            ax.broken_barh(list(zip(x0, w)), (y, band[1]), facecolors=kind_colour(name),
                           edgecolors="white" if edged else "none", linewidth=0.3, gid=f"kind:{name}")
            if not compute:
                continue
            for si, ei, b, c in zip(x0, x1, mb[m], chunk[m]):
                if b < 0 or (ei - si) * px_per_s < MIN_LABEL_PX * len(str(b)):
                    continue
                text = str(int(b)) + (chr(ord("a") + int(c)) if c > 0 else "")
                ax.text((si + ei) / 2, y + band[1] / 2, text, ha="center", va="center",
                        fontsize=MIN_FONT_PT, color="white" if name != "backward_input" else "black",
                        gid="micro_batch")
                labels += 1
        kinds_drawn.append(name)

    ax.set_ylim(len(chosen), 0)
    ax.set_yticks([i + 0.5 for i in range(len(chosen))])
    ax.set_yticklabels([_row_label(trace, g) for g in chosen], fontsize=MIN_FONT_PT + 1)
    ax.set_xlim(t0, t1)
    ax.set_xlabel("simulated time (s)")
    stage = np.asarray(trace.gpus.get("stage", []))
    pipeline = rows == "stage" and gpus is None and len(stage) > 0 and (stage[chosen] >= 0).all()
    ax.set_ylabel("pipeline stage (its first GPU)" if pipeline else "GPU")
    what = "pipeline schedule" if pipeline else "activities per GPU"
    window = "" if start is None and end is None else f", {t0:.4g} s to {t1:.4g} s"
    iteration = "" if step is None else f", iteration {int(step)}"
    ax.set_title(f"{_title_name(trace)}: {what}{iteration}{window}")
    order = [k for k in COMPUTE_KINDS + COMMUNICATION_KINDS if k in kinds_drawn]
    order += [k for k in kinds_drawn if k not in order]
    ax.legend(handles=[Patch(facecolor=kind_colour(k), label=k.replace("_", " ")) for k in order],
              loc="upper left", bbox_to_anchor=(1.01, 1.0), fontsize=MIN_FONT_PT + 1,
              title="activity\n(lanes of a row,\ntop to bottom:\n" + ",\n".join(bands) + ")",
              title_fontsize=MIN_FONT_PT + 1)
    ax.grid(axis="x", linestyle=":", linewidth=0.5)
    fig.trainsim_info = {"rows": chosen, "kinds": order, "micro_batch_labels": labels, "window": (t0, t1)}
    return fig


def _title_name(trace):
    return os.path.splitext(os.path.basename(trace.scenario_file))[0] or os.path.basename(trace.path)
