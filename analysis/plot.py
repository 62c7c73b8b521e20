#!/usr/bin/python3
"""Plots of trainsim traces. One command, one subcommand per plot (docs/plots.md):

  analysis/plot.py timeline    TRACE.h5 -o timeline.png [--rows stage|gpu] [--gpus 0,8] [--start S --end S]
  analysis/plot.py links       TRACE.h5 -o links.png [--top N] [--tiers nic,leaf]
  analysis/plot.py memory      TRACE.h5 -o memory.png [--hbm 80GiB]
  analysis/plot.py utilization SWEEP.h5 -o utilization.png
  analysis/plot.py compare     COMPARE.h5 -o compare.png

Uses Debian's /usr/bin/python3 with h5py and matplotlib (Agg backend: no display needed).
Arguments that cannot give a meaningful plot (a window past the run, an iteration or GPU the
trace lacks, --top 0) are refused with one line and exit 2, before anything is written. The
image is written like every trainsim output (trainsim_plots/output.py): a regular file only,
atomically, parent folders created, an existing file replaced only with --force.
"""
import argparse
import math
import os
import re
import sys

import matplotlib

matplotlib.use("Agg")

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from trainsim_plots.compare import plot_compare  # noqa: E402
from trainsim_plots.links import plot_links  # noqa: E402
from trainsim_plots.memory import plot_memory  # noqa: E402
from trainsim_plots.output import OutputError, OutputFile  # noqa: E402
from trainsim_plots.timeline import plot_timeline  # noqa: E402
from trainsim_plots.trace import Trace, TraceError  # noqa: E402
from trainsim_plots.utilization import plot_utilization  # noqa: E402

EXAMPLES = {
    "timeline": "analysis/plot.py timeline run.h5 -o timeline.png --start 0 --end 0.2",
    "links": "analysis/plot.py links run.h5 -o links.png --top 12",
    "memory": "analysis/plot.py memory run.h5 -o memory.png",
    "utilization": "analysis/plot.py utilization sweep.h5 -o utilization.png",
    "compare": "analysis/plot.py compare compare.h5 -o compare.png",
}

SIZE_UNITS = {"B": 1, "KiB": 1 << 10, "MiB": 1 << 20, "GiB": 1 << 30, "TiB": 1 << 40,
              "KB": 1e3, "MB": 1e6, "GB": 1e9, "TB": 1e12}


def size_bytes(text):
    m = re.fullmatch(r"\s*([0-9]*\.?[0-9]+)\s*([A-Za-z]+)\s*", text)
    if not m or m.group(2) not in SIZE_UNITS:
        raise argparse.ArgumentTypeError(f"'{text}' is not a size with a unit (e.g. 80GiB, 141GB)")
    value = float(m.group(1)) * SIZE_UNITS[m.group(2)]
    if not 1 << 20 <= value <= 1 << 50:
        raise argparse.ArgumentTypeError(f"'{text}' is not a plausible memory per GPU; expected 1MiB to 1PiB")
    return value


def gpu_list(text):
    try:
        gpus = [int(x) for x in text.split(",") if x.strip()]
    except ValueError:
        gpus = []
    if not gpus or min(gpus) < 0:
        raise argparse.ArgumentTypeError(f"'{text}' is not a comma-separated list of GPU indices (e.g. 0,8,16)")
    if len(set(gpus)) != len(gpus):
        raise argparse.ArgumentTypeError(f"'{text}' names a GPU twice")
    return gpus


def int_in(lo, hi, what):
    def parse(text):
        try:
            v = int(text)
        except ValueError:
            v = None
        if v is None or not lo <= v <= hi:
            raise argparse.ArgumentTypeError(f"'{text}' is not {what}; expected an integer from {lo} to {hi}")
        return v
    return parse


def seconds(text):
    try:
        v = float(text)
    except ValueError:
        v = math.nan
    if not math.isfinite(v) or v < 0:
        raise argparse.ArgumentTypeError(f"'{text}' is not a simulated time; expected seconds >= 0 (e.g. 0.25)")
    return v


def tier_list(text):
    tiers = [t for t in text.split(",") if t.strip()]
    if not tiers:
        raise argparse.ArgumentTypeError(f"'{text}' names no tier; expected e.g. nvlink,nic")
    return [t.strip() for t in tiers]


