"""One self-contained HTML page from a trainsim result (docs/report.md).

`build_report(trace, provenance)` takes a result read by trainsim_plots.trace.Trace (a run trace,
a `trainsim compare` or a `trainsim sweep` file) or any object with the same attributes
(summary, summary_unit, tables, activities, kind_names, makespan, ...), and the provenance dict of
`read_provenance` (version, seed, command line, scenario text), and returns the page as text:
summary table, the plots that apply to the result, every result table, the scenario and the
provenance. Plots are PNG images inside the page (data: URIs); the page has no script and names no
other file or address, and its Content-Security-Policy forbids the browser any fetch. The same
result gives the same bytes (no clock, fixed image metadata).
"""
import base64
import html
import io
import math
import warnings

import h5py
import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402

from trainsim_plots.compare import plot_compare  # noqa: E402
from trainsim_plots.links import plot_links  # noqa: E402
from trainsim_plots.memory import plot_memory  # noqa: E402
from trainsim_plots.timeline import plot_timeline  # noqa: E402
from trainsim_plots.trace import TraceError  # noqa: E402
from trainsim_plots.utilization import plot_utilization  # noqa: E402

DPI = 100
MAX_TABLE_ROWS = 500

# What each kind of result is, by what it holds.
RESULT_KINDS = (
    ("candidates", "configurator comparison (trainsim compare)"),
    ("utilization", "DiLoCo bandwidth sweep (trainsim sweep)"),
    ("stages", "training run (trainsim run)"),
    ("collectives", "collective benchmark (trainsim run)"),
)

# Summary names shown under a name people use; others are shown with '_' as spaces.
LABELS = {
    "iteration_time": "iteration time",
    "tokens_per_s": "tokens per second",
    "tflops_per_gpu": "TFLOP/s per GPU (Megatron formula)",
    "mfu": "MFU",
    "hfu": "HFU",
    "bubble_fraction": "pipeline bubble",
    "exposed_tp": "exposed TP communication",
    "exposed_pp": "exposed PP communication",
    "exposed_dp": "exposed DP communication",
    "exposed_ep": "exposed EP communication",
    "optimizer_time": "optimizer step",
    "oom_stages": "stages out of memory",
    "hbm_per_gpu": "HBM per GPU",
    "megatron_default_s": "Megatron default, simulated",
}
PERCENT = ("mfu", "hfu", "bubble_fraction", "utilization")

CSS = """
body { font-family: "DejaVu Sans", Helvetica, Arial, sans-serif; margin: 0; color: #1b1b1b;
       background: #ffffff; }
header { background: #1f3b57; color: #ffffff; padding: 18px 32px; }
header h1 { margin: 0 0 4px 0; font-size: 24px; }
header p { margin: 0; color: #d5e1ec; }
main { padding: 8px 32px 32px 32px; }
section { margin-top: 24px; }
h2 { font-size: 19px; border-bottom: 2px solid #1f3b57; padding-bottom: 4px; }
table { border-collapse: collapse; font-size: 13px; margin: 8px 0; }
th, td { border: 1px solid #c9d1d9; padding: 3px 8px; text-align: left; }
th { background: #eef2f6; }
td.num { text-align: right; font-variant-numeric: tabular-nums; }
td.exact { color: #6a737d; font-size: 12px; }
figure { margin: 12px 0 20px 0; }
figure img { display: block; max-width: 100%; height: auto; border: 1px solid #e1e4e8; }
figcaption { color: #444; font-size: 13px; margin-top: 4px; }
pre { background: #f6f8fa; border: 1px solid #e1e4e8; padding: 10px; font-size: 12px; overflow-x: auto; }
p.note { color: #6a737d; font-size: 13px; }
"""

CSP = "default-src 'none'; img-src data:; style-src 'unsafe-inline'"


def read_provenance(path):
    """Provenance of a trace file: its root attributes, the scenario text and the textual
    summary values (`summary_text`)."""
    with h5py.File(path, "r") as f:
        attrs = {k: f.attrs[k] for k in f.attrs}
        text = f["scenario/text"].asstr()[()] if "scenario" in f and "text" in f["scenario"] else ""
        texts = ({str(n): str(v) for n, v in zip(f["summary_text/name"].asstr()[:], f["summary_text/value"].asstr()[:])}
                 if "summary_text" in f else {})
    out = {k: (v.decode() if isinstance(v, bytes) else v) for k, v in attrs.items()}
    out["scenario_text"] = str(text)
    out["summary_text"] = texts
    return out


def esc(value):
    return html.escape(str(value), quote=True)


