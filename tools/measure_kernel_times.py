#!/usr/bin/env python3
"""Measure the kernel times trainsim's compute model needs, on your own CUDA GPU.

Writes a kernel-times CSV (schema: docs/model.md, "User-measured compute") that a platform file
names with `kernel_times: <file>` on the cluster of that GPU; trainsim then times that GPU's
compute from these measurements instead of from its H200 calibration. What is measured, each the
median of CUDA-event-timed repetitions after warm-up, on random data in the GPU's 16-bit type
(bf16, or fp16 on GPUs without bf16 such as T4 and V100):

  gemm           C[m,n] = A[m,k] @ B[k,n] over a full grid of m, n and k (trimmed to fit memory)
  copy           device-to-device copy of a large buffer (bytes read + written)
  attention_fwd  torch.nn.functional.scaled_dot_product_attention, causal, (batch, heads, seq, head_dim)
  attention_bwd  its backward alone (forward + backward, minus forward)
  adamw          one torch.optim.AdamW step (fused where available) over fp32 parameters

Usage:
  python3 tools/measure_kernel_times.py [--out kernel_times.csv] [--dtype auto|bf16|fp16] [--quick]
  python3 tools/measure_kernel_times.py --print-header         # the CSV header (no GPU needed)
  python3 tools/measure_kernel_times.py --plan MEMORY_GIB      # the rows it would measure (no GPU)
Needs PyTorch with CUDA. A T4 takes a few minutes; --quick measures a smaller grid.
"""
import argparse
import datetime
import os
import statistics
import sys

HEADER = "op,m,n,k,batch,seq,heads,head_dim,bytes,params,ms"
GEMM_MN = (1024, 2048, 4096, 8192, 16384)
GEMM_K = (1024, 4096, 8192, 16384)
ATTENTION = [(1, 32, seq, 128) for seq in (1024, 2048, 4096)]  # batch, heads, seq, head_dim
ADAMW_PARAMS = (25_000_000, 100_000_000, 200_000_000)
COPY_BYTES = (256 * 2**20, 1024 * 2**20)  # buffer sizes; the CSV holds bytes read + written


