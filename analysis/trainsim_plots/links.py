"""Link utilization over time as a heat map, links grouped by tier (NVLink, PCIe, NIC, leaf,
spine, WAN), with the busiest links named in a side panel.

Utilization of link l in time bin i = bytes_l,i / (bin_width * bandwidth_l): the fraction of
the link's nominal bandwidth that the flows crossing it used during the bin (docs/plots.md).
Each tier is a band at least a tenth of the map's height (a WAN link is not lost under 512 NIC
rows); its links share the band. The colour scale is 0 to 1; a bin above 1 (more bytes than
the link can carry, a recorder defect) is drawn in red and counted in a note rather than
stretching the scale.
"""
import re

import numpy as np
from matplotlib import colormaps
from matplotlib.figure import Figure
from matplotlib.patches import Patch

from .style import MIN_FONT_PT, tier_rank
from .trace import TraceError, as_trace

TIER_COLOURS = {"nvlink": "#76B900", "pcie": "#7F7F7F", "nic": "#4C72B0", "leaf": "#DD8452",
                "spine": "#C44E52", "wan": "#8172B2"}
MIN_TIER_SHARE = 0.1  # smallest height of a tier's band, as a share of all rows
EQUAL = 1e-9  # links whose mean utilization differs by less (relatively) form one bar


def series_utilization(trace):
    """(link rows of the series, utilization matrix rows x bins) in the order of /link_series."""
    if trace.series_bin_width <= 0 or trace.series_bytes.size == 0:
        trace.require_activities()  # not a run's trace at all: say which command writes one
        why = ("; its tensor-parallel collectives carry 0 bytes, so their NVLink traffic is not in it"
               if tp_traffic_missing(trace) else "")
        raise TraceError(f"'{trace.path}' has no link time series (/link_series is empty: no link "
                         f"carried recorded traffic{why})")
    bw = np.asarray(trace.links["bandwidth"], dtype=float)[trace.series_link]
    return trace.series_link, trace.series_bytes / (trace.series_bin_width * bw[:, None])


def name_pattern(names):
    """One label for several link names: 'dgx.n[0-3].nic[0-7]' when the names are exactly
    all the combinations of their numbers, else 'first name + N more'."""
    if len(names) == 1:
        return names[0]
    split = [re.split(r"(\d+)", n) for n in names]
    skeleton = [p[0::2] for p in split]
    if all(s == skeleton[0] for s in skeleton):
        numbers = list(zip(*[[int(x) for x in p[1::2]] for p in split]))
        sets = [sorted(set(v)) for v in numbers]
        if np.prod([len(s) for s in sets]) == len(set(names)):
            def part(values):
                if len(values) == 1:
                    return str(values[0])
                if values == list(range(values[0], values[-1] + 1)):
                    return f"[{values[0]}-{values[-1]}]"
                return "[" + ",".join(map(str, values)) + "]"
            out = skeleton[0][0]
            for values, text in zip(sets, skeleton[0][1:]):
                out += part(values) + text
            return out
    return f"{names[0]} + {len(names) - 1} more"


def busiest_groups(names, mean, peak, top):
    """The `top` groups of links with equal mean utilization, busiest first: (label, links,
    mean, peak). Equal links are one bar: 8 identical bars say less than one bar for 8."""
    order = np.argsort(-mean, kind="stable")
    groups = []
    for i in order:
        if mean[i] <= 0:
            break
        if groups and abs(groups[-1][2] - mean[i]) <= EQUAL * max(mean[i], groups[-1][2]):
            groups[-1][1].append(i)
            groups[-1][3] = max(groups[-1][3], peak[i])
        elif len(groups) == top:
            break
        else:
            groups.append([None, [i], mean[i], peak[i]])
    for g in groups:
        members = sorted(names[i] for i in g[1])
        g[0] = name_pattern(members) + (f" ({len(members)} links)" if len(members) > 1 else "")
    return [tuple(g) for g in groups]


def tp_traffic_missing(trace):
    """True when the trace has tensor-parallel collectives that carry no bytes: their traffic
    is then missing from the link series and NVLink looks idle during compute."""
    act = trace.activities
    if not act or "bytes" not in act:
        return False
    tp = act["kind"] == trace.kind("tp_comm")
    return bool(tp.any() and act["bytes"][tp].sum() == 0)


