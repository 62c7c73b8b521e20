#!/usr/bin/python3
"""docs/pipette.md, "Deviations" (and the oracle's budget check): every difference between trainsim's `pipette` / `amp` and the
released code, what trainsim does, and its measured effect. The effects are measured by
bench/pipette_deviations.cpp (built beside trainsim as build/bench/bench_pipette_deviations) on
the shipped Pipette scenarios.

Usage: /usr/bin/python3 docs/gen/pipette_deviations.py [--check] [--trainsim PATH]
"""
import subprocess
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import docgen  # noqa: E402

SCENARIOS = [
    "scenarios/pipette/v100-8node-8.1b-uniform.yaml",
    "scenarios/pipette/v100-8node-8.1b-spread.yaml",
    "scenarios/pipette/v100-8node-8.1b-degraded.yaml",
    "scenarios/pipette/a100-8node-18b.yaml",
    "scenarios/pipette/v100-16node-8.1b.yaml",
    "scenarios/pipette/a100-16node-39b.yaml",
]

FAITHFUL = "none: as released"

# (difference, what trainsim does, effect key or fixed text, how measured)
ROWS = [
    ("C_dp_inner: slowest intra-node link over the first node of each pipeline",
     "as released in `pipette`; every node in `pipette-corrected` (trainsim's former rule)",
     "dp_inner",
     "each 8-node scenario's profiled matrix with n2's intra-node figure halved: both rules' searches, "
     "predictions compared configuration by configuration, the all-nodes pick scored by Pipette's formula"),
    ("Annealing's uphill scale: delta / 10^(int(log10 delta_ms) + 1)",
     "as released (trainsim's former rule: floor, always in [0.1, 1))",
     "uphill",
     "12 random 8-node matrices (4-12 GB/s), pp 2 and 4, against the exhaustive optimum of Pipette's objective"),
    ("Moves: reversal of [i, j), insertion in both directions, swap, route, reversed route",
     "as released; how i, j and the move are drawn is not stated (trainsim: uniform, i != j)",
     FAITHFUL, "-"),
    ("Start: a random placement", "as released (seeded per configuration by `--seed`)", FAITHFUL, "-"),
    ("Stop: 10 s of wall clock",
     "a budget of moves (`--iterations`, default 20,000) so that a seed gives the same answer on every machine",
     "budget",
     "the 6 shipped scenarios with 2,000 and 200,000 moves, picks simulated; the 12 random matrices above"),
    ("Final choice: the 3 best and the 3 worst mappings launched as trial runs",
     "the 3 best kept mappings scored by the final model; the best is the pick (no trials)",
     "trials",
     "the pick's configuration in the 6 shipped scenarios: its 3 best and 3 worst annealed mappings simulated"),
    ("4 bytes per element in S_pp and S_dp (the released driver trains in fp32)",
     "as released in `pipette`; 2 bytes (the simulated job's) in `pipette-corrected`",
     "element_bytes",
     "the 6 shipped scenarios searched with 2 bytes, picks simulated"),
    ("Memory filter: an MLP trained on measured peaks, off by default; an AMP-style cost then ranks",
     "the simulator's analytical estimator filters, always (a simulator has no measured peaks); the "
     "AMP-style fallback ranking is not reproduced (its exact form is not stated; `amp` is AMP's own)",
     "memory_filter",
     "Pipette's search without the filter on the 6 shipped scenarios, its top 5 against the GPU's HBM"),
    ("Search space: one (pp, tp, mbs) per call (v3); 8 GPUs per server hard-coded",
     "every point of the space, ranked by prediction (what one call per point gives); GPUs per node "
     "from the platform (the released constant cannot describe g4dn's 4-GPU nodes: d_in = 8/tp, 8 GPUs "
     "per node in dp)",
     "none on the 8-GPU scenarios; on t4-4node-gpt-medium not measurable: the released code does not "
     "describe that cluster", "-"),
    ("Stages: whole nodes only (a node permutation read as (nodes/pp) x pp: pp divides the node count)",
     "as released in `pipette` and `random`; `pipette-corrected` also places stages smaller than a node "
     "(units of tp GPUs, a link between two units of one node takes the diagonal), as `amp` (AMP's "
     "enumeration), Megatron's rules and the oracle do",
     "generated in Findings, \"Stages smaller than a node\": the oracle's fastest sub-node configuration "
     "against its fastest whole-node one, and which picks have sub-node stages",
     "every shipped scenario's whole space simulated by the oracle (`compare`)"),
    ("Matrix precision: 2 decimals of GB/s", "as released: the profile is rounded as Pipette's JSON stores it",
     FAITHFUL, "-"),
    ("Profiling: nccl-tests sendrecv, 4 ranks per node, recursive-halving rounds, 8-GPU ring on the diagonal",
     "as released, except the rounds: the circle method (every pair once, disjoint pairs at once); the "
     "released round order is not stated precisely",
     "profile_rounds",
     "each shipped platform profiled with pairs in rounds and one pair at a time"),
    ("t_f, t_b: a regression model trained on profiled runs",
     "trainsim's compute model (the simulator's own ground truth)",
     "not measurable: there are no profiles to train on", "-"),
    ("AMP: data-parallel cost over the ring's last link only (an indentation bug)",
     "reproduced in `amp`; `amp-corrected` takes the slowest link of the ring",
     "amp_last_link",
     "`amp` against `amp-corrected` on the 6 shipped scenarios"),
    ("AMP: stages smaller than a node (its rank map puts rank r on node r / GPUs per node); a boundary or "
     "ring link between two ranks of one node takes the node's intra figure, else the slower node's inter",
     "as released (Megatron's order at units of tp GPUs); whether its enumeration also lets pp leave the "
     "layer count undivided is not stated: trainsim asks pp to divide it for every method",
     FAITHFUL, "-"),
    ("AMP: per-node [inter, intra] bandwidth given by its user",
     "inter = mean of the node's off-diagonal matrix row, intra = the diagonal",
     "not measured: an input AMP leaves to its user", "-"),
    ("AMP: bytes per element, per-layer parameter count, tie-breaking of the partition (not stated)",
     "2 bytes; 12h^2 + 13h per GPT layer and hV on the first and last stage; the optimal split closest to even",
     "not measured: the released values are not stated", "-"),
]


