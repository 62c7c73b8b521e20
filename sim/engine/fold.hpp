#pragma once
// Folding symmetric tensor-parallel ranks (docs/programs.md, "Folding tensor-parallel ranks"):
// when the k ranks of every tensor-parallel group run the same program and everything they do
// on the network is a copy of rank 0's shifted to sibling GPUs of the same node, only rank 0 of
// each group is played. Each link that the copies' flows share is given 1/m of its bandwidth,
// m being how many copies of a flow cross it (NICs shared by GPUs, leaf uplinks, WAN links);
// under max-min sharing one flow on C/m gets exactly what each of m identical flows gets on C.
// Links private to one copy (NVLink ports, a GPU's own NIC) keep theirs. The recorder charges
// every copy's route, so link totals and loads are those of the unfolded run.
//
// Folding applies only when it is provably exact; otherwise `fold_tensor_parallel` says why
// and the caller plays every rank.
#include <string>
#include <vector>

#include "program/program.hpp"

namespace trainsim {

class Network;
class Recorder;

struct Fold {
  int copies = 1;    // k ranks stand behind each played one; 1: nothing folded
  std::string note;  // what was folded, or why folding does not apply
  program::ProgramSet set;  // the played ranks (tp rank 0 of each group), when copies > 1
  // Per GPU of the platform: the GPUs of its copies (tp ranks 1..k-1), for played GPUs.
  std::vector<std::vector<int>> copies_of;
  // Per group of `set`: the group of the folded slot (its closed forms charge every member).
  std::vector<char> folded_group;
  // (link index, m): the links whose SimGrid bandwidth is divided by m.
  std::vector<std::pair<int, double>> divisors;
  // The unfolded ranks' roles, for the trace's GPU table.
  std::vector<program::Rank> all_ranks;

  bool applied() const { return copies > 1; }
};

// Decides whether `set`'s tensor-parallel ranks fold on `net` and builds the folded set. A trace
// of activities keeps every GPU's rows: folding is then not applied.
Fold fold_tensor_parallel(const program::ProgramSet& set, const Network& net, bool keep_activities);

// Divides the bandwidths of the fold's shared links in `net`'s SimGrid platform, and makes the
// recorder (if any) charge every copy's route and know the copies' roles. Call before playing.
void apply_fold(const Fold& fold, Network& net, Recorder* recorder);

}  // namespace trainsim
