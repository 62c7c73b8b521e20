"""docs/tutorial.md runs as written: every `$ build/sim/trainsim ...` and `$ analysis/plot.py ...`
command of its console blocks runs, in order, in a scratch directory that sees the repository's
scenarios, platforms and analysis folders, and succeeds; the output the tutorial shows is what
the command prints: each shown line has a printed line with the same words, and the same
numbers within 2% (wall-clock lines, "... in 1.0 s", only by their words). `...` elides lines.
The build commands (cmake, ninja) are not run: the test runs on the binary under test."""
import os
import re
import shlex
import subprocess

import pytest

from test_plots_support import REPO, trainsim

TUTORIAL = REPO / "docs" / "tutorial.md"
NUMBER = re.compile(r"[-+]?\d+(?:\.\d+)?(?:e[-+]?\d+)?")
WALL_CLOCK = re.compile(r"\bin \d+(?:\.\d+)? s\b")


def console_blocks(text):
    """(command, shown output lines) for every `$ ` line of the ```console blocks."""
    steps = []
    for block in re.findall(r"```console\n(.*?)```", text, flags=re.S):
        for line in block.splitlines():
            if line.startswith("$ "):
                steps.append((line[2:], []))
            elif steps:
                steps[-1][1].append(line)
    return steps


def skeleton(line):
    return " ".join(NUMBER.sub("#", line).split())


def check_output(command, shown, printed):
    printed_lines = printed.splitlines()
    by_skeleton = {}
    for line in printed_lines:
        by_skeleton.setdefault(skeleton(line), []).append(line)
    for line in shown:
        if not line.strip() or line.strip() == "...":
            continue
        key = skeleton(line)
        assert key in by_skeleton, (f"'{command}': the tutorial shows\n  {line}\nbut the command printed no "
                                    f"such line; it printed:\n{printed}")
        if WALL_CLOCK.search(line):
            continue
        want = [float(x) for x in NUMBER.findall(line)]
        assert any([float(x) for x in NUMBER.findall(got)] == pytest.approx(want, rel=0.02, abs=1e-9)
                   for got in by_skeleton[key]), (
            f"'{command}': the tutorial shows\n  {line}\nbut the command printed\n  "
            + "\n  ".join(by_skeleton[key]))


def test_tutorial_commands_run_as_written(tmp_path):
    steps = console_blocks(TUTORIAL.read_text())
    runnable = [(c, o) for c, o in steps if c.startswith(("build/sim/trainsim ", "analysis/plot.py "))]
    assert len(runnable) >= 8, "the tutorial lost its commands"
    # The three uses each end in a plot.
    plots = [c.split()[1] for c, _ in runnable if c.startswith("analysis/plot.py")]
    assert {"timeline", "compare", "utilization"} <= set(plots)
    for name in ("scenarios", "platforms", "analysis"):
        os.symlink(REPO / name, tmp_path / name)
    exe = str(trainsim())
    for command, shown in runnable:
        words = shlex.split(command)
        if words[0] == "build/sim/trainsim":
            words[0] = exe
        else:
            words = ["/usr/bin/python3"] + words
        r = subprocess.run(words, cwd=tmp_path, capture_output=True, text=True, timeout=120)
        assert r.returncode == 0, f"'{command}' failed ({r.returncode}):\n{r.stdout}\n{r.stderr}"
        check_output(command, shown, r.stdout)
    # The plots the tutorial promises exist.
    for name in ("timeline", "memory", "links", "compare", "utilization"):
        assert (tmp_path / "out" / f"{name}.png").stat().st_size > 10000
