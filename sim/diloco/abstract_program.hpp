#pragma once
// The abstract mode's per-step DAG as a plain-value program (docs/diloco.md, "Model"): what a
// worker's compute stream does during one outer round, as ordered operations, and what each of
// the round's reduces exchanges. Every round and every worker play the same program (a worker's
// `step_time_factor` only scales the length of a compute unit), so one round is stored and the
// players (the exact event loop, abstract_loop.hpp, and the SimGrid player, abstract_sim.hpp)
// repeat it. Pure: no SimGrid, checked by hand in tests/diloco/test_program.cpp.
#include <cstdint>
#include <vector>

#include "diloco/sync_plan.hpp"

namespace trainsim {

struct RoundOp {
  enum class Kind : uint8_t {
    Compute,     // `count` per-layer nodes of compute (forward, backward-input or backward-weight)
    Wait,        // block until reduce `reduce` of round (current + `round_offset`) is done here
                 // (none in round 0 for round -1: a run starts with nothing before it)
    Request,     // queue reduce `reduce` of the current round on this worker's communication stream
    RoundStart,  // the round's first step begins its first forward node (the round's start time)
  };
  Kind kind = Kind::Compute;
  int8_t round_offset = 0;  // Wait: 0 (requested this round) or -1 (the round before)
  int32_t count = 0;        // Compute: nodes
  int32_t reduce = 0;       // Wait, Request: index of the reduce within its round
};

struct AbstractProgram {
  int layers = 0;
  int inner_steps = 0;          // H: steps per round
  int64_t units_per_round = 0;  // H (3L - 1) compute nodes
  // One round of the compute stream. It begins with the waits due before the first forward
  // node of the round's first step, then RoundStart; a run of R rounds plays it R times and
  // then its ops up to RoundStart once more (the start of round R ends round R - 1).
  std::vector<RoundOp> round;
  size_t round_start_op = 0;         // index of the RoundStart op in `round`
  std::vector<int> reduce_layer;     // per reduce of a round (in request order): its layer
  int ring_steps = 0;                // sequential ring steps of one reduce
  double ring_chunk = 0;             // bytes each worker sends at each ring step
  int reduces_per_round() const { return static_cast<int>(reduce_layer.size()); }
  double bytes_per_worker_per_round() const { return ring_steps * ring_chunk * reduces_per_round(); }
};

AbstractProgram make_abstract_program(const SyncPlan& plan);

}  // namespace trainsim
