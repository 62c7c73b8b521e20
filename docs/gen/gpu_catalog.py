"""The GPU catalogue table of docs/platforms.md, from the datasheet entries of
sim/platform/gpu_catalog.cpp (the one place the figures are written).

Usage: /usr/bin/python3 docs/gen/gpu_catalog.py [--check]
"""
import re
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import docgen  # noqa: E402

SOURCE = docgen.ROOT / "sim" / "platform" / "gpu_catalog.cpp"
UNITS = {"T": 1e12, "GiB": 1024.0**3, "GBps": 1e9}
ENTRY = re.compile(r'^\s*\{"([^"]+)", (.+), (true|false), (.+), (.+), "([^"]+)"\},$')


def value(expr):
    """'65 * T' -> 6.5e13; '0' -> 0.0. Only a number, optionally times one unit constant."""
    m = re.fullmatch(r"([0-9.]+)(?: \* (\w+))?", expr.strip())
    if not m or (m.group(2) and m.group(2) not in UNITS):
        raise SystemExit(f"{SOURCE}: cannot read the figure '{expr}'")
    return float(m.group(1)) * (UNITS[m.group(2)] if m.group(2) else 1.0)


def entries():
    text = SOURCE.read_text()
    body = text[text.index("kDatasheets[] = {"):]
    body = body[: body.index("\n};")]
    rows = []
    for line in body.splitlines()[1:]:
        m = ENTRY.match(line)
        if not m:
            raise SystemExit(f"{SOURCE}: unexpected line in kDatasheets: {line.strip()}")
        peaks = [value(x) for x in m.group(2).split(", ")]
        if len(peaks) != 4:
            raise SystemExit(f"{SOURCE}: {m.group(1)}: expected 4 peak figures")
        rows.append((m.group(1), peaks, m.group(3) == "true", value(m.group(4)), value(m.group(5)), m.group(6)))
    return rows


def tflops(v):
    return "-" if v == 0 else f"{v / 1e12:g}"


def generate(_trainsim):
    lines = ["| name | bf16/fp16 | fp32 | tf32 | fp8 | memory | bandwidth | source |",
             "|---|---|---|---|---|---|---|---|"]
    for name, (p16, fp32, tf32, fp8), bf16, memory, bandwidth, source in entries():
        sixteen = f"{tflops(p16)}" + ("" if bf16 else " (fp16 only)")
        lines.append(f"| `{name}` | {sixteen} | {tflops(fp32)} | {tflops(tf32)} | {tflops(fp8)} | "
                     f"{memory / 1024**3:g} GiB | {bandwidth / 1e9:g} GB/s | {source} |")
    return [("docs/platforms.md", "gpu-catalogue", "\n".join(lines) + "\n")]


if __name__ == "__main__":
    sys.exit(docgen.main(generate, __doc__))
