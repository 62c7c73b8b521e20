#pragma once
// The one player of rank programs on SimGrid (docs/programs.md, "Playing programs"): every
// stream of every rank is an actor running its ops in order. Ops that only take time (compute,
// closed-form collectives) advance the stream's own clock without a SimGrid activity; the actor
// catches the simulated clock up only before it interacts with the network (a send, a collective
// as flows, a barrier) and at its end, so a chain of compute ops costs nothing to simulate.
// Messages use the group's Inbox of the receiving rank (engine/transport.hpp), collectives the
// flow plans of collective/algorithms.hpp; events across streams of a rank wake the waiting
// stream. Jobs turn what they observe (program::Observer) into their metrics.
#include <vector>

#include "program/observer.hpp"
#include "program/program.hpp"

namespace trainsim {

class Simulation;
class Recorder;

struct PlayOptions {
  // Receives every message's and closed-form collective's bytes on the links they cross, and
  // the activities when it keeps them (and the ranks' roles in its trace's GPU table).
  Recorder* recorder = nullptr;
  program::Observer* observer = nullptr;  // every op as it completes (a job's meter)
  // Folded runs (engine/fold.hpp): per group, whether it is a folded tensor-parallel group whose
  // closed forms charge every member's flows (only its rank 0 plays).
  const std::vector<char>* folded_groups = nullptr;
};

// The GPUs the set's ranks run on (a Simulation need build no others: SimulationOptions::gpus).
std::vector<int> gpus_of(const program::ProgramSet& set);

// Plays `set` on `sim`'s platform, runs the simulation and returns its makespan. `set` must pass
// program::validate() for this platform. Throws program::ProgramDeadlock naming the blocked
// streams and their ops if the programs cannot complete.
double play(Simulation& sim, const program::ProgramSet& set, const PlayOptions& options = {});

}  // namespace trainsim
