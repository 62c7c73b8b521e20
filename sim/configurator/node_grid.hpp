#pragma once
// The placement of a configuration: a permutation of placement units read as a grid of
// (units / pp) rows by pp columns. Row r is pipeline replica group r (d_in data-parallel
// replicas side by side inside its unit); column s is pipeline stage s.
// Pipette's unit is a whole node (units_per_node = 1: every stage of a replica group holds one
// node, split into tp x d_in GPUs). Stages smaller than a node (pp not dividing the node count)
// use units of tp GPUs (units_per_node = gpus_per_node / tp, d_in = 1): unit u is GPUs
// u tp .. u tp + tp - 1, on node u / units_per_node, so several stages (or data-parallel
// replicas) share a node and their links are the node's intra-node links.
#include <string>
#include <vector>

namespace trainsim::configurator {

struct NodeGrid {
  int pp = 1;
  int rows = 1;            // d_out: replica groups
  std::vector<int> nodes;  // row-major, rows * pp entries: unit of (row, stage) (a node when units_per_node = 1)
  int units_per_node = 1;

  int at(int row, int stage) const { return nodes[static_cast<size_t>(row) * pp + stage]; }
  int node_of(int unit) const { return unit / units_per_node; }
  // The node holding (row, stage): what the bandwidth models look up.
  int node(int row, int stage) const { return node_of(at(row, stage)); }
  bool operator==(const NodeGrid& o) const {
    return pp == o.pp && rows == o.rows && nodes == o.nodes && units_per_node == o.units_per_node;
  }
};

// Megatron-LM's default rank order (rank = tp + tp*(dp + dp*stage), GPUs in order) seen at
// unit granularity: stage s takes units s*rows .. s*rows + rows - 1.
NodeGrid megatron_grid(int units, int pp, int units_per_node = 1);

// Trainsim's explicit `mapping` (global GPU of each Megatron rank) that places the plan the way
// the grid says. Data-parallel rank d = row * d_in + i (i: replica inside the unit), so a
// data-parallel ring walks the GPUs of one unit before it crosses to the next row's unit; the
// tensor-parallel group of (stage, d) takes tp consecutive GPUs of its unit.
std::vector<int> grid_to_mapping(const NodeGrid& grid, int tp, int gpus_per_node);

// "n3 n7 | n0 n1" style text: rows separated by '|', stages left to right; units smaller than a
// node as "n<node>.<k>" (the k-th block of tp GPUs of the node).
std::string grid_text(const NodeGrid& grid);

// --- placements modulo symmetry (the oracle's exhaustive search) ---
// Rotating the rows (replica group r -> r + k mod rows) maps every data-parallel ring onto
// itself and leaves each pipeline chain intact: the simulated iteration is the same (measured
// bit for bit, pinned by tests/configurator/test_oracle.cpp). Reflections and other row
// permutations change the rings' neighbours, hence are distinct placements.

// The representative of a grid's class: rotated so that the row holding the smallest node
// comes first.
NodeGrid canonical_grid(const NodeGrid& grid);
// Number of classes: units! / rows (saturates at `cap` to avoid overflow). Units of one node are
// not interchangeable in general (a PCIe tree puts GPU pairs at different distances).
long long placement_classes(int units, int pp, long long cap);
// Every class once (its canonical grid), in lexicographic order of the unit sequence.
std::vector<NodeGrid> all_placements(int units, int pp, int units_per_node = 1);

}  // namespace trainsim::configurator
