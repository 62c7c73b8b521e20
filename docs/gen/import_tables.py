"""The tables of docs/import.md: every Megatron-LM flag and torchtitan key the importers know, from
the importers' own tables (`trainsim import megatron --list-flags`, `trainsim import torchtitan
--list-keys`), and the two SC21 rows whose import differs from the hand-written scenario,
simulated both ways.

Usage: /usr/bin/python3 docs/gen/import_tables.py [--check] [--trainsim PATH]
"""
import re
import subprocess
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import docgen  # noqa: E402

DOC = "docs/import.md"
ROOT = docgen.ROOT
SC21 = ROOT / "tests" / "importer" / "sc21"
# Rows of tests/importer/test_validation_rows.cpp whose launch differs from the hand-written
# scenario (run_table_1.sh's variables), with the published TFLOP/s per GPU (validation.md).
ROWS = (
    ("1.7B", "megatron-1.7b", "TP=1\nPP=1\nMBS=16\nGBS=512\nNLS=24\nHS=2304\nNAH=24\nDDP=torch\nNNODES=4\n", 4, 137),
    ("7.5B", "megatron-7.5b", "TP=4\nPP=1\nMBS=16\nGBS=512\nNLS=36\nHS=4096\nNAH=32\nDDP=torch\nNNODES=16\n", 16, 142),
)


def tsv(trainsim, *args):
    out = subprocess.run([trainsim, *args], capture_output=True, text=True, check=True, cwd=ROOT).stdout
    lines = out.splitlines()
    header = lines[0].split("\t")
    return [dict(zip(header, line.split("\t"))) for line in lines[1:]]


def cell(text):
    return text.replace("|", "\\|")


def megatron_blocks(trainsim):
    flags = tsv(trainsim, "import", "megatron", "--list-flags")
    modelled = ["| flag | what it sets or checks |", "|---|---|"]
    refused = ["| flag | why it is refused | accepted value |", "|---|---|---|"]
    ignored = []
    for f in flags:
        name = f"`{f['flag']}`"
        if f["effect"] == "modelled":
            modelled.append(f"| {name} | {cell(f['note'])} |")
        elif f["effect"] == "refused":
            accepted = f"`{f['accepted']}`" if f["accepted"] else "-"
            refused.append(f"| {name} | {cell(f['note'])} | {accepted} |")
        else:
            ignored.append(f"`{f['flag']}`" + (" (pre-2023)" if "[pre-2023]" in f["note"] else ""))
    counts = (f"{sum(f['effect'] == 'modelled' for f in flags)} modelled, "
              f"{sum(f['effect'] == 'refused' for f in flags)} refused, {len(ignored)} ignored.")
    return [(DOC, "megatron-modelled", "\n".join(modelled) + "\n"),
            (DOC, "megatron-refused", "\n".join(refused) + "\n"),
            (DOC, "megatron-ignored", counts + " Ignored: " + ", ".join(sorted(ignored, key=str.lower)) + ".\n")]


def torchtitan_block(trainsim):
    lines = ["| key | the importer | what it sets, or why it is refused | accepted value |", "|---|---|---|---|"]
    for k in tsv(trainsim, "import", "torchtitan", "--list-keys"):
        accepted = f"`{k['accepted']}`" if k["accepted"] else "-"
        lines.append(f"| `{k['key']}` | {k['effect']} | {cell(k['note'])} | {accepted} |")
    return [(DOC, "torchtitan-keys", "\n".join(lines) + "\n")]


def tflops(trainsim, scenario):
    out = subprocess.run([trainsim, "run", str(scenario)], capture_output=True, text=True, check=True, cwd=ROOT).stdout
    return float(re.search(r"TFLOP/s per GPU \(Megatron formula\)\s+([0-9.]+)", out).group(1))


def validation_block(trainsim):
    lines = ["| row | published TFLOP/s per GPU | hand-written scenario | imported from the launch script |",
             "|---|---|---|---|"]
    extra = 'MEGATRON_EXTRA_PARAMS="--activations-checkpoint-method uniform "\n'
    with tempfile.TemporaryDirectory() as tmp:
        for label, scenario, variables, nodes, published in ROWS:
            script = variables + extra + (SC21 / "CONFIG.sh").read_text() + (SC21 / "SRUN.sh").read_text()
            out = Path(tmp) / f"{scenario}.yaml"
            subprocess.run([trainsim, "import", "megatron", "--platform", "selene-dgx-a100", "--nodes", str(nodes),
                            "--quiet", "--output", str(out), "--", script], capture_output=True, check=True, cwd=ROOT)
            hand = tflops(trainsim, ROOT / "scenarios" / "validation" / f"{scenario}.yaml")
            imported = tflops(trainsim, out)
            lines.append(f"| {label} | {published} | {hand:.1f} ({100 * (hand / published - 1):+.1f} %) | "
                         f"{imported:.1f} ({100 * (imported / published - 1):+.1f} %) |")
    return [(DOC, "validation-import", "\n".join(lines) + "\n")]


def generate(trainsim):
    return megatron_blocks(trainsim) + torchtitan_block(trainsim) + validation_block(trainsim)


if __name__ == "__main__":
    sys.exit(docgen.main(generate, __doc__))