def plan(memory_bytes, quick=False):
    """The rows to measure on a GPU with `memory_bytes` of memory, as (op, shape dict) pairs.
    The GEMM grid stays complete (trainsim interpolates in it): its largest values are dropped
    until the largest GEMM's three 16-bit operands fit in a quarter of the memory."""
    mn, ks = list(GEMM_MN[:3] if quick else GEMM_MN), list(GEMM_K[:2] if quick else GEMM_K)
    while 2 * (mn[-1] * ks[-1] * 2 + mn[-1] * mn[-1]) > memory_bytes / 4 and len(mn) > 2:
        mn.pop()
    while 2 * (mn[-1] * ks[-1] * 2 + mn[-1] * mn[-1]) > memory_bytes / 4 and len(ks) > 2:
        ks.pop()
    rows = [("gemm", dict(m=m, n=n, k=k)) for m in mn for n in mn for k in ks]
    rows += [("copy", dict(bytes=2 * b)) for b in COPY_BYTES if 2 * b <= memory_bytes / 4]
    if not any(op == "copy" for op, _ in rows):
        rows.append(("copy", dict(bytes=2 * COPY_BYTES[0] // 16)))
    for op in ("attention_fwd", "attention_bwd"):
        rows += [(op, dict(batch=b, heads=h, seq=s, head_dim=d)) for b, h, s, d in ATTENTION[: 2 if quick else 3]]
    params = [p for p in ADAMW_PARAMS if 16 * p <= memory_bytes / 4] or [ADAMW_PARAMS[0] // 10, ADAMW_PARAMS[0] // 5]
    if len(params) < 2:
        params = [params[0] // 4, params[0]]
    rows += [("adamw", dict(params=p)) for p in params]
    return rows


def csv_line(op, shape, ms):
    cells = [op] + [str(shape.get(c, "")) for c in HEADER.split(",")[1:-1]] + [ms]
    return ",".join(cells)


def measure(args):
    import torch  # only here: --print-header and --plan run without PyTorch
    import torch.nn.functional as F

    if not torch.cuda.is_available():
        sys.exit("measure_kernel_times: no CUDA GPU visible to PyTorch")
    dev = torch.device("cuda")
    props = torch.cuda.get_device_properties(0)
    if args.dtype == "auto":
        dtype = torch.bfloat16 if torch.cuda.is_bf16_supported() else torch.float16
    else:
        dtype = torch.bfloat16 if args.dtype == "bf16" else torch.float16

    def timed(fn, warm=3, reps=10):
        for _ in range(warm):
            fn()
        torch.cuda.synchronize()
        times = []
        for _ in range(reps):
            start, end = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)
            start.record()
            fn()
            end.record()
            end.synchronize()
            times.append(start.elapsed_time(end))
        return statistics.median(times)  # milliseconds

    lines = [f"# Kernel times measured by tools/measure_kernel_times.py on {props.name} "
             f"({props.multi_processor_count} SMs, {props.total_memory / 2**30:.1f} GiB)",
             f"# {datetime.datetime.now().isoformat(timespec='seconds')}; PyTorch {torch.__version__}, "
             f"CUDA {torch.version.cuda}; dtype {str(dtype).replace('torch.', '')}; medians of CUDA-event timings",
             HEADER]
    for op, shape in plan(props.total_memory, args.quick):
        torch.cuda.empty_cache()
        if op == "gemm":
            a = torch.randn(shape["m"], shape["k"], device=dev, dtype=dtype)
            b = torch.randn(shape["k"], shape["n"], device=dev, dtype=dtype)
            ms = timed(lambda: a @ b)
            del a, b
        elif op == "copy":
            src = torch.empty(shape["bytes"] // 2, dtype=torch.uint8, device=dev).random_(0, 255)
            dst = torch.empty_like(src)
            ms = timed(lambda: dst.copy_(src), reps=20)
            del src, dst
        elif op in ("attention_fwd", "attention_bwd"):
            dims = (shape["batch"], shape["heads"], shape["seq"], shape["head_dim"])
            q, k, v = (torch.randn(dims, device=dev, dtype=dtype, requires_grad=True) for _ in range(3))
            grad = torch.randn(dims, device=dev, dtype=dtype)
            fwd = timed(lambda: F.scaled_dot_product_attention(q, k, v, is_causal=True))
            if op == "attention_fwd":
                ms = fwd
            else:
                def both():
                    F.scaled_dot_product_attention(q, k, v, is_causal=True).backward(grad)
                ms = max(timed(both) - fwd, 1e-6)
            del q, k, v, grad
        else:  # adamw
            params = [torch.zeros(shape["params"], device=dev, dtype=torch.float32, requires_grad=True)]
            params[0].grad = torch.randn_like(params[0])
            try:
                opt = torch.optim.AdamW(params, lr=1e-4, fused=True)
            except (TypeError, RuntimeError):
                opt = torch.optim.AdamW(params, lr=1e-4, foreach=True)
            ms = timed(opt.step)
            del params, opt
        lines.append(csv_line(op, shape, f"{ms:.6g}"))
        print(lines[-1], flush=True)
    tmp = args.out + ".tmp"
    with open(tmp, "w") as f:
        f.write("\n".join(lines) + "\n")
    os.replace(tmp, args.out)
    print(f"wrote {args.out}; name it in your platform file: kernel_times: {args.out}")


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--out", default="kernel_times.csv", help="CSV to write (default kernel_times.csv)")
    ap.add_argument("--dtype", choices=("auto", "bf16", "fp16"), default="auto",
                    help="16-bit type (auto: bf16 where the GPU has it, else fp16)")
    ap.add_argument("--quick", action="store_true", help="a smaller grid (a minute or two)")
    ap.add_argument("--print-header", action="store_true", help="print the CSV header and exit")
    ap.add_argument("--plan", type=float, metavar="MEMORY_GIB",
                    help="print the rows that would be measured on a GPU of this memory, ms left as 1, and exit")
    args = ap.parse_args()
    if args.print_header:
        print(HEADER)
    elif args.plan is not None:
        print(HEADER)
        for op, shape in plan(args.plan * 2**30, args.quick):
            print(csv_line(op, shape, "1"))
    else:
        measure(args)


if __name__ == "__main__":
    main()
