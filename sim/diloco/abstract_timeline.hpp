#pragma once
// What a player of an abstract program records (the exact loop and the SimGrid player record the
// same things, so that the figures are computed once, from either), and the figures themselves:
// the steady state's utilization, round time, WAN bytes and peak rate (docs/diloco.md,
// "Results").
#include <cstdint>
#include <vector>

#include "diloco/abstract_program.hpp"
#include "diloco/abstract_wan.hpp"
#include "diloco/result.hpp"

namespace trainsim {

// A run: how many rounds the workers play (from an empty start: nothing before round 0), and
// (when known) the rounds that form the steady state: from `steady_round` on, every `period`
// rounds repeat the same timing.
struct AbstractRun {
  int rounds = 0;
  int steady_round = 0, period = 0;
  bool jumped = false;  // some rounds were extrapolated, not simulated (abstract_loop.hpp)
  bool cycle = true;    // the steady rounds repeat exactly; false: their mean (no cycle found)
};

// Reduces are numbered in the order every worker's communication stream runs them ("slots"):
// round by round, in request order within a round.
struct SlotNumbering {
  int per_round = 0;  // reduces of a round

  explicit SlotNumbering(const AbstractProgram& program) : per_round(program.reduces_per_round()) {}
  int64_t slot(int round, int reduce) const { return static_cast<int64_t>(round) * per_round + reduce; }
  int round_of(int64_t slot) const { return static_cast<int>(slot / per_round); }
  int reduce_of(int64_t slot) const { return static_cast<int>(slot % per_round); }
  int64_t total(int rounds) const { return static_cast<int64_t>(rounds) * per_round; }
};

struct TimelineFlow {
  int src = 0;  // worker; the message goes to worker src + 1 (mod M)
  int64_t slot = 0;
  int step = 0;  // ring step
  double bytes = 0, start = 0, end = 0;
};

struct AbstractTimeline {
  std::vector<std::vector<double>> round_start;  // [worker][round 0..rounds]
  std::vector<TimelineFlow> flows;               // every message, in order of arrival
};

// The per-worker inputs of a program: the length of one compute node (step time x the worker's
// step_time_factor / (3L - 1)).
struct AbstractFigureInputs {
  const AbstractProgram* program = nullptr;
  const AbstractWan* wan = nullptr;  // as simulated (scaled)
  std::vector<double> unit;          // per worker
  double step_time = 0;              // the peak rate's window (the model's step time)
  double extra_memory_per_gpu = 0;
};

// Figures of the steady state of `run` (steady_round, period) from its timeline.
AbstractResult abstract_figures(const AbstractFigureInputs& in, const AbstractRun& run, const AbstractTimeline& timeline);

}  // namespace trainsim
