#pragma once
// The exact event loop of the abstract mode: plays an AbstractProgram on every worker without
// SimGrid, with the SimGrid player's semantics (abstract_sim.hpp) operation for operation:
// - a compute stream per worker runs the program's ops; consecutive compute is one sleep,
//   ended by a wait (blocks until the reduce is done on this worker) or a request;
// - a communication stream per worker runs its reduces in request order, each as ring steps:
//   post the chunk to the next worker, wait for the previous worker's chunk of that step, then
//   the route latency;
// - every message is a flow on its route's WAN link halves; flows share each half max-min
//   fairly (all weights equal, as CM02 with zero-latency links), rates re-solved whenever a
//   flow starts or ends.
// It runs in the calling process (no engine, no fork) in microseconds, which is what lets a
// Table 4 sweep take well under a second. tests/diloco/test_exact_vs_simgrid.cpp checks it
// against the SimGrid player on a corpus of cases, timeline by timeline and threshold by
// threshold.
//
// Steady state: with LoopLimits::rounds == 0 the loop snapshots its whole state (every stream's
// position and remaining times, every flow's remaining bytes, relative to the round) each time
// worker 0 starts a round. When a snapshot equals one taken `period` rounds earlier (to the
// rounding of the clock), and the next `period` rounds match theirs too, the run is periodic from
// there on for ever: the dynamics are deterministic and depend on nothing else. The loop then plays on until the peak-rate window past the steady rounds is
// covered and stops. Most runs repeat with period 1 within a few rounds; stragglers can lock
// into cycles of hundreds of rounds. A run whose state does not repeat within max_rounds (a
// longer cycle, or none: flows sharing a link can make the timing aperiodic) settles for the
// mean over the second half of its rounds (AbstractRun::cycle false).
//
// Drift jumps: a slow drift towards the steady state (a straggler sliding out of phase with the
// others, a backlog growing or draining) can last millions of rounds. When three consecutive
// snapshots have the same discrete state and every relative time and byte count changes by the
// same amount from one to the next, every event time is affine in the round as long as the order
// of the events within a round holds, so the loop moves the state k rounds ahead by linear
// extrapolation. The two rounds it then simulates must continue the line (a changed order
// breaks it); if they do not, the state before the jump is restored and k halved. Rounds jumped
// over are not in the timeline (their round starts are NaN): the steady rounds always lie after
// the last jump. `jumps = false` simulates every round (for a run SimGrid can replay).
#include <vector>

#include "diloco/abstract_program.hpp"
#include "diloco/abstract_timeline.hpp"
#include "diloco/abstract_wan.hpp"

namespace trainsim {

struct LoopLimits {
  int rounds = 0;      // > 0: play exactly this many rounds (then drain the reduces in flight)
  int max_rounds = 0;  // rounds == 0: give up looking for a steady state at this round
  int max_period = 2048;  // longest period (in rounds) looked for
  bool jumps = true;   // fast-forward linear drifts (see below); false: every round simulated
};

struct LoopOutcome {
  AbstractTimeline timeline;
  AbstractRun run;  // period 0: no steady state found within max_rounds
};

// `unit`: seconds of one compute node per worker; `window`: the peak rate's window (step time).
LoopOutcome play_exact(const AbstractProgram& program, const AbstractWan& wan, const std::vector<double>& unit,
                       double window, const LoopLimits& limits);

}  // namespace trainsim
