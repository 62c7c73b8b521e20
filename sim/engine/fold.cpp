#include "engine/fold.hpp"

#include <map>
#include <optional>

#include "engine/recorder.hpp"
#include "network/network.hpp"
#include "network/topology.hpp"
#include "platform/link_names.hpp"

namespace trainsim {
namespace {

using program::OpKind;

// Why the tensor-parallel ranks of `set` are not copies of each other (empty: they are), and
// per rank its position in its tp group and the ranks of its group's members.
struct Symmetry {
  std::string why_not;
  int copies = 0;
  std::vector<int> position;               // per rank: tp rank within its group
  std::vector<std::vector<int>> members;   // per rank at position 0: the ranks of its group
};

// Every op on the folded slot must be a closed form (no flows, no synchronisation): then a
// group's members never wait for each other and their flows elsewhere do not involve the slot.
std::string slot_use_problem(const program::ProgramSet& set, int slot) {
  for (const auto& prog : set.programs)
    for (const auto& op : prog.ops) {
      if (op.slot != slot) continue;
      switch (op.kind()) {
        case OpKind::Send:
        case OpKind::Recv:
          return "tensor-parallel ranks exchange messages";
        case OpKind::Collective: {
          const auto& c = op.as<program::Collective>();
          if (c.granularity != Granularity::ClosedForm || c.kind == CollectiveKind::Barrier)
            return "tensor-parallel collectives run as flows (tp_comm_overlap or a barrier)";
          if (c.per_peer >= 0) return "tensor-parallel all-to-alls with per-peer bytes";
          break;
        }
        default:
          break;
      }
    }
  return {};
}

// A result saying why folding does not apply.
template <class R>
R refused(std::string why) {
  R r;
  r.why_not = std::move(why);
  return r;
}

Symmetry find_symmetry(const program::ProgramSet& set, const Network& net, int slot) {
  Symmetry s;
  std::vector<int> rank_of(static_cast<size_t>(net.gpu_count()), -1);
  for (size_t r = 0; r < set.ranks.size(); ++r) rank_of[set.ranks[r].gpu] = static_cast<int>(r);
  s.position.assign(set.ranks.size(), -1);
  s.members.resize(set.ranks.size());
  for (size_t r = 0; r < set.ranks.size(); ++r) {
    const auto& rank = set.ranks[r];
    const int g = rank.groups.at(slot);
    if (g < 0) return refused<Symmetry>("no tensor parallelism (a rank has no tensor-parallel group)");
    const auto& gpus = set.groups[g].gpus;
    if (s.copies == 0) s.copies = static_cast<int>(gpus.size());
    if (static_cast<int>(gpus.size()) != s.copies) return refused<Symmetry>("tensor-parallel groups of different sizes");
    if (rank.gpu != gpus.front()) continue;  // visited from its group's rank 0
    std::vector<int> members;
    for (int gpu : gpus) {
      const int m = gpu >= 0 && gpu < net.gpu_count() ? rank_of[gpu] : -1;
      if (m < 0 || set.ranks[m].groups[slot] != g) return refused<Symmetry>("a tensor-parallel group names a GPU without its rank");
      const auto& other = set.ranks[m];
      if (other.program != rank.program) return refused<Symmetry>("tensor-parallel ranks run different programs");
      if (other.compute_scale != rank.compute_scale) return refused<Symmetry>("tensor-parallel ranks have different compute speeds (stragglers)");
      if (net.location(gpu).global_node != net.location(rank.gpu).global_node)
        return refused<Symmetry>("a tensor-parallel group spans nodes");
      s.position[m] = static_cast<int>(members.size());
      members.push_back(m);
    }
    s.members[r] = std::move(members);
  }
  if (s.copies < 2) return refused<Symmetry>("no tensor parallelism");
  // Every other group: its members are rank-0 ranks, and for each j the members' j-th copies form
  // the group the copies are bound to, in the same order.
  for (size_t r = 0; r < set.ranks.size(); ++r) {
    if (s.position[r] != 0) continue;
    const auto& rank = set.ranks[r];
    for (size_t t = 0; t < rank.groups.size(); ++t) {
      if (static_cast<int>(t) == slot) continue;
      const int g = rank.groups[t];
      for (int j = 1; j < s.copies; ++j) {
        const int gj = set.ranks[s.members[r][j]].groups[t];
        if ((g < 0) != (gj < 0)) return refused<Symmetry>("the copies of a rank are bound to different slots");
        if (g < 0) continue;
        const auto& a = set.groups[g].gpus;
        const auto& b = set.groups[gj].gpus;
        if (a.size() != b.size()) return refused<Symmetry>("group " + set.groups[gj].name + " is not a copy of " + set.groups[g].name);
        for (size_t i = 0; i < a.size(); ++i) {
          const int m = a[i] >= 0 && a[i] < net.gpu_count() ? rank_of[a[i]] : -1;
          if (m < 0) return refused<Symmetry>("group " + set.groups[g].name + " names a GPU without a rank");
          if (s.position[m] != 0) return refused<Symmetry>("group " + set.groups[g].name + " mixes tensor-parallel ranks");
          if (set.ranks[s.members[m][j]].gpu != b[i])
            return refused<Symmetry>("group " + set.groups[gj].name + " is not a copy of " + set.groups[g].name);
        }
      }
    }
  }
  return s;
}

// The divisor of every link the copies' flows share, or why the copies' flows are not images of
// rank 0's on links of equal bandwidth (then folding would not be exact).
struct Links {
  std::string why_not;
  std::vector<std::pair<int, double>> divisors;
};

Links shared_links(const program::ProgramSet& set, const Network& net, const Symmetry& s) {
  const auto& spec = net.spec();
  for (const auto& l : net.links())
    if (l.bandwidth != l.nominal_bandwidth) return refused<Links>("link " + l.name + " has a measured or degraded bandwidth");
  std::vector<char> cluster_used(spec.clusters.size(), 0);
  for (const auto& r : set.ranks) cluster_used[net.location(r.gpu).cluster] = 1;
  for (size_t c = 0; c < spec.clusters.size(); ++c) {
    if (!cluster_used[c]) continue;
    const auto& cl = spec.clusters[c];
    if (cl.intra.kind == IntraNodeKind::Pcie) return refused<Links>("cluster " + cl.name + " has PCIe nodes (shared switch links)");
    if (cl.fabric.kind == FabricKind::Measured) return refused<Links>("cluster " + cl.name + " has a measured fabric");
  }
  const auto link_index = [&](const LinkInfo* l) { return static_cast<int>(l - net.links().data()); };
  auto nic_link = [&](int gpu) {
    const auto& at = net.location(gpu);
    const auto& cl = spec.clusters[at.cluster];
    return link_index(net.find_link(link_names::nic(cl.name, at.node, nic_of_gpu(cl, at.local))));
  };
  // Per NIC: how many copies of each rank-0 GPU's flows cross it (both directions alike).
  std::map<int, std::map<int, int>> crossing;
  std::map<int, std::vector<int>> own;  // NIC -> the rank-0 GPUs whose own NIC it is
  for (size_t r = 0; r < set.ranks.size(); ++r) {
    if (s.position[r] != 0) continue;
    const int rep = set.ranks[r].gpu;
    own[nic_link(rep)].push_back(rep);
    for (int m : s.members[r]) ++crossing[nic_link(set.ranks[m].gpu)][rep];
  }
  Links out;
  for (const auto& [nic, counts] : crossing) {
    const auto it = own.find(nic);
    const std::string& name = net.links()[nic].name;
    if (it == own.end()) {
      // Used by copies only: its load must be that of a NIC of rank-0 GPUs.
      const int image = nic_link(counts.begin()->first);
      if (crossing.at(image) != counts) return refused<Links>("NIC " + name + " is shared unevenly by tensor-parallel ranks");
      continue;
    }
    if (counts.size() != it->second.size()) return refused<Links>("NIC " + name + " is shared unevenly by tensor-parallel ranks");
    const int m = counts.begin()->second;
    for (const auto& [rep, n] : counts)
      if (n != m) return refused<Links>("NIC " + name + " is shared unevenly by tensor-parallel ranks");
    if (m > 1) out.divisors.emplace_back(nic, m);
  }
  // Leaf uplinks and WAN links: the copies of a flow join the same nodes, so all cross them.
  for (size_t l = 0; l < net.links().size(); ++l) {
    const LinkTier tier = net.links()[l].tier;
    if (tier == LinkTier::Leaf || tier == LinkTier::Wan)
      out.divisors.emplace_back(static_cast<int>(l), s.copies);
  }
  return out;
}

}  // namespace

Fold fold_tensor_parallel(const program::ProgramSet& set, const Network& net, bool keep_activities) {
  Fold f;
  auto refuse = [&](const std::string& why) {
    f.note = "every GPU simulated (tensor-parallel ranks not folded: " + why + ")";
    return std::move(f);
  };
  if (keep_activities) return refuse("a trace of every GPU's activities was asked for");
  const int slot = set.slot_index("tp");
  if (slot < 0 || set.ranks.empty()) return refuse("no tensor parallelism");
  // (Before the scan of every op below: a run without tensor parallelism learns it per rank.)
  bool any_pair = false;
  for (const auto& r : set.ranks) any_pair = any_pair || (r.groups.at(slot) >= 0 && set.groups[r.groups[slot]].gpus.size() > 1);
  if (!any_pair) return refuse("no tensor parallelism");
  if (std::string why = slot_use_problem(set, slot); !why.empty()) return refuse(why);
  Symmetry s = find_symmetry(set, net, slot);
  if (!s.why_not.empty()) return refuse(s.why_not);
  Links links = shared_links(set, net, s);
  if (!links.why_not.empty()) return refuse(links.why_not);

  f.copies = s.copies;
  f.divisors = std::move(links.divisors);
  f.set.streams = set.streams, f.set.slots = set.slots, f.set.labels = set.labels;
  f.set.groups = set.groups, f.set.programs = set.programs, f.set.job = set.job;
  f.copies_of.resize(static_cast<size_t>(net.gpu_count()));
  for (size_t r = 0; r < set.ranks.size(); ++r) {
    if (s.position[r] != 0) continue;
    f.set.ranks.push_back(set.ranks[r]);
    auto& copies = f.copies_of[set.ranks[r].gpu];
    for (size_t j = 1; j < s.members[r].size(); ++j) copies.push_back(set.ranks[s.members[r][j]].gpu);
  }
  f.folded_group.assign(set.groups.size(), 0);
  for (const auto& r : set.ranks) f.folded_group[r.groups[slot]] = 1;
  f.all_ranks = set.ranks;
  f.note = "tensor-parallel ranks folded: 1 of every " + std::to_string(s.copies) + " simulated (" +
           std::to_string(f.set.ranks.size()) + " of " + std::to_string(set.ranks.size()) +
           " GPUs; the others are exact copies, docs/programs.md)";
  return f;
}

void apply_fold(const Fold& fold, Network& net, Recorder* recorder) {
  if (!fold.applied()) return;
  for (const auto& [link, m] : fold.divisors) net.set_simulated_bandwidth(link, net.links()[link].bandwidth / m);
  if (!recorder) return;
  recorder->set_copies(&fold.copies_of);
  for (const auto& r : fold.all_ranks) {
    auto& info = recorder->trace().gpus[r.gpu];
    info.stage = r.info.stage, info.tp_rank = r.info.tp_rank, info.dp_rank = r.info.dp_rank, info.replica = r.info.replica;
  }
}

}  // namespace trainsim
