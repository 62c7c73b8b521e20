"""Pipeline schedule as a Gantt chart (like the schedule figures of Megatron-LM, Narayanan et al.
SC21, Fig. 4, and of zero-bubble pipeline parallelism, Qi et al. ICLR 2024, Fig. 3).

Each row is a GPU; compute activities fill the upper band of the row, communication a thinner
band below it, so that overlapped communication stays visible. Compute bars carry their
micro-batch number (with the chunk as a letter for interleaved schedules) when the bar is wide
enough on the figure to hold it.
"""
import numpy as np
from matplotlib.figure import Figure
from matplotlib.patches import Patch

from .style import COMMUNICATION_KINDS, COMPUTE_KINDS, kind_colour
from .trace import TraceError

COMPUTE_BAND = (0.38, 0.56)  # (offset from the row's top, height) in row units
COMM_BAND = (0.06, 0.28)
MIN_LABEL_PX = 11.0  # narrower bars are not labelled: the digits would overflow


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
            raise TraceError(f"GPU(s) {missing} have no activities in '{trace.path}' "
                             f"(GPUs with activities: 0..{int(used.max()) if len(used) else -1})")
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


def _row_label(trace, g):
    name = trace.gpus["name"][g] if "name" in trace.gpus else f"gpu {g}"
    stage = trace.gpus.get("stage")
    if stage is not None and stage[g] >= 0:
        return f"stage {int(stage[g])}\n{name}"
    return name


def plot_timeline(trace, rows="stage", gpus=None, start=None, end=None, step=None,
                  width=14.0):
    """Gantt chart of the trace's activities; `start`/`end` (seconds) zoom to a window, `step`
    keeps one training iteration."""
    trace.require_activities()
    act = trace.activities
    t0 = 0.0 if start is None else float(start)
    t1 = trace.makespan if end is None else float(end)
    if t1 <= t0:
        raise TraceError(f"empty time window: start {t0} s >= end {t1} s")
    chosen = select_rows(trace, rows, gpus)
    row_of = {g: i for i, g in enumerate(chosen)}
    height = max(2.5, 0.55 * len(chosen) + 1.6)
    fig = Figure(figsize=(width, height))
    ax = fig.add_subplot(1, 1, 1)
    ax_px = width * fig.dpi * 0.8  # approximate axes width in pixels (default margins)

    keep = np.isin(act["gpu"], chosen) & (act["end"] > t0) & (act["start"] < t1)
    if step is not None:
        keep &= act["step"] == int(step)
    kinds_drawn = []
    labels = 0
    for kind_value in np.unique(act["kind"][keep]):
        name = trace.kind_names[kind_value] if kind_value < len(trace.kind_names) else str(kind_value)
        if name == "wait":
            continue  # idle time is the white space between bars
        band = COMPUTE_BAND if name in COMPUTE_KINDS else COMM_BAND
        sel = keep & (act["kind"] == kind_value)
        for g in chosen:
            m = sel & (act["gpu"] == g)
            if not m.any():
                continue
            s = np.maximum(act["start"][m], t0)
            e = np.minimum(act["end"][m], t1)
            y = row_of[g] + band[0]
            ax.broken_barh(list(zip(s, e - s)), (y, band[1]), facecolors=kind_colour(name),
                           edgecolors="white", linewidth=0.3, gid=f"kind:{name}")
            if name in COMPUTE_KINDS:
                mb = act["micro_batch"][m]
                chunk = act["chunk"][m]
                for si, ei, b, c in zip(s, e, mb, chunk):
                    if b < 0 or (ei - si) / (t1 - t0) * ax_px < MIN_LABEL_PX * len(str(b)):
                        continue
                    text = str(int(b)) + (chr(ord("a") + int(c)) if c > 0 else "")
                    ax.text((si + ei) / 2, y + band[1] / 2, text, ha="center", va="center",
                            fontsize=7, color="white" if name != "backward_input" else "black",
                            gid="micro_batch")
                    labels += 1
        kinds_drawn.append(name)

    ax.set_ylim(len(chosen), 0)
    ax.set_yticks([i + 0.5 for i in range(len(chosen))])
    ax.set_yticklabels([_row_label(trace, g) for g in chosen], fontsize=8)
    ax.set_xlim(t0, t1)
    ax.set_xlabel("simulated time (s)")
    ax.set_ylabel("GPU" if rows == "gpu" or gpus is not None else "pipeline stage (its first GPU)")
    what = "pipeline schedule" if rows == "stage" and gpus is None else "activities per GPU"
    window = "" if start is None and end is None else f", {t0:.4g} s to {t1:.4g} s"
    ax.set_title(f"{_title_name(trace)}: {what}{window}")
    order = [k for k in COMPUTE_KINDS + COMMUNICATION_KINDS if k in kinds_drawn]
    order += [k for k in kinds_drawn if k not in order]
    ax.legend(handles=[Patch(facecolor=kind_colour(k), label=k.replace("_", " ")) for k in order],
              loc="upper left", bbox_to_anchor=(1.005, 1.0), fontsize=8, title="activity\n(compute above,\ncommunication below)", title_fontsize=8)
    ax.grid(axis="x", linestyle=":", linewidth=0.5)
    fig.tight_layout()
    fig.trainsim_info = {"rows": chosen, "kinds": order, "micro_batch_labels": labels}
    return fig


def _title_name(trace):
    import os
    return os.path.splitext(os.path.basename(trace.scenario_file))[0] or os.path.basename(trace.path)
