"""What a figure shows, as plain data: per panel its title, axis labels and scales, legend
entries, the number of lines, bars, marker sets and images, its category tick labels and its
notes. Pixels are left out on purpose: the same structure drawn by another matplotlib version
is the same figure.

plot.py stores the structure in every PNG it writes (text chunk `trainsim:structure`), so that
docs/gen/images.py --check can compare the images in docs/ with what the plots make now.
"""
import json
import re
import struct
import zlib

from matplotlib.collections import Collection
from matplotlib.patches import Rectangle

KEY = "trainsim:structure"
_NUMBER = re.compile(r"^[\s\u2212+-]*[0-9.,]+(e[+-]?\d+)?\s*$|^\$.*\$$")


def _text(t):
    return t.get_text() if t is not None and t.get_visible() else ""


def _category_ticks(labels):
    texts = [t.get_text() for t in labels if t.get_text()]
    return [] if all(_NUMBER.match(x) for x in texts) else texts


def axes_structure(ax):
    legend = ax.get_legend()
    lines = [l for l in ax.get_lines() if l.get_visible() and len(l.get_xdata())]
    bars = [p for p in ax.patches if isinstance(p, Rectangle) and p.get_visible()]
    collections = [c for c in ax.collections if isinstance(c, Collection) and c.get_visible()]
    out = {
        "title": _text(ax.title),
        "xlabel": ax.get_xlabel(),
        "ylabel": ax.get_ylabel(),
        "xscale": ax.get_xscale(),
        "yscale": ax.get_yscale(),
        "legend": [t.get_text() for t in legend.get_texts()] if legend else [],
        "legend_title": _text(legend.get_title()) if legend else "",
        "lines": len(lines),
        "bars": len(bars),
        "marker_sets": len(collections),
        "images": [list(im.get_array().shape) for im in ax.get_images()],
        "xticks": _category_ticks(ax.get_xticklabels()),
        "yticks": _category_ticks(ax.get_yticklabels()),
        "notes": sorted(t.get_text() for t in ax.texts if t.get_visible() and t.get_gid() == "note"),
    }
    return {k: v for k, v in out.items() if v not in ("", [], 0, "linear")}


def figure_structure(fig):
    """The structure of `fig` (a JSON-able dict); axes turned off and empty are skipped."""
    panels = [axes_structure(ax) for ax in fig.axes]
    return {"size_inches": [round(float(x), 2) for x in fig.get_size_inches()],
            "panels": [p for p in panels if p]}


def image_metadata(fig, fmt):
    """savefig metadata: the structure for PNG; no creation date anywhere (byte-identical
    reruns)."""
    if fmt == "png":
        return {"Software": "trainsim analysis/plot.py",
                KEY: json.dumps(figure_structure(fig), sort_keys=True)}
    if fmt == "pdf":
        return {"Creator": "trainsim analysis/plot.py", "CreationDate": None}
    return {"Creator": "trainsim analysis/plot.py", "Date": None}


def png_structure(path):
    """The structure stored in a PNG written by plot.py, or None."""
    with open(path, "rb") as f:
        data = f.read()
    if data[:8] != b"\x89PNG\r\n\x1a\n":
        return None
    pos = 8
    while pos + 8 <= len(data):
        length, kind = struct.unpack(">I4s", data[pos:pos + 8])
        body = data[pos + 8:pos + 8 + length]
        pos += 12 + length
        if kind == b"tEXt":
            key, _, value = body.partition(b"\0")
            if key.decode("latin-1") == KEY:
                return json.loads(value.decode("latin-1"))
        elif kind == b"zTXt":
            key, _, rest = body.partition(b"\0")
            if key.decode("latin-1") == KEY:
                return json.loads(zlib.decompress(rest[1:]).decode("latin-1"))
        elif kind == b"iTXt":
            key, _, rest = body.partition(b"\0")
            if key.decode("latin-1") == KEY:
                compressed = rest[0]
                rest = rest[2:].split(b"\0", 2)[2]  # language tag, translated keyword
                return json.loads((zlib.decompress(rest) if compressed else rest).decode("utf-8"))
    return None
