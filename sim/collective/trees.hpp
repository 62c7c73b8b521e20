#pragma once
// Binary trees for NCCL-style double-binary-tree collectives (Sanders et al. 2009, used by
// NCCL 2.4+): an in-order binary tree over positions 0..n-1 and the same tree shifted by one
// position, so that (for even n) every leaf of one tree is an interior node of the other and
// each rank's links carry about the same load in total.
#include <vector>

namespace trainsim {

struct Tree {
  std::vector<int> parent;                 // -1 for the root
  std::vector<std::vector<int>> children;  // at most 2
  int depth = 0;                           // edges on the longest root-to-leaf path
  double max_edge_latency = 0;             // filled by the communicator
};

// In-order binary tree over n ranks: the root is the middle position, recursively; rank of
// position i is (i + shift) mod n.
Tree make_inorder_tree(int n, int shift);

}  // namespace trainsim
