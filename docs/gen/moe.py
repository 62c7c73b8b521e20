"""The MoE tables: preset parameter counts against the published totals (docs/model.md), expert
GEMM times per GPU (docs/model.md), per-GPU memory of MoE layouts (docs/memory.md) and routing
statistics (docs/moe.md), from bench/moe_figures.cpp (built beside trainsim as
build/bench/bench_moe_figures), which drives the library directly.

Usage: /usr/bin/python3 docs/gen/moe.py [--check] [--trainsim PATH]
"""
import subprocess
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import docgen  # noqa: E402

# Published totals (billions): total, activated, source.
PUBLISHED = {
    "mixtral-8x7b": (46.7, 12.9, "Jiang et al. 2024 (arXiv 2401.04088)"),
    "mixtral-8x22b": (141, 39, "Mistral AI's Mixtral 8x22B announcement and model card (2024)"),
    "deepseek-v3": (671, 37, "DeepSeek-V3 technical report (arXiv 2412.19437)"),
    "qwen3-30b-a3b": (30.5, 3.3, "Qwen3-30B-A3B model card (Qwen, 2025)"),
}
GIB = 1024.0**3


def figures(trainsim):
    bench = Path(trainsim).resolve().parents[1] / "bench" / "bench_moe_figures"
    r = subprocess.run([str(bench)], cwd=docgen.ROOT, capture_output=True, text=True, timeout=600)
    if r.returncode != 0:
        raise SystemExit(f"{bench} failed ({r.returncode}):\n{r.stdout}\n{r.stderr}")
    out = {}
    for line in r.stdout.splitlines():
        fields = line.split("\t")
        out.setdefault(fields[0], []).append(fields[1:])
    for section in ("preset", "experts", "memory", "routing"):
        if section not in out:
            raise SystemExit(f"{bench} printed no '{section}' lines:\n{r.stdout}")
    return out


def pct(ours, published):
    return f"{100 * (ours / published - 1):+.2f}%"


def presets_table(rows):
    lines = ["| preset | layers | hidden | heads (KV) | attention | experts, top-k | expert FFN | shared FFN | "
             "dense layers | total (computed) | active (computed) | published total / active | difference | source |",
             "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|"]
    for name, layers, hidden, heads, kv, attn, experts, top_k, ffn, shared, dense, total, active in rows:
        pub_total, pub_active, source = PUBLISHED[name]
        t, a = float(total) / 1e9, float(active) / 1e9
        lines.append(f"| `{name}` | {layers} | {hidden} | {heads} ({kv}) | {attn} | {experts}, {top_k} | {ffn} | "
                     f"{shared if shared != '0' else '-'} | {dense} | {t:.2f}B | {a:.2f}B | {pub_total}B / {pub_active}B | "
                     f"{pct(t, pub_total)} / {pct(a, pub_active)} | {source} |")
    return "\n".join(lines) + "\n"


def experts_table(rows):
    lines = ["| model | EP | experts per GPU | rows per GPU | grouped, bf16 | grouped, FP8 | one GEMM per expert, bf16 |",
             "|---|---|---|---|---|---|---|"]
    for model, ep, local, rows_, bf16, fp8, seq in rows:
        lines.append(f"| `{model}` | {ep} | {local} | {rows_} | {float(bf16):.2f} ms | {float(fp8):.2f} ms | "
                     f"{float(seq):.2f} ms |")
    return "\n".join(lines) + "\n"


def memory_table(rows):
    lines = ["| layout (one GPU) | parameters (of which experts) | weights + gradients + optimizer | activations | "
             "buffers | overhead | total |",
             "|---|---|---|---|---|---|---|"]
    for name, params, experts, states, acts, comm, overhead, total in rows:
        lines.append(f"| {name} | {float(params) / 1e9:.2f}B ({float(experts) / 1e9:.2f}B) | "
                     f"{float(states) / GIB:.1f} GiB | {float(acts) / GIB:.1f} GiB | {float(comm) / GIB:.2f} GiB | "
                     f"{float(overhead) / GIB:.1f} GiB | {float(total) / GIB:.1f} GiB |")
    return "\n".join(lines) + "\n"


def routing_table(rows):
    lines = ["| routing | most loaded GPU / mean | most loaded expert / mean | nodes per token | rows dropped |",
             "|---|---|---|---|---|"]
    for name, gpu, expert, visits, dropped in rows:
        lines.append(f"| {name} | {float(gpu):.3f} | {float(expert):.3f} | {float(visits):.3f} | "
                     f"{100 * float(dropped):.2f}% |")
    return "\n".join(lines) + "\n"


def generate(trainsim):
    f = figures(trainsim)
    return [("docs/model.md", "moe-presets", presets_table(f["preset"])),
            ("docs/model.md", "moe-expert-times", experts_table(f["experts"])),
            ("docs/memory.md", "moe-memory", memory_table(f["memory"])),
            ("docs/moe.md", "moe-routing", routing_table(f["routing"]))]


if __name__ == "__main__":
    sys.exit(docgen.main(generate, __doc__))
