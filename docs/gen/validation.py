#!/usr/bin/python3
"""The tables of docs/validation.md: every published run of scenarios/validation/published.tsv
(the file tests/validation/test_published_runs.cpp reads too) simulated now with
`trainsim run`, against its published figure; and the sharded-data-parallel and overlap
scenarios of issue 12 (scenarios/zero3/, scenarios/overlap/) with the variants that show what
each feature changes.

Usage: /usr/bin/python3 docs/gen/validation.py [--check] [--trainsim PATH]   (docs/gen/docgen.py)
The nine runs take about 30 s on two idle cores (two at a time; the 3,072-GPU row dominates);
the compared rows (compared.tsv: the 2,048-GPU DeepSeek-V3 run on DualPipe and its 1F1B variant,
and the 16,384-GPU Llama 3 405B 131k run; two at a time) add bench/moe_deepseek.sh's time and
about 18 s (one run, two idle cores).
"""
import csv
import json
import statistics
import subprocess
import sys
import tempfile
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import h5py

sys.path.insert(0, str(Path(__file__).resolve().parent))
import docgen  # noqa: E402

ROOT = docgen.ROOT
PUBLISHED = ROOT / "scenarios" / "validation" / "published.tsv"
# Runs compared with their published figure but not held to the 10% envelope of the tests,
# because the scenario differs from the published setup in a stated way (its `differences`).
COMPARED = ROOT / "scenarios" / "validation" / "compared.tsv"
METRICS = {"tflops_per_gpu": ("TFLOP/s per GPU", 1e12), "iteration_time": ("iteration time (s)", 1.0),
           "tokens_per_s": ("tokens per second", 1.0)}


def summary(f):
    """{name: value} of a trace's /summary, full precision, SI units."""
    return dict(zip(f["summary/name"].asstr()[:], f["summary/value"][:].tolist()))


def run_all(trainsim, scenarios, read=summary, jobs=2):
    """`read(h5py.File)` of the trace `trainsim run` writes for each scenario (paths relative
    to the repository), `jobs` runs at a time."""
    with tempfile.TemporaryDirectory(prefix="trainsim-docgen-") as out:
        def one(i_scenario):
            i, scenario = i_scenario
            trace = Path(out) / f"{i}.h5"
            r = subprocess.run([trainsim, "run", scenario, "--trace", str(trace), "--quiet"], cwd=ROOT,
                               capture_output=True, text=True)
            if r.returncode != 0:
                raise SystemExit(f"'trainsim run {scenario}' failed ({r.returncode}):\n{r.stderr}")
            with h5py.File(trace, "r") as f:
                return read(f)
        with ThreadPoolExecutor(jobs) as pool:
            return list(pool.map(one, enumerate(scenarios)))


def run_results(trainsim, scenario):
    """The results `trainsim run --results` writes (docs/trace-format.md, "Results as JSON"):
    {"metrics": {name: value (SI)}, "tables": {name: {column: values}}}, full precision, without
    a trace (a trace of every activity of 2,048 GPUs would take gigabytes)."""
    with tempfile.TemporaryDirectory(prefix="trainsim-docgen-results-") as out:
        path = Path(out) / "results.json"
        r = subprocess.run([trainsim, "run", scenario, "--quiet", "--results", str(path)], cwd=ROOT,
                           capture_output=True, text=True)
        if r.returncode != 0:
            raise SystemExit(f"'trainsim run {scenario}' failed ({r.returncode}):\n{r.stderr}")
        doc = json.loads(path.read_text())
    return {"metrics": {m["name"]: m["value"] for m in doc["metrics"]},
            "tables": {t["name"]: {c["name"]: c["values"] for c in t["numeric"]} for t in doc["tables"]}}


def scenario_path(name):
    """A row's scenario: scenarios/validation/<name>.yaml, or scenarios/<name>.yaml for a name with
    a folder (the long-context row lives in scenarios/long-context/)."""
    return f"scenarios/{name}.yaml" if "/" in name else f"scenarios/validation/{name}.yaml"


# How a compared row prints its figures: tokens per second as integers, TFLOP/s with one decimal.
COMPARED_FORMAT = {"tokens_per_s": ",.0f", "tflops_per_gpu": ",.1f"}


def decimals(text):
    return len(text.split(".")[1]) if "." in text else 0


