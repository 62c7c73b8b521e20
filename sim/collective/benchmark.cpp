#include "collective/benchmark.hpp"

#include <string>

#include "core/error.hpp"
#include "core/units.hpp"
#include "program/builder.hpp"

namespace trainsim {

std::vector<BenchCase> benchmark_cases(const CollectiveBenchSpec& spec) {
  std::vector<BenchCase> cases;
  for (auto kind : spec.collectives) {
    std::vector<CollectiveAlgorithm> algos;
    if (kind == CollectiveKind::AllToAll || kind == CollectiveKind::SendRecv) {
      algos = {CollectiveAlgorithm::Direct};
    } else {
      for (auto a : spec.algorithms)
        if (supports(a, kind)) algos.push_back(a);
    }
    for (auto a : algos)
      for (double s = spec.min_bytes; s <= spec.max_bytes * (1 + 1e-12); s *= spec.factor)
        cases.push_back({kind, a, s});
  }
  return cases;
}

program::ProgramSet benchmark_programs(const std::vector<BenchCase>& cases, const std::vector<int>& gpus,
                                       Granularity granularity) {
  using namespace program;
  Builder b;
  const int stream = b.stream(kComputeStream), slot = b.slot("bench");
  const int group = b.group("bench", std::vector<int32_t>(gpus.begin(), gpus.end()));
  Program p;
  ProgramWriter w(p);
  Collective barrier;
  barrier.kind = CollectiveKind::Barrier;
  for (size_t i = 0; i < cases.size(); ++i) {
    const auto& c = cases[i];
    const int label = b.label(std::string(collective_name(c.kind)) + " " + algorithm_name(c.algorithm) + " " +
                              units::format_size(c.bytes));
    w.marker(stream, MarkerKind::Iteration, static_cast<int>(i));
    w.collective(stream, slot, barrier, Role::Wait);
    Collective op;
    op.kind = c.kind, op.algorithm = c.algorithm, op.granularity = granularity, op.bytes = c.bytes;
    w.collective(stream, slot, op, Role::Collective, label);
    w.collective(stream, slot, barrier, Role::Wait);
    w.marker(stream, MarkerKind::Iteration, static_cast<int>(i), true);
  }
  for (int gpu : gpus) b.add_rank(gpu, p, {group});
  b.job().kind = "collective_benchmark";
  return b.finish();
}

BenchMeter::BenchMeter(const program::ProgramSet& set) : ranks_(set.groups.empty() ? 0 : static_cast<int>(set.groups[0].gpus.size())) {}

void BenchMeter::op_done(int rank, const program::Op& op, const program::OpTiming& t, const program::Context& ctx) {
  if (rank != 0 || op.kind() != program::OpKind::Collective) return;
  const int i = ctx[program::MarkerKind::Iteration];
  if (i < 0) return;
  const auto& c = op.as<program::Collective>();
  if (static_cast<size_t>(i) >= start_.size()) {
    start_.resize(i + 1, 0), end_.resize(i + 1, 0), collective_seen_.resize(i + 1, false);
    cases_.resize(i + 1, {CollectiveKind::Barrier, CollectiveAlgorithm::Ring, 0});
  }
  if (c.kind != CollectiveKind::Barrier) {
    cases_[i] = {c.kind, c.algorithm, c.bytes};
    start_[i] = t.start;
    collective_seen_[i] = true;
  } else if (collective_seen_[i]) {
    end_[i] = t.end;
  }
}

std::vector<BenchResult> BenchMeter::results() const {
  std::vector<BenchResult> out;
  for (size_t i = 0; i < cases_.size(); ++i) {
    if (!collective_seen_[i]) continue;
    BenchResult r;
    r.what = cases_[i];
    r.ranks = ranks_;
    r.seconds = end_[i] - start_[i];
    r.algbw = r.seconds > 0 ? r.what.bytes / r.seconds : 0;
    r.busbw = r.algbw * bus_bandwidth_factor(r.what.kind, ranks_);
    out.push_back(r);
  }
  return out;
}

}  // namespace trainsim
