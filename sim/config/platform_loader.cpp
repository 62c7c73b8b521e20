// Platform files: YAML -> PlatformSpec, with the semantic checks of docs/platforms.md.
#include <algorithm>
#include <cctype>
#include <map>
#include <numeric>

#include "config/bandwidth_matrix.hpp"
#include "config/link_names.hpp"
#include "config/loader.hpp"
#include "config/overrides.hpp"
#include "config/paths.hpp"
#include "config/yaml_reader.hpp"
#include "platform/kernel_times.hpp"
#include "platform/pcie.hpp"

namespace trainsim {
namespace {

using units::Kind;

const std::vector<std::pair<std::string, IntraNodeKind>> kIntraKinds = {
    {"nvswitch", IntraNodeKind::NvSwitch}, {"nvlink_mesh", IntraNodeKind::NvLinkMesh}, {"pcie", IntraNodeKind::Pcie}};
const std::vector<std::pair<std::string, FabricKind>> kFabricKinds = {
    {"single_switch", FabricKind::SingleSwitch},
    {"fat_tree", FabricKind::FatTree},
    {"rail_optimized", FabricKind::RailOptimized},
    {"measured", FabricKind::Measured}};
const std::vector<std::pair<std::string, SpreadDistribution>> kDistributions = {
    {"lognormal", SpreadDistribution::LogNormal}, {"uniform", SpreadDistribution::Uniform}};

constexpr long long kMaxGpusPerNode = 64;

std::vector<std::string> catalog_names() {
  std::vector<std::string> names;
  for (const auto& g : gpu_catalog()) names.push_back(g.name);
  return names;
}

// `gpu: A100-80GB` or an inline model {name, peak_flops, memory, memory_bandwidth}.
GpuModel parse_gpu(YamlMap& cluster) {
  const YAML::Node& n = cluster.node("gpu");
  const std::string expect = "expected a GPU model (one of: " + join_names(catalog_names()) +
                             ") or a map {name, peak_flops, memory, memory_bandwidth}, got ";
  if (n.IsScalar()) {
    if (auto g = find_gpu_model(n.Scalar())) return *g;
    std::string hint = did_you_mean(n.Scalar(), catalog_names());
    throw cluster.error("gpu", expect + describe(n) + (hint.empty() ? "" : " (" + hint + ")"));
  }
  if (!n.IsMap()) throw cluster.error("gpu", expect + describe(n));
  YamlMap m = cluster.get_map("gpu");
  GpuModel g;
  g.name = m.get_string("name");
  g.peak_flops = m.get_quantity("peak_flops", Kind::FlopRate, Bound::Positive);
  g.memory_bytes = m.get_quantity("memory", Kind::Size, Bound::Positive);
  g.memory_bandwidth = m.get_quantity("memory_bandwidth", Kind::Bandwidth, Bound::Positive);
  // The other precisions are catalogue data (0: not given); the compute model uses peak_flops.
  g.peak_fp32 = m.optional_quantity("peak_fp32", Kind::FlopRate, Bound::Positive, 0.0);
  g.peak_tf32 = m.optional_quantity("peak_tf32", Kind::FlopRate, Bound::Positive, 0.0);
  g.peak_fp8 = m.optional_quantity("peak_fp8", Kind::FlopRate, Bound::Positive, 0.0);
  g.bf16 = m.optional_bool("bf16", true);
  g.source = "custom model in " + m.file();
  m.finish();
  return g;
}

// Cluster names become the first component of link and host names: no dots, no glob characters.
std::string parse_name(YamlMap& m, const std::string& key) {
  std::string name = m.get_string(key);
  bool ok = !name.empty() && std::all_of(name.begin(), name.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '-';
  });
  if (!ok)
    throw m.error(key, "expected a name of letters, digits, '_' and '-', got \"" + name + "\"");
  return name;
}

// {bandwidth, latency} of one kind of PCIe-tree link; absent: no rate (pcie::check says when one
// is needed).
PcieHop parse_pcie_hop(YamlMap& intra, const std::string& key) {
  if (!intra.has(key)) return {};
  YamlMap m = intra.get_map(key);
  PcieHop h;
  h.bandwidth = m.get_quantity("bandwidth", Kind::Bandwidth, Bound::Positive);
  h.latency = m.get_quantity("latency", Kind::Time, Bound::NonNegative, units::kLatencyRange);
  m.finish();
  return h;
}

std::vector<PcieGroup> parse_pcie_groups(YamlMap& intra, const std::string& key, int sockets, int gpus, int nics) {
  std::vector<PcieGroup> out;
  if (!intra.has(key)) return out;
  for (auto& m : intra.get_map_list(key)) {
    PcieGroup g;
    g.socket = static_cast<int>(m.optional_int("socket", 0, 0, sockets - 1));
    for (long long i : m.get_int_list("gpus", 0, gpus - 1)) g.gpus.push_back(static_cast<int>(i));
    if (m.has("nics"))
      for (long long i : m.get_int_list("nics", 0, nics - 1)) g.nics.push_back(static_cast<int>(i));
    m.finish();
    out.push_back(std::move(g));
  }
  return out;
}

constexpr const char* kPcieKeys[] = {"sockets", "switches", "root_ports", "switch_uplink", "root_complex", "socket_link"};

IntraNodeSpec parse_intra(YamlMap& cluster, int gpus_per_node, int nics) {
  YamlMap m = cluster.get_map("intra_node");
  IntraNodeSpec s;
  s.kind = m.optional_enum("kind", kIntraKinds, IntraNodeKind::NvSwitch);
  s.bandwidth = m.get_quantity("bandwidth", Kind::Bandwidth, Bound::Positive);
  s.latency = m.get_quantity("latency", Kind::Time, Bound::NonNegative, units::kLatencyRange);
  if (s.kind == IntraNodeKind::Pcie) {
    // The PCIe tree (docs/platforms.md, "PCIe nodes").
    PcieTopology& t = s.pcie;
    t.sockets = static_cast<int>(m.optional_int("sockets", 1, 1, 8));
    t.switches = parse_pcie_groups(m, "switches", t.sockets, gpus_per_node, nics);
    t.root_ports = parse_pcie_groups(m, "root_ports", t.sockets, gpus_per_node, nics);
    t.switch_uplink = parse_pcie_hop(m, "switch_uplink");
    t.root_complex = parse_pcie_hop(m, "root_complex");
    t.socket_link = parse_pcie_hop(m, "socket_link");
    const pcie::Problem p = pcie::check(t, gpus_per_node, nics);
    if (!p.key.empty()) {
      const std::string first = p.key.substr(0, p.key.find_first_of(".["));
      throw InputError(m.where(first), m.key_path(p.key), p.message);
    }
  } else {
    for (const char* key : kPcieKeys) m.forbid(key, std::string(key) + " is only allowed with intra_node kind pcie");
  }
  m.finish();
  return s;
}

NicSpec parse_nic(YamlMap& cluster, int gpus_per_node) {
  YamlMap m = cluster.get_map("nic");
  NicSpec s;
  s.count = static_cast<int>(m.optional_int("count", 1, 1, kMaxGpusPerNode));
  if (s.count > gpus_per_node)
    throw m.error("count", "a node has " + std::to_string(s.count) + " NICs but only " +
                               std::to_string(gpus_per_node) +
                               " GPUs (gpus_per_node); nic.count must not exceed it");
  s.bandwidth = m.get_quantity("bandwidth", Kind::Bandwidth, Bound::Positive);
  s.latency = m.get_quantity("latency", Kind::Time, Bound::NonNegative, units::kLatencyRange);
  m.finish();
  return s;
}

FabricSpec parse_fabric(YamlMap& cluster, SourceLocation* kind_at) {
  FabricSpec s;
  if (!cluster.has("fabric")) return s;  // one switch, no switch latency
  YamlMap m = cluster.get_map("fabric");
  s.kind = m.get_enum("kind", kFabricKinds);
  *kind_at = m.where("kind");
  const bool leafy = s.kind == FabricKind::FatTree || s.kind == FabricKind::RailOptimized;
  if (leafy) {
    // A leaf (or scalable unit) may be partly filled: real clusters often are.
    s.nodes_per_leaf = static_cast<int>(m.get_int("nodes_per_leaf", 1, kMaxPlatformGpus));
    s.oversubscription = m.optional_number("oversubscription", 1.0, 1.0, 64.0);
  } else {
    const std::string kind = s.kind == FabricKind::Measured ? "measured" : "single_switch";
    m.forbid("nodes_per_leaf", "nodes_per_leaf is only allowed with fabric kind fat_tree or "
                               "rail_optimized, not " + kind);
    m.forbid("oversubscription", "oversubscription is only allowed with fabric kind fat_tree or "
                                 "rail_optimized, not " + kind);
  }
  s.switch_latency = m.optional_quantity("switch_latency", Kind::Time, Bound::NonNegative, 0.0, units::kLatencyRange);
  m.finish();
  return s;
}

struct ClusterExtra {
  std::string path;              // "platform.clusters[i]"
  SourceLocation fabric_kind_at;  // where a measured fabric was asked for
  SourceLocation name_at;
};

void parse_clusters(YamlMap& p, PlatformSpec& spec, std::vector<ClusterExtra>& extra) {
  auto maps = p.get_map_list("clusters");
  if (maps.empty()) throw p.error("clusters", "expected at least one cluster, got an empty list");
  long long total = 0;
  std::map<std::string, size_t> index;  // name -> cluster: linear, a file may hold thousands
  for (auto& m : maps) {
    ClusterSpec c;
    ClusterExtra x;
    x.path = m.path();
    c.where = m.location();
    c.name = parse_name(m, "name");
    x.name_at = m.where("name");
    if (auto [it, fresh] = index.emplace(c.name, spec.clusters.size()); !fresh)
      throw m.error("name", "cluster name '" + c.name + "' is already used by " + extra[it->second].path);
    c.gpu = parse_gpu(m);
    if (m.has("kernel_times")) {
      // The user's own kernel times for this cluster's GPU (docs/model.md, "User-measured compute").
      const std::string literal = m.get_string("kernel_times");
      const std::string path = resolve_relative(m.file(), literal);
      KernelTimes times = parse_kernel_times(
          read_named_file(m.file(), literal, m.where("kernel_times"), m.key_path("kernel_times"), "kernel-times file"),
          path);
      check_kernel_times(times, c.gpu);
      c.gpu.kernel_times = std::make_shared<const KernelTimes>(std::move(times));
    }
    c.nodes = static_cast<int>(m.get_int("nodes", 1, kMaxPlatformGpus));
    c.gpus_per_node = static_cast<int>(m.optional_int("gpus_per_node", 8, 1, kMaxGpusPerNode));
    c.nic = parse_nic(m, c.gpus_per_node);
    c.intra = parse_intra(m, c.gpus_per_node, c.nic.count);
    c.fabric = parse_fabric(m, &x.fabric_kind_at);
    m.finish();
    total += static_cast<long long>(c.nodes) * c.gpus_per_node;
    if (total > kMaxPlatformGpus)
      throw m.error("nodes", "the platform reaches " + std::to_string(total) +
                                 " GPUs here; at most " + std::to_string(kMaxPlatformGpus) +
                                 " are supported");
    spec.clusters.push_back(std::move(c));
    extra.push_back(std::move(x));
  }
}

int cluster_index(const PlatformSpec& spec, const std::string& name) {
  for (size_t i = 0; i < spec.clusters.size(); ++i)
    if (spec.clusters[i].name == name) return static_cast<int>(i);
  return -1;
}

// Name -> index of every cluster, for the checks that look clusters up per entry.
std::map<std::string, int> cluster_indices(const PlatformSpec& spec) {
  std::map<std::string, int> out;
  for (size_t i = 0; i < spec.clusters.size(); ++i) out.emplace(spec.clusters[i].name, static_cast<int>(i));
  return out;
}

std::vector<std::string> cluster_names(const PlatformSpec& spec) {
  std::vector<std::string> names;
  for (const auto& c : spec.clusters) names.push_back(c.name);
  return names;
}

void parse_wan(YamlMap& p, PlatformSpec& spec) {
  if (!p.has("wan")) return;
  const auto index = cluster_indices(spec);
  std::map<std::pair<std::string, std::string>, int> given;  // {a, b} with a < b -> line
  for (auto& m : p.get_map_list("wan")) {
    WanLinkSpec w;
    w.where = m.location();
    const YAML::Node& between = m.node("between");
    const std::string bkey = m.key_path("between");
    if (!between.IsSequence() || between.size() != 2)
      throw m.error("between", "expected a list of two cluster names, got " +
                                   (between.IsSequence() ? "a list of " + std::to_string(between.size())
                                                         : describe(between)));
    std::string ends[2];
    for (size_t k = 0; k < 2; ++k) {
      const std::string kpath = bkey + "[" + std::to_string(k) + "]";
      ends[k] = scalar_string(between[k], m.file(), kpath);
      if (!index.count(ends[k])) {
        std::string hint = did_you_mean(ends[k], cluster_names(spec));
        throw node_error(between[k], m.file(), kpath,
                         "unknown cluster \"" + ends[k] + "\"" + (hint.empty() ? "" : " (" + hint + ")") +
                             "; clusters: " + join_names(cluster_names(spec)));
      }
    }
    if (ends[0] == ends[1])
      throw m.error("between", "a WAN link must join two different clusters, got \"" + ends[0] +
                                   "\" twice");
    const auto pair = std::minmax(ends[0], ends[1]);
    if (auto [it, fresh] = given.emplace(std::make_pair(pair.first, pair.second), w.where.line); !fresh)
      throw m.error("between", "a WAN link between '" + ends[0] + "' and '" + ends[1] +
                                   "' is already given at line " + std::to_string(it->second));
    w.a = ends[0];
    w.b = ends[1];
    w.bandwidth = m.get_quantity("bandwidth", Kind::Bandwidth, Bound::Positive);
    w.latency = m.get_quantity("latency", Kind::Time, Bound::NonNegative, units::kLatencyRange);
    m.finish();
    spec.wan.push_back(std::move(w));
  }
}

// With several clusters the WAN links must connect them all: a job spanning two unconnected
// clusters would have no route.
void check_connected(const YamlMap& p, const PlatformSpec& spec) {
  const size_t n = spec.clusters.size();
  std::vector<size_t> parent(n);
  std::iota(parent.begin(), parent.end(), 0);
  auto root = [&](size_t i) {
    while (parent[i] != i) i = parent[i] = parent[parent[i]];
    return i;
  };
  const auto index = cluster_indices(spec);
  for (const auto& w : spec.wan)
    parent[root(static_cast<size_t>(index.at(w.a)))] = root(static_cast<size_t>(index.at(w.b)));
  for (size_t i = 1; i < n; ++i)
    if (root(i) != root(0))
      throw p.error("wan", "clusters '" + spec.clusters[0].name + "' and '" + spec.clusters[i].name +
                               "' are not connected; with several clusters, WAN links must connect "
                               "them all");
}

// Link names all globs of one platform may try together (about 2 s): globs naming a node
// ("c.n12.*") cost a few names each, but a hostile file could otherwise make the loader
// enumerate a million-GPU platform once per glob.
constexpr long long kGlobBudget = 20000000;

std::string parse_glob(YamlMap& m, const PlatformSpec& spec, long long* budget) {
  std::string glob = m.get_string("links");
  if (!any_link_matches(spec, glob, budget)) {
    if (*budget < 0)
      throw m.error("links", "checking the globs against the platform's links needs more than " +
                                 units::format_significant(static_cast<double>(kGlobBudget)) +
                                 " link names in all; write globs that name a node (\"c.n12.*\") or use fewer of them");
    throw m.error("links", "no link matches \"" + glob + "\"; link names look like: " + link_name_examples(spec));
  }
  return glob;
}

double positive_multiplier(YamlMap& m, const std::string& key) {
  return m.get_number(key, units::kFactorRange.min, units::kFactorRange.max);
}

void parse_spreads(YamlMap& h, PlatformSpec& spec, long long* budget) {
  if (!h.has("spread")) return;
  for (auto& m : h.get_map_list("spread")) {
    BandwidthSpread s;
    s.where = m.location();
    s.links = parse_glob(m, spec, budget);
    s.distribution = m.get_enum("distribution", kDistributions);
    if (s.distribution == SpreadDistribution::LogNormal) {
      s.sigma = m.get_number("sigma", 0, 3);
      m.forbid("min", "min is only allowed with distribution uniform");
      m.forbid("max", "max is only allowed with distribution uniform");
    } else {
      m.forbid("sigma", "sigma is only allowed with distribution lognormal");
      s.min = positive_multiplier(m, "min");
      s.max = positive_multiplier(m, "max");
      if (s.min > s.max)
        throw m.error("min", "min (" + m.node("min").Scalar() + ") is greater than max (" +
                                 m.node("max").Scalar() + ")");
    }
    m.finish();
    spec.spreads.push_back(std::move(s));
  }
}

void parse_overrides(YamlMap& h, PlatformSpec& spec, long long* budget) {
  if (!h.has("overrides")) return;
  for (auto& m : h.get_map_list("overrides")) {
    LinkOverride o;
    o.where = m.location();
    o.links = parse_glob(m, spec, budget);
    o.bandwidth = m.maybe_quantity("bandwidth", Kind::Bandwidth, Bound::Positive);
    if (m.has("factor")) {
      if (o.bandwidth) throw m.error("factor", "give either bandwidth or factor, not both");
      o.factor = positive_multiplier(m, "factor");
    }
    o.latency = m.maybe_quantity("latency", Kind::Time, Bound::NonNegative, units::kLatencyRange);
    if (!o.bandwidth && !o.factor && !o.latency)
      throw m.error("an override needs at least one of: bandwidth, factor, latency");
    m.finish();
    spec.overrides.push_back(std::move(o));
  }
}

void parse_matrix(YamlMap& h, PlatformSpec& spec, const std::vector<ClusterExtra>& extra) {
  if (!h.has("measured_matrix")) return;
  YamlMap m = h.get_map("measured_matrix");
  const std::string cluster = m.get_string("cluster");
  int ci = cluster_index(spec, cluster);
  if (ci < 0)
    throw m.error("cluster", "unknown cluster \"" + cluster + "\"; clusters: " +
                                 join_names(cluster_names(spec)));
  const ClusterSpec& c = spec.clusters[static_cast<size_t>(ci)];
  if (c.fabric.kind != FabricKind::Measured)
    throw m.error("cluster", "cluster '" + cluster + "' does not have fabric kind measured (" +
                                 extra[static_cast<size_t>(ci)].path +
                                 ".fabric.kind); a measured matrix replaces a measured fabric only");
  const std::string literal = m.get_string("file");
  const std::string file = resolve_relative(m.file(), literal);
  BandwidthMatrix mx = parse_bandwidth_matrix(
      read_named_file(m.file(), literal, m.where("file"), m.key_path("file"), "matrix file"), file, cluster);
  if (mx.hosts.size() != static_cast<size_t>(c.nodes))
    throw m.error("file", "the matrix in '" + file + "' has " + std::to_string(mx.hosts.size()) +
                              " nodes but cluster '" + cluster + "' has " + std::to_string(c.nodes));
  m.finish();
  spec.matrix = std::move(mx);
}

}  // namespace

