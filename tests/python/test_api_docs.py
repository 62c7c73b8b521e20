"""The Python blocks of docs/python.md, the README and the tutorial's Python section run as
written, in order, each document in one namespace (a notebook), from a folder that sees the
repository's scenarios/ and platforms/ and the build under test as build/; a ```text block
after a ```python block is what it prints (same words, numbers within 2%: test_tutorial's
check)."""
import contextlib
import io
import os
import re
import subprocess
import textwrap

import pytest

from test_api_support import REPO, trainsim
from test_tutorial import check_output

DOCS = {"python": REPO / "docs" / "python.md", "readme": REPO / "README.md", "tutorial": REPO / "docs" / "tutorial.md"}


def python_steps(text):
    """(code, shown output lines or None) of every ```python block, in order."""
    steps = []
    for kind, body in re.findall(r"^ *```(python|text)\n(.*?)^ *```", text, flags=re.S | re.M):
        body = textwrap.dedent(body)  # a block inside a list item is indented
        if kind == "python":
            steps.append([body, None])
        elif steps and steps[-1][1] is None:
            steps[-1][1] = body.splitlines()
    return steps


@pytest.mark.parametrize("doc", sorted(DOCS))
def test_python_blocks_run_as_written(doc, tmp_path, monkeypatch):
    steps = python_steps(DOCS[doc].read_text())
    assert steps, f"{DOCS[doc]} lost its Python blocks"
    for name in ("scenarios", "platforms"):
        os.symlink(REPO / name, tmp_path / name)
    os.symlink(trainsim().resolve().parents[1], tmp_path / "build")
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr("sys.path", list(__import__("sys").path))
    namespace = {"__name__": "__doc__"}
    for code, shown in steps:
        out = io.StringIO()
        with contextlib.redirect_stdout(out):
            exec(compile(code, f"{DOCS[doc].name} block", "exec"), namespace)
        if shown is not None:
            check_output(code.strip().splitlines()[-1], shown, out.getvalue())


def test_the_shell_line_of_docs_python_runs(tmp_path):
    """docs/python.md's `PYTHONPATH=build/python /usr/bin/python3 -c ...` line, verbatim."""
    lines = [line for block in re.findall(r"```sh\n(.*?)```", DOCS["python"].read_text(), flags=re.S)
             for line in block.splitlines() if line.strip()]
    assert lines and all(line.startswith("PYTHONPATH=build/python /usr/bin/python3") for line in lines)
    for name in ("scenarios", "platforms"):
        os.symlink(REPO / name, tmp_path / name)
    os.symlink(trainsim().resolve().parents[1], tmp_path / "build")
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    for line in lines:
        r = subprocess.run(["bash", "-c", line], cwd=tmp_path, capture_output=True, text=True, timeout=300, env=env)
        assert r.returncode == 0, r.stderr
        assert r.stdout.startswith("<RunResult iteration_time="), r.stdout