def _significant(value, digits=4):
    if not math.isfinite(value):
        return str(value)
    if value == 0:
        return "0"
    if float(value).is_integer() and abs(value) < 1e15:
        return f"{int(value):,}"
    magnitude = int(math.floor(math.log10(abs(value))))
    decimals = max(0, digits - 1 - magnitude)
    return f"{value:,.{decimals}f}"


def human(name, value, unit):
    """A summary value as people read it: 560 ms, 82.2 TFLOP/s, 26.3 %, 80.0 GiB."""
    if not math.isfinite(value):
        return str(value)
    if unit == "s":
        for scale, suffix in ((1, "s"), (1e-3, "ms"), (1e-6, "us"), (1e-9, "ns")):
            if abs(value) >= scale or suffix == "ns":
                return f"{_significant(value / scale, 3)} {suffix}"
    if unit == "B":
        gib = value / 2**30
        return f"{gib:,.2f} GiB" if abs(gib) >= 1 else f"{value / 2**20:,.2f} MiB"
    if unit == "B/s":
        return f"{_significant(value / 1e9, 3)} GB/s"
    if unit == "FLOP/s":
        return f"{value / 1e12:,.1f} TFLOP/s"
    if unit == "1" and any(p in name for p in PERCENT):
        return f"{100 * value:.1f} %"
    if unit == "1/s":
        return f"{_significant(value, 6)} /s"
    return _significant(value) + ("" if unit in ("", "1") else " " + unit)


def label(name):
    return LABELS.get(name, name.replace("_", " "))


def result_kind(trace):
    for table, kind in RESULT_KINDS:
        if table in trace.tables:
            return kind
    return "trainsim result"


def figure_png(fig):
    """PNG bytes of a figure, the same for the same figure (no software or date metadata)."""
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=DPI, metadata={"Software": None})
    plt.close(fig)
    return buf.getvalue()


def png_size(data):
    """(width, height) from a PNG's IHDR chunk."""
    return int.from_bytes(data[16:20], "big"), int.from_bytes(data[20:24], "big")


def _has_training_activities(trace):
    kinds = trace.activities.get("kind")
    if kinds is None or len(kinds) == 0:
        return False
    wanted = {trace.kind(k) for k in ("forward", "backward", "backward_input")} - {-1}
    return bool(wanted) and bool(set(int(k) for k in set(kinds.tolist())) & wanted)


def plots_for(trace):
    """(id, title, caption, draw) of every plot that applies to the result, in page order."""
    plots = []
    if _has_training_activities(trace):
        plots.append(("timeline", "Pipeline schedule",
                      "One row per pipeline stage (its first GPU): compute in the upper band, "
                      "communication below it (analysis/plot.py timeline).",
                      lambda: plot_timeline(trace)))
    elif len(trace.activities.get("start", [])):
        plots.append(("timeline", "Activities over time",
                      "The run's activities per GPU over simulated time (analysis/plot.py timeline).",
                      lambda: plot_timeline(trace)))
    if "stages" in trace.tables:
        plots.append(("memory", "Memory per stage",
                      "Memory over the iteration and the peak per stage against the GPU's HBM "
                      "(analysis/plot.py memory).", lambda: plot_memory(trace)))
    if len(getattr(trace, "series_link", [])) and getattr(trace, "series_bin_width", 0) > 0:
        plots.append(("links", "Link utilization",
                      "Utilization of the links that carried traffic, by tier, and the busiest links "
                      "(analysis/plot.py links).", lambda: plot_links(trace)))
    if "utilization" in trace.tables:
        plots.append(("utilization", "Compute utilization versus WAN bandwidth",
                      "One line per DiLoCo method; triangles mark each method's threshold "
                      "(analysis/plot.py utilization).", lambda: plot_utilization(trace)))
    if "candidates" in trace.tables:
        plots.append(("compare", "Configurator comparison",
                      "Predicted against simulated iteration time per candidate, each method's pick "
                      "starred, and the picks side by side (analysis/plot.py compare).",
                      lambda: plot_compare(trace)))
    return plots


def _summary_section(trace, provenance):
    rows = []
    for name, value in trace.summary.items():
        unit = trace.summary_unit.get(name, "")
        rows.append(f'<tr><th scope="row">{esc(label(name))}</th><td class="num">{esc(human(name, value, unit))}'
                    f'</td><td class="exact">{esc(repr(float(value)))}{esc("" if unit in ("", "1") else " " + unit)}</td></tr>')
    texts = getattr(trace, "summary_text", None) or provenance.get("summary_text", {})
    for name, value in texts.items():
        rows.append(f'<tr><th scope="row">{esc(label(name))}</th><td>{esc(value)}</td><td></td></tr>')
    if not rows:
        return '<section id="summary"><h2>Summary</h2><p class="note">The result has no summary values.</p></section>'
    return ('<section id="summary"><h2>Summary</h2><table class="summary"><thead><tr><th>metric</th><th>value</th>'
            '<th>exact (SI units)</th></tr></thead><tbody>' + "".join(rows) + "</tbody></table></section>")


