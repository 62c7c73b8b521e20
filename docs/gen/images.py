#!/usr/bin/python3
"""The figures in docs/images/, made by one script from runs of the simulator.

Each image is `analysis/plot.py` run on a file a `trainsim` command writes (the commands of
docs/tutorial.md, and the Table 4 sweep for docs/plots.md). plot.py stores the figure's
structure in every PNG (panels, titles, axis labels, legend entries, series counts, category
labels, notes: analysis/trainsim_plots/structure.py), so that

    /usr/bin/python3 docs/gen/images.py            rewrites every image
    /usr/bin/python3 docs/gen/images.py --check    redraws every figure without writing and
                                                   fails if one differs in structure from the
                                                   image in docs/images/ (not in pixels: a
                                                   matplotlib update does not fail it)

tests/python/test_docs_current.py runs --check in CI. The check also fails on an image in
docs/images/ that no entry below makes, and on an image a doc shows that is missing.
"""
import argparse
import difflib
import json
import os
import re
import subprocess
import sys
import tempfile
from pathlib import Path

import matplotlib

matplotlib.use("Agg")

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "docs" / "gen"))
sys.path.insert(0, str(ROOT / "analysis"))

import docgen  # noqa: E402
import plot  # noqa: E402  (analysis/plot.py: the command users run)
from trainsim_plots.output import OutputFile  # noqa: E402
from trainsim_plots.structure import figure_structure, png_structure  # noqa: E402

IMAGES_DIR = ROOT / "docs" / "images"
DPI = "100"  # about 1,400 px wide: sharp in a browser, small in the repository

# Simulator runs: name -> (arguments of trainsim, file the plots read). {out} is a scratch folder.
RUNS = {
    "tutorial-run": (["run", "scenarios/tutorial/gpt-1.7b-32gpu.yaml", "--trace", "{out}/run.h5", "--quiet"],
                     "{out}/run.h5"),
    "tutorial-compare": (["compare", "scenarios/pipette/a100-8node-18b.yaml", "--methods",
                          "pipette,amp,megatron,oracle", "--top", "3", "--output", "{out}/compare-18b", "--quiet"],
                         "{out}/compare-18b.h5"),
    "tutorial-sweep": (["sweep", "scenarios/tutorial/streaming-diloco-two-dc.yaml", "--trace", "{out}/sweep.h5",
                        "--quiet"], "{out}/sweep.h5"),
    "table4-sweep": (["sweep", "scenarios/diloco/table4.yaml", "--jobs", "2", "--trace", "{out}/table4.h5",
                      "--quiet"], "{out}/table4.h5"),
}

# Images: file in docs/images -> (run, plot.py subcommand and options).
IMAGES = {
    "tutorial-timeline.png": ("tutorial-run", ["timeline"]),
    "tutorial-memory.png": ("tutorial-run", ["memory"]),
    "tutorial-links.png": ("tutorial-run", ["links", "--top", "8"]),
    "tutorial-compare.png": ("tutorial-compare", ["compare"]),
    "tutorial-utilization.png": ("tutorial-sweep", ["utilization"]),
    "table4-utilization.png": ("table4-sweep", ["utilization"]),
}


def simulate(trainsim, out):
    files = {}
    for name, (args, produced) in RUNS.items():
        words = [trainsim] + [a.format(out=out) for a in args]
        r = subprocess.run(words, cwd=ROOT, capture_output=True, text=True)
        if r.returncode != 0:
            raise SystemExit(f"images.py: '{' '.join(words)}' failed ({r.returncode}):\n{r.stderr}")
        files[name] = produced.format(out=out)
    return files


def figure(files, image):
    """(figure, parsed plot.py arguments) of one image."""
    run, options = IMAGES[image]
    args = plot.parser().parse_args([options[0], files[run], "-o", str(IMAGES_DIR / image), "--dpi", DPI]
                                    + options[1:])
    return plot.render(args), args


def shown_images():
    """Images the docs and README show (docs/images/...)."""
    shown = set()
    for doc in [ROOT / "README.md"] + sorted((ROOT / "docs").glob("*.md")):
        shown |= set(re.findall(r"\]\((?:docs/)?images/([^)\s]+)\)", doc.read_text()))
    return shown


def check(files):
    stale = []
    for image in IMAGES:
        now, _ = figure(files, image)
        want = json.dumps(figure_structure(now), indent=1, sort_keys=True).splitlines(True)
        path = IMAGES_DIR / image
        stored = png_structure(path) if path.is_file() else None
        have = json.dumps(stored, indent=1, sort_keys=True).splitlines(True)
        if stored != json.loads("".join(want)):
            stale.append(image)
            sys.stdout.writelines(difflib.unified_diff(have, want, f"docs/images/{image} (in the repository)",
                                                       f"docs/images/{image} (drawn now)"))
    extra = sorted(p.name for p in IMAGES_DIR.iterdir() if p.name not in IMAGES)
    missing = sorted(shown_images() - set(IMAGES))
    for name in extra:
        print(f"docs/images/{name} is made by no entry of docs/gen/images.py (remove it or add one)")
    for name in missing:
        print(f"a doc shows images/{name}, which docs/gen/images.py does not make")
    if stale or extra or missing:
        print(f"stale: {', '.join(stale + extra + missing)}; run docs/gen/images.py to update",
              file=sys.stderr)
        return 1
    return 0


def write(files):
    IMAGES_DIR.mkdir(exist_ok=True)
    for image in IMAGES:
        fig, args = figure(files, image)
        OutputFile(IMAGES_DIR / image, force=True).write_figure(fig, dpi=args.dpi)
        print(f"wrote docs/images/{image}")
    for p in IMAGES_DIR.iterdir():
        if p.name not in IMAGES:
            p.unlink()
            print(f"removed docs/images/{p.name} (made by no entry)")
    return 0


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--check", action="store_true", help="compare only; exit 1 if an image is stale")
    ap.add_argument("--trainsim", default=docgen.default_trainsim(), help="the trainsim binary")
    args = ap.parse_args()
    with tempfile.TemporaryDirectory(prefix="trainsim-images-") as out:
        files = simulate(os.path.abspath(args.trainsim), out)
        return check(files) if args.check else write(files)


if __name__ == "__main__":
    sys.exit(main())