class Parser(argparse.ArgumentParser):
    """argparse with one-line errors: 'plot.py links: error: argument --top: ...'."""

    def error(self, message):
        self.exit(2, f"{self.prog}: error: {message} (see {self.prog} --help)\n")


def parser():
    p = Parser(prog="analysis/plot.py", description="Plots of trainsim HDF5 traces.",
               epilog="example:\n  " + EXAMPLES["timeline"],
               formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = p.add_subparsers(dest="command", required=True, metavar="COMMAND", parser_class=Parser)

    def command(name, help_text, trace_help):
        c = sub.add_parser(name, help=help_text, description=help_text,
                           epilog="example:\n  " + EXAMPLES[name] + "\n",
                           formatter_class=argparse.RawDescriptionHelpFormatter)
        c.add_argument("trace", metavar="TRACE.h5", help=trace_help)
        c.add_argument("-o", "--output", metavar="FILE", required=True,
                       help="image to write (.png, .svg or .pdf, by extension); missing folders are created")
        c.add_argument("--force", action="store_true", help="replace an existing output file")
        c.add_argument("--dpi", type=int_in(20, 1200, "a resolution"), default=120,
                       help="resolution of raster images, 20 to 1200 (default 120)")
        return c

    def window(c):
        c.add_argument("--start", type=seconds, help="start of the time window (s, inside the run)")
        c.add_argument("--end", type=seconds, help="end of the time window (s, after --start)")

    c = command("timeline", "pipeline schedule as a Gantt chart (one row per stage or per GPU)",
                "trace of 'trainsim run ... --trace'")
    rows = c.add_mutually_exclusive_group()
    rows.add_argument("--rows", choices=("stage", "gpu"), default="stage",
                      help="one row per pipeline stage (its first GPU; default) or per GPU")
    rows.add_argument("--gpus", type=gpu_list, help="one row for each of these GPU indices (comma-separated)")
    window(c)
    c.add_argument("--step", type=int_in(0, 1 << 31, "an iteration"),
                   help="only activities of this training iteration (0 is the first)")
    c = command("links", "link utilization over time as a heat map, links by tier, busiest links named",
                "trace of 'trainsim run ... --trace'")
    c.add_argument("--top", type=int_in(1, 100, "a number of links"), default=10,
                   help="number of busiest links (or groups of equally busy links) named, 1 to 100 (default 10)")
    c.add_argument("--tiers", type=tier_list,
                   help="only these tiers (comma-separated: nvlink,nic,leaf,spine,wan)")
    window(c)
    c = command("memory", "memory per GPU over the run and peak per stage against HBM",
                "trace of 'trainsim run TRAINING_SCENARIO --trace'")
    c.add_argument("--hbm", type=size_bytes, help="HBM line (default: the trace's hbm_per_gpu)")
    command("utilization", "compute utilization vs WAN bandwidth for DiLoCo methods (log scale)",
            "file of 'trainsim sweep ... --trace'")
    command("compare", "configurator comparison: predicted vs simulated time, each method's pick",
            "file PREFIX.h5 of 'trainsim compare ... --output PREFIX'")
    return p


def render(args):
    trace = Trace(args.trace)
    if args.command == "timeline":
        return plot_timeline(trace, rows=args.rows, gpus=args.gpus, start=args.start, end=args.end,
                             step=args.step)
    if args.command == "links":
        return plot_links(trace, top=args.top, tiers=args.tiers, start=args.start, end=args.end)
    if args.command == "memory":
        return plot_memory(trace, hbm=args.hbm)
    if args.command == "utilization":
        return plot_utilization(trace)
    return plot_compare(trace)


def main(argv=None):
    args = parser().parse_args(argv)
    prog = f"plot.py {args.command}"
    try:
        out = OutputFile(args.output, force=args.force, inputs=[args.trace])  # before drawing
        fig = render(args)
        out.write_figure(fig, args.dpi)
    except (TraceError, OutputError) as e:
        print(f"{prog}: error: {e}", file=sys.stderr)
        return 2
    print(f"{args.command} plot written to {args.output}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
