"""The package's child processes (docs/python.md, "Processes"): Ctrl-C while a simulation
plays stops the child (and its own children) cleanly — reaped, no zombie, no partial output —
and raises KeyboardInterrupt; calls in a loop leave no file descriptors, processes or memory
behind."""
import _thread
import os
import signal
import subprocess
import sys
import threading
import time

import pytest

from test_api_support import LONG_SCENARIO, REPO, alive, children_of, open_fds, rss_bytes, trainsim, ts

# Run in its own interpreter, which is then sent SIGINT as a notebook kernel is: the child
# processes are in their own process group, so only the Python process receives it.
SCRIPT = """
import os, sys, time
sys.path.insert(0, {package!r})
sys.path.insert(0, {tests!r})
import trainsim
from test_api_support import children_of
print("ready", flush=True)
start = time.monotonic()
try:
    trainsim.{call}
    print("finished", flush=True)
except KeyboardInterrupt:
    print("interrupted", round(time.monotonic() - start, 2), "children", children_of(os.getpid()), flush=True)
"""


@pytest.fixture(autouse=True)
def stop_scripts():
    """Kills the interpreters a failed test left running (by pid)."""
    started = []
    yield started
    for p in started:
        if p.poll() is None:
            p.kill()
            p.wait()


def start_script(call, tmp_path, started):
    script = SCRIPT.format(package=str(trainsim().resolve().parents[1] / "python"), tests=str(REPO / "tests" / "python"),
                           call=call)
    p = subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                         cwd=tmp_path)
    started.append(p)
    assert p.stdout.readline().strip() == "ready"
    return p


def wait_for(predicate, timeout=30):
    until = time.monotonic() + timeout
    while time.monotonic() < until:
        value = predicate()
        if value:
            return value
        time.sleep(0.05)
    raise AssertionError("timed out")


def interrupt_and_check(p, child, tmp_path, grandchildren=False):
    """SIGINT to the interpreter `p` while its `child` runs (and, with `grandchildren`, while
    that one has children of its own); checks that all are gone and nothing was written."""
    time.sleep(1.0)  # well into the simulation
    tree = [child] + (wait_for(lambda: children_of(child)) if grandchildren else [])
    p.send_signal(signal.SIGINT)
    out, err = p.communicate(timeout=60)
    assert p.returncode == 0, err
    words = out.split()
    assert words[0] == "interrupted", out + err
    # Reaped by the package (no zombie child left in its table) and gone, with its children.
    assert out.strip().endswith("children []"), out
    wait_for(lambda: not any(alive(pid) for pid in tree), timeout=10)
    # No partial output: nothing in the folder the run was told to write into, no temporary.
    assert sorted(os.listdir(tmp_path)) == [], os.listdir(tmp_path)
    assert float(words[1]) < 30


def test_sigint_stops_a_run_cleanly(tmp_path, stop_scripts):
    p = start_script(f"run({str(LONG_SCENARIO)!r}, trace='out/long.h5')", tmp_path, stop_scripts)
    child = wait_for(lambda: children_of(p.pid))[0]
    wait_for(lambda: os.path.exists(f"/proc/{child}/exe") and os.readlink(f"/proc/{child}/exe") ==
             str(trainsim().resolve()))
    interrupt_and_check(p, child, tmp_path)


def test_sigint_stops_a_comparison_and_its_simulations(tmp_path, stop_scripts):
    """`compare` simulates in children of its own (two at a time): they go too."""
    scenario = REPO / "scenarios" / "pipette" / "a100-8node-18b.yaml"
    p = start_script(f"compare({str(scenario)!r}, methods=['oracle'], jobs=2, output='out/c')", tmp_path, stop_scripts)
    child = wait_for(lambda: children_of(p.pid))[0]
    interrupt_and_check(p, child, tmp_path, grandchildren=True)


def test_keyboard_interrupt_in_this_process(tmp_path):
    """The same from the notebook's side: KeyboardInterrupt (here raised by a timer thread, as
    the interpreter raises it on SIGINT) reaches the caller promptly, and the child is reaped."""
    timer = threading.Timer(1.0, _thread.interrupt_main)
    timer.start()
    start = time.monotonic()
    with pytest.raises(KeyboardInterrupt):
        ts.run(LONG_SCENARIO, trace=tmp_path / "out" / "long.h5")
    timer.join()
    assert time.monotonic() - start < 10
    assert children_of(os.getpid()) == []
    assert not (tmp_path / "out").exists()


def test_a_child_that_ignores_sigint_is_killed_after_the_grace_period(tmp_path, monkeypatch):
    """SIGKILL to the child's process group once the grace period is over, then reaped."""
    from trainsim import _command
    exe = tmp_path / "stubborn"
    exe.write_text("#!/bin/sh\ntrap '' INT\nsleep 60 &\necho $! > " + str(tmp_path / "sleep.pid") + "\nwait\n")
    exe.chmod(0o755)
    monkeypatch.setenv("TRAINSIM_EXECUTABLE", str(exe))
    monkeypatch.setattr(_command, "STOP_GRACE_S", 0.5)
    timer = threading.Timer(1.0, _thread.interrupt_main)
    timer.start()
    start = time.monotonic()
    with pytest.raises(KeyboardInterrupt):
        ts.run(LONG_SCENARIO)
    timer.join()
    assert 1.4 < time.monotonic() - start < 10
    assert children_of(os.getpid()) == []
    sleeper = int((tmp_path / "sleep.pid").read_text())
    wait_for(lambda: not alive(sleeper), timeout=10)  # its own child went with it


def test_the_child_goes_when_the_interpreter_is_killed(tmp_path, stop_scripts):
    """A notebook kernel killed outright (SIGKILL, no KeyboardInterrupt) takes the simulation
    with it (PR_SET_PDEATHSIG: SIGTERM, on which the command removes its temporaries)."""
    p = start_script(f"run({str(LONG_SCENARIO)!r}, trace='out/long.h5')", tmp_path, stop_scripts)
    child = wait_for(lambda: children_of(p.pid))[0]
    time.sleep(1.0)
    p.kill()
    p.wait()
    wait_for(lambda: not alive(child), timeout=10)
    assert sorted(os.listdir(tmp_path)) == []


def test_many_calls_leak_nothing():
    scenario = REPO / "scenarios" / "nccl" / "dgx-a100-allreduce-2node.yaml"
    for _ in range(5):  # warm-up: imports, pandas, h5py's caches
        ts.run(scenario)
    fds, rss = open_fds(), rss_bytes()
    for _ in range(40):
        r = ts.run(scenario)
        assert r.summary
    assert open_fds() == fds
    assert children_of(os.getpid()) == []
    growth = rss_bytes() - rss
    assert growth < 8 << 20, f"RSS grew by {growth / 2**20:.1f} MiB over 40 runs"
