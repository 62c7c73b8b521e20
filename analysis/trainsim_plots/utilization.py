"""Compute utilization versus WAN bandwidth for DiLoCo methods (like Streaming DiLoCo, Douillard
et al. 2025, Fig. 4): one panel per model, one line per method, bandwidth on a log scale. With
the sweep's `thresholds` table: the utilization targets as dashed lines, each method's
simulated threshold bandwidth (the lowest reaching the target) as a filled triangle, and the
published threshold, when the scenario carries one (`published:`, copied by the sweep into the
table's `published_gbps`), as a hollow diamond of the same colour. One legend for all panels,
under them, so that it hides no curve."""
import numpy as np
from matplotlib.figure import Figure
from matplotlib.lines import Line2D

from .style import MIN_FONT_PT, series_style
from .trace import as_trace

UTIL_COLUMNS = ("model", "method", "bandwidth_gbps", "utilization")
THRESHOLD_COLUMNS = ("model", "method", "target", "exact_gbps")
PRODUCER = "trainsim sweep DILOCO_SCENARIO --trace FILE.h5"


def _unique(seq):
    return list(dict.fromkeys(seq))


def plot_utilization(trace):
    trace = as_trace(trace)  # a Trace, a trainsim result or a trace file's path
    t = trace.table("utilization", UTIL_COLUMNS, PRODUCER)
    th = trace.tables.get("thresholds")
    if th is not None and not all(c in th for c in THRESHOLD_COLUMNS):
        th = None
    models = _unique(t["model"])
    methods = _unique(t["method"])
    style = {m: series_style(i) for i, m in enumerate(methods)}
    fig = Figure(figsize=(5.5 * len(models) + 1, 5.6), layout="constrained")
    grid = fig.add_gridspec(2, len(models), height_ratios=[1, 0.16])
    axes = [fig.add_subplot(grid[0, i]) for i in range(len(models))]
    model_col = np.asarray(t["model"])
    method_col = np.asarray(t["method"])
    bw = np.asarray(t["bandwidth_gbps"], dtype=float)
    util = np.asarray(t["utilization"], dtype=float)
    lines = published = 0
    for ax, model in zip(axes, models):
        for method in methods:
            m = (model_col == model) & (method_col == method)
            if not m.any():
                continue
            order = np.argsort(bw[m])
            colour, linestyle = style[method]
            ax.plot(bw[m][order], util[m][order], marker="o", markersize=3, color=colour,
                    linestyle=linestyle, label=method)
            lines += 1
        if th is not None:
            tm = np.asarray(th["model"]) == model
            target = np.asarray(th["target"], dtype=float)[tm]
            for y in sorted(set(target)):
                ax.axhline(y, color="grey", linestyle="--", linewidth=0.8, zorder=0)
            paper = (np.asarray(th["published_gbps"], dtype=float)[tm] if "published_gbps" in th
                     else np.full(tm.sum(), np.nan))
            for method, y, x, p in zip(np.asarray(th["method"])[tm], target,
                                       np.asarray(th["exact_gbps"], dtype=float)[tm], paper):
                colour = style.get(method, ("black",))[0]
                if np.isfinite(x) and x > 0:
                    ax.plot([x], [y], marker="v", markersize=8, color=colour, linestyle="none",
                            gid="threshold")
                if np.isfinite(p) and p > 0:
                    ax.plot([p], [y], marker="D", markersize=8, markerfacecolor="none",
                            markeredgecolor=colour, markeredgewidth=1.5, linestyle="none", gid="published")
                    published += 1
        ax.set_xscale("log")
        ax.set_ylim(0, 1.03)
        ax.set_xlabel("WAN bandwidth (Gbit/s, log scale)")
        ax.set_ylabel("compute utilization (fraction)")
        ax.set_title(f"{model}: compute utilization vs bandwidth")
        ax.grid(which="both", linestyle=":", linewidth=0.5)

    handles = [Line2D([], [], color=style[m][0], linestyle=style[m][1], marker="o", markersize=3, label=m)
               for m in methods]
    if th is not None:
        handles.append(Line2D([], [], color="grey", linestyle="--", linewidth=0.8, label="utilization target"))
        handles.append(Line2D([], [], color="black", marker="v", markersize=8, linestyle="none",
                              label="simulated threshold (lowest bandwidth reaching the target)"))
    if published:
        handles.append(Line2D([], [], marker="D", markersize=8, markerfacecolor="none",
                              markeredgecolor="black", markeredgewidth=1.5, linestyle="none",
                              label="published threshold (scenario's 'published:')"))
    key = fig.add_subplot(grid[1, :])
    key.axis("off")
    key.legend(handles=handles, loc="center", ncol=min(len(handles), 4 if len(models) > 1 else 2),
               fontsize=MIN_FONT_PT + 1, title="method", title_fontsize=MIN_FONT_PT + 1, frameon=False)
    fig.trainsim_info = {"models": models, "methods": methods, "lines": lines, "published": published}
    return fig
