"""Shared by the report tests (test_report.py, test_report_browser.py; this module holds no
test): results written by the simulator itself, the pages `trainsim report` makes of them, and a
headless Chromium."""
import atexit
import functools
import shutil
import subprocess
import tempfile
from html.parser import HTMLParser
from pathlib import Path

from test_plots_support import REPO, run, trainsim

SCENARIOS = REPO / "scenarios"
# Flags that let Chromium run headless as root with nothing reaching the network; pixels are
# CSS pixels (scale 1) in sRGB so that images can be found in the screenshot exactly.
CHROMIUM_FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                  "--disable-background-networking", "--disable-component-update", "--disable-sync",
                  "--force-device-scale-factor=1", "--force-color-profile=srgb", "--hide-scrollbars"]


_SCRATCH = []


def _scratch(name):
    d = Path(tempfile.mkdtemp(prefix=f"trainsim-report-{name}-"))
    if not _SCRATCH:
        atexit.register(lambda: [shutil.rmtree(p, ignore_errors=True) for p in _SCRATCH])
    _SCRATCH.append(d)
    return d


@functools.lru_cache(maxsize=None)
def results():
    """One result of each kind the report reads, written once per test session: a training run,
    a DiLoCo sweep, a configurator comparison and a collective benchmark."""
    d = _scratch("results")
    exe = trainsim()
    run([exe, "run", SCENARIOS / "tutorial" / "gpt-1.7b-32gpu.yaml", "--trace", d / "run.h5", "--quiet"])
    run([exe, "sweep", SCENARIOS / "tutorial" / "streaming-diloco-two-dc.yaml", "--trace", d / "sweep.h5", "--quiet"])
    run([exe, "compare", SCENARIOS / "pipette" / "a100-8node-18b.yaml", "--methods", "pipette,amp,megatron",
         "--top", "2", "--output", d / "compare"])
    run([exe, "run", SCENARIOS / "nccl" / "dgx-a100-allreduce-1node.yaml", "--trace", d / "collectives.h5", "--quiet"])
    return {"run": d / "run.h5", "sweep": d / "sweep.h5", "compare": d / "compare.h5",
            "collectives": d / "collectives.h5"}


@functools.lru_cache(maxsize=None)
def pages():
    """The page of each result, made by `trainsim report`."""
    d = _scratch("pages")
    out = {}
    for kind, path in results().items():
        page = d / f"{kind}.html"
        r = run([trainsim(), "report", path, "-o", page])
        assert r.stdout == f"report written to {page}\n"
        out[kind] = page
    return out


def chromium():
    """The browser; its absence fails the test (CI installs it: .ci/install-deps)."""
    exe = shutil.which("chromium") or "/usr/bin/chromium"
    assert Path(exe).is_file(), "chromium is not installed (Debian package 'chromium', see .ci/install-deps)"
    return exe


def browse(page, *flags, timeout=120):
    """Runs headless Chromium on a file with a new, empty profile; returns its stdout."""
    with tempfile.TemporaryDirectory() as profile:
        r = subprocess.run([chromium(), *CHROMIUM_FLAGS, f"--user-data-dir={profile}", *flags,
                            Path(page).resolve().as_uri()], capture_output=True, text=True, timeout=timeout)
    assert r.returncode == 0, f"chromium failed ({r.returncode}):\n{r.stderr[-3000:]}"
    return r.stdout


class Dom(HTMLParser):
    """What the tests look at in a page: tables (with their rows of cells), images, headings,
    sections and text by element id."""

    def __init__(self, text):
        super().__init__()
        self.tables, self.images, self.headings, self.sections, self.pre = [], [], [], [], []
        self._cell = None
        self._heading = None
        self._pre = None
        self.feed(text)

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "table":
            self.tables.append({"class": a.get("class", ""), "name": a.get("data-table", ""), "rows": []})
        elif tag == "tr" and self.tables:
            self.tables[-1]["rows"].append([])
        elif tag in ("td", "th") and self.tables:
            self._cell = ""
        elif tag == "img":
            self.images.append(a)
        elif tag in ("h1", "h2", "h3"):
            self._heading = ""
        elif tag == "section":
            self.sections.append(a.get("id", ""))
        elif tag == "pre":
            self._pre = ""

    def handle_endtag(self, tag):
        if tag in ("td", "th") and self._cell is not None:
            self.tables[-1]["rows"][-1].append(self._cell.strip())
            self._cell = None
        elif tag in ("h1", "h2", "h3") and self._heading is not None:
            self.headings.append(self._heading.strip())
            self._heading = None
        elif tag == "pre" and self._pre is not None:
            self.pre.append(self._pre)
            self._pre = None

    def handle_data(self, data):
        if self._cell is not None:
            self._cell += data
        if self._heading is not None:
            self._heading += data
        if self._pre is not None:
            self._pre += data

    def table(self, css_class=None, name=None):
        for t in self.tables:
            if (css_class and css_class in t["class"].split()) or (name and t["name"] == name):
                return t
        raise AssertionError(f"no table {css_class or name}; tables: {[t['class'] + ':' + t['name'] for t in self.tables]}")
