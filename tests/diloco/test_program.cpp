// The abstract mode's round program (diloco/abstract_program.hpp) against hand-written ones, and
// its invariants over many plans: every compute node once, every reduce requested once and
// waited for once, in request order.
#include <catch2/catch.hpp>
#include <random>

#include "diloco/abstract_program.hpp"

using namespace trainsim;
using K = RoundOp::Kind;

namespace {

DilocoModel model(int layers) {
  DilocoModel m;
  m.name = "m";
  m.layers = layers;
  m.parameters = 1e9;
  m.step_time = 0.1;
  return m;
}

struct Op {
  K kind;
  int value;   // count (Compute) or reduce (Wait, Request)
  int offset;  // Wait only
};

std::vector<Op> ops(const AbstractProgram& p) {
  std::vector<Op> out;
  for (const auto& op : p.round)
    out.push_back({op.kind, op.kind == K::Compute ? op.count : op.reduce, op.kind == K::Wait ? op.round_offset : 0});
  return out;
}

bool operator==(const Op& a, const Op& b) { return a.kind == b.kind && a.value == b.value && a.offset == b.offset; }
std::ostream& operator<<(std::ostream& os, const Op& o) {
  const char* names[] = {"Compute", "Wait", "Request", "RoundStart"};
  return os << names[static_cast<int>(o.kind)] << "(" << o.value << (o.kind == K::Wait ? "," + std::to_string(o.offset) : "")
            << ")";
}

}  // namespace

TEST_CASE("DiLoCo, 2 layers, H = 2: the round by hand") {
  DilocoMethod d;
  d.algorithm = SyncAlgorithm::Diloco;
  d.inner_steps = 2;
  const auto p = make_abstract_program(SyncPlan(model(2), d, 2));
  // 3L - 1 = 5 nodes a step. Both layers sync after step 1, last layer first (reduce 0 = layer 1,
  // reduce 1 = layer 0); their results are needed by the next round's first forward nodes.
  // Step 0: wait for layer 0's reduce, start the round, forward layer 0 (1), wait for layer 1's;
  // then forward layer 1 (1), backward of step 0 (3), forward of step 1 (2) and layer 1's
  // backward-weight node (1) = 7; request layer 1; its input node and layer 0's weight node (2);
  // request layer 0. Nothing after it: layer 0 has no backward-input node.
  const std::vector<Op> want = {{K::Wait, 1, -1}, {K::RoundStart, 0, 0}, {K::Compute, 1, 0}, {K::Wait, 0, -1},
                                {K::Compute, 7, 0}, {K::Request, 0, 0},   {K::Compute, 2, 0}, {K::Request, 1, 0}};
  CHECK(ops(p) == want);
  CHECK(p.units_per_round == 10);
  CHECK(p.reduce_layer == std::vector<int>{1, 0});
  CHECK(p.round_start_op == 1);
  CHECK(p.ring_steps == 2);
  CHECK(p.ring_chunk == Approx(1e9 / 2 * 2 / 2));  // a layer of 5e8 parameters, 16 bits, halved
}

TEST_CASE("Streaming with overlap: a fragment's result is waited for tau steps later") {
  DilocoMethod s;
  s.algorithm = SyncAlgorithm::Streaming;
  s.inner_steps = 4;
  s.layers_per_fragment = 1;  // P = 2 fragments of one layer, strided: fragment f = layer f
  s.overlap_steps = 1;
  const auto p = make_abstract_program(SyncPlan(model(2), s, 2));
  // Offsets round((f+1) H / P) mod H: fragment 0 syncs after step 1, fragment 1 after step 3.
  // Needed at s + 1 + tau: layer 0's at step 3, layer 1's at step 5 = the next round's step 1.
  // Step 0 (5 nodes) and step 1's first forward node; the wait; layer 1's forward node and the
  // backward nodes up to layer 0's weight node (1 + 3); layer 0's request; and so on.
  const auto got = ops(p);
  const std::vector<Op> expected = {
      {K::RoundStart, 0, 0},
      {K::Compute, 5 + 1, 0},  // step 0 (5), step 1 forward of layer 0 (1)
      {K::Wait, 1, -1},        // layer 1's reduce of the round before (requested after step 3)
      {K::Compute, 1 + 3, 0},  // forward layer 1, then backward up to layer 0's weight node: 1 + 2 + 1
      {K::Request, 0, 0},      // layer 0 after step 1
      {K::Compute, 5, 0},      // step 2
      {K::Wait, 0, 0},         // step 3: layer 0's result, requested after step 1
      {K::Compute, 2 + 1, 0},  // forward of step 3 (2) and layer 1's weight node (1)
      {K::Request, 1, 0},      // layer 1 after step 3
      {K::Compute, 2, 0},      // layer 1's input node, layer 0's weight node
  };
  CHECK(got == expected);
  CHECK(p.units_per_round == 20);
}