PlatformSpec parse_platform(YamlMap& p, const std::string& default_name) {
  PlatformSpec spec;
  spec.file = p.file();
  spec.name = p.optional_string("name", default_name);
  std::vector<ClusterExtra> extra;
  parse_clusters(p, spec, extra);
  parse_wan(p, spec);
  check_connected(p, spec);
  if (p.has("heterogeneity")) {
    YamlMap h = p.get_map("heterogeneity");
    long long budget = kGlobBudget;
    parse_spreads(h, spec, &budget);
    parse_overrides(h, spec, &budget);
    parse_matrix(h, spec, extra);
    h.finish();
  }
  for (size_t i = 0; i < spec.clusters.size(); ++i)
    if (spec.clusters[i].fabric.kind == FabricKind::Measured &&
        !(spec.matrix && spec.matrix->cluster == spec.clusters[i].name))
      throw InputError(extra[i].fabric_kind_at, extra[i].path + ".fabric.kind",
                       "fabric kind measured needs heterogeneity.measured_matrix for cluster '" +
                           spec.clusters[i].name + "' (one measured cluster per platform)");
  p.finish();
  return spec;
}

PlatformSpec load_platform_text(const std::string& text, const std::string& name) {
  return load_platform_doc(parse_yaml(text, name, {"platform"}), name);
}

PlatformSpec load_platform_doc(const YAML::Node& root, const std::string& name) {
  if (root.IsNull())
    throw InputError({name, 0, 0}, "", "the file is empty; expected a map with the key 'platform'");
  YamlMap doc(root, name, "");
  YamlMap p = doc.get_map("platform");
  PlatformSpec spec = parse_platform(p, file_stem(name));
  doc.finish();
  return spec;
}

PlatformSpec load_platform_file(const std::string& path) {
  return load_platform_text(read_text_file(path), path);
}

}  // namespace trainsim
