#pragma once
// A corpus of generated abstract-worker DiLoCo cases for the tests of tests/diloco: WAN
// topologies with shared links, several hops, ties between equally short routes and latencies;
// every method; stragglers; bandwidths over four decades. Deterministic for a seed.
#include <cmath>
#include <random>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

#include "config/loader.hpp"
#include "platform/spec.hpp"
#include "scenario/diloco_spec.hpp"

namespace trainsim::test {

// Platforms: clusters named in ring order (the abstract mode's workers), WAN links between them.
struct Topology {
  const char* name;
  std::vector<std::string> clusters;
  std::vector<std::pair<std::string, std::string>> links;
};

inline const std::vector<Topology> kTopologies = {
    {"pair", {"a", "b"}, {{"a", "b"}}},
    // c -> a crosses both links, against the direction of a -> b and b -> c.
    {"line of three", {"a", "b", "c"}, {{"a", "b"}, {"b", "c"}}},
    {"triangle", {"a", "b", "c"}, {{"a", "b"}, {"b", "c"}, {"c", "a"}}},
    // A square crossed by the ring order: a -> c and b -> d each have two shortest routes.
    {"crossed square", {"a", "c", "b", "d"}, {{"a", "b"}, {"b", "c"}, {"c", "d"}, {"d", "a"}}},
    // A hub that is a worker too: x -> y and y -> z cross the hub, sharing its links.
    {"star", {"x", "h", "y", "z"}, {{"x", "h"}, {"y", "h"}, {"z", "h"}}},
};

// The topology's platform: one small cluster per name, WAN link i at gbps[i] with `latency_ms`.
inline PlatformSpec topology_platform(const Topology& t, const std::vector<double>& gbps, double latency_ms) {
  std::ostringstream y;
  y.precision(17);
  y << "platform:\n  name: corpus\n  clusters:\n";
  for (const auto& n : t.clusters)
    y << "    - {name: " << n << ", gpu: H100-SXM, nodes: 1, gpus_per_node: 8,\n"
      << "       intra_node: {kind: nvswitch, bandwidth: 400GB/s, latency: 1us},\n"
      << "       nic: {count: 1, bandwidth: 400Gbps, latency: 1us}, fabric: {kind: single_switch}}\n";
  y << "  wan:\n";
  for (size_t i = 0; i < t.links.size(); ++i)
    y << "    - {between: [" << t.links[i].first << ", " << t.links[i].second << "], bandwidth: " << gbps[i]
      << "Gbps, latency: " << latency_ms << "ms}\n";
  return load_platform_text(y.str(), "corpus.yaml");
}

struct Case {
  PlatformSpec platform;
  DilocoSpec spec;
  double gbps = 1;
  std::string text;  // for failure messages
};

class Corpus {
 public:
  explicit Corpus(uint64_t seed) : rng_(seed) {}

  Case make(const Topology& t) {
    Case c;
    std::ostringstream about;
    const bool latency = pick(0, 1);
    std::vector<double> gbps;
    for (size_t i = 0; i < t.links.size(); ++i) gbps.push_back(uniform(5, 20));
    c.platform = topology_platform(t, gbps, latency ? uniform(0.5, 30) : 0.0);

    DilocoModel m;
    m.name = "m";
    m.layers = pick(2, 12);
    m.parameters = std::pow(10.0, uniform(7, 10));
    m.step_time = uniform(0.02, 1.0);
    DilocoMethod h;
    h.name = "h";
    h.algorithm = static_cast<SyncAlgorithm>(pick(0, 2));
    h.inner_steps = pick(1, 30);
    const int steps = h.algorithm == SyncAlgorithm::DataParallel ? 1 : h.inner_steps;
    if (h.algorithm == SyncAlgorithm::Streaming) {
      h.layers_per_fragment = pick(1, m.layers);
      h.pattern = pick(0, 1) ? FragmentPattern::Strided : FragmentPattern::Sequential;
    }
    if (h.algorithm != SyncAlgorithm::DataParallel) {
      h.eager = pick(0, 2) == 0;
      if (!h.eager) h.overlap_steps = pick(0, std::min(steps - 1, 5));
    }
    h.bits = 4 << pick(0, 3);
    c.spec.models = {m};
    c.spec.methods = {h};
    if (pick(0, 1))
      for (size_t i = 0; i < t.clusters.size(); ++i) c.spec.workers.push_back({uniform(1.0, 1.4)});
    c.gbps = std::pow(10.0, uniform(-1, 3));
    about << t.name << ": L " << m.layers << ", N " << m.parameters << ", T " << m.step_time << "; algorithm "
          << static_cast<int>(h.algorithm) << ", H " << h.inner_steps << ", k " << h.layers_per_fragment << ", tau "
          << h.overlap_steps << ", eager " << h.eager << ", bits " << h.bits << "; stragglers "
          << c.spec.workers.size() << ", latency " << latency << "; " << c.gbps << " Gbit/s";
    c.text = about.str();
    return c;
  }

 private:
  std::mt19937_64 rng_;
  int pick(int lo, int hi) { return std::uniform_int_distribution<int>(lo, hi)(rng_); }
  double uniform(double lo, double hi) { return std::uniform_real_distribution<double>(lo, hi)(rng_); }
};

}  // namespace trainsim::test
