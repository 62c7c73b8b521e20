"""`trainsim report`: one HTML page per result, with the sections and plots that apply, nothing
fetched from anywhere, the same bytes for the same result, and refusals by the output rules
(docs/report.md). The page in a real browser: test_report_browser.py."""
import base64
import re
import sys

import pytest

from test_report_support import Dom, pages, results
from test_plots_support import REPO, run, trainsim

sys.path.insert(0, str(REPO / "analysis"))
from report_html import build_report, human, read_provenance  # noqa: E402
from trainsim_plots.trace import Trace  # noqa: E402

PLOTS = {"run": ["timeline", "memory", "links"], "sweep": ["utilization"], "compare": ["compare"],
         "collectives": ["timeline", "links"]}
TABLES = {"run": ["iterations", "stages"], "sweep": ["thresholds", "utilization"], "compare": ["candidates", "methods"],
          "collectives": ["collectives"]}


@pytest.mark.parametrize("kind", ["run", "sweep", "compare", "collectives"])
def test_each_result_gets_its_sections_plots_and_tables(kind):
    text = pages()[kind].read_text()
    assert text.startswith("<!DOCTYPE html>")
    dom = Dom(text)
    assert [s for s in dom.sections] == ["summary", "plots", "tables", "scenario", "provenance"]
    assert [img["alt"] for img in dom.images] == {
        "run": ["Pipeline schedule", "Memory per stage", "Link utilization"],
        "sweep": ["Compute utilization versus WAN bandwidth"], "compare": ["Configurator comparison"],
        "collectives": ["Activities over time", "Link utilization"]}[kind]
    assert re.findall(r'data-plot="(\w+)"', text) == PLOTS[kind]
    # Every table of the result, whatever its producer adds, these at least.
    shown = [t["name"] for t in dom.tables if t["name"]]
    assert shown == sorted(Trace(results()[kind]).tables) and set(TABLES[kind]) <= set(shown)
    # The scenario as the result stores it, and where it came from.
    provenance = read_provenance(results()[kind])
    assert dom.pre == [provenance["scenario_text"]]
    prov = {row[0]: row[1] for row in dom.table(css_class="provenance")["rows"]}
    assert prov["command"] == provenance["command_line"]
    assert prov["seed"] == str(provenance["seed"])
    assert prov["trainsim"] == provenance["trainsim_version"]
    assert prov["result file"] == str(results()[kind])


def test_the_run_page_shows_the_summary_as_trainsim_run_prints_it():
    dom = Dom(pages()["run"].read_text())
    summary = {row[0]: row[1:] for row in dom.table(css_class="summary")["rows"][1:]}
    trace = Trace(results()["run"])
    # Values a reader checks against `trainsim run` (docs/tutorial.md: 560 ms, 82.2, 26.3 %, 33.2 %).
    assert summary["iteration time"][0] == human("", trace.summary["iteration_time"], "s")
    assert summary["TFLOP/s per GPU (Megatron formula)"][0].endswith("TFLOP/s")
    assert summary["MFU"][0].endswith("%")
    assert float(summary["iteration time"][1].split()[0]) == trace.summary["iteration_time"]  # exact, SI
    stages = dom.table(name="stages")["rows"]
    assert stages[0] == ["stage", "compute_s", "memory_total", "weights", "gradients", "optimizer", "activations"]
    assert len(stages) == 1 + 4
    # Every image is a PNG of the size the page gives it.
    for img in dom.images:
        assert img["src"].startswith("data:image/png;base64,")
        data = base64.b64decode(img["src"].split(",", 1)[1])
        assert data[:8] == b"\x89PNG\r\n\x1a\n"
        assert (int.from_bytes(data[16:20], "big"), int.from_bytes(data[20:24], "big")) == (
            int(img["width"]), int(img["height"]))
        assert int(img["width"]) >= 600 and int(img["height"]) >= 300 and len(data) > 20000