def generate(trainsim):
    with open(PUBLISHED, newline="") as f:
        rows = list(csv.DictReader(f, delimiter="\t"))
    summaries = run_all(trainsim, [f"scenarios/validation/{r['scenario']}.yaml" for r in rows])
    lines = ["| row | metric | published | simulated | error | scenario |", "|---|---|---|---|---|---|"]
    errors = []
    for r, summary in zip(rows, summaries):
        name, scale = METRICS[r["metric"]]
        simulated = summary[r["metric"]] / scale
        published = float(r["published"])
        error = simulated / published - 1
        errors.append((abs(error), r["row"]))
        digits = decimals(r["published"]) + 1  # one more digit than the paper prints
        lines.append(f"| {r['row']} | {name} | {r['published']} | {simulated:.{digits}f} | {100 * error:+.1f}% "
                     f"| [{r['scenario']}](../scenarios/validation/{r['scenario']}.yaml) |")
    largest = max(errors)
    lines += ["", f"Median absolute error {100 * statistics.median(e for e, _ in errors):.1f}%, largest "
              f"{100 * largest[0]:.1f}% ({largest[1]}); {len(rows)} rows."]
    blocks = [("docs/validation.md", "validation-rows", "\n".join(lines) + "\n")]
    with open(COMPARED, newline="") as f:
        compared = list(csv.DictReader(f, delimiter="\t"))
    # A row with a `change` ("old => new") runs its scenario with that one setting replaced.
    with tempfile.TemporaryDirectory(prefix="trainsim-docgen-compared-") as tmp:
        paths = []
        for i, r in enumerate(compared):
            change = tuple(r["change"].split(" => ")) if r.get("change") else None
            paths.append(variant_file(Path(tmp), i, scenario_path(r["scenario"])[len("scenarios/"):-len(".yaml")], change))
        with ThreadPoolExecutor(2) as pool:
            runs = list(pool.map(lambda scenario: run_results(trainsim, scenario), paths))
    results = {r["scenario"]: run for r, run in zip(compared, runs) if not r.get("change")}
    lines = ["| row | metric | published | simulated | error | differences from the published run | scenario |",
             "|---|---|---|---|---|---|---|"]
    for r, run in zip(compared, runs):
        name, scale = METRICS[r["metric"]]
        simulated = run["metrics"][r["metric"]] / scale
        error = simulated / float(r["published"]) - 1
        shown = COMPARED_FORMAT[r["metric"]]
        row = r["row"] + (f" (`{r['change'].split(' => ')[1]}`)" if r.get("change") else "")
        lines.append(f"| {row} | {name} | {int(r['published']):,} | {simulated:{shown}} | {100 * error:+.1f}% "
                     f"| {r['differences']} | [{r['scenario']}](../{scenario_path(r['scenario'])}) |")
    blocks.append(("docs/validation.md", "validation-compared", "\n".join(lines) + "\n"))
    blocks.append(long_context(results[LONG_CONTEXT]))
    blocks.append(sharded_and_overlap(trainsim))
    return blocks


# The Llama 3 405B 131,072-token row, taken apart (docs/validation.md, "Llama 3 405B at 131,072
# tokens"). Its shape (workload/presets.cpp, llama3-405b) for the two attention FLOP counts:
# per token 6 N' + c l s h with N' the layers' and LM head's matrix parameters; c = 12 counts
# the full s x s attention (Megatron's formula, PaLM's MFU convention), c = 6 its causal half.
LONG_CONTEXT = "long-context/llama3-405b-131k"
LLAMA3_405B = {"layers": 126, "hidden": 16384, "kv": 8 * 128, "ffn": 53248, "vocab": 128000, "seq": 131072}