TEST_CASE("Eager updates wait one round minus a step: every result comes from the round before") {
  DilocoMethod e;
  e.algorithm = SyncAlgorithm::Streaming;
  e.inner_steps = 6;
  e.layers_per_fragment = 1;
  e.eager = true;
  const auto p = make_abstract_program(SyncPlan(model(3), e, 2));
  REQUIRE(p.reduces_per_round() == 3);
  for (const auto& op : p.round)
    if (op.kind == K::Wait) CHECK(op.round_offset == -1);
}

TEST_CASE("Data-parallel: one step a round, every layer waited for at the next step's forward") {
  DilocoMethod dp;
  dp.algorithm = SyncAlgorithm::DataParallel;
  const auto p = make_abstract_program(SyncPlan(model(3), dp, 2));
  // Reduces: layer 2, 1, 0 (ids 0, 1, 2); waits before forward of layers 0, 1, 2 of the next step.
  const std::vector<Op> want = {{K::Wait, 2, -1}, {K::RoundStart, 0, 0}, {K::Compute, 1, 0}, {K::Wait, 1, -1},
                                {K::Compute, 1, 0}, {K::Wait, 0, -1},   {K::Compute, 1 + 1, 0}, {K::Request, 0, 0},
                                {K::Compute, 2, 0}, {K::Request, 1, 0}, {K::Compute, 2, 0}, {K::Request, 2, 0}};
  CHECK(ops(p) == want);
}

TEST_CASE("Program invariants over many plans") {
  std::mt19937_64 rng(7);
  auto pick = [&](int lo, int hi) { return std::uniform_int_distribution<int>(lo, hi)(rng); };
  for (int c = 0; c < 500; ++c) {
    const int layers = pick(1, 40);
    DilocoMethod m;
    m.algorithm = static_cast<SyncAlgorithm>(pick(0, 2));
    m.inner_steps = pick(1, 60);
    if (m.algorithm == SyncAlgorithm::Streaming) {
      m.layers_per_fragment = pick(1, layers);
      m.pattern = pick(0, 1) ? FragmentPattern::Strided : FragmentPattern::Sequential;
    }
    const int h = m.algorithm == SyncAlgorithm::DataParallel ? 1 : m.inner_steps;
    if (m.algorithm != SyncAlgorithm::DataParallel) {
      m.eager = pick(0, 3) == 0;
      if (!m.eager) m.overlap_steps = pick(0, h - 1);
    }
    m.bits = 4 << pick(0, 3);
    const auto p = make_abstract_program(SyncPlan(model(layers), m, pick(2, 5)));
    INFO("case " << c << ": L " << layers << " H " << h << " algorithm " << static_cast<int>(m.algorithm));
    int64_t units = 0;
    int round_starts = 0, next_request = 0;
    std::vector<int> waited(static_cast<size_t>(p.reduces_per_round()), 0);
    for (size_t i = 0; i < p.round.size(); ++i) {
      const auto& op = p.round[i];
      if (op.kind == K::Compute) units += op.count;
      if (op.kind == K::RoundStart) {
        ++round_starts;
        CHECK(i == p.round_start_op);
      }
      if (op.kind == K::Request) CHECK(op.reduce == next_request++);
      if (op.kind == K::Wait) ++waited[static_cast<size_t>(op.reduce)];
      if (i < p.round_start_op) CHECK(op.kind == K::Wait);
    }
    CHECK(units == p.units_per_round);
    CHECK(units == static_cast<int64_t>(h) * (3 * layers - 1));
    CHECK(round_starts == 1);
    // Every layer is synchronised exactly once a round, and every result waited for once.
    CHECK(next_request == layers);
    CHECK(std::all_of(waited.begin(), waited.end(), [](int w) { return w == 1; }));
  }
}
