"""Outputs through the trainsim command (docs/robustness.md, "Outputs"; issue 10): missing
folders are created, `--output-dir` with a path that already names the folder means that path,
a file that appears while a run writes is never replaced without --force, an unwritable output
is refused before simulating with the operating system's reason, and an interrupted sweep says
that it kept its journal and how to resume."""
import os
import signal
import subprocess
import time

from test_plots_support import REPO, run, trainsim

DEFAULT = REPO / "scenarios" / "default.yaml"  # about 2 s of simulation
NCCL = REPO / "scenarios" / "nccl" / "dgx-a100-allreduce-1node.yaml"


def test_named_outputs_create_their_folders_and_keep_their_paths(tmp_path):
    # Regression: `--trace out/default.h5` failed without out/, and the suggested
    # `--output-dir out` then wrote out/out/default.h5.
    run([trainsim(), "run", NCCL, "--trace", "out/a/b.h5", "--quiet"], cwd=tmp_path)
    assert (tmp_path / "out" / "a" / "b.h5").is_file()
    run([trainsim(), "run", NCCL, "--output-dir", "res", "--trace", "res/t.h5", "--chrome-trace", "c.json",
         "--quiet"], cwd=tmp_path)
    assert sorted(os.listdir(tmp_path / "res")) == ["c.json", "dgx-a100-allreduce-1node.summary.txt", "t.h5"]


def test_a_file_appearing_during_the_run_is_not_replaced(tmp_path):
    # Regression: two runs writing the same output both exited 0 and the later silently won.
    target = tmp_path / "new" / "t.h5"
    p = subprocess.Popen([str(trainsim()), "run", str(DEFAULT), "--trace", str(target), "--quiet"],
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    deadline = time.time() + 30
    while not target.parent.exists() and time.time() < deadline:  # the outputs were checked
        time.sleep(0.005)
    target.write_text("the other run's")
    assert p.poll() is None, "the run ended before the file appeared"
    out, err = p.communicate(timeout=120)
    assert p.returncode == 2
    assert "a file appeared at this path during the run" in err and err.count("\n") == 1
    assert "key '--trace'" in err  # the option that named it (it used to say 'output')
    assert target.read_text() == "the other run's"
    assert os.listdir(target.parent) == ["t.h5"]  # no temporary left


def test_an_unwritable_output_is_refused_before_simulating(tmp_path):
    # Regression: an unwritable --trace ran to the end, then printed an HDF5 error dump.
    start = time.monotonic()
    r = run([trainsim(), "run", DEFAULT, "--trace", "/proc/trainsim-test/t.h5"], check=False)
    assert time.monotonic() - start < 1.5  # the simulation alone takes longer
    assert r.returncode == 2 and r.stdout == ""
    assert r.stderr == ("/proc/trainsim-test/t.h5: error: key '--trace': cannot create the folder "
                        "'/proc/trainsim-test': No such file or directory\n")


def test_an_interrupted_sweep_says_its_journal_is_kept(tmp_path):
    # Regression: "no partial output was left" while <out>.partial stayed, unexplained.
    text = (REPO / "scenarios" / "tutorial" / "streaming-diloco-two-dc.yaml").read_text()
    text = text.replace("../../platforms/two-datacenters.yaml", str(REPO / "platforms" / "two-datacenters.yaml"))
    scenario = tmp_path / "sweep.yaml"
    scenario.write_text(text.replace("points: 30", "points: 3000"))
    out = tmp_path / "out" / "s.h5"
    journal = tmp_path / "out" / "s.h5.partial"
    p = subprocess.Popen([str(trainsim()), "sweep", str(scenario), "--jobs", "1", "--trace", str(out), "--quiet"],
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    deadline = time.time() + 60
    while time.time() < deadline and p.poll() is None and not (journal.exists() and journal.read_text().count("\n")):
        time.sleep(0.01)
    assert p.poll() is None, "the sweep ended before it could be interrupted"
    p.send_signal(signal.SIGINT)
    _, err = p.communicate(timeout=60)
    assert p.returncode == 130
    assert err == (f"trainsim: interrupted (SIGINT); no partial output was left; the finished runs are kept in "
                   f"{journal}: rerun the same command to resume\n")
    assert journal.exists() and not out.exists()
