#!/usr/bin/python3
"""The tables of docs/validation.md: every published run of scenarios/validation/published.tsv
(the file tests/validation/test_published_runs.cpp reads too) simulated now with
`trainsim run`, against its published figure; and the sharded-data-parallel and overlap
scenarios of issue 12 (scenarios/zero3/, scenarios/overlap/) with the variants that show what
each feature changes.

Usage: /usr/bin/python3 docs/gen/validation.py [--check] [--trainsim PATH]   (docs/gen/docgen.py)
The nine runs take about 30 s on two idle cores (two at a time; the 3,072-GPU row dominates);
the compared rows (compared.tsv: the 2,048-GPU DeepSeek-V3 run on DualPipe and its 1F1B variant,
two at a time) add bench/moe_deepseek.sh's time.
"""
import csv
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


PRINTED = {"tokens per second": "tokens_per_s"}


def printed_summary(trainsim, scenario):
    """{name: value} of the summary lines `trainsim run` prints that PRINTED names."""
    r = subprocess.run([trainsim, "run", scenario, "--quiet"], cwd=ROOT, capture_output=True, text=True)
    if r.returncode != 0:
        raise SystemExit(f"'trainsim run {scenario}' failed ({r.returncode}):\n{r.stderr}")
    out = {}
    for line in r.stdout.splitlines():
        for label, name in PRINTED.items():
            if line.startswith(label + " "):
                value = line[len(label):].split()[0]
                out[name] = float(value)  # tokens per second: a plain number; times are not read
    return out


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
    # Read from the printed summary: a trace of every activity of 2,048 GPUs would take gigabytes.
    # A row with a `change` ("old => new") runs its scenario with that one setting replaced.
    with tempfile.TemporaryDirectory(prefix="trainsim-docgen-compared-") as tmp:
        scenarios = []
        for i, r in enumerate(compared):
            change = tuple(r["change"].split(" => ")) if r.get("change") else None
            scenarios.append(variant_file(Path(tmp), i, f"validation/{r['scenario']}", change))
        with ThreadPoolExecutor(2) as pool:
            summaries = list(pool.map(lambda scenario: printed_summary(trainsim, scenario), scenarios))
    lines = ["| row | metric | published | simulated | error | differences from the published run | scenario |",
             "|---|---|---|---|---|---|---|"]
    for r, summary in zip(compared, summaries):
        name, scale = METRICS[r["metric"]]
        simulated = summary[r["metric"]] / scale
        error = simulated / float(r["published"]) - 1
        row = r["row"] + (f" (`{r['change'].split(' => ')[1]}`)" if r.get("change") else "")
        lines.append(f"| {row} | {name} | {int(r['published']):,} | {simulated:,.0f} | {100 * error:+.1f}% "
                     f"| {r['differences']} | [{r['scenario']}](../scenarios/validation/{r['scenario']}.yaml) |")
    blocks.append(("docs/validation.md", "validation-compared", "\n".join(lines) + "\n"))
    blocks.append(sharded_and_overlap(trainsim))
    return blocks


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
