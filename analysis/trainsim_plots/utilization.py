"""Compute utilization versus WAN bandwidth for DiLoCo methods (like Streaming DiLoCo, Douillard
et al. 2025, Fig. 4): one panel per model, one line per method, bandwidth on a log scale, the
utilization targets as dashed lines and each method's threshold bandwidth (the lowest bandwidth
reaching the target) as a marker when the `thresholds` table is present."""
import numpy as np
from matplotlib.figure import Figure

UTIL_COLUMNS = ("model", "method", "bandwidth_gbps", "utilization")
THRESHOLD_COLUMNS = ("model", "method", "target", "exact_gbps")
PRODUCER = "trainsim sweep DILOCO_SCENARIO --trace FILE.h5"


def _unique(seq):
    return list(dict.fromkeys(seq))


def plot_utilization(trace):
    t = trace.table("utilization", UTIL_COLUMNS, PRODUCER)
    th = trace.tables.get("thresholds")
    models = _unique(t["model"])
    methods = _unique(t["method"])
    colours = {m: f"C{i % 10}" for i, m in enumerate(methods)}
    fig = Figure(figsize=(5.5 * len(models) + 1, 4.5))
    axes = [fig.add_subplot(1, len(models), i + 1) for i in range(len(models))]
    model_col = np.asarray(t["model"])
    method_col = np.asarray(t["method"])
    bw = np.asarray(t["bandwidth_gbps"], dtype=float)
    util = np.asarray(t["utilization"], dtype=float)
    lines = 0
    for ax, model in zip(axes, models):
        for method in methods:
            m = (model_col == model) & (method_col == method)
            if not m.any():
                continue
            order = np.argsort(bw[m])
            ax.plot(bw[m][order], util[m][order], marker="o", markersize=3, color=colours[method],
                    label=method)
            lines += 1
        if th is not None and all(c in th for c in THRESHOLD_COLUMNS):
            tm = np.asarray(th["model"]) == model
            for target in sorted(set(np.asarray(th["target"], dtype=float)[tm])):
                ax.axhline(target, color="grey", linestyle="--", linewidth=0.8)
            for method, target, x in zip(np.asarray(th["method"])[tm],
                                         np.asarray(th["target"], dtype=float)[tm],
                                         np.asarray(th["exact_gbps"], dtype=float)[tm]):
                if np.isfinite(x) and x > 0:
                    ax.plot([x], [target], marker="v", markersize=8,
                            color=colours.get(method, "black"), linestyle="none")
        ax.set_xscale("log")
        ax.set_ylim(0, 1.02)
        ax.set_xlabel("WAN bandwidth (Gbit/s, log scale)")
        ax.set_ylabel("compute utilization (fraction)")
        ax.set_title(f"{model}: compute utilization vs bandwidth")
        ax.grid(which="both", linestyle=":", linewidth=0.5)
        ax.legend(fontsize=8, title="method (v: threshold)", title_fontsize=8)
    fig.tight_layout()
    fig.trainsim_info = {"models": models, "methods": methods, "lines": lines}
    return fig