def generate(trainsim):
    bench = Path(trainsim).resolve().parents[1] / "bench" / "bench_pipette_deviations"
    r = subprocess.run([str(bench)] + SCENARIOS, cwd=docgen.ROOT, capture_output=True, text=True, timeout=600)
    if r.returncode != 0:
        raise SystemExit(f"{bench} failed ({r.returncode}):\n{r.stdout}\n{r.stderr}")
    effects = dict(line.split("\t", 1) for line in r.stdout.splitlines() if "\t" in line)
    lines = ["| difference (released code) | what trainsim does | measured effect | how measured |",
             "|---|---|---|---|"]
    for difference, trainsim_does, effect, how in ROWS:
        if " " not in effect:  # a measurement's key
            if effect not in effects:
                raise SystemExit(f"{bench} printed no '{effect}' measurement:\n{r.stdout}")
            effect = effects[effect]
        lines.append(f"| {difference} | {trainsim_does} | {effect} | {how} |")
    if "oracle_budget" not in effects:
        raise SystemExit(f"{bench} printed no 'oracle_budget' measurement:\n{r.stdout}")
    budget = "Measured (bench/pipette_deviations.cpp): " + effects["oracle_budget"] + ".\n"
    return [("docs/pipette.md", "deviations", "\n".join(lines) + "\n"),
            ("docs/pipette.md", "oracle-budget", budget)]


if __name__ == "__main__":
    sys.exit(docgen.main(generate, __doc__))
