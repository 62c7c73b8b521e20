#pragma once
// Pipette's placement unit: a permutation of the cluster's nodes read as a grid of
// (nodes / pp) rows by pp columns. Row r is pipeline replica group r (d_in data-parallel
// replicas side by side inside its nodes); column s is pipeline stage s. Every stage of a
// replica group holds one whole node, split into tp x d_in GPUs.
#include <string>
#include <vector>

namespace trainsim::configurator {

struct NodeGrid {
  int pp = 1;
  int rows = 1;            // d_out: replica groups
  std::vector<int> nodes;  // row-major, rows * pp entries: node of (row, stage)

  int at(int row, int stage) const { return nodes[static_cast<size_t>(row) * pp + stage]; }
  bool operator==(const NodeGrid& o) const { return pp == o.pp && rows == o.rows && nodes == o.nodes; }
};

// Megatron-LM's default rank order (rank = tp + tp*(dp + dp*stage), GPUs in order) seen at
// node granularity: stage s takes nodes s*rows .. s*rows + rows - 1.
NodeGrid megatron_grid(int nodes, int pp);

// Trainsim's explicit `mapping` (global GPU of each Megatron rank) that places the plan the way
// the grid says. Data-parallel rank d = row * d_in + i (i: replica inside the node), so a
// data-parallel ring walks the GPUs of one node before it crosses to the next row's node; the
// tensor-parallel group of (stage, d) takes tp consecutive GPUs of its node.
std::vector<int> grid_to_mapping(const NodeGrid& grid, int tp, int gpus_per_node);

// "n3 n7 | n0 n1" style text: rows separated by '|', stages left to right.
std::string grid_text(const NodeGrid& grid);

// --- placements modulo symmetry (the oracle's exhaustive search) ---
// Rotating the rows (replica group r -> r + k mod rows) maps every data-parallel ring onto
// itself and leaves each pipeline chain intact: the simulated iteration is the same (measured
// bit for bit, pinned by tests/configurator/test_oracle.cpp). Reflections and other row
// permutations change the rings' neighbours, hence are distinct placements.

// The representative of a grid's class: rotated so that the row holding the smallest node
// comes first.
NodeGrid canonical_grid(const NodeGrid& grid);
// Number of classes: nodes! / rows (saturates at `cap` to avoid overflow).
long long placement_classes(int nodes, int pp, long long cap);
// Every class once (its canonical grid), in lexicographic order of the node sequence.
std::vector<NodeGrid> all_placements(int nodes, int pp);

}  // namespace trainsim::configurator
