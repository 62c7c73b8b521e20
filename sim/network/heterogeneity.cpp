#include "network/heterogeneity.hpp"

#include <algorithm>
#include <cmath>

#include "core/error.hpp"
#include "core/random.hpp"
#include "network/glob.hpp"
#include "platform/link_names.hpp"

namespace trainsim {
namespace {

bool positive(double v) { return std::isfinite(v) && v > 0; }

std::vector<size_t> matched_or_throw(const std::string& pattern, const std::vector<LinkInfo>& links,
                                     const LinkNameIndex& index, const SourceLocation& where,
                                     const PlatformSpec* part_of) {
  auto matched = match_links(pattern, links, index);
  // A rule that names no link is almost always a typo; silently ignoring it would simulate the
  // healthy platform while the user believes a link is degraded. A rule about links outside a
  // job's scope is no typo: it changes nothing the job crosses.
  if (matched.empty() && !(part_of && link_names::for_each_link_name(*part_of, [&](const std::string& name) {
                             return glob_match(pattern, name);
                           })))
    throw InputError(where, "links", "\"" + pattern + "\" matches no link of the platform");
  return matched;
}

void set_bandwidth_by_name(const std::string& name, double bandwidth, std::vector<LinkInfo>& links,
                           const LinkNameIndex& index, bool partial) {
  auto it = index.find(name);
  if (it == index.end()) {
    if (partial) return;  // outside the job's scope
    throw InternalError("measured matrix: missing link " + name);
  }
  links[it->second].bandwidth = bandwidth;
}

}  // namespace

std::vector<size_t> match_links(const std::string& pattern, const std::vector<LinkInfo>& links,
                                const LinkNameIndex& index) {
  std::vector<size_t> out;
  if (!has_wildcard(pattern)) {
    if (auto it = index.find(pattern); it != index.end()) out.push_back(it->second);
    return out;
  }
  for (size_t i = 0; i < links.size(); ++i)
    if (glob_match(pattern, links[i].name)) out.push_back(i);
  std::sort(out.begin(), out.end(), [&](size_t a, size_t b) { return links[a].name < links[b].name; });
  return out;
}

void apply_spreads(const std::vector<BandwidthSpread>& spreads, uint64_t seed, std::vector<LinkInfo>& links,
                   const LinkNameIndex& index, const PlatformSpec* part_of) {
  const Rng base = Rng(seed).fork("bandwidth-spread");
  for (size_t r = 0; r < spreads.size(); ++r) {
    const auto& s = spreads[r];
    if (s.distribution == SpreadDistribution::LogNormal && !(std::isfinite(s.sigma) && s.sigma >= 0))
      throw InputError(s.where, "sigma", "must be a finite number >= 0");
    if (s.distribution == SpreadDistribution::Uniform && !(positive(s.min) && positive(s.max) && s.min <= s.max))
      throw InputError(s.where, "min", "uniform spread needs 0 < min <= max");
    const Rng rule = base.fork(std::to_string(r));
    for (size_t i : matched_or_throw(s.links, links, index, s.where, part_of)) {
      Rng draw = rule.fork(links[i].name);
      double f = s.distribution == SpreadDistribution::LogNormal ? draw.lognormal(s.sigma) : draw.uniform(s.min, s.max);
      links[i].bandwidth *= f;
    }
  }
}

void apply_overrides(const std::vector<LinkOverride>& overrides, std::vector<LinkInfo>& links,
                     const LinkNameIndex& index, const PlatformSpec* part_of) {
  for (const auto& o : overrides) {
    if (o.bandwidth && !positive(*o.bandwidth)) throw InputError(o.where, "bandwidth", "must be > 0");
    if (o.factor && !positive(*o.factor)) throw InputError(o.where, "factor", "must be > 0");
    if (o.latency && !(std::isfinite(*o.latency) && *o.latency >= 0))
      throw InputError(o.where, "latency", "must be >= 0");
    if (!o.bandwidth && !o.factor && !o.latency)
      throw InputError(o.where, "links", "override sets none of bandwidth, factor, latency");
    for (size_t i : matched_or_throw(o.links, links, index, o.where, part_of)) {
      // Absolute first, then factor: "bandwidth: 100GB/s, factor: 0.5" reads as half of 100 GB/s.
      if (o.bandwidth) links[i].bandwidth = *o.bandwidth;
      if (o.factor) links[i].bandwidth *= *o.factor;
      if (o.latency) links[i].latency = *o.latency;
    }
  }
}

void apply_matrix(const BandwidthMatrix& m, const PlatformSpec& spec, std::vector<LinkInfo>& links,
                  const LinkNameIndex& index, bool partial) {
  const SourceLocation where{m.file, 0, 0};
  auto cl = std::find_if(spec.clusters.begin(), spec.clusters.end(),
                         [&](const ClusterSpec& c) { return c.name == m.cluster; });
  if (cl == spec.clusters.end())
    throw InputError(where, "cluster", "bandwidth matrix names unknown cluster \"" + m.cluster + "\"");
  if (cl->fabric.kind != FabricKind::Measured)
    throw InputError(where, "cluster", "bandwidth matrix needs cluster \"" + m.cluster + "\" to have fabric kind measured");
  const size_t n = static_cast<size_t>(cl->nodes);
  if (m.bandwidth.size() != n || (!m.hosts.empty() && m.hosts.size() != n))
    throw InputError(where, "bandwidth", "matrix has " + std::to_string(m.bandwidth.size()) + " rows, cluster \"" +
                                             m.cluster + "\" has " + std::to_string(n) + " nodes");
  for (size_t a = 0; a < n; ++a) {
    if (m.bandwidth[a].size() != n)
      throw InputError(where, "bandwidth", "row " + std::to_string(a) + " has " + std::to_string(m.bandwidth[a].size()) +
                                               " entries, expected " + std::to_string(n));
    for (double v : m.bandwidth[a])
      if (!positive(v)) throw InputError(where, "bandwidth", "row " + std::to_string(a) + " has a non-positive entry");
  }
  const std::string& c = cl->name;
  const int g = cl->gpus_per_node;
  for (size_t a = 0; a < n; ++a) {
    const int k = static_cast<int>(a);
    const double diag = m.bandwidth[a][a];
    if (g > 1) {
      switch (cl->intra.kind) {
        case IntraNodeKind::NvSwitch:
          for (int i = 0; i < g; ++i) set_bandwidth_by_name(link_names::nvswitch_port(c, k, i), diag, links, index, partial);
          break;
        case IntraNodeKind::NvLinkMesh:
          for (int i = 0; i < g; ++i)
            for (int j = i + 1; j < g; ++j)
              set_bandwidth_by_name(link_names::nvlink_mesh(c, k, i, j), diag / (g - 1), links, index, partial);
          break;
        case IntraNodeKind::Pcie:  // the GPUs' own links; the rest of the tree keeps its rates
          for (int i = 0; i < g; ++i) set_bandwidth_by_name(link_names::pcie_gpu(c, k, i), diag, links, index, partial);
          break;
      }
    }
    // A pair link has one LinkInfo bandwidth for both directions, so an asymmetric measurement
    // is reduced to its slower direction: conservative, no direction runs faster than measured.
    for (size_t b = a + 1; b < n; ++b)
      set_bandwidth_by_name(link_names::pair(c, k, static_cast<int>(b)),
                            std::min(m.bandwidth[a][b], m.bandwidth[b][a]), links, index, partial);
  }
}

void apply_heterogeneity(const PlatformSpec& spec, uint64_t seed, std::vector<LinkInfo>& links,
                         const LinkNameIndex& index, bool partial) {
  const PlatformSpec* part_of = partial ? &spec : nullptr;
  apply_spreads(spec.spreads, seed, links, index, part_of);
  apply_overrides(spec.overrides, links, index, part_of);
  if (spec.matrix) apply_matrix(*spec.matrix, spec, links, index, partial);
}

}  // namespace trainsim
