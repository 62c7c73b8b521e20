"""The figures in docs/images/ carry their structure and docs/gen/images.py --check compares it
with a fresh drawing (test_docs_current.py runs the check on the real docs; this file tests the
mechanism: that a stale, foreign or extra image is caught)."""
import shutil
import sys

import pytest

from test_plots_support import PLOT, REPO, run, trainsim, tutorial_trace
from trainsim_plots.memory import plot_memory
from trainsim_plots.structure import figure_structure, png_structure
from trainsim_plots.trace import Trace

sys.path.insert(0, str(REPO / "docs" / "gen"))
import images  # noqa: E402


def test_png_carries_the_structure_of_its_figure(tmp_path):
    trace = tutorial_trace(tmp_path)
    out = tmp_path / "memory.png"
    run(["/usr/bin/python3", PLOT, "memory", trace, "-o", out])
    stored = png_structure(out)
    assert stored == figure_structure(plot_memory(Trace(trace)))
    left, right = stored["panels"][:2]
    assert left["legend"] == [f"stage {s} (GPU {8 * s})" for s in range(4)]
    assert left["lines"] == 4 and right["bars"] == 20  # 4 stages x 5 components
    assert any("HBM 80 GiB" in n for n in left["notes"])


def test_images_check_catches_stale_foreign_and_extra_images(tmp_path, monkeypatch, capsys):
    monkeypatch.setattr(images, "IMAGES_DIR", tmp_path / "images")
    monkeypatch.setattr(images, "RUNS", {"tutorial-run": images.RUNS["tutorial-run"]})
    monkeypatch.setattr(images, "IMAGES", {k: v for k, v in images.IMAGES.items()
                                           if k in ("tutorial-timeline.png", "tutorial-memory.png")})
    monkeypatch.setattr(images, "shown_images", lambda: {"tutorial-memory.png"})
    files = images.simulate(str(trainsim()), str(tmp_path))
    assert images.write(files) == 0
    assert images.check(files) == 0
    # An image drawn from another figure (here: the memory plot where the timeline belongs).
    timeline = tmp_path / "images" / "tutorial-timeline.png"
    saved = timeline.read_bytes()
    shutil.copy(tmp_path / "images" / "tutorial-memory.png", timeline)
    capsys.readouterr()
    assert images.check(files) == 1
    assert "tutorial-timeline.png (drawn now)" in capsys.readouterr().out
    timeline.write_bytes(saved)
    # An image no entry makes, and an image a doc shows that nothing makes.
    (tmp_path / "images" / "old.png").write_bytes(saved)
    assert images.check(files) == 1
    assert "old.png is made by no entry" in capsys.readouterr().out
    (tmp_path / "images" / "old.png").unlink()
    monkeypatch.setattr(images, "shown_images", lambda: {"tutorial-memory.png", "gone.png"})
    assert images.check(files) == 1
    assert "images/gone.png" in capsys.readouterr().out


def test_every_image_the_docs_show_is_made_by_the_script():
    assert images.shown_images() <= set(images.IMAGES)
    assert {p.name for p in (REPO / "docs" / "images").iterdir()} == set(images.IMAGES)


@pytest.mark.parametrize("image", sorted(images.IMAGES))
def test_docs_images_carry_a_structure(image):
    stored = png_structure(REPO / "docs" / "images" / image)
    assert stored and stored["panels"], f"docs/images/{image} was not written by plot.py"
