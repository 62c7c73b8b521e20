"""analysis/plot.py as a command: every argument that cannot give a meaningful plot is refused
with one line naming it and exit 2, before anything is written; outputs follow the rules of every
trainsim output (only regular files, atomic, parent folders created, no silent replacement)."""
import os
import stat

import pytest

from test_plots_support import PLOT, TUTORIAL_SCENARIO, run, trainsim
from trainsim_plots.output import OutputError, OutputFile


@pytest.fixture(scope="module")
def trace(tmp_path_factory):
    path = tmp_path_factory.mktemp("cli") / "training.h5"
    run([trainsim(), "run", TUTORIAL_SCENARIO, "--trace", path, "--quiet"])
    return path


def plot(*args, timeout=60):
    return run(["/usr/bin/python3", PLOT, *args], check=False, timeout=timeout)


# (arguments after "COMMAND TRACE -o OUT", words the one-line message must contain)
REFUSED = [
    (["links", "--top", "-3"], ["--top", "-3", "1 to 100"]),
    (["links", "--top", "0"], ["--top", "1 to 100"]),
    (["links", "--start", "5"], ["window", "0.56"]),
    (["links", "--start", "0.3", "--end", "0.2"], ["window"]),
    (["links", "--tiers", ","], ["--tiers"]),
    (["timeline", "--start", "5"], ["window", "0.56"]),
    (["timeline", "--start", "0.3", "--end", "0.2"], ["window"]),
    (["timeline", "--start", "-1"], ["--start", ">= 0"]),
    (["timeline", "--end", "nan"], ["--end"]),
    (["timeline", "--step", "7"], ["iteration 7", "0"]),
    (["timeline", "--step", "-1"], ["--step"]),
    (["timeline", "--gpus", "200"], ["200"]),
    (["timeline", "--gpus", "-1"], ["--gpus"]),
    (["timeline", "--gpus", "0,0"], ["twice"]),
    (["timeline", "--rows", "gpu", "--gpus", "0"], ["--gpus", "not allowed with", "--rows"]),
    (["memory", "--hbm", "0GiB"], ["--hbm", "1MiB"]),
    (["memory", "--dpi", "0"], ["--dpi", "20 to 1200"]),
]


@pytest.mark.parametrize("extra,words", REFUSED, ids=[" ".join(a) for a, _ in REFUSED])
def test_refuses_arguments_that_give_no_plot(trace, tmp_path, extra, words):
    out = tmp_path / "sub" / "plot.png"
    r = plot(extra[0], trace, "-o", out, *extra[1:])
    assert r.returncode == 2, r.stdout + r.stderr
    lines = r.stderr.strip().splitlines()
    assert len(lines) == 1 and "error" in lines[0], r.stderr
    for w in words:
        assert w in lines[0], lines[0]
    assert not (tmp_path / "sub").exists()  # nothing written, no folder created


def test_refuses_unknown_image_format(trace, tmp_path):
    r = plot("timeline", trace, "-o", tmp_path / "t.txt")
    assert r.returncode == 2 and ".png" in r.stderr and not (tmp_path / "t.txt").exists()


def test_creates_missing_parent_folders(trace, tmp_path):
    out = tmp_path / "a" / "b" / "timeline.png"
    r = plot("timeline", trace, "-o", out)
    assert r.returncode == 0, r.stderr
    assert out.stat().st_size > 10000
    assert os.listdir(out.parent) == ["timeline.png"]  # no temporary file left


def test_never_overwrites_without_force(trace, tmp_path):
    out = tmp_path / "t.png"
    out.write_bytes(b"another run's plot")
    r = plot("timeline", trace, "-o", out)
    assert r.returncode == 2 and "--force" in r.stderr
    assert out.read_bytes() == b"another run's plot"
    assert plot("timeline", trace, "-o", out, "--force").returncode == 0
    assert out.read_bytes()[:4] == b"\x89PNG"


def test_refuses_fifo_symlink_directory_and_device_even_with_force(trace, tmp_path):
    fifo = tmp_path / "fifo.png"
    os.mkfifo(fifo)
    target = tmp_path / "target.png"
    target.write_bytes(b"keep")
    link = tmp_path / "link.png"
    link.symlink_to(target)
    folder = tmp_path / "folder.png"
    folder.mkdir()
    cases = [(fifo, "FIFO"), (link, "symbolic link"), (folder, "directory")]
    try:
        os.mknod(tmp_path / "device.png", stat.S_IFCHR | 0o600, os.makedev(1, 3))  # /dev/null
        cases.append((tmp_path / "device.png", "device"))
    except PermissionError:
        pass  # not root: the FIFO covers non-regular files
    for path, word in cases:
        r = plot("timeline", trace, "-o", path, "--force", timeout=30)
        assert r.returncode == 2 and word in r.stderr, (path, r.stderr)
    assert stat.S_ISFIFO(os.lstat(fifo).st_mode) and os.path.islink(link) and folder.is_dir()
    assert target.read_bytes() == b"keep"
    if len(cases) == 4:
        assert stat.S_ISCHR(os.lstat(tmp_path / "device.png").st_mode)


def test_refuses_to_replace_its_input(tmp_path, trace):
    copy = tmp_path / "trace.png"
    copy.write_bytes(trace.read_bytes())
    r = plot("timeline", copy, "-o", copy, "--force")
    assert r.returncode == 2 and "input" in r.stderr
    assert copy.read_bytes() == trace.read_bytes()


def test_a_file_that_appears_while_drawing_is_not_replaced(tmp_path):
    out = tmp_path / "p.png"
    target = OutputFile(out, force=False)
    out.write_bytes(b"other")  # another run wins the race
    with pytest.raises(OutputError, match="appeared"):
        target.write(lambda f: f.write(b"mine"))
    assert out.read_bytes() == b"other"
    assert os.listdir(tmp_path) == ["p.png"]  # temporary removed
    # With --force the later writer replaces it, atomically.
    OutputFile(out, force=True).write(lambda f: f.write(b"mine"))
    assert out.read_bytes() == b"mine"


def test_failed_drawing_leaves_nothing(tmp_path):
    out = tmp_path / "new" / "p.png"
    target = OutputFile(out, force=False)

    def fail(f):
        f.write(b"half")
        raise RuntimeError("drawing failed")
    with pytest.raises(RuntimeError):
        target.write(fail)
    assert not out.exists() and os.listdir(out.parent) == []


@pytest.mark.parametrize("fmt", ["png", "svg", "pdf"])
def test_same_trace_same_bytes(trace, tmp_path, fmt):
    """No creation date, no random SVG ids: a rerun gives the same file."""
    a, b = tmp_path / f"a.{fmt}", tmp_path / f"b.{fmt}"
    assert plot("memory", trace, "-o", a).returncode == 0
    assert plot("memory", trace, "-o", b).returncode == 0
    assert a.read_bytes() == b.read_bytes()


def test_unreadable_inputs_get_one_clear_line(tmp_path):
    text = tmp_path / "notes.h5"
    text.write_text("not a trace\n")
    for path, words in ((tmp_path / "missing.h5", "does not exist"), (text, "is not an HDF5 file"),
                        (tmp_path, "not a regular file")):
        r = plot("timeline", path, "-o", tmp_path / "t.png")
        assert r.returncode == 2 and words in r.stderr and len(r.stderr.strip().splitlines()) == 1, r.stderr