def test_human_values_by_hand():
    assert human("iteration_time", 0.5602853, "s") == "560 ms"
    assert human("x", 2.5e-6, "s") == "2.50 us"
    assert human("x", 49.05, "s") == "49.0 s"
    assert human("mfu", 0.26336, "1") == "26.3 %"
    assert human("hbm_per_gpu", 85899345920.0, "B") == "80.00 GiB"
    assert human("x", 3 * 2**20, "B") == "3.00 MiB"
    assert human("busbw", 239946367807.4, "B/s") == "240 GB/s"
    assert human("tflops_per_gpu", 82168411397213.67, "FLOP/s") == "82.2 TFLOP/s"
    assert human("tokens_per_s", 233937.95262, "1/s") == "233,938 /s"
    assert human("oom_stages", 0.0, "1") == "0"
    assert human("ranks", 8.0, "1") == "8"


def test_the_page_names_no_other_file_or_address():
    for kind, page in pages().items():
        text = page.read_text()
        assert "Content-Security-Policy" in text and "default-src 'none'" in text
        for forbidden in ("http://", "https://", "<script", "<link", "@import", "url(", "<iframe", "<object"):
            assert forbidden not in text, (kind, forbidden)
        sources = re.findall(r'(?:src|href)="([^"]*)"', text)
        assert sources and all(s.startswith("data:image/png;base64,") for s in sources), (kind, sources[:3])


def test_the_same_result_gives_the_same_bytes(tmp_path):
    for name in ("a", "b"):
        run([trainsim(), "report", results()["run"], "-o", tmp_path / f"{name}.html"])
    assert (tmp_path / "a.html").read_bytes() == (tmp_path / "b.html").read_bytes()


def test_a_python_result_object_makes_the_same_page():
    # The page is a function of a result object and its provenance, not of the file: the
    # Python API will hand its own result objects to build_report.
    trace = Trace(results()["compare"])
    page = build_report(trace, read_provenance(results()["compare"]), source=str(results()["compare"]))
    assert page == pages()["compare"].read_text()


def test_refusals_leave_nothing_behind(tmp_path):
    exe = trainsim()
    # An existing page is not replaced without --force (and is with it).
    page = tmp_path / "page.html"
    page.write_text("mine")
    r = run([exe, "report", results()["run"], "-o", page], check=False)
    assert r.returncode == 2 and r.stdout == ""
    assert r.stderr == f"{page}: error: key '--output': the file exists; pass --force to replace it\n"
    assert page.read_text() == "mine"
    run([exe, "report", results()["run"], "-o", page, "--force"])
    assert page.read_text().startswith("<!DOCTYPE html>")
    # Inputs that are not results: one line, exit 2, nothing written.
    text_file = tmp_path / "notes.txt"
    text_file.write_text("not a trace\n")
    for bad in (tmp_path / "missing.h5", text_file):
        out = tmp_path / "bad" / "out.html"
        r = run([exe, "report", bad, "-o", out], check=False)
        assert r.returncode == 2, r.stderr
        assert r.stderr.count("\n") == 1 and str(bad) in r.stderr, r.stderr
        assert not out.exists()
    assert sorted(p.name for p in tmp_path.rglob("*")) == ["notes.txt", "page.html"]  # no folder left either
    # The default name is the result's with .html; a page never replaces its result.
    r = run([exe, "report", results()["run"], "-o", results()["run"]], check=False)
    assert r.returncode == 2 and "would replace the result itself" in r.stderr
    assert run([exe, "report", "--help"]).stdout.startswith("usage: trainsim report RESULT.h5")


def test_a_missing_interpreter_or_script_is_said(tmp_path):
    import os
    env = dict(os.environ, TRAINSIM_PYTHON=str(tmp_path / "no-python"))
    r = run([trainsim(), "report", results()["run"], "-o", tmp_path / "x.html"], check=False, env=env)
    assert r.returncode == 2 and "set TRAINSIM_PYTHON" in r.stderr and not (tmp_path / "x.html").exists()
    env = dict(os.environ, TRAINSIM_ANALYSIS_DIR=str(tmp_path))
    r = run([trainsim(), "report", results()["run"], "-o", tmp_path / "x.html"], check=False, env=env)
    assert r.returncode == 2 and "TRAINSIM_ANALYSIS_DIR" in r.stderr
    assert list(tmp_path.iterdir()) == []