def plot_links(trace, top=10, tiers=None, start=None, end=None):
    """Heat map of per-link utilization (rows: links sorted by tier then name; columns: time
    bins) and a bar chart of the `top` busiest groups of links over the window."""
    trace = as_trace(trace)  # a Trace, a trainsim result or a trace file's path
    rows, util = series_utilization(trace)
    names = trace.links["name"]
    tier = trace.links["tier"]
    if tiers:
        unknown = sorted(set(tiers) - set(tier[r] for r in rows))
        if unknown:
            raise TraceError(f"no traffic on links of tier(s) {', '.join(unknown)} in '{trace.path}' "
                             f"(tiers with traffic: {', '.join(sorted(set(tier[r] for r in rows), key=tier_rank))})")
        keep = np.array([tier[r] in tiers for r in rows])
        rows, util = rows[keep], util[keep]
    order = sorted(range(len(rows)), key=lambda i: (tier_rank(tier[rows[i]]), names[rows[i]]))
    rows, util = rows[order], util[order]
    bins = util.shape[1]
    width = trace.series_bin_width
    t0 = 0.0 if start is None else float(start)
    t1 = bins * width if end is None else float(end)
    if t0 >= bins * width:
        raise TraceError(f"empty time window: it starts at {t0:.6g} s, after the link series ends at "
                         f"{bins * width:.6g} s (the run's end)")
    if t1 <= t0:
        raise TraceError(f"empty time window: the end {t1:.6g} s is not after the start {t0:.6g} s")
    lo, hi = int(np.floor(t0 / width)), min(bins, int(np.ceil(t1 / width)))
    util_w = util[:, lo:hi]

    fig = Figure(figsize=(15, max(4.8, min(9, 2.5 + 0.02 * len(rows)))), layout="constrained")
    grid = fig.add_gridspec(1, 3, width_ratios=[3.0, 0.07, 1.6])
    ax = fig.add_subplot(grid[0, 0])
    cax = fig.add_subplot(grid[0, 1])
    bar = fig.add_subplot(grid[0, 2])
    cmap = colormaps["viridis"].with_extremes(over="red")
    over = util_w > 1 + 1e-9
    # One band per tier, each at least MIN_TIER_SHARE of the height: the one WAN link of a
    # DiLoCo run must not be a pixel under 512 NIC rows. Rows inside a band share it equally.
    tier_rows = [tier[r] for r in rows]
    spans, first = [], 0  # (tier, first row, end row)
    for i in range(1, len(rows) + 1):
        if i == len(rows) or tier_rows[i] != tier_rows[first]:
            spans.append((tier_rows[first], first, i))
            first = i
    heights = [float(end - begin) for _, begin, end in spans]
    for _ in range(50):  # fixed point of h_t = max(rows_t, share * sum(h)); share * tiers < 1
        heights = [max(end - begin, MIN_TIER_SHARE * sum(heights)) for _, begin, end in spans]
    ticks, ticklabels, band_top = [], [], 0.0
    for (name, begin, end), h in zip(spans, heights):
        im = ax.imshow(util_w[begin:end], aspect="auto", interpolation="nearest", cmap=cmap, vmin=0, vmax=1,
                       extent=(lo * width, hi * width, band_top + h, band_top))
        ticks.append(band_top + h / 2)
        ticklabels.append(f"{name} ({end - begin})")
        if band_top > 0:
            ax.axhline(band_top, color="white", linewidth=1.5)
        band_top += h
    ax.set_ylim(band_top, 0)
    ax.set_yticks(ticks, ticklabels)
    ax.set_xlim(t0, t1)
    ax.set_xlabel("simulated time (s)")
    ax.set_ylabel("link tier (number of links)")
    notes = []
    if over.any():
        notes.append(f"{int(over.sum())} bins above the nominal bandwidth (red, up to "
                     f"{util_w.max():.2f}): the recorded bytes exceed what the link can carry")
    if tp_traffic_missing(trace):
        notes.append("tensor-parallel collectives carry 0 bytes in this trace: their NVLink "
                     "traffic is missing, not idle")
    # Notes sit between the title and the map, where they hide no bin.
    ax.set_title(f"Link utilization over time ({width * 1e3:.3g} ms bins)",
                 pad=6 + 1.5 * (MIN_FONT_PT + 1) * len(notes))
    if notes:
        ax.text(0.0, 1.01, "\n".join(notes), transform=ax.transAxes, ha="left", va="bottom",
                fontsize=MIN_FONT_PT + 1, color="#B00000", gid="note")
    fig.colorbar(im, cax=cax, extend="max" if over.any() else "neither")
    cax.set_ylabel("utilization (fraction of nominal bandwidth)")

    # Busiest links over the window: mean utilization over its bins (= bytes / (T * bandwidth)).
    mean = util_w.mean(axis=1)
    peak = util_w.max(axis=1)
    groups = busiest_groups([names[r] for r in rows], mean, peak, top)
    y = np.arange(len(groups))
    bar.barh(y, [g[2] for g in groups], color=[TIER_COLOURS.get(tier[rows[g[1][0]]], "#333333") for g in groups])
    bar.set_yticks(y, [g[0] for g in groups], fontsize=MIN_FONT_PT + 1)
    bar.invert_yaxis()
    right = max([g[2] for g in groups] + [1e-12]) * 1.45  # room for the peak labels
    bar.set_xlim(0, right)
    if right > 1:  # a utilization: no ticks past 1, the room right of it is the labels'
        bar.set_xticks(np.linspace(0, 1, 6))
    for yi, g in zip(y, groups):
        bar.text(g[2] + right * 0.01, yi, f"peak {100 * g[3]:.3g} %", va="center", fontsize=MIN_FONT_PT)
    bar.set_xlabel("mean utilization over the window (fraction)")
    links = sum(len(g[1]) for g in groups)
    bar.set_title(f"Busiest links ({links} in {len(groups)} groups of equal load)" if links > len(groups)
                  else f"Busiest {len(groups)} links")
    present = sorted(set(tier[rows[g[1][0]]] for g in groups), key=tier_rank)
    bar.legend(handles=[Patch(facecolor=TIER_COLOURS.get(t, "#333333"), label=t) for t in present],
               title="tier", fontsize=MIN_FONT_PT + 1, title_fontsize=MIN_FONT_PT + 1,
               loc="upper center", bbox_to_anchor=(0.5, -0.13), ncol=len(present))
    fig.trainsim_info = {"rows": len(rows), "tiers": [t.split(" (")[0] for t in ticklabels],
                         "busiest": [g[0] for g in groups], "notes": notes}
    return fig
