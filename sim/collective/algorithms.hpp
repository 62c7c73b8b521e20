#pragma once
// Collective algorithms as flow plans (docs/collectives.md): each rank of a group, in turn,
// posts messages to peers, receives the messages addressed to it and pauses for the algorithm's
// latency terms. The algorithms only describe this traffic, through a FlowSink: the SimGrid
// player (engine/player.cpp) turns it into flows, the closed forms (closed_form.hpp) into link
// loads and seconds, so each algorithm is written once.
//
// Granularity: by default a collective runs `aggregated`: each rank posts, at once, one flow per
// peer carrying all the bytes the algorithm sends to that peer over all its steps (a ring
// all-reduce: 2(n-1)/n * S to the next rank, per channel), waits for its flows, then pauses one
// route latency per algorithm step. On uniform, otherwise idle links this equals the
// step-by-step algorithm (each step is bounded by the same links); it needs n flows instead of
// 2n(n-1). `stepwise` runs the ring family step by step (each step's send waits for the
// previous step's receive) and is used to check the aggregated form.
#include <cstdint>
#include <vector>

#include "collective/spec.hpp"

namespace trainsim {

class GroupTopology;

struct CollectiveCall {
  CollectiveKind kind = CollectiveKind::AllReduce;
  CollectiveAlgorithm algorithm = CollectiveAlgorithm::Ring;
  // nccl-tests' size convention: the all-reduce/broadcast buffer; the full (gathered) buffer
  // for all-gather and reduce-scatter; each rank's whole send buffer for all-to-all; the
  // message for send/recv.
  double bytes = 0;
  int root = 0;  // broadcast root (rank)
  Granularity granularity = Granularity::Aggregated;
  // Number of same-kind collectives issued back to back that this call stands for (e.g. the
  // gradient buckets queued on a communication stream): their bytes are summed in `bytes` and
  // their per-step latencies are paid `count` times. With aggregated flows this is exact.
  double count = 1;
  // All-to-all only: bytes this rank sends to each rank of the group (size n), instead of
  // bytes / n to each.
  const double* per_peer = nullptr;
};

struct FlowSend {
  int dst = 0;  // rank in the group
  double bytes = 0;
};

class FlowSink {
 public:
  virtual ~FlowSink() = default;
  // Posts `sends` together, takes `receives` messages tagged `tag`, and returns once its own
  // sends have left. Tags: collective_tag().
  virtual void exchange(uint64_t tag, const std::vector<FlowSend>& sends, int receives) = 0;
  // The algorithm's latency terms for the step(s) just exchanged.
  virtual void pause(double seconds) = 0;
};

// Tag of a collective's messages: its sequence number in the group (32 bits), phase (4 bits),
// step (20 bits). Point-to-point messages of programs use tags with bit 63 set.
uint64_t collective_tag(uint64_t sequence, int phase, int step);

// Runs `call` for `rank` of the group through `sink`; every rank of the group must run the same
// call with the same sequence number. Throws InputError when the group's shape does not suit
// the algorithm (hierarchical: nodes with different GPU counts).
void run_collective(const GroupTopology& group, int rank, uint64_t sequence, const CollectiveCall& call,
                    FlowSink& sink);

// Bytes a message of `bytes` moves on the network: at least one (a zero-byte message is pure
// synchronisation and still crosses its route).
inline double flow_bytes(double bytes) { return bytes < 1 ? 1 : bytes; }

// nccl-tests' bus-bandwidth factor: busbw = algbw * factor(n).
double bus_bandwidth_factor(CollectiveKind kind, int n);

}  // namespace trainsim
