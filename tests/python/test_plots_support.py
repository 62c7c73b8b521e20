"""Shared helpers of the plot tests (test_plots*.py; this module holds no test): where the
analysis package are, and traces written by the simulator itself."""
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

REPO = Path(os.environ.get("TRAINSIM_SOURCE_DIR") or Path(__file__).resolve().parents[2])
PLOT = REPO / "analysis" / "plot.py"
TUTORIAL_SCENARIO = REPO / "scenarios" / "tutorial" / "gpt-1.7b-32gpu.yaml"

sys.path.insert(0, str(REPO / "analysis"))
import matplotlib  # noqa: E402

matplotlib.use("Agg")


def trainsim():
    """The trainsim binary: $TRAINSIM (CTest sets it), else ./sim/trainsim (CTest's working
    directory is the build directory), else the newest <repo>/build*/sim/trainsim."""
    if os.environ.get("TRAINSIM"):
        return Path(os.environ["TRAINSIM"])
    local = Path.cwd() / "sim" / "trainsim"
    if local.is_file():
        return local
    found = sorted(REPO.glob("build*/sim/trainsim"), key=lambda p: p.stat().st_mtime)
    if not found:
        pytest.fail("trainsim binary not found: set TRAINSIM or build it (ninja trainsim)")
    return found[-1]


def run(args, cwd=None, check=True, timeout=300, **kw):
    r = subprocess.run([str(a) for a in args], cwd=cwd, capture_output=True, text=True, timeout=timeout, **kw)
    if check:
        assert r.returncode == 0, f"{args} failed ({r.returncode}):\n{r.stdout}\n{r.stderr}"
    return r


def tutorial_trace(folder, iterations=1):
    """Trace of the tutorial scenario (tp 2, pp 4, dp 4, 8 micro-batches, 1F1B) run for
    `iterations` training iterations, written by the simulator into `folder`."""
    scenario = Path(folder) / f"tutorial-{iterations}.yaml"
    text = TUTORIAL_SCENARIO.read_text().replace("../../platforms", str(REPO / "platforms"))
    scenario.write_text(text + f"  iterations: {iterations}\n")
    path = Path(folder) / f"tutorial-{iterations}.h5"
    run([trainsim(), "run", scenario, "--trace", path, "--quiet"])
    return path


def run_on_terminal(args):
    """Runs with stderr on a pseudo-terminal; returns (stdout, what the terminal received)."""
    import pty
    master, slave = pty.openpty()
    try:
        r = subprocess.run([str(a) for a in args], stdout=subprocess.PIPE, stderr=slave, timeout=300)
    finally:
        os.close(slave)
    received = b""
    try:
        while True:
            chunk = os.read(master, 65536)
            if not chunk:
                break
            received += chunk
    except OSError:  # Linux reports the end of a closed pty as EIO
        pass
    os.close(master)
    assert r.returncode == 0, received.decode()
    return r.stdout.decode(), received.decode()


# --- Readability of a figure: the classes of defects a reader hits (tiny or overlapping text,
# a legend over data, a series too pale to see). Each plot test asserts readability(fig) == [].

from matplotlib.backends.backend_agg import FigureCanvasAgg  # noqa: E402
from matplotlib.collections import PathCollection  # noqa: E402
from matplotlib.colors import to_rgba  # noqa: E402
from matplotlib.patches import Rectangle  # noqa: E402
from matplotlib.transforms import Bbox  # noqa: E402

MIN_FONT_PT = 8
MIN_CONTRAST = 2.0  # WCAG contrast ratio of a line or marker colour against the white background


def _drawn_texts(fig, renderer):
    """(owner, text artist) of every text drawn: titles, axis labels, tick labels that are
    drawn, free texts, figure texts. Legends are checked as whole boxes."""
    out = []
    for i, ax in enumerate(fig.axes):
        if not ax.get_visible():
            continue
        for t in (ax.title, ax._left_title, ax._right_title):
            out.append((f"axes {i}", t))
        for axis in (ax.xaxis, ax.yaxis) if ax.axison else ():
            out.append((f"axes {i}", axis.label))
            for tick in axis._update_ticks():
                out += [(f"axes {i} ticks", tick.label1), (f"axes {i} ticks", tick.label2)]
        out += [(f"axes {i} text", t) for t in ax.texts]
    out += [("figure", t) for t in fig.texts]
    return [(o, t) for o, t in out if t.get_visible() and t.get_text().strip()]


def _legends(fig):
    legends = [ax.get_legend() for ax in fig.axes if ax.get_legend() is not None]
    return legends + list(fig.legends)


