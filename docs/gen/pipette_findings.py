#!/usr/bin/python3
"""docs/pipette.md, "Findings": `trainsim compare` on every shipped Pipette scenario (default
options: seed 1, 20,000 annealing moves, oracle budget 64 placements within 5% of the best),
its picks, prediction quality over the whole feasible space, and the oracle's search.

Usage: /usr/bin/python3 docs/gen/pipette_findings.py [--check] [--trainsim PATH]
"""
import csv
import math
import subprocess
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import docgen  # noqa: E402

# Scenario -> nodes of its platform (a configuration whose pp does not divide them has stages
# smaller than a node).
NODES = {"v100-8node-8.1b-uniform": 8, "v100-8node-8.1b-spread": 8, "v100-8node-8.1b-degraded": 8,
         "a100-8node-18b": 8, "v100-16node-8.1b": 16, "a100-16node-39b": 16, "t4-4node-gpt-medium": 4}
SCENARIOS = list(NODES)
PICKS = ["megatron", "megatron-mb1", "pipette", "pipette-corrected", "amp", "amp-corrected", "random", "oracle"]
MODELS = ["pipette", "pipette-corrected", "amp", "amp-corrected", "random"]
MAPPED = {"pipette", "pipette-corrected", "random", "oracle"}


def run_compare(trainsim, name, out):
    r = subprocess.run([trainsim, "compare", f"scenarios/pipette/{name}.yaml", "--quiet", "--output", str(out / name)],
                       cwd=docgen.ROOT, capture_output=True, text=True, timeout=600)
    if r.returncode != 0:
        raise SystemExit(f"trainsim compare {name} failed ({r.returncode}):\n{r.stdout}\n{r.stderr}")
    read = lambda table: list(csv.DictReader(open(out / f"{name}-{table}.csv")))  # noqa: E731
    return {row["method"]: row for row in read("methods")}, read("space")


def f(x, digits=3):
    return "-" if math.isnan(float(x)) else f"{float(x):.{digits}f}"


def pick_cell(m, row):
    cell = f(row["simulated_s"])
    if m in MAPPED and f(row["mapping_gain"]) != "1.000":
        cell += f" ({f(row['mapping_gain'])})"
    if row["oom"] == "1":
        cell += " **OOM**"
    return cell


def quality_cell(row):
    rho = float(row["spearman"])
    err = f"{100 * float(row['error']):+.1f}%"
    if math.isnan(rho):
        return err
    return f"{err}, {rho:.2f} [{float(row['spearman_lo']):.2f}, {float(row['spearman_hi']):.2f}]"


def sub_node(name, config):
    return NODES[name] % int(config.split()[0][2:]) != 0


def subnode_row(name, oracle_rows, methods):
    """The oracle's best configuration with whole-node stages against its best with stages smaller
    than a node (both simulated, each at its best placement found)."""
    fit = [r for r in oracle_rows if r["search"] != "out of memory" and not math.isnan(float(r["simulated_s"]))]
    whole = [r for r in fit if not sub_node(name, r["config"])]
    sub = [r for r in fit if sub_node(name, r["config"])]
    if not sub:
        return f"| {name} | - | none in the space | - | 0 | - |"
    w = min(whole, key=lambda r: float(r["simulated_s"]))
    b = min(sub, key=lambda r: float(r["simulated_s"]))
    pickers = ", ".join(m for m in PICKS if sub_node(name, methods[m]["config"])) or "none"
    gain = 100 * (float(w["simulated_s"]) / float(b["simulated_s"]) - 1)
    return (f"| {name} | {w['config']} {f(w['simulated_s'])} | {b['config']} {f(b['simulated_s'])} | {gain:+.1f}% "
            f"| {len(sub)} | {pickers} |")


def generate(trainsim):
    picks = ["| scenario | " + " | ".join(PICKS) + " |", "|---" * (len(PICKS) + 1) + "|"]
    quality = ["| scenario | configurations (pipette / amp) | " + " | ".join(MODELS) + " |", "|---" * (len(MODELS) + 2) + "|"]
    oracle = ["| scenario | fit / over memory | placements simulated | searched (placements) | oracle's pick "
              "| best other pick | oracle faster by |", "|---" * 7 + "|"]
    facts = {"speedup": [], "pipette_gap": [], "mapping": []}
    subnode = ["| scenario | fastest whole-node configuration | fastest sub-node configuration | sub-node faster by "
               "| sub-node configurations fitting | methods picking one |", "|---" * 6 + "|"]
    with tempfile.TemporaryDirectory() as tmp:
        for name in SCENARIOS:
            methods, space = run_compare(trainsim, name, Path(tmp))
            picks.append(f"| {name} | " + " | ".join(pick_cell(m, methods[m]) for m in PICKS) + " |")
            n = (f'{int(float(methods["pipette"]["space_configs"]))} / '
                 f'{int(float(methods["amp"]["space_configs"]))}')
            quality.append(f"| {name} | {n} | " + " | ".join(quality_cell(methods[m]) for m in MODELS) + " |")
            rows = [r for r in space if r["method"] == "oracle"]
            over = sum(r["search"] == "out of memory" for r in rows)
            searched = ", ".join(f"{r['config']} {r['search']} ({int(float(r['placements']))})" for r in rows
                                 if r["search"] in ("exhaustive", "annealing"))
            simulated = sum(int(float(r["placements"])) for r in rows)
            o = methods["oracle"]
            others = [(float(methods[m]["simulated_s"]), m) for m in PICKS
                      if m != "oracle" and methods[m]["oom"] == "0"]
            best_s, best_m = min(others)
            oracle.append(f"| {name} | {len(rows) - over} / {over} | {simulated} | {searched} | {o['config']} "
                          f"{f(o['simulated_s'])} | {best_m} {f(best_s)} | {100 * (best_s / float(o['simulated_s']) - 1):.1f}% |")
            subnode.append(subnode_row(name, rows, methods))
            facts["speedup"].append(float(methods["pipette"]["speedup_vs_megatron"]))
            facts["pipette_gap"].append(float(methods["pipette"]["simulated_s"]) / float(o["simulated_s"]) - 1)
            facts["mapping"].append(float(methods["pipette"]["mapping_gain"]))
    summary = [
        f"- Pipette's pick against Megatron's rule: {min(facts['speedup']):.2f}x to {max(facts['speedup']):.2f}x "
        f"faster in simulation.",
        f"- Pipette's pick against the oracle's: {100 * min(facts['pipette_gap']):.1f}% to "
        f"{100 * max(facts['pipette_gap']):.1f}% slower.",
        f"- Pipette's placement against Megatron's order for the same configuration (mapping gain): "
        f"{min(facts['mapping']):.3f} to {max(facts['mapping']):.3f} (below 1: the placement made it slower).",
    ]
    return [("docs/pipette.md", "findings-subnode", "\n".join(subnode) + "\n"),
            ("docs/pipette.md", "findings-picks", "\n".join(picks) + "\n"),
            ("docs/pipette.md", "findings-quality", "\n".join(quality) + "\n"),
            ("docs/pipette.md", "findings-oracle", "\n".join(oracle) + "\n"),
            ("docs/pipette.md", "findings-summary", "\n".join(summary) + "\n")]


if __name__ == "__main__":
    sys.exit(docgen.main(generate, __doc__))
