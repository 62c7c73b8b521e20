#pragma once
// Collective algorithms executed as flows on the simulated network.
//
// Granularity (docs/collectives.md): by default a collective runs `aggregated`: each rank
// posts, at once, one flow per peer carrying all the bytes the algorithm sends to that peer
// over all its steps (a ring all-reduce: 2(n-1)/n * S to the next rank, per channel), waits
// for its flows, then adds one route latency per algorithm step. On uniform, otherwise idle
// links this equals the step-by-step algorithm (each step is bounded by the same links); it
// needs n flows instead of 2n(n-1). `stepwise` runs the algorithm step by step (each step's
// send waits for the previous step's receive) and is used to check the aggregated form.
#include <cstdint>

#include "collective/spec.hpp"

namespace trainsim {

class Communicator;


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
  // their per-step latencies are paid `coalesced` times. With aggregated flows this is exact.
  int coalesced = 1;
};

// Whether `algorithm` implements `kind` (e.g. tree: all-reduce and broadcast only).
bool supports(CollectiveAlgorithm algorithm, CollectiveKind kind);

// Runs the collective for `rank`; every rank of the communicator must call it with the
// same call, from the actor bound to that rank. Returns when this rank's part is complete.
void run_collective(Communicator& comm, int rank, const CollectiveCall& call);

// nccl-tests' bus-bandwidth factor: busbw = algbw * factor(n).
double bus_bandwidth_factor(CollectiveKind kind, int n);

}  // namespace trainsim
