#!/usr/bin/python3
"""A trainsim result as one self-contained HTML page, on stdout (docs/report.md).

  analysis/report.py RESULT.h5 > report.html

`trainsim report RESULT.h5` runs this and writes the page by trainsim's output rules (atomic,
regular files only, no silent replacement); use it rather than a shell redirection. Exit code 2
with one line on stderr when RESULT is not a trainsim result.
"""
import argparse
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from report_html import build_report, read_provenance  # noqa: E402
from trainsim_plots.trace import Trace, TraceError  # noqa: E402


def main(argv=None):
    p = argparse.ArgumentParser(prog="analysis/report.py", description=__doc__.split("\n\n")[0],
                                formatter_class=argparse.RawDescriptionHelpFormatter,
                                epilog="example:\n  analysis/report.py out/run.trace.h5 > out/run.html\n")
    p.add_argument("result", metavar="RESULT.h5",
                   help="a file of 'trainsim run --trace', 'trainsim sweep --trace' or 'trainsim compare --output'")
    p.add_argument("--prog", default="analysis/report.py", help=argparse.SUPPRESS)
    args = p.parse_args(argv)
    try:
        if not os.path.isfile(args.result):
            raise TraceError(f"'{args.result}' is not a file; expected a trainsim result (.h5)")
        trace = Trace(args.result)
        page = build_report(trace, read_provenance(args.result), source=args.result)
    except TraceError as e:
        print(f"{args.prog}: error: {e}", file=sys.stderr)
        return 2
    sys.stdout.write(page)
    sys.stdout.flush()
    return 0


if __name__ == "__main__":
    sys.exit(main())
