#!/usr/bin/python3
"""Plots of trainsim traces. One command, one subcommand per plot (docs/plots.md):

  analysis/plot.py timeline    TRACE.h5 -o timeline.png [--rows stage|gpu] [--gpus 0,8] [--start S --end S]
  analysis/plot.py links       TRACE.h5 -o links.png [--top N] [--tiers nic,leaf]
  analysis/plot.py memory      TRACE.h5 -o memory.png [--hbm 80GiB]
  analysis/plot.py utilization SWEEP.h5 -o utilization.png
  analysis/plot.py compare     COMPARE.h5 -o compare.png

Uses Debian's /usr/bin/python3 with h5py and matplotlib (Agg backend: no display needed).
"""
import argparse
import os
import re
import sys

import matplotlib

matplotlib.use("Agg")

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from trainsim_plots.compare import plot_compare  # noqa: E402
from trainsim_plots.links import plot_links  # noqa: E402
from trainsim_plots.memory import plot_memory  # noqa: E402
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
    return float(m.group(1)) * SIZE_UNITS[m.group(2)]


def gpu_list(text):
    try:
        return [int(x) for x in text.split(",") if x.strip()]
    except ValueError:
        raise argparse.ArgumentTypeError(f"'{text}' is not a comma-separated list of GPU indices (e.g. 0,8,16)")


def parser():
    p = argparse.ArgumentParser(prog="analysis/plot.py", description="Plots of trainsim HDF5 traces.",
                                epilog="example:\n  " + EXAMPLES["timeline"],
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = p.add_subparsers(dest="command", required=True, metavar="COMMAND")

    def command(name, help_text, trace_help):
        c = sub.add_parser(name, help=help_text, description=help_text,
                           epilog="example:\n  " + EXAMPLES[name] + "\n",
                           formatter_class=argparse.RawDescriptionHelpFormatter)
        c.add_argument("trace", metavar="TRACE.h5", help=trace_help)
        c.add_argument("-o", "--output", metavar="FILE", required=True,
                       help="image to write (.png, .svg or .pdf, by extension)")
        c.add_argument("--force", action="store_true", help="overwrite an existing output file")
        c.add_argument("--dpi", type=int, default=120, help="resolution of raster images (default 120)")
        return c

    c = command("timeline", "pipeline schedule as a Gantt chart (one row per stage or per GPU)",
                "trace of 'trainsim run ... --trace'")
    c.add_argument("--rows", choices=("stage", "gpu"), default="stage",
                   help="one row per pipeline stage (its first GPU; default) or per GPU")
    c.add_argument("--gpus", type=gpu_list, help="draw these GPU indices (comma-separated) instead")
    c.add_argument("--start", type=float, help="start of the time window (s)")
    c.add_argument("--end", type=float, help="end of the time window (s)")
    c.add_argument("--step", type=int, help="only activities of this training iteration")
    c = command("links", "link utilization over time as a heat map, links by tier, busiest links named",
                "trace of 'trainsim run ... --trace'")
    c.add_argument("--top", type=int, default=10, help="number of busiest links named (default 10)")
    c.add_argument("--tiers", type=lambda s: [t for t in s.split(",") if t],
                   help="only these tiers (comma-separated: nvlink,nic,leaf,spine,wan)")
    c.add_argument("--start", type=float, help="start of the time window (s)")
    c.add_argument("--end", type=float, help="end of the time window (s)")
    c = command("memory", "memory per GPU over the iteration and peak per stage against HBM",
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
    if os.path.exists(args.output) and not args.force:
        print(f"plot.py: '{args.output}' exists; pass --force to overwrite it", file=sys.stderr)
        return 2
    folder = os.path.dirname(args.output)
    if folder and not os.path.isdir(folder):
        print(f"plot.py: output folder '{folder}' does not exist (create it with: mkdir -p {folder})",
              file=sys.stderr)
        return 2
    try:
        fig = render(args)
    except TraceError as e:
        print(f"plot.py: {e}", file=sys.stderr)
        return 2
    fig.savefig(args.output, dpi=args.dpi)
    print(f"{args.command} plot written to {args.output}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
