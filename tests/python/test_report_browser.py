"""The report in a real browser: headless Chromium opens each page with a fresh profile and no
network; the DOM it builds (--dump-dom) has the tables and non-empty images, and its screenshot
shows the header band and every plot, found pixel for pixel, as non-blank areas. Nothing here is
skipped: a missing Chromium fails (CI installs it, .ci/install-deps)."""
import base64
import io

import numpy as np
import pytest
from PIL import Image

from test_report_support import Dom, browse, pages

WIDTH = 1600      # wider than every plot: images are shown at their own size
HEIGHT = 9000     # taller than every page here (checked below)
HEADER_RGB = (0x1F, 0x3B, 0x57)


def rgb(png_bytes):
    return np.asarray(Image.open(io.BytesIO(png_bytes)).convert("RGB"))


def find(screen, image):
    """(top, left) where `image` appears in `screen` pixel for pixel, or None. Looks for the
    image's most varied row, then compares the whole image there."""
    h, w, _ = image.shape
    varied = max(range(h), key=lambda r: len(np.unique(image[r].reshape(-1, 3), axis=0)))
    key = image[varied].tobytes()
    for y in range(varied, screen.shape[0] - (h - varied) + 1):
        at = screen[y].tobytes().find(key)
        while at >= 0:
            if at % 3 == 0:
                top, left = y - varied, at // 3
                if np.array_equal(screen[top:top + h, left:left + w], image):
                    return top, left
            at = screen[y].tobytes().find(key, at + 1)
    return None


@pytest.mark.parametrize("kind", ["run", "sweep", "compare", "collectives"])
def test_chromium_builds_the_tables_and_images(kind):
    dom = Dom(browse(pages()[kind], "--dump-dom"))
    summary = dom.table(css_class="summary")["rows"]
    assert summary[0] == ["metric", "value", "exact (SI units)"] and len(summary) > 1
    assert all(len(row) == 3 and row[1] for row in summary[1:])
    result_tables = [t for t in dom.tables if t["name"]]
    assert result_tables and all(len(t["rows"]) > 1 for t in result_tables)
    assert dom.images
    for img in dom.images:
        data = base64.b64decode(img["src"].split(",", 1)[1])
        assert rgb(data).shape[:2] == (int(img["height"]), int(img["width"]))
    assert dom.headings[0].startswith("trainsim report: ")
    assert "Provenance" in dom.headings and "Scenario" in dom.headings


@pytest.mark.parametrize("kind", ["run", "sweep", "compare", "collectives"])
def test_the_screenshot_shows_the_header_and_every_plot(kind, tmp_path):
    shot = tmp_path / "shot.png"
    browse(pages()[kind], f"--window-size={WIDTH},{HEIGHT}", f"--screenshot={shot}")
    screen = rgb(shot.read_bytes())
    assert screen.shape == (HEIGHT, WIDTH, 3)
    # The page ends inside the window: its last rows are blank.
    assert (screen[-50:] == 255).all(), "the page is taller than the screenshot; raise HEIGHT"
    # The header band, full width, at the top.
    band = screen[5:40, :, :].reshape(-1, 3)
    assert (band == HEADER_RGB).all(axis=1).mean() > 0.8
    # Every plot is on the screen as the page holds it, below the header, one under the other,
    # and is a picture: many colours, a good share of non-white pixels.
    dom = Dom(pages()[kind].read_text())
    previous_bottom = 40
    for img in dom.images:
        image = rgb(base64.b64decode(img["src"].split(",", 1)[1]))
        where = find(screen, image)
        assert where is not None, f"plot '{img['alt']}' not found on the screenshot"
        top, left = where
        assert top >= previous_bottom and left >= 0
        previous_bottom = top + image.shape[0]
        area = screen[top:top + image.shape[0], left:left + image.shape[1]].reshape(-1, 3)
        assert len(np.unique(area, axis=0)) > 50, img["alt"]
        assert (area != 255).any(axis=1).mean() > 0.05, img["alt"]
