#include "workload/op_builders.hpp"

namespace trainsim::workload::build {

Op gemm(std::string_view name, Pass pass, double m, double n, double k, Precision p) {
  Op op;
  op.name = name;
  op.kind = OpKind::Gemm;
  op.pass = pass;
  op.flops = 2.0 * m * n * k;
  op.bytes = p == Precision::Bf16 ? kBf16 * (m * k + k * n + m * n) : operand_bytes(p) * (m * k + k * n) + kBf16 * m * n;
  op.gemm = {std::int64_t(m), std::int64_t(n), std::int64_t(k)};
  op.precision = p;
  return op;
}

Op memory(std::string_view name, Pass pass, double bytes) {
  Op op;
  op.name = name;
  op.kind = OpKind::Memory;
  op.pass = pass;
  op.bytes = bytes;
  return op;
}

namespace {
constexpr double kCastBytesPerElement = kBf16 + 1.0;  // read bf16, write fp8
}

void push_forward(std::vector<Op>& ops, const Linear& l) {
  if (l.precision == Precision::Fp8) ops.push_back(memory(l.names.cast, Pass::Forward, kCastBytesPerElement * l.tokens * l.k));
  ops.push_back(gemm(l.names.fwd, Pass::Forward, l.tokens, l.n, l.k, l.precision));
}

void push_backward(std::vector<Op>& ops, const Linear& l) {
  if (l.precision == Precision::Fp8)
    ops.push_back(memory(l.names.dgrad_cast, Pass::BackwardInput, kCastBytesPerElement * l.tokens * l.n));
  ops.push_back(gemm(l.names.dgrad, Pass::BackwardInput, l.tokens, l.k, l.n, l.precision));
  Op w = gemm(l.names.wgrad, Pass::BackwardWeight, l.k, l.n, l.tokens, l.precision);
  w.bytes += l.bias_bytes;
  ops.push_back(w);
}

double residual_bytes(const ModelSpec& m, const LayerShard& sh, double Tn, Pass pass) {
  const double h = m.hidden;
  if (m.family != Family::Gpt) return 6 * Tn * h;
  if (sh.fused_bias_dropout_add) return (pass == Pass::Forward ? 7 : 5) * Tn * h;
  return 11 * Tn * h;
}

}  // namespace trainsim::workload::build
