"""Sharded runs by hand, without a scheduler (docs/slurm.md): `--shard I/N` on each part, then
`trainsim merge`, gives byte-identical outputs to a single run; a merge names what is missing
(exit code 4) and `--run-missing` completes it; a parts folder refuses another search or
changed inputs. (The Slurm path: test_slurm.py.)"""
import shutil
from pathlib import Path

from test_plots_support import REPO, run, trainsim

TUTORIAL = REPO / "scenarios/tutorial/gpt-1.7b-32gpu.yaml"
TABLE4 = REPO / "scenarios/diloco/table4.yaml"


def local_reference(tmp_path, words, outputs):
    run([trainsim(), *words], cwd=tmp_path)
    ref = tmp_path / "ref"
    ref.mkdir()
    for name in outputs:
        shutil.move(str(tmp_path / "out" / name), str(ref / name))
    return ref


def assert_same(ref, folder, outputs):
    for name in outputs:
        a, b = Path(ref) / name, Path(folder) / name
        if a.is_dir():
            assert sorted(p.name for p in a.iterdir()) == sorted(p.name for p in b.iterdir())
            for p in a.iterdir():
                assert p.read_bytes() == (b / p.name).read_bytes(), p.name
        else:
            assert a.read_bytes() == b.read_bytes(), name


def test_batch_in_three_shards_merges_to_the_local_outputs_traces_included(tmp_path):
    words = ["batch", TUTORIAL, "--grid", "{job.micro_batch: [1, 2], seed: [0, 1]}", "--output", "out/b", "--traces"]
    outputs = ["b.h5", "b.csv", "b-runs"]
    ref = local_reference(tmp_path, words, outputs)
    parts = tmp_path / "out" / "b.parts"
    for i in (0, 2):
        r = run([trainsim(), *words, "--shard", f"{i}/3"], cwd=tmp_path)
        assert f"shard {i}/3: round 1 done" in r.stdout
    assert not (tmp_path / "out" / "b.h5").exists()  # shards write parts only
    r = run([trainsim(), "merge", parts], cwd=tmp_path, check=False)
    assert r.returncode == 4
    assert "round 1 lacks the part of shard(s) 1/3" in r.stderr and "--run-missing" in r.stderr
    r = run([trainsim(), "merge", parts, "--run-missing", "--jobs", "1"], cwd=tmp_path)
    assert "running shard 1/3 here" in r.stderr
    assert_same(ref, tmp_path / "out", outputs)
    # A merge again refuses to replace the outputs (the recorded command has no --force).
    r = run([trainsim(), "merge", parts], cwd=tmp_path, check=False)
    assert r.returncode == 2 and "the file exists" in r.stderr


def test_sweep_rounds_by_hand_then_merge(tmp_path):
    words = ["sweep", TABLE4, "--trace", "out/t4.h5", "--quiet"]
    ref = local_reference(tmp_path, words, ["t4.h5"])
    parts = tmp_path / "out" / "t4.h5.parts"
    # Round 1 (the grid) by every shard; the last one finds it complete and starts round 2.
    for i in range(4):
        run([trainsim(), *words, "--shard", f"{i}/4"], cwd=tmp_path)
    r = run([trainsim(), "merge", parts], cwd=tmp_path, check=False)
    assert r.returncode == 4 and "round 2 lacks the part of shard(s) 0/4, 1/4, 2/4" in r.stderr
    for i in range(3):
        run([trainsim(), *words, "--shard", f"{i}/4"], cwd=tmp_path)
    run([trainsim(), "merge", parts], cwd=tmp_path)
    assert_same(ref, tmp_path / "out", ["t4.h5"])


def test_merge_from_another_folder_replays_in_the_search_directory(tmp_path):
    words = ["sweep", "table4.yaml", "--trace", "out/t4.h5", "--quiet"]
    shutil.copy(TABLE4, tmp_path / "table4.yaml")
    run([trainsim(), *words, "--shard", "0/2"], cwd=tmp_path)
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    run([trainsim(), "merge", tmp_path / "out" / "t4.h5.parts", "--run-missing"], cwd=elsewhere)
    assert (tmp_path / "out" / "t4.h5").exists() and not (elsewhere / "out").exists()


def test_a_parts_folder_refuses_another_search_and_changed_inputs(tmp_path):
    scenario = tmp_path / "t4.yaml"
    scenario.write_text(TABLE4.read_text())
    words = ["sweep", scenario, "--trace", "out/t4.h5"]
    run([trainsim(), *words, "--shard", "0/2"], cwd=tmp_path)
    r = run([trainsim(), *words, "--shard", "0/3"], cwd=tmp_path, check=False)
    assert r.returncode == 2 and "split into 2 shards, not 3" in r.stderr
    r = run([trainsim(), "sweep", scenario, "--trace", "out/t4.h5", "--seed-not-an-option"], cwd=tmp_path, check=False)
    assert r.returncode == 2
    # The scenario edited after a shard ran: its parts hold results of the old one.
    scenario.write_text(TABLE4.read_text().replace("points: 50", "points: 40"))
    r = run([trainsim(), *words, "--shard", "1/2"], cwd=tmp_path, check=False)
    assert r.returncode == 2 and "another search" in r.stderr
    r = run([trainsim(), "merge", tmp_path / "out" / "t4.h5.parts"], cwd=tmp_path, check=False)
    assert r.returncode == 2 and "changed since its shards ran" in r.stderr
