#pragma once
// Kernel times a user measured on their own GPU (tools/measure_kernel_times.py writes them), as
// plain values, and the strict reader of their CSV (schema: docs/model.md, "User-measured
// compute"). A cluster naming such a file (`kernel_times:`) has its GPU's compute timed from them
// instead of from the H200 calibration (workload/compute_model.hpp).
#include <string>
#include <vector>

#include "platform/gpu_catalog.hpp"

namespace trainsim {

struct KernelTimes {
  struct Gemm {  // C[m,n] = A[m,k] B[k,n] in the GPU's 16-bit type: 2mnk FLOPs
    long long m = 0, n = 0, k = 0;
    double seconds = 0;
    int line = 0, column = 0;  // of the ms cell in the CSV, for messages
  };
  struct Copy {  // device-to-device copy; bytes read plus bytes written
    double bytes = 0, seconds = 0;
    int line = 0, column = 0;
  };
  struct Attention {  // causal scaled-dot-product attention, 16-bit, batch x heads of seq x head_dim
    long long batch = 0, seq = 0, heads = 0, head_dim = 0;
    double seconds = 0;
    int line = 0, column = 0;
  };
  struct Adam {  // fused AdamW step over fp32 parameters
    double params = 0, seconds = 0;
    int line = 0, column = 0;
  };
  std::string file;  // where they were read from (for messages)
  std::vector<Gemm> gemm;
  std::vector<Copy> copy;
  std::vector<Attention> attention_fwd, attention_bwd;  // backward alone (forward + backward - forward)
  std::vector<Adam> adamw;
};

// The CSV header line (after optional '#' comment lines); tools/measure_kernel_times.py writes it.
inline constexpr const char* kKernelTimesHeader = "op,m,n,k,batch,seq,heads,head_dim,bytes,params,ms";

// Executed FLOPs of one causal attention row, forward: QK^T and PV over the lower triangle,
// 2 x 2 b s^2 (heads x head_dim) / 2 (docs/model.md, as workload/ops.cpp counts flash attention).
double attention_forward_flops(const KernelTimes::Attention& a);
// Backward: 2.5 x forward (recomputed QK^T, dV, dP, dQ, dK).
double attention_backward_flops(const KernelTimes::Attention& a);

// Reads the CSV. Every problem is an InputError at `file:line:column` naming the column: unknown
// op, a cell a row's op needs missing or not a positive number, a cell it does not use filled, a
// row given twice, GEMM rows that do not form a full m x n x k grid (the missing shape is named),
// fewer than 2 values on a GEMM axis, no copy / attention_fwd / attention_bwd row, fewer than two
// adamw rows with different parameter counts.
KernelTimes parse_kernel_times(const std::string& text, const std::string& file);

// Refuses rows that claim more than `gpu` can do (a rate above its datasheet 16-bit peak or memory
// bandwidth: a CSV measured on another GPU, or times in the wrong unit), at the row's line.
void check_kernel_times(const KernelTimes& times, const GpuModel& gpu);

}  // namespace trainsim
