"""Configurator comparison (`trainsim compare`): predicted versus simulated iteration time for
every candidate, one colour per method, the y = x line (a perfect prediction), each method's pick
as a star and out-of-memory candidates ringed in red; and the simulated time of each method's
pick side by side, labelled with its configuration and rank mapping, out-of-memory picks hatched
in red."""
import textwrap

import numpy as np
from matplotlib.figure import Figure
from matplotlib.patches import Patch

from .style import MIN_FONT_PT, series_style
from .trace import as_trace

CANDIDATE_COLUMNS = ("method", "predicted_s", "simulated_s", "is_pick")
PRODUCER = "trainsim compare SCENARIO --output PREFIX"
OOM_COLOUR = "#B00000"


def _column(t, name, n, default):
    return np.asarray(t[name]) if name in t else np.full(n, default)


def mapping_names(mappings):
    """Short names for the rank mappings of the picks: 'default order' for Megatron's, and
    'mapping A', 'mapping B', ... for each distinct other one (two picks with the same
    configuration but different mappings must not look alike)."""
    names, letters = {}, iter("ABCDEFGHIJKLMNOPQRSTUVWXYZ")
    for m in mappings:
        if m not in names:
            names[m] = "default order" if m in ("", "default") else f"mapping {next(letters)}"
    return names


def plot_compare(trace):
    trace = as_trace(trace)  # a Trace, a trainsim result or a trace file's path
    t = trace.table("candidates", CANDIDATE_COLUMNS, PRODUCER)
    method = np.asarray(t["method"])
    n = len(method)
    pred = np.asarray(t["predicted_s"], dtype=float)
    sim = np.asarray(t["simulated_s"], dtype=float)
    pick = np.asarray(t["is_pick"], dtype=float) > 0
    oom = _column(t, "oom", n, 0.0).astype(float) > 0
    config = _column(t, "config", n, "")
    mapping = _column(t, "mapping", n, "default")
    methods = list(dict.fromkeys(method))
    colours = {m: series_style(i)[0] for i, m in enumerate(methods)}
    fig = Figure(figsize=(15, 6.5), layout="constrained")
    ax, bar = fig.subplots(1, 2, gridspec_kw={"width_ratios": [1.0, 1.15]})

    ok = np.isfinite(pred) & np.isfinite(sim)
    # Picks are drawn largest first so that two methods picking the same plan both show.
    for k, m in enumerate(methods):
        sel = (method == m) & ok
        # A method without predictions (Megatron's default) has no point here, only a bar.
        if (sel & ~pick).any():
            ax.scatter(pred[sel & ~pick], sim[sel & ~pick], s=28, color=colours[m], alpha=0.8,
                       label=f"{m} candidates", zorder=2)
        if (sel & pick).any():
            ax.scatter(pred[sel & pick], sim[sel & pick], s=320 - 200 * k / max(1, len(methods) - 1),
                       marker="*", color=colours[m], edgecolors="black", linewidths=0.6,
                       label=f"{m} pick", zorder=3 + k)
    if (ok & oom).any():
        ax.scatter(pred[ok & oom], sim[ok & oom], s=260, marker="o", facecolors="none",
                   edgecolors=OOM_COLOUR, linewidths=1.8, zorder=3 + len(methods),
                   label="out of memory (ringed)", gid="oom")
    if ok.any():
        lo = min(pred[ok].min(), sim[ok].min()) * 0.95
        hi = max(pred[ok].max(), sim[ok].max()) * 1.05
        ax.plot([lo, hi], [lo, hi], color="black", linestyle="--", linewidth=0.8, label="y = x (exact)")
        ax.set_xlim(lo, hi)
        ax.set_ylim(lo, hi)
    ax.set_xlabel("predicted iteration time (s)")
    ax.set_ylabel("simulated iteration time (s)")
    ax.set_title("Predicted vs simulated time per candidate\n(above the line: prediction too optimistic)")
    ax.legend(fontsize=MIN_FONT_PT + 1, loc="upper left", bbox_to_anchor=(0.0, -0.12), ncol=3)
    ax.grid(linestyle=":", linewidth=0.5)

    # The pick of each method: its simulated time, configuration and mapping.
    rows = [(m, int(np.flatnonzero((method == m) & pick)[0])) for m in methods if ((method == m) & pick).any()]
    names = mapping_names([mapping[i] for _, i in rows])
    times = np.array([sim[i] for _, i in rows])
    best = np.nanmin(times) if np.isfinite(times).any() else np.nan
    x = np.arange(len(rows))
    bars = bar.bar(x, np.where(np.isfinite(times), times, 0), color=[colours[m] for m, _ in rows])
    for b, (m, i), s in zip(bars, rows, times):
        if oom[i]:
            b.set_hatch("//")
            b.set_edgecolor(OOM_COLOUR)
            b.set_linewidth(1.5)
        if not np.isfinite(s):
            text = "not simulated"
        else:
            text = f"{s:#.4g} s" + ("" if s == best else f"\n+{100 * (s / best - 1):.1f} %")
        if oom[i]:
            text += "\nout of memory"
        bar.text(b.get_x() + b.get_width() / 2, b.get_height(), text, ha="center", va="bottom",
                 fontsize=MIN_FONT_PT + 1, color=OOM_COLOUR if oom[i] else "black")
    top = np.nanmax(times) if np.isfinite(times).any() else 1.0
    bar.set_ylim(0, top * 1.22)  # room for the labels above the bars
    bar.set_xticks(x, [f"{m}\n{config[i]}\n{names[mapping[i]]}" for m, i in rows], fontsize=MIN_FONT_PT + 1)
    key = [f"{name} = {m}" for m, name in names.items() if name != "default order"]
    bar.set_xlabel("\n".join(textwrap.wrap("; ".join(key), 90)) if key
                   else "method's pick (all in Megatron's default rank order)")
    bar.set_ylabel("simulated iteration time of the pick (s)")
    bar.set_title("Each method's pick (+%: slower than the fastest pick)")
    bar.legend(handles=[Patch(facecolor="white", edgecolor="black", label="pick that fits"),
                        Patch(facecolor="white", edgecolor=OOM_COLOUR, hatch="//", label="pick out of memory")],
               fontsize=MIN_FONT_PT + 1, loc="upper left", bbox_to_anchor=(1.01, 1.0))
    fig.trainsim_info = {"methods": methods, "picks": [m for m, _ in rows],
                         "oom_picks": [m for m, i in rows if oom[i]], "candidates": int(ok.sum())}
    return fig
