"""Sharded searches on a real Slurm cluster (docs/slurm.md): munged, slurmctld and slurmd of
Debian's slurm-wlm on this machine, started by tests/slurm/cluster.sh (by .ci/test, which passes
its slurm.conf as $TRAINSIM_SLURM_CONF, or here when run alone) and stopped by pid. Each test
runs a command locally, then the same command with --slurm, and checks the merged outputs are
byte-identical to the local run's; a shard killed with scancel is reported by `trainsim merge`
and completed by a resubmission that resumes from the shard's journal."""
import os
import re
import shutil
import subprocess
import time
from pathlib import Path

import pytest

from test_plots_support import REPO, run, trainsim

CLUSTER = REPO / "tests" / "slurm" / "cluster.sh"


@pytest.fixture(scope="module")
def slurm_env(tmp_path_factory):
    """The environment of a command that talks to the cluster (SLURM_CONF)."""
    conf = os.environ.get("TRAINSIM_SLURM_CONF")
    if conf:
        yield dict(os.environ, SLURM_CONF=conf)
        return
    folder = tmp_path_factory.mktemp("slurm") / "cluster"
    r = subprocess.run(["bash", str(CLUSTER), "start", str(folder)], capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, f"the Slurm test cluster did not start:\n{r.stdout}\n{r.stderr}"
    try:
        yield dict(os.environ, SLURM_CONF=str(folder / "slurm.conf"))
    finally:
        subprocess.run(["bash", str(CLUSTER), "stop", str(folder)], timeout=120)


def same_files(a, b):
    """Every file under folder `a` is byte-identical to the one under `b`, and vice versa."""
    files_a = sorted(p.relative_to(a) for p in Path(a).rglob("*") if p.is_file())
    files_b = sorted(p.relative_to(b) for p in Path(b).rglob("*") if p.is_file())
    assert files_a == files_b
    for f in files_a:
        assert (Path(a) / f).read_bytes() == (Path(b) / f).read_bytes(), f"{f} differs"


def local_then_slurm(tmp_path, words, outputs, slurm_words, env):
    """Runs `words` locally (outputs moved to ref/), then with `slurm_words`; returns both runs."""
    out = tmp_path / "out"
    local = run([trainsim(), *words], cwd=tmp_path, env=env, timeout=600)
    ref = tmp_path / "ref"
    ref.mkdir()
    for name in outputs:
        shutil.move(str(out / name), str(ref / name))
    sharded = run([trainsim(), *words, *slurm_words], cwd=tmp_path, env=env, timeout=600)
    merged = tmp_path / "merged"
    merged.mkdir()
    for name in outputs:
        shutil.copytree(out / name, merged / name) if (out / name).is_dir() else shutil.copy(out / name, merged / name)
    same_files(ref, merged)
    return local, sharded


def squeue_empty(env, job):
    r = subprocess.run(["squeue", "--noheader", f"--jobs={job}", "--format=%i"], env=env, capture_output=True, text=True)
    return r.returncode != 0 or not r.stdout.strip()


def wait_jobs(env, jobs, timeout=300):
    deadline = time.time() + timeout
    while time.time() < deadline:
        if all(squeue_empty(env, j) for j in jobs):
            return
        time.sleep(0.25)
    pytest.fail(f"Slurm jobs {jobs} still queued after {timeout} s")


def test_sweep_in_four_shards_on_slurm_equals_the_local_sweep(tmp_path, slurm_env):
    # Table 4: the grid (round 1), then the bisection brackets as chains (round 2).
    words = ["sweep", REPO / "scenarios/diloco/table4.yaml", "--trace", "out/table4.h5"]
    local, sharded = local_then_slurm(tmp_path, words, ["table4.h5"],
                                      ["--slurm", "--shards", "4", "--time", "10", "--cpus-per-task", "1"], slurm_env)
    assert "submitted round 1 as Slurm job" in sharded.stdout and "submitted round 2 as Slurm job" in sharded.stdout
    # The table printed at the end is the local one (only the run time line differs).
    table = lambda out: out.split("\nresults written")[0].rsplit("\n", 1)[0]
    assert table(local.stdout).split("WAN bandwidth")[1] == table(sharded.stdout).split("WAN bandwidth")[1]
    parts = tmp_path / "out" / "table4.h5.parts"
    assert sorted(p.name for p in parts.glob("*.part")) == [f"round-{r}-shard-{i}-of-4.part" for r in (1, 2) for i in range(4)]
    script = (parts / "shard.sbatch").read_text()
    assert "#SBATCH --array=0-3" in script and "--shard \"$SLURM_ARRAY_TASK_ID/4\"" in script


def test_compare_sharded_on_slurm_equals_the_local_compare(tmp_path, slurm_env):
    # Every phase of the oracle: the proposals (round 1), the exhaustive searches and second
    # walk starts, the annealing walks as chains, the top K of each method.
    words = ["compare", REPO / "scenarios/pipette/v100-8node-8.1b-spread.yaml", "--top", "3", "--oracle-budget", "8",
             "--output", "out/v100", "--quiet"]
    outputs = ["v100.h5", "v100-candidates.csv", "v100-methods.csv", "v100-space.csv"]
    local, sharded = local_then_slurm(tmp_path, words, outputs, ["--slurm", "--shards", "3", "--cpus-per-task", "1"],
                                      slurm_env)
    assert local.stdout in sharded.stdout  # the same report, after the submission lines
    # Several of its rounds go through Slurm (a round without work for the shards submits
    # nothing; since the space gained stages smaller than a node, this search submits rounds 1
    # and 3).
    rounds = set(re.findall(r"submitted round (\d+)", sharded.stdout))
    assert len(rounds) >= 2, sharded.stdout


SWEEP = """name: slow-sweep
seed: 3
platform:
  name: two-sites
  clusters:
    - {name: dc1, gpu: H100-SXM, nodes: 2, gpus_per_node: 8,
       intra_node: {kind: nvswitch, bandwidth: 370.8GB/s, latency: 1us},
       nic: {count: 8, bandwidth: 400Gbps, latency: 600ns}, fabric: {kind: single_switch}}
    - {name: dc2, gpu: H100-SXM, nodes: 2, gpus_per_node: 8,
       intra_node: {kind: nvswitch, bandwidth: 370.8GB/s, latency: 1us},
       nic: {count: 8, bandwidth: 400Gbps, latency: 600ns}, fabric: {kind: single_switch}}
  wan:
    - {between: [dc1, dc2], bandwidth: 10Gbps, latency: 0s}
job:
  kind: diloco
  worker: abstract
  models:
    - {name: 1B, layers: 6000, parameters: 1.0e9, step_time: 0.1s}
  methods:
    - {name: Data-Parallel, algorithm: data_parallel}
    - {name: DiLoCo H=20, algorithm: diloco, inner_steps: 20}
  sweep: {min: 0.1Gbps, max: 1000Gbps, points: 200, targets: [0.5, 0.9], bisection_steps: 2}
"""


def test_a_killed_shard_is_reported_and_a_resubmission_completes_it(tmp_path, slurm_env):
    # 400 grid points of a 6,000-layer model: each shard's 100 take seconds, long enough to
    # cancel shard 2 while it runs, after it journalled some of them.
    (tmp_path / "slow.yaml").write_text(SWEEP)
    words = ["sweep", "slow.yaml", "--trace", "out/slow.h5", "--jobs", "1"]
    run([trainsim(), *words], cwd=tmp_path, timeout=600)
    (tmp_path / "ref").mkdir()
    shutil.move(str(tmp_path / "out" / "slow.h5"), str(tmp_path / "ref" / "slow.h5"))

    submit = run([trainsim(), *words, "--slurm", "--shards", "4", "--no-wait"], cwd=tmp_path, env=slurm_env)
    job = re.search(r"submitted round 1 as Slurm job (\d+)", submit.stdout).group(1)
    merge_job = re.search(r"submitted the merge as Slurm job (\d+)", submit.stdout).group(1)
    parts = tmp_path / "out" / "slow.h5.parts"
    journal = parts / "shard-2-of-4.partial"
    deadline = time.time() + 120
    while time.time() < deadline and not (journal.exists() and journal.read_text().count("\n") >= 2):
        time.sleep(0.05)
    assert journal.exists(), "shard 2 never started"
    assert not (parts / "round-1-shard-2-of-4.part").exists(), "shard 2 finished before it could be cancelled"
    subprocess.run(["scancel", f"{job}_2"], env=slurm_env, check=True)
    wait_jobs(slurm_env, [job, merge_job])
    journalled = journal.read_text().count("\n")
    assert 2 <= journalled < 100

    # The merge job that followed the array reported it and resubmitted nothing.
    merge_log = (parts / f"slurm-merge-{merge_job}.out").read_text()
    assert "round 1 lacks the part of shard(s) 2/4" in merge_log and f"Slurm job {job}" in merge_log
    assert "not resubmitted" in merge_log
    assert not (tmp_path / "out" / "slow.h5").exists()

    # A merge by hand says the same, with exit code 4.
    r = run([trainsim(), "merge", parts], cwd=tmp_path, env=slurm_env, check=False)
    assert r.returncode == 4, r.stderr
    assert "round 1 lacks the part of shard(s) 2/4" in r.stderr

    # Resubmitted: shard 2 resumes from its journal, then round 2 (the bisection) runs; the
    # outputs equal the local sweep's.
    r = run([trainsim(), "merge", parts, "--slurm", "--cpus-per-task", "1"], cwd=tmp_path, env=slurm_env, timeout=600)
    resubmitted = re.search(r"submitted round 1 as Slurm job (\d+) \(shards 2,", r.stdout + ",")
    assert resubmitted, r.stdout
    log = (parts / f"slurm-{resubmitted.group(1)}_2.out").read_text()
    assert f"shard 2/4: resuming with {journalled} runs from its journal" in log
    # It simulated the rest of its 100 grid points (and, round 1 being complete, its brackets).
    assert int(re.search(r"\((\d+) runs simulated here", log).group(1)) >= 100 - journalled
    assert "submitted round 2 as Slurm job" in r.stdout
    assert (tmp_path / "out" / "slow.h5").read_bytes() == (tmp_path / "ref" / "slow.h5").read_bytes()


def test_batch_with_no_wait_is_merged_by_the_job_after_the_shards(tmp_path, slurm_env):
    words = ["batch", REPO / "scenarios/tutorial/gpt-1.7b-32gpu.yaml", "--grid",
             "{job.micro_batch: [1, 2], seed: [0, 1], job.schedule: [1f1b, gpipe]}", "--output", "out/b", "--traces",
             "--quiet"]
    run([trainsim(), *words], cwd=tmp_path, timeout=600)
    ref = tmp_path / "ref"
    shutil.move(str(tmp_path / "out"), str(ref))
    submit = run([trainsim(), *words, "--slurm", "--shards", "3", "--no-wait", "--array-parallelism", "2",
                  "--sbatch-args=--comment='trainsim test'"], cwd=tmp_path, env=slurm_env)
    jobs = [re.search(r"submitted round 1 as Slurm job (\d+)", submit.stdout).group(1),
            re.search(r"submitted the merge as Slurm job (\d+)", submit.stdout).group(1)]
    wait_jobs(slurm_env, jobs)
    script = (tmp_path / "out" / "b.parts" / "shard.sbatch").read_text()
    assert "#SBATCH --array=0-2%2" in script and "#SBATCH \"--comment=trainsim test\"" in script
    shutil.rmtree(tmp_path / "out" / "b.parts")
    same_files(ref, tmp_path / "out")


def test_a_refused_submission_is_one_line_and_writes_no_output(tmp_path, slurm_env):
    r = run([trainsim(), "sweep", REPO / "scenarios/diloco/table4.yaml", "--trace", "out/t.h5", "--slurm", "--shards",
             "2", "--partition", "nosuchpartition"], cwd=tmp_path, env=slurm_env, check=False)
    assert r.returncode == 2
    assert r.stderr.startswith("sbatch: error: key '--slurm': sbatch refused the job") and "partition" in r.stderr
    assert r.stderr.count("\n") == 1
    assert not (tmp_path / "out" / "t.h5").exists()