def _cell(value):
    if isinstance(value, str):
        return f"<td>{esc(value)}</td>"
    v = float(value)
    if math.isnan(v):
        return '<td class="num">-</td>'  # not applicable (the producers' NaN)
    return f'<td class="num">{esc(_significant(v, 6))}</td>'


def _tables_section(trace):
    parts = []
    for name in sorted(trace.tables):
        table = trace.tables[name]
        columns = list(table)
        n = len(table[columns[0]]) if columns else 0
        shown = min(n, MAX_TABLE_ROWS)
        head = "".join(f"<th>{esc(c)}</th>" for c in columns)
        body = "".join("<tr>" + "".join(_cell(table[c][i]) for c in columns) + "</tr>" for i in range(shown))
        more = (f'<p class="note">First {shown} of {n} rows; the result file holds them all.</p>'
                if shown < n else "")
        parts.append(f'<h3 id="table-{esc(name)}">{esc(name)} ({n} rows)</h3>'
                     f'<table class="result" data-table="{esc(name)}"><thead><tr>{head}</tr></thead>'
                     f"<tbody>{body}</tbody></table>{more}")
    if not parts:
        return ""
    return '<section id="tables"><h2>Result tables</h2>' + "".join(parts) + "</section>"


def _plots_section(trace):
    figures, skipped, warned = [], [], []
    for plot_id, title, caption, draw in plots_for(trace):
        # matplotlib's warnings about a figure go into the page, next to it, not to the
        # terminal of whoever makes the report.
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            try:
                data = figure_png(draw())
            except TraceError as e:
                skipped.append(f"{title}: {e}")
                continue
        warned += [f"{title}: matplotlib warned: {w.message}" for w in caught]
        width, height = png_size(data)
        uri = "data:image/png;base64," + base64.b64encode(data).decode("ascii")
        figures.append(f'<figure id="plot-{plot_id}" data-plot="{plot_id}"><img src="{uri}" width="{width}" '
                       f'height="{height}" alt="{esc(title)}"><figcaption>{esc(title)}. {esc(caption)}'
                       "</figcaption></figure>")
    note = "".join(f'<p class="note">Not drawn: {esc(s)}</p>' for s in skipped)
    note += "".join(f'<p class="note">{esc(w)}</p>' for w in dict.fromkeys(warned))
    if not figures and not note:
        return ""
    return '<section id="plots"><h2>Plots</h2>' + "".join(figures) + note + "</section>"


def _provenance_section(provenance, source):
    keys = (("result file", source), ("trainsim", provenance.get("trainsim_version", "")),
            ("SimGrid", provenance.get("simgrid_version", "")), ("seed", provenance.get("seed", "")),
            ("scenario file", provenance.get("scenario_file", "")),
            ("command", provenance.get("command_line", "")),
            ("trace format", f"{provenance.get('format', '')} {provenance.get('format_version', '')}".strip()))
    rows = "".join(f'<tr><th scope="row">{esc(k)}</th><td>{esc(v)}</td></tr>' for k, v in keys)
    return f'<section id="provenance"><h2>Provenance</h2><table class="provenance"><tbody>{rows}</tbody></table></section>'


def build_report(trace, provenance, source=""):
    """The whole page for `trace` (see the module docstring)."""
    scenario = provenance.get("scenario_text", "")
    name = provenance.get("scenario_file", "") or source
    title = f"trainsim report: {name.rsplit('/', 1)[-1]}" if name else "trainsim report"
    makespan = getattr(trace, "makespan", 0.0)
    subtitle = result_kind(trace) + (f" - simulated time {human('', makespan, 's')}" if makespan > 0 else "")
    scenario_section = ('<section id="scenario"><h2>Scenario</h2><pre>' + esc(scenario) + "</pre></section>"
                        if scenario else "")
    return ("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
            f'<meta http-equiv="Content-Security-Policy" content="{CSP}">'
            '<meta name="viewport" content="width=device-width, initial-scale=1">'
            f"<title>{esc(title)}</title><style>{CSS}</style></head>\n<body>"
            f"<header><h1>{esc(title)}</h1><p>{esc(subtitle)}</p></header>\n<main>"
            + _summary_section(trace, provenance) + "\n" + _plots_section(trace) + "\n" + _tables_section(trace) + "\n"
            + scenario_section + "\n" + _provenance_section(provenance, source)
            + "\n</main></body></html>\n")
