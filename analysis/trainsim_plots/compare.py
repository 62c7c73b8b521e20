"""Configurator comparison (`trainsim compare`): predicted versus simulated iteration time for
every candidate, one colour per method, the y = x line (a perfect prediction), each method's pick
as a star; and the simulated time of each method's pick side by side."""
import numpy as np
from matplotlib.figure import Figure
from matplotlib.patches import Patch

CANDIDATE_COLUMNS = ("method", "predicted_s", "simulated_s", "is_pick")
PRODUCER = "trainsim compare SCENARIO --output PREFIX"


def plot_compare(trace):
    t = trace.table("candidates", CANDIDATE_COLUMNS, PRODUCER)
    method = np.asarray(t["method"])
    pred = np.asarray(t["predicted_s"], dtype=float)
    sim = np.asarray(t["simulated_s"], dtype=float)
    pick = np.asarray(t["is_pick"], dtype=float) > 0
    oom = np.asarray(t["oom"], dtype=float) > 0 if "oom" in t else np.zeros(len(method), bool)
    methods = list(dict.fromkeys(method))
    colours = {m: f"C{i % 10}" for i, m in enumerate(methods)}
    fig = Figure(figsize=(13, 5.5))
    ax = fig.add_subplot(1, 2, 1)
    bar = fig.add_subplot(1, 2, 2)
    ok = np.isfinite(pred) & np.isfinite(sim)
    for m in methods:
        sel = (method == m) & ok
        # A method without predictions (Megatron's default) has no point here, only a bar.
        if (sel & ~pick).any():
            ax.scatter(pred[sel & ~pick], sim[sel & ~pick], s=18, color=colours[m], alpha=0.7,
                       label=f"{m} candidates")
        if (sel & pick).any():
            ax.scatter(pred[sel & pick], sim[sel & pick], s=160, marker="*", color=colours[m],
                       edgecolors="black", linewidths=0.6, label=f"{m} pick")
    if ok.any():
        lo = min(pred[ok].min(), sim[ok].min()) * 0.9
        hi = max(pred[ok].max(), sim[ok].max()) * 1.1
        ax.plot([lo, hi], [lo, hi], color="black", linestyle="--", linewidth=0.8, label="y = x")
        ax.set_xlim(lo, hi)
        ax.set_ylim(lo, hi)
    ax.set_xlabel("predicted iteration time (s)")
    ax.set_ylabel("simulated iteration time (s)")
    ax.set_title("Predicted vs simulated time per candidate")
    ax.legend(fontsize=7, ncol=2)
    ax.grid(linestyle=":", linewidth=0.5)

    # The pick of each method: its simulated time (hatched when it runs out of memory).
    picks = []
    for m in methods:
        sel = np.flatnonzero((method == m) & pick)
        if len(sel):
            picks.append((m, sim[sel[0]], oom[sel[0]], t["config"][sel[0]] if "config" in t else ""))
    x = np.arange(len(picks))
    heights = [p[1] if np.isfinite(p[1]) else 0 for p in picks]
    bars = bar.bar(x, heights, color=[colours[p[0]] for p in picks])
    for b, p in zip(bars, picks):
        if p[2]:
            b.set_hatch("//")
        bar.text(b.get_x() + b.get_width() / 2, b.get_height(),
                 ("OOM" if p[2] else f"{p[1]:.3g} s") + (f"\n{p[3]}" if p[3] else ""),
                 ha="center", va="bottom", fontsize=6)
    bar.set_xticks(x)
    bar.set_xticklabels([p[0] for p in picks], rotation=20, ha="right")
    bar.set_xlabel("method")
    bar.set_ylabel("simulated iteration time of the pick (s)")
    bar.set_title("Each method's pick")
    bar.legend(handles=[Patch(facecolor="white", edgecolor="black", label="pick that fits"),
                        Patch(facecolor="white", edgecolor="black", hatch="//", label="pick out of memory")],
               fontsize=8, loc="lower right")
    fig.tight_layout()
    fig.trainsim_info = {"methods": methods, "picks": [p[0] for p in picks],
                         "candidates": int(ok.sum())}
    return fig
