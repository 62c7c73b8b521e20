#include "collective/trees.hpp"

#include <algorithm>
#include <utility>

namespace trainsim {

Tree make_inorder_tree(int n, int shift) {
  Tree t;
  t.parent.assign(n, -1);
  t.children.assign(n, {});
  auto rank = [&](int pos) { return (pos + shift) % n; };
  // Iterative build over ranges [lo, hi) with their parent and depth.
  struct Range {
    int lo, hi, parent, depth;
  };
  std::vector<Range> stack{{0, n, -1, 0}};
  while (!stack.empty()) {
    Range r = stack.back();
    stack.pop_back();
    if (r.lo >= r.hi) continue;
    const int mid = r.lo + (r.hi - r.lo) / 2;
    const int me = rank(mid);
    t.parent[me] = r.parent;
    if (r.parent >= 0) t.children[r.parent].push_back(me);
    t.depth = std::max(t.depth, r.depth);
    stack.push_back({mid + 1, r.hi, me, r.depth + 1});
    stack.push_back({r.lo, mid, me, r.depth + 1});
  }
  return t;
}

}  // namespace trainsim
