"""Link utilization over time as a heat map, links grouped by tier (NVLink, PCIe, NIC, leaf,
spine, WAN), with the busiest links named in a side panel.

Utilization of link l in time bin i = bytes_l,i / (bin_width * bandwidth_l): the fraction of
the link's nominal bandwidth that the flows crossing it used during the bin (docs/plots.md).
"""
import numpy as np
from matplotlib.figure import Figure
from matplotlib.patches import Patch

from .style import tier_rank
from .trace import TraceError

TIER_COLOURS = {"nvlink": "#76B900", "pcie": "#999999", "nic": "#4C72B0", "leaf": "#DD8452",
                "spine": "#C44E52", "wan": "#8172B2"}


def series_utilization(trace):
    """(link rows of the series, utilization matrix rows x bins) in the order of /link_series."""
    if trace.series_bin_width <= 0 or trace.series_bytes.size == 0:
        raise TraceError(f"'{trace.path}' has no link time series (/link_series is empty); "
                         "traces of 'trainsim run ... --trace' carry one when links carried traffic")
    bw = np.asarray(trace.links["bandwidth"], dtype=float)[trace.series_link]
    return trace.series_link, trace.series_bytes / (trace.series_bin_width * bw[:, None])


def plot_links(trace, top=10, tiers=None, start=None, end=None):
    """Heat map of per-link utilization (rows: links sorted by tier then name; columns: time
    bins) and a bar chart of the `top` links with the highest utilization over the run."""
    rows, util = series_utilization(trace)
    names = trace.links["name"]
    tier = trace.links["tier"]
    if tiers:
        unknown = sorted(set(tiers) - set(tier))
        if unknown:
            raise TraceError(f"no links of tier(s) {', '.join(unknown)} in '{trace.path}' "
                             f"(tiers: {', '.join(sorted(set(tier), key=tier_rank))})")
        keep = np.array([tier[r] in tiers for r in rows])
        rows, util = rows[keep], util[keep]
    order = sorted(range(len(rows)), key=lambda i: (tier_rank(tier[rows[i]]), names[rows[i]]))
    rows, util = rows[order], util[order]
    bins = util.shape[1]
    width = trace.series_bin_width
    t0 = 0.0 if start is None else float(start)
    t1 = bins * width if end is None else float(end)
    lo, hi = int(np.floor(t0 / width)), int(np.ceil(t1 / width))
    util_w = util[:, max(lo, 0):min(hi, bins)]

    fig = Figure(figsize=(14, max(4.5, min(12, 2 + 0.02 * len(rows)))))
    grid = fig.add_gridspec(1, 3, width_ratios=[3.2, 0.08, 1.3], wspace=0.35)
    ax = fig.add_subplot(grid[0, 0])
    cax = fig.add_subplot(grid[0, 1])
    bar = fig.add_subplot(grid[0, 2])
    vmax = max(1.0, float(np.nanmax(util_w)) if util_w.size else 1.0)
    im = ax.imshow(util_w, aspect="auto", interpolation="nearest", cmap="viridis", vmin=0, vmax=vmax,
                   extent=(max(lo, 0) * width, min(hi, bins) * width, len(rows), 0))
    # Tier bands: a line between tiers and the tier's name centred on its rows.
    ticks, ticklabels, start_row = [], [], 0
    tier_rows = [tier[r] for r in rows]
    for i in range(1, len(rows) + 1):
        if i == len(rows) or tier_rows[i] != tier_rows[start_row]:
            ticks.append((start_row + i) / 2)
            ticklabels.append(f"{tier_rows[start_row]} ({i - start_row})")
            if i < len(rows):
                ax.axhline(i, color="white", linewidth=1.0)
            start_row = i
    ax.set_yticks(ticks)
    ax.set_yticklabels(ticklabels)
    ax.set_xlim(t0, t1)
    ax.set_xlabel("simulated time (s)")
    ax.set_ylabel("link tier (number of links)")
    ax.set_title(f"Link utilization over time ({width * 1e3:.3g} ms bins)")
    fig.colorbar(im, cax=cax, label="utilization (fraction of nominal bandwidth)")

    # Busiest links over the run: mean utilization over all bins (= bytes / (T * bandwidth)).
    mean = util.mean(axis=1)
    best = np.argsort(-mean, kind="stable")[:top]
    best = best[mean[best] > 0]
    y = np.arange(len(best))
    bar.barh(y, mean[best], color=[TIER_COLOURS.get(tier[rows[i]], "#333333") for i in best])
    bar.set_yticks(y)
    bar.set_yticklabels([names[rows[i]] for i in best], fontsize=7)
    bar.invert_yaxis()
    bar.set_xlabel("mean utilization over the run (fraction)")
    bar.set_title(f"Busiest {len(best)} links")
    present = sorted(set(tier[rows[i]] for i in best), key=tier_rank)
    bar.legend(handles=[Patch(facecolor=TIER_COLOURS.get(t, "#333333"), label=t) for t in present],
               title="tier", fontsize=8, loc="lower right")
    fig.subplots_adjust(left=0.1, right=0.97, bottom=0.1, top=0.92)
    fig.trainsim_info = {"rows": len(rows), "tiers": [t.split(" (")[0] for t in ticklabels],
                         "busiest": [names[rows[i]] for i in best]}
    return fig