def long_context(res):
    m, stages = res["metrics"], res["tables"]["stages"]
    x = LLAMA3_405B
    l, h, s = x["layers"], x["hidden"], x["seq"]
    matrices = l * (h * (h + 2 * x["kv"]) + h * h + 3 * h * x["ffn"]) + h * x["vocab"]
    full, causal = 6 * matrices + 12 * l * s * h, 6 * matrices + 6 * l * s * h
    per_gpu = m["tokens_per_s"] / 16384  # tokens per second per GPU
    gib = 2.0 ** 30
    worst = max(range(len(stages["stage"])), key=lambda i: stages["memory_total"][i])
    rest = stages["memory_total"][worst] - sum(stages[k][worst] for k in ("weights", "gradients", "optimizer",
                                                                               "activations"))
    t = m["iteration_time"]
    rows = [
        ("iteration time", f"{t:.2f} s", "16.8M tokens (128 sequences of 131,072)"),
        ("TFLOP/s per GPU, full s² attention counted", f"{per_gpu * full / 1e12:.1f}",
         f"{full / 1e9:,.0f} GFLOP per token: Megatron's formula, the simulator's figure; published 380"),
        ("TFLOP/s per GPU, causal half counted", f"{per_gpu * causal / 1e12:.1f}",
         f"{causal / 1e9:,.0f} GFLOP per token: the work the kernels do"),
        ("pipeline bubble", f"{100 * m['bubble_fraction']:.1f}%", "(p - 1)/(m v) = 15/128 = 11.7% for 16 stages, 16 micro-batches, 8 chunks"),
        ("exposed TP communication", f"{m['exposed_tp']:.3f} s", f"{100 * m['exposed_tp'] / t:.1f}% of the iteration"),
        ("exposed CP communication", f"{m['exposed_cp']:.3f} s",
         f"{100 * m['exposed_cp'] / t:.1f}%: KV all-gathers and dKV reduce-scatters on the compute stream"),
        ("exposed PP / DP communication", f"{m['exposed_pp']:.3f} / {m['exposed_dp']:.3f} s", ""),
        ("largest stage compute", f"{max(stages['compute_s']):.2f} s", "forward and backward of 8 layers x 16 micro-batches"),
        ("stages over 80 GiB", f"{int(m['oom_stages'])} of {len(stages['stage'])}", ""),
        (f"stage {worst} memory", f"{stages['memory_total'][worst] / gib:.2f} GiB",
         f"weights {stages['weights'][worst] / gib:.2f}, gradients {stages['gradients'][worst] / gib:.2f}, "
         f"optimizer {stages['optimizer'][worst] / gib:.2f}, activations {stages['activations'][worst] / gib:.2f}, "
         f"buffers and overhead {rest / gib:.2f} GiB"),
    ]
    lines = ["| quantity | simulated | note |", "|---|---|---|"] + [f"| {a} | {b} | {c} |" for a, b, c in rows]
    return ("docs/validation.md", "long-context", "\n".join(lines) + "\n")


# Issue 12's shipped runs, each with variants written next to nothing in the repository: the
# scenario's text with one setting replaced (and its platform path made absolute).
SHARDED = (
    ("zero3/gpt3-175b-zero3", "ZeRO-3, a layer per unit, prefetch 1", None),
    ("zero3/gpt3-175b-zero3", "ZeRO-3, a layer per unit, prefetch 0",
     ("fsdp: {unit_layers: 1, prefetch: 1}", "fsdp: {unit_layers: 1, prefetch: 0}")),
    ("zero3/gpt3-175b-zero3", "ZeRO-3, the whole model as one unit (the model before issue 12)",
     ("fsdp: {unit_layers: 1, prefetch: 1}", "fsdp: {unit_layers: 96, prefetch: 1}")),
    ("zero3/gpt3-175b-hsdp", "HSDP, shard group 64 (8 nodes), 2 replicas", None),
    ("overlap/llama3-70b-tp8", "Megatron-Core, no TP overlap, parameter all-gather after the step", None),
    ("overlap/llama3-70b-tp8-overlap", "tp_comm_overlap + overlap_param_gather", None),
    ("overlap/llama3-70b-tp8-overlap", "tp_comm_overlap only",
     ("overlap_param_gather: true", "overlap_param_gather: false")),
)


def variant_file(tmp, i, name, change):
    """scenarios/NAME.yaml, or with `change` (old, new) a copy in `tmp` with that setting replaced
    (and its platform path made absolute)."""
    path = ROOT / "scenarios" / f"{name}.yaml"
    if change is None:
        return f"scenarios/{name}.yaml"
    text = path.read_text()
    if change[0] not in text:
        raise SystemExit(f"{path}: no '{change[0]}' to vary")
    text = text.replace(change[0], change[1]).replace("../../platforms/", str(ROOT / "platforms") + "/")
    variant = tmp / f"variant{i}.yaml"
    variant.write_text(text)
    return str(variant)


def sharded_and_overlap(trainsim):
    with tempfile.TemporaryDirectory(prefix="trainsim-docgen-variants-") as tmp:
        scenarios = [variant_file(Path(tmp), i, name, change) for i, (name, _, change) in enumerate(SHARDED)]
        summaries = run_all(trainsim, scenarios)
    lines = ["| scenario | setting | iteration time (s) | TFLOP/s per GPU | MFU | exposed DP (s) | exposed TP (s) |",
             "|---|---|---|---|---|---|---|"]
    for (name, setting, change), s in zip(SHARDED, summaries):
        link = f"[{name}](../scenarios/{name}.yaml)"
        if change is not None:
            setting += f" (`{change[1]}`)"
        lines.append(f"| {link} | {setting} | {s['iteration_time']:.2f} | {s['tflops_per_gpu'] / 1e12:.1f} | "
                     f"{100 * s['mfu']:.1f}% | {s['exposed_dp']:.3f} | {s['exposed_tp']:.3f} |")
    return ("docs/validation.md", "sharded-overlap", "\n".join(lines) + "\n")


if __name__ == "__main__":
    sys.exit(docgen.main(generate, __doc__.splitlines()[0]))
