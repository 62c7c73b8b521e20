#include "diloco/abstract_program.hpp"

#include <algorithm>

#include "core/error.hpp"

namespace trainsim {

AbstractProgram make_abstract_program(const SyncPlan& plan) {
  AbstractProgram p;
  const int layers = plan.layers(), h = plan.inner_steps();
  p.layers = layers;
  p.inner_steps = h;
  p.units_per_round = static_cast<int64_t>(h) * (3 * layers - 1);
  p.ring_steps = plan.ring_steps();
  p.ring_chunk = plan.ring_chunk();

  // Reduces in request order: after step s, in backward order (last layer first), each layer of
  // the fragments synchronised after s. Its result is needed by the layer's forward node in step
  // s + 1 + lag, which lies in this round or (offset -1) the next one: lag < H.
  struct Wait {
    int layer, reduce;
    int8_t offset;
  };
  std::vector<std::vector<int>> synced(h);   // [step] -> layers, last layer first
  std::vector<std::vector<Wait>> waits(h);   // [step] -> waits before forward nodes, in order
  for (int s = 0; s < h; ++s) {
    for (int f : plan.fragments_after(s))
      for (int l : plan.fragment_layers(f)) synced[s].push_back(l);
    std::sort(synced[s].rbegin(), synced[s].rend());
  }
  for (int s = 0; s < h; ++s)
    for (int l : synced[s]) {
      const int id = static_cast<int>(p.reduce_layer.size());
      p.reduce_layer.push_back(l);
      const int need = s + 1 + plan.result_lag();
      if (need >= 2 * h) throw InternalError("abstract program: a result is needed more than a round later");
      const int8_t offset = need >= h ? -1 : 0;
      waits[need % h].push_back({l, id, offset});
    }
  // By layer (forward order); at one layer, waits from the round before first (requested first).
  for (auto& w : waits)
    std::stable_sort(w.begin(), w.end(), [](const Wait& a, const Wait& b) {
      return a.layer != b.layer ? a.layer < b.layer : a.offset < b.offset;
    });

  // The ops; consecutive compute is merged, so a quiet step costs one addition.
  int64_t pending = 0;
  auto flush = [&] {
    while (pending > 0) {
      RoundOp c;
      c.kind = RoundOp::Kind::Compute;
      c.count = static_cast<int32_t>(std::min<int64_t>(pending, INT32_MAX));
      p.round.push_back(c);
      pending -= c.count;
    }
  };
  auto emit = [&](RoundOp::Kind kind, int8_t offset, int reduce) {
    flush();
    RoundOp op;
    op.kind = kind;
    op.round_offset = offset;
    op.reduce = reduce;
    p.round.push_back(op);
  };
  const int64_t fwd = layers, bwd = 2 * static_cast<int64_t>(layers) - 1;
  int next_id = 0;
  for (int k = 0; k < h; ++k) {
    // Forward: the waits due before each layer's forward node; round 0's first node starts the round.
    int64_t pos = 0;
    size_t w = 0;
    if (k == 0) {
      for (; w < waits[k].size() && waits[k][w].layer == 0; ++w) emit(RoundOp::Kind::Wait, waits[k][w].offset, waits[k][w].reduce);
      flush();
      p.round_start_op = p.round.size();
      emit(RoundOp::Kind::RoundStart, 0, 0);
    }
    for (; w < waits[k].size(); ++w) {
      pending += waits[k][w].layer - pos;
      pos = waits[k][w].layer;
      emit(RoundOp::Kind::Wait, waits[k][w].offset, waits[k][w].reduce);
    }
    pending += fwd - pos;
    // Backward, last layer first: weight node (after which the layer's reduce is requested), then
    // input node. Layer l's request comes after 2 (L - 1 - l) + 1 backward nodes.
    pos = 0;
    for (int l : synced[k]) {
      const int64_t at = 2 * static_cast<int64_t>(layers - 1 - l) + 1;
      pending += at - pos;
      pos = at;
      emit(RoundOp::Kind::Request, 0, next_id++);
    }
    pending += bwd - pos;
  }
  flush();
  return p;
}

}  // namespace trainsim
