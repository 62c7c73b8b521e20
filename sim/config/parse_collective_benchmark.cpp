// `job: {kind: collective_benchmark, ...}` -> CollectiveBenchSpec (docs/scenarios.md).
#include <algorithm>
#include <cmath>

#include "config/job_kinds.hpp"
#include "core/limits.hpp"

namespace trainsim {
namespace {

using units::Kind;

// The collectives a benchmark measures: every kind but the barrier (which separates its cases).
const std::vector<std::pair<std::string, CollectiveKind>>& benchmarked_collectives() {
  static const auto names =
      names_among(collective_names(), [](CollectiveKind k) { return k != CollectiveKind::Barrier; });
  return names;
}

const ClusterSpec* find_cluster(const PlatformSpec& p, const std::string& name) {
  for (const auto& c : p.clusters)
    if (c.name == name) return &c;
  return nullptr;
}

// group: {gpus: all} | {gpus: [0, 1, 8, 9]} | {nodes: 2, gpus_per_node: 4, cluster: a}
GpuGroupSpec parse_group(YamlMap& job, const PlatformSpec& platform) {
  GpuGroupSpec g;
  if (!job.has("group")) return g;  // every GPU of the platform
  YamlMap m = job.get_map("group");
  const ClusterSpec* cluster = &platform.clusters.front();
  if (m.has("cluster")) {
    g.cluster = m.get_string("cluster");
    cluster = find_cluster(platform, g.cluster);
    if (!cluster) {
      std::vector<std::string> names;
      for (const auto& c : platform.clusters) names.push_back(c.name);
      throw m.error("cluster", "unknown cluster \"" + g.cluster + "\"; clusters: " + join_names(names));
    }
  }
  long long size = 0;
  if (!m.has("gpus") && !m.has("nodes"))
    throw m.error("a group needs either `gpus: all | [indices]` or `nodes: N`");
  if (m.has("gpus")) {
    m.forbid("nodes", "give either gpus or nodes, not both");
    m.forbid("gpus_per_node", "gpus_per_node goes with nodes, not with gpus");
    const YAML::Node& n = m.node("gpus");
    if (n.IsScalar() && n.Scalar() == "all") {
      size = g.cluster.empty() ? platform.total_gpus()
                               : static_cast<long long>(cluster->nodes) * cluster->gpus_per_node;
    } else if (n.IsSequence()) {
      if (!g.cluster.empty())
        throw m.error("cluster", "an explicit gpus list holds global GPU indices; drop 'cluster'");
      std::vector<bool> listed(static_cast<size_t>(platform.total_gpus()), false);  // linear, not quadratic
      for (long long i : m.get_int_list("gpus", 0, platform.total_gpus() - 1)) {
        if (listed[static_cast<size_t>(i)]) throw m.error("gpus", "GPU " + std::to_string(i) + " is listed twice");
        listed[static_cast<size_t>(i)] = true;
        g.gpus.push_back(static_cast<int>(i));
      }
      size = static_cast<long long>(g.gpus.size());
    } else {
      throw m.error("gpus", "expected `all` or a list of global GPU indices, got " + describe(n));
    }
  } else {
    g.nodes = static_cast<int>(m.get_int("nodes", 1, cluster->nodes));
    g.gpus_per_node =
        static_cast<int>(m.optional_int("gpus_per_node", 0, 1, cluster->gpus_per_node));
    size = static_cast<long long>(g.nodes) * (g.gpus_per_node ? g.gpus_per_node : cluster->gpus_per_node);
  }
  if (size < 2) throw m.error("a collective needs at least 2 GPUs; this group has " + std::to_string(size));
  m.finish();
  return g;
}

}  // namespace

CollectiveBenchSpec parse_collective_benchmark(YamlMap& job, const PlatformSpec& platform) {
  CollectiveBenchSpec s;
  s.where = job.location();
  s.collectives = job.get_enum_list("collectives", benchmarked_collectives());
  s.algorithms = job.has("algorithms") ? job.get_enum_list("algorithms", algorithm_names())
                                       : std::vector<CollectiveAlgorithm>{CollectiveAlgorithm::Ring};
  s.group = parse_group(job, platform);
  if (job.has("sizes")) {
    YamlMap m = job.get_map("sizes");
    s.min_bytes = m.optional_quantity("min", Kind::Size, Bound::Positive, s.min_bytes);
    s.max_bytes = m.optional_quantity("max", Kind::Size, Bound::Positive, s.max_bytes);
    if (s.min_bytes > s.max_bytes)
      throw m.error("min", "min (" + units::format_size(s.min_bytes) + ") is greater than max (" +
                               units::format_size(s.max_bytes) + ")");
    // factor > 1 so the sweep ends; the 1024 cap keeps it a sweep rather than a typo.
    s.factor = m.optional_number("factor", s.factor, 1.0, 1024.0);
    if (s.factor == 1.0 && s.min_bytes < s.max_bytes)
      throw m.error("factor", "factor 1 never reaches max; expected a number above 1");
    if (const double n = limits::message_size_count(s.min_bytes, s.max_bytes, s.factor); n > limits::kMaxMessageSizes)
      throw m.error("factor", "factor " + m.node("factor").Scalar() + " gives " + units::format_significant(n) +
                                  " message sizes from " + units::format_size(s.min_bytes) + " to " +
                                  units::format_size(s.max_bytes) + "; at most " +
                                  units::format_significant(limits::kMaxMessageSizes) +
                                  " sizes per sweep, so expected a factor of at least " +
                                  units::format_significant(std::pow(s.max_bytes / s.min_bytes,
                                                                     1 / (limits::kMaxMessageSizes - 1))));
    m.finish();
  }
  s.granularity = job.optional_enum(
      "granularity",
      std::vector<std::pair<std::string, Granularity>>{{"aggregated", Granularity::Aggregated},
                                                       {"stepwise", Granularity::Stepwise}},
      Granularity::Aggregated);
  return s;
}

}  // namespace trainsim
