#include "collective/benchmark.hpp"

#include <simgrid/s4u/Barrier.hpp>
#include <string>

#include "collective/communicator.hpp"
#include "core/units.hpp"
#include "engine/recorder.hpp"
#include "engine/simulation.hpp"

namespace sg4 = simgrid::s4u;

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

std::vector<BenchResult> run_collective_benchmark(Simulation& sim, const CollectiveBenchSpec& spec,
                                                  const std::vector<int>& gpus, Recorder* recorder,
                                                  Granularity granularity) {
  const auto cases = benchmark_cases(spec);
  const int n = static_cast<int>(gpus.size());
  std::vector<BenchResult> results(cases.size());
  Communicator comm(sim.network(), "bench", gpus, recorder);
  auto barrier = sg4::Barrier::create(n);
  std::vector<int32_t> labels;
  if (recorder)
    for (const auto& c : cases)
      labels.push_back(recorder->label(std::string(collective_name(c.kind)) + " " + algorithm_name(c.algorithm) +
                                       " " + units::format_size(c.bytes)));
  for (int rank = 0; rank < n; ++rank) {
    auto actor = sim.spawn("bench-" + std::to_string(rank), gpus[rank], [&, rank] {
      for (size_t i = 0; i < cases.size(); ++i) {
        barrier->wait();
        const double start = Simulation::now();
        run_collective(comm, rank, {cases[i].kind, cases[i].algorithm, cases[i].bytes, 0, granularity});
        const double end = Simulation::now();
        if (recorder && recorder->keeps_activities()) {
          output::ActivityRecord rec;
          rec.start = start;
          rec.end = end;
          rec.bytes = cases[i].bytes;
          rec.gpu = gpus[rank];
          rec.kind = output::ActivityKind::Collective;
          rec.label = labels[i];
          rec.step = static_cast<int32_t>(i);
          recorder->activity(rec);
        }
        barrier->wait();  // the case ends when its last rank finishes
        if (rank == 0) {
          auto& r = results[i];
          r.what = cases[i];
          r.ranks = n;
          r.seconds = Simulation::now() - start;
          r.algbw = r.seconds > 0 ? cases[i].bytes / r.seconds : 0;
          r.busbw = r.algbw * bus_bandwidth_factor(cases[i].kind, n);
        }
      }
    });
    comm.bind(rank, actor);
  }
  sim.run();
  return results;
}

}  // namespace trainsim
