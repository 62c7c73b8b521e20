#include "collective/algorithms.hpp"

#include <algorithm>
#include <vector>

#include "collective/topology.hpp"
#include "collective/trees.hpp"
#include "core/error.hpp"

namespace trainsim {

uint64_t collective_tag(uint64_t seq, int phase, int step) {
  return (seq << 32) | (static_cast<uint64_t>(phase) << 28) | static_cast<uint64_t>(step & 0xFFFFF);
}

namespace {

using Send = FlowSend;

// The algorithms below are written against these three helpers: post every send at once (flows
// start together and share links max-min fairly), take the expected receives, pause.
struct Io {
  FlowSink& sink;
  void exchange(uint64_t tag, const std::vector<Send>& sends, int receives) { sink.exchange(tag, sends, receives); }
  void pause(double seconds) {
    if (seconds > 0) sink.pause(seconds);
  }
};

uint64_t make_tag(uint64_t seq, int phase, int step) { return collective_tag(seq, phase, step); }

double latency(const GroupTopology& comm, int a, int b) { return comm.latency(a, b); }

// Ring family: all-reduce (2(n-1) steps), reduce-scatter and all-gather (n-1 steps), over
// every channel at once. `volume` is the fraction of S each rank sends in total.
void ring(const GroupTopology& comm, Io& io, int rank, uint64_t seq, double bytes, int steps, Granularity g, double reps) {
  const int n = comm.size();
  const int channels = comm.channels();
  double step_latency = 0;
  for (int c = 0; c < channels; ++c) step_latency = std::max(step_latency, comm.ring_step_latency(c));
  const double chunk = bytes / n / channels;  // one step of one channel
  std::vector<Send> sends(channels);
  for (int c = 0; c < channels; ++c) {
    const auto& r = comm.ring(c);
    sends[c].dst = r[(comm.ring_position(c, rank) + 1) % n];
  }
  if (g == Granularity::Aggregated) {
    for (auto& s : sends) s.bytes = chunk * steps;
    io.exchange(make_tag(seq, 0, 0), sends, channels);
    io.pause(reps * (steps * step_latency));
    return;
  }
  for (auto& s : sends) s.bytes = chunk;
  for (int step = 0; step < steps; ++step) {
    io.exchange(make_tag(seq, 0, step), sends, channels);
    io.pause(reps * (step_latency));
  }
}

// Pipelined chain broadcast from `root` along each channel's ring.
void ring_broadcast(const GroupTopology& comm, Io& io, int rank, uint64_t seq, double bytes, int root, double reps) {
  const int n = comm.size();
  const int channels = comm.channels();
  std::vector<Send> sends;
  int receives = 0;
  double step_latency = 0;
  for (int c = 0; c < channels; ++c) {
    const auto& r = comm.ring(c);
    const int pos = comm.ring_position(c, rank), root_pos = comm.ring_position(c, root);
    const int last = (root_pos + n - 1) % n;
    if (pos != last) sends.push_back({r[(pos + 1) % n], bytes / channels});
    if (rank != root) ++receives;
    step_latency = std::max(step_latency, comm.ring_step_latency(c));
  }
  io.exchange(make_tag(seq, 0, 0), sends, receives);
  io.pause(reps * ((n - 1) * step_latency));
}

// NCCL's double binary tree: two trees, each carrying half the data, reduce up and broadcast
// down pipelined (aggregated: all edges' flows at once), depth steps of latency each way.
void tree_all_reduce(const GroupTopology& comm, Io& io, int rank, uint64_t seq, double bytes, double reps) {
  std::vector<Send> sends;
  int receives = 0;
  double lmax = 0;
  int depth = 0;
  for (int t = 0; t < 2; ++t) {
    const auto& tree = comm.tree(t);
    const int parent = tree.parent[rank];
    if (parent >= 0) {
      sends.push_back({parent, bytes / 2});
      ++receives;  // the broadcast coming down
    }
    for (int child : tree.children[rank]) {
      sends.push_back({child, bytes / 2});
      ++receives;  // the reduction coming up
    }
    lmax = std::max(lmax, tree.max_edge_latency);
    depth = std::max(depth, tree.depth);
  }
  io.exchange(make_tag(seq, 0, 0), sends, receives);
  io.pause(reps * (2.0 * depth * lmax));
}

void tree_broadcast(const GroupTopology& comm, Io& io, int rank, uint64_t seq, double bytes, int root, double reps) {
  const int n = comm.size();
  // Binary heap rooted at `root`: virtual index k = (rank - root) mod n, parent (k-1)/2.
  const int k = (rank - root + n) % n;
  std::vector<Send> sends;
  double lmax = 0;
  for (int child = 2 * k + 1; child <= 2 * k + 2 && child < n; ++child) {
    const int dst = (child + root) % n;
    sends.push_back({dst, bytes});
    lmax = std::max(lmax, latency(comm, rank, dst));
  }
  int depth = 0;
  for (int m = n; m > 1; m = (m + 1) / 2) ++depth;
  io.exchange(make_tag(seq, 0, 0), sends, k == 0 ? 0 : 1);
  if (k > 0) lmax = std::max(lmax, latency(comm, (((k - 1) / 2) + root) % n, rank));
  io.pause(reps * (depth * lmax));
}

// Hierarchical (node-aware): intra-node ring phase, inter-node rings between GPUs of the same
// local index (one per rail), intra-node ring phase.
void hierarchical(const GroupTopology& comm, Io& io, int rank, uint64_t seq, CollectiveKind kind, double bytes, double reps) {
  const auto& nodes = comm.ranks_by_node();
  const int nn = static_cast<int>(nodes.size());
  const int slot = comm.node_slot(rank), local = comm.local_rank(rank);
  const auto& members = nodes[slot];
  const int g = static_cast<int>(members.size());
  for (const auto& m : nodes)
    if (static_cast<int>(m.size()) != g)
      throw InputError({}, "algorithm", "hierarchical collectives need the same number of GPUs on every node");

  auto intra = [&](int phase, double volume) {
    if (g == 1) return;
    const int next = members[(local + 1) % g];
    double lmax = 0;
    for (int i = 0; i < g; ++i) lmax = std::max(lmax, latency(comm, members[i], members[(i + 1) % g]));
    io.exchange(make_tag(seq, phase, 0), {{next, volume * (g - 1) / g}}, 1);
    io.pause(reps * ((g - 1) * lmax));
  };
  auto inter = [&](int phase, double data, int steps_per_n) {  // steps: (nn-1) * steps_per_n
    if (nn == 1) return;
    const int next = nodes[(slot + 1) % nn][local];
    double lmax = 0;
    for (int i = 0; i < nn; ++i) lmax = std::max(lmax, latency(comm, nodes[i][local], nodes[(i + 1) % nn][local]));
    const int steps = (nn - 1) * steps_per_n;
    io.exchange(make_tag(seq, phase, 0), {{next, data / nn * steps}}, 1);
    io.pause(reps * (steps * lmax));
  };
  switch (kind) {
    case CollectiveKind::AllReduce:
      intra(1, bytes);          // reduce-scatter: each GPU owns S/g
      inter(2, bytes / g, 2);   // all-reduce of S/g across nodes
      intra(3, bytes);          // all-gather
      return;
    case CollectiveKind::ReduceScatter:
      intra(1, bytes);
      inter(2, bytes / g, 1);
      return;
    case CollectiveKind::AllGather:
      inter(2, bytes / g, 1);
      intra(3, bytes);
      return;
    default:
      throw InternalError("hierarchical algorithm does not implement this collective");
  }
}

void all_to_all(const GroupTopology& comm, Io& io, int rank, uint64_t seq, double bytes, const double* per_peer, double reps) {
  const int n = comm.size();
  std::vector<Send> sends;
  sends.reserve(n - 1);
  double lmax = 0;
  for (int d = 1; d < n; ++d) {
    const int dst = (rank + d) % n;
    sends.push_back({dst, per_peer ? per_peer[dst] : bytes / n});
    lmax = std::max(lmax, latency(comm, rank, dst));
  }
  io.exchange(make_tag(seq, 0, 0), sends, n - 1);
  io.pause(reps * (lmax));
}

void send_recv(const GroupTopology& comm, Io& io, int rank, uint64_t seq, double bytes, double reps) {
  const int n = comm.size();
  const int next = (rank + 1) % n, prev = (rank + n - 1) % n;
  io.exchange(make_tag(seq, 0, 0), {{next, bytes}}, 1);
  io.pause(reps * (latency(comm, prev, rank)));
}

}  // namespace

void run_collective(const GroupTopology& comm, int rank, uint64_t seq, const CollectiveCall& call, FlowSink& sink) {
  const int n = comm.size();
  if (n == 1) return;
  if (call.kind == CollectiveKind::Barrier) throw InternalError("a barrier has no flows (the player synchronises it)");
  Io io{sink};
  if (!supports(call.algorithm, call.kind))
    throw InternalError(std::string(algorithm_name(call.algorithm)) + " does not implement " +
                        collective_name(call.kind));
  switch (call.algorithm) {
    case CollectiveAlgorithm::Ring:
      switch (call.kind) {
        case CollectiveKind::AllReduce: return ring(comm, io, rank, seq, call.bytes, 2 * (n - 1), call.granularity, call.count);
        case CollectiveKind::ReduceScatter:
        case CollectiveKind::AllGather: return ring(comm, io, rank, seq, call.bytes, n - 1, call.granularity, call.count);
        case CollectiveKind::Broadcast: return ring_broadcast(comm, io, rank, seq, call.bytes, call.root, call.count);
        default: break;
      }
      break;
    case CollectiveAlgorithm::Tree:
      if (call.kind == CollectiveKind::AllReduce) return tree_all_reduce(comm, io, rank, seq, call.bytes, call.count);
      return tree_broadcast(comm, io, rank, seq, call.bytes, call.root, call.count);
    case CollectiveAlgorithm::Hierarchical: return hierarchical(comm, io, rank, seq, call.kind, call.bytes, call.count);
    case CollectiveAlgorithm::Direct:
      if (call.kind == CollectiveKind::AllToAll) return all_to_all(comm, io, rank, seq, call.bytes, call.per_peer, call.count);
      return send_recv(comm, io, rank, seq, call.bytes, call.count);
  }
}

double bus_bandwidth_factor(CollectiveKind kind, int n) {
  switch (kind) {
    case CollectiveKind::AllReduce: return 2.0 * (n - 1) / n;
    case CollectiveKind::ReduceScatter:
    case CollectiveKind::AllGather:
    case CollectiveKind::AllToAll: return static_cast<double>(n - 1) / n;
    case CollectiveKind::Broadcast:
    case CollectiveKind::SendRecv:
    case CollectiveKind::Barrier: return 1.0;
  }
  return 1.0;
}

}  // namespace trainsim
