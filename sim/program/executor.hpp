#pragma once
// The reference executor: plays a program set without SimGrid, by list scheduling. Every op
// starts when its stream reaches it and its dependencies are met, and lasts what the cost model
// says for it alone on the network (no contention): a message is usable `transfer()` after it
// was posted; a synchronising collective completes on each member `collective()` after the
// last member entered it; closed-form collectives and compute take their own time. It is the
// semantics the SimGrid player (engine/player.hpp) must reproduce when the network adds no
// contention, the reference it is tested against (tests/program), and the deadlock check of
// programs read from files. Linear in the number of ops played.
#include <stdexcept>
#include <string>

#include "program/observer.hpp"
#include "program/program.hpp"

namespace trainsim::program {

class CostModel {
 public:
  virtual ~CostModel() = default;
  // Seconds from a send being posted to its message being usable at the receiver (route
  // latency included), alone on the network.
  virtual double transfer(int src_gpu, int dst_gpu, double bytes) const = 0;
  // Seconds member `rank` of `group` spends in `op`: from the last member's entry for
  // synchronising collectives, from its own entry for closed-form ones. `per_peer`: the op's
  // per-peer bytes (all-to-all) or null.
  virtual double collective(int group, int rank, const Collective& op, const double* per_peer) const = 0;
};

// Costs that are all zero: only the order of the programs matters (deadlock checks).
class ZeroCosts final : public CostModel {
 public:
  double transfer(int, int, double) const override { return 0; }
  double collective(int, int, const Collective&, const double*) const override { return 0; }
};

// The programs can never complete: every unfinished stream waits for something that no
// runnable stream will provide. `where()` names the first blocked op.
class ProgramDeadlock : public std::runtime_error {
 public:
  ProgramDeadlock(int rank, int program, int op, const std::string& message)
      : std::runtime_error(message), rank_(rank), program_(program), op_(op) {}
  int rank() const { return rank_; }
  int program() const { return program_; }
  int op() const { return op_; }

 private:
  int rank_, program_, op_;
};

// Plays `set` (which must pass validate()), reporting every op to `observer` (may be null), and
// returns the makespan. Throws ProgramDeadlock.
double execute(const ProgramSet& set, const CostModel& costs, Observer* observer = nullptr);

}  // namespace trainsim::program