def contrast_ratio(colour, background=(1, 1, 1)):
    def luminance(rgb):
        lin = [c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4 for c in rgb[:3]]
        return 0.2126 * lin[0] + 0.7152 * lin[1] + 0.0722 * lin[2]
    a, b = luminance(to_rgba(colour)), luminance(background)
    return (max(a, b) + 0.05) / (min(a, b) + 0.05)


def _data_boxes(ax, renderer):
    """(description, display bbox) of the data an axes draws: line points, markers, bars,
    images."""
    out = []
    for line in ax.get_lines():
        xy = ax.transData.transform(line.get_xydata())
        if len(xy) > 1:  # the segments too, sampled: a legend over a line's middle hides it
            t = np.linspace(0, 1, 12)[:, None]
            xy = np.concatenate([a * (1 - t) + b * t for a, b in zip(xy[:-1], xy[1:])])
        out += [(f"line '{line.get_label()}'", Bbox.from_bounds(x, y, 0, 0)) for x, y in xy
                if np.isfinite(x) and np.isfinite(y)]
    for c in ax.collections:
        if isinstance(c, PathCollection) and len(c.get_offsets()):
            pts = c.get_offset_transform().transform(c.get_offsets())
            out += [(f"markers '{c.get_label()}'", Bbox.from_bounds(x, y, 0, 0)) for x, y in pts]
        else:
            out += [(f"collection '{c.get_gid() or c.get_label()}'", p.get_extents(c.get_transform()))
                    for p in c.get_paths()]
    for p in ax.patches:
        if isinstance(p, Rectangle) and p.get_height() and p.get_width():
            out.append((f"bar '{p.get_label()}'", p.get_window_extent(renderer)))
    out += [("image", im.get_window_extent(renderer)) for im in ax.get_images()]
    return out


def readability(fig):
    """The reader's problems with `fig`, as sentences; [] when there are none."""
    canvas = FigureCanvasAgg(fig)
    canvas.draw()
    renderer = canvas.get_renderer()
    problems = []
    texts = _drawn_texts(fig, renderer)
    for owner, t in texts:
        if t.get_fontsize() < MIN_FONT_PT:
            problems.append(f"{owner}: text '{t.get_text()}' at {t.get_fontsize():.3g} pt (< {MIN_FONT_PT})")
    for legend in _legends(fig):
        for t in legend.get_texts() + [legend.get_title()]:
            if t.get_text() and t.get_fontsize() < MIN_FONT_PT:
                problems.append(f"legend text '{t.get_text()}' at {t.get_fontsize():.3g} pt")
    boxes = [(o, t.get_text(), t.get_window_extent(renderer).shrunk(0.98, 0.9)) for o, t in texts]
    boxes += [("legend", "legend", legend.get_window_extent(renderer)) for legend in _legends(fig)]
    fig_box = fig.bbox
    for o, text, box in boxes:
        if box.x0 < fig_box.x0 - 1 or box.x1 > fig_box.x1 + 1 or box.y0 < fig_box.y0 - 1 or box.y1 > fig_box.y1 + 1:
            problems.append(f"{o}: '{text}' is cut by the figure's edge")
    for i in range(len(boxes)):
        for j in range(i + 1, len(boxes)):
            if boxes[i][2].overlaps(boxes[j][2]):
                problems.append(f"'{boxes[i][1]}' ({boxes[i][0]}) overlaps '{boxes[j][1]}' ({boxes[j][0]})")
    covers = [("legend", legend.get_window_extent(renderer)) for legend in _legends(fig)]
    covers += [(f"note '{t.get_text()}'", t.get_window_extent(renderer)) for ax in fig.axes
               for t in ax.texts if t.get_gid() == "note"]
    for cover, lb in covers:
        for ax in fig.axes:
            if not ax.get_window_extent(renderer).overlaps(lb):
                continue
            hidden = sorted({what for what, box in _data_boxes(ax, renderer)
                             if box.overlaps(lb) or lb.contains(box.x0, box.y0)})
            problems += [f"the {cover} hides {what}" for what in hidden]
    for ax in fig.axes:
        if ax.get_images():
            continue  # lines over a heat map are seen against it, not against white
        for line in ax.get_lines():
            if line.get_visible() and contrast_ratio(line.get_color()) < MIN_CONTRAST:
                problems.append(f"line '{line.get_label()}' colour {line.get_color()} is too pale "
                                f"(contrast {contrast_ratio(line.get_color()):.2f} < {MIN_CONTRAST})")
        for c in ax.collections:
            if isinstance(c, PathCollection):
                for colour in c.get_facecolors():
                    if contrast_ratio(colour) < MIN_CONTRAST:
                        problems.append(f"markers '{c.get_label()}' too pale (contrast {contrast_ratio(colour):.2f})")
    return problems
