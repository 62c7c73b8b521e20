#!/usr/bin/env python3
"""Writes platforms/kernel-times/h200-calibration.csv: the H200 measurements trainsim's calibrated
compute model is built from (sim/workload/calibration/h200/), in the kernel-times CSV format a user
produces with tools/measure_kernel_times.py (docs/model.md, "User-measured compute").

GEMM, copy and AdamW rows are the measured values, copied. The attention rows are not measured
values: the measured attention columns of layer.csv are inconsistent with the layer totals
(docs/model.md), so the calibrated model uses two fitted efficiencies (0.40 forward, 0.15 backward
of the 989 TFLOP/s peak, ComputeOptions); the rows here are the times those efficiencies give.
A cluster naming this file therefore gets the calibrated model's times on an H200
(tests/workload/test_kernel_times.cpp checks it), which makes it a worked example of the format.

Usage: /usr/bin/python3 tools/kernel_times_from_h200_calibration.py [output]
"""
import csv
import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CAL = ROOT / "sim" / "workload" / "calibration" / "h200"
HEADER = "op,m,n,k,batch,seq,heads,head_dim,bytes,params,ms"
PEAK = 989e12                      # H200 dense bf16, the catalogue's figure
ATTENTION = {"attention_fwd": (0.40, 1.0), "attention_bwd": (0.15, 2.5)}  # efficiency, FLOPs vs forward


def main():
    out = Path(sys.argv[1]) if len(sys.argv) > 1 else ROOT / "platforms" / "kernel-times" / "h200-calibration.csv"
    lines = ["# Kernel times of an H200 (trainsim's calibration set, measured 2026-11-28: PyTorch 2.11,",
             "# CUDA 13.0, bf16, CUDA-event medians; sim/workload/calibration/README.md).",
             "# Written by tools/kernel_times_from_h200_calibration.py. gemm, copy and adamw rows are measured;",
             "# attention rows are synthesized from the calibrated efficiencies (0.40 forward, 0.15 backward).",
             HEADER]
    for r in csv.DictReader(open(CAL / "gemm.csv")):
        lines.append(f"gemm,{r['m']},{r['n']},{r['k']},,,,,,,{r['ms_median']}")
    copy_rate = json.load(open(CAL / "ceilings.json"))["d2d_copy_GBps_read_plus_write"] * 1e9
    copy_bytes = 2 * 2 * 1024**3  # a 2 GiB buffer read and written
    lines.append(f"copy,,,,,,,,{copy_bytes},,{copy_bytes / copy_rate * 1e3!r}")
    for op, (efficiency, factor) in ATTENTION.items():
        for seq in (2048, 4096, 8192):
            batch, heads, head_dim = 1, 32, 128
            flops = factor * 2.0 * batch * seq * seq * heads * head_dim  # causal: half of 4 b s^2 h
            lines.append(f"{op},,,,{batch},{seq},{heads},{head_dim},,,{flops / (efficiency * PEAK) * 1e3!r}")
    for r in csv.DictReader(open(CAL / "optimizer.csv")):
        lines.append(f"adamw,,,,,,,,,{r['params']},{r['step_ms']}")
    out.write_text("\n".join(lines) + "\n")
    print(f"wrote {out} ({len(lines)} lines)")


if __name__ == "__main__":
    main()
