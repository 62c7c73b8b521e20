#pragma once
// The SimGrid player of the abstract mode: plays an AbstractProgram on SimGrid, in the calling
// process (one per process: SimGrid's engine is a singleton). It is the reference the exact
// event loop (abstract_loop.hpp) is checked against, and what `trainsim run --trace` uses for a
// trace's activities and link series.
//
// Each worker (one per platform cluster) is one SimGrid host with two actors: a compute actor
// that plays the program's ops (consecutive compute merged into one sleep) and a communication
// actor that runs the requested reduces one after the other as ring flows over the WAN links.
// docs/diloco.md gives the model and its sources.
#include <string>
#include <vector>

#include "diloco/abstract_program.hpp"
#include "diloco/abstract_timeline.hpp"
#include "diloco/result.hpp"
#include "output/trace.hpp"
#include "platform/spec.hpp"

namespace trainsim {

// The tiny platform of the abstract mode: one single-GPU host per cluster of `platform`, the
// same WAN links with the platform's heterogeneity applied to them (spreads drawn with `seed`,
// then overrides; rules about links inside a datacenter change nothing: only the WAN is
// modelled); wan_gbps > 0: every WAN link scaled so that the first one has this bandwidth
// (Gbit/s), the others keeping their ratios to it.
PlatformSpec abstract_platform(const PlatformSpec& platform, double wan_gbps, uint64_t seed);

struct SimgridPlayOptions {
  output::TraceData* trace = nullptr;  // when set, receives activities, links and a WAN series
  std::string step_label = "inner step", sync_label = "outer sync";
};

// Plays `run.rounds` rounds of `program` (then lets the reduces in flight
// finish), with `unit[w]` seconds per compute node on worker w.
AbstractTimeline play_simgrid(const PlatformSpec& platform, double wan_gbps, const AbstractProgram& program,
                              const std::vector<double>& unit, const AbstractRun& run, uint64_t seed,
                              const SimgridPlayOptions& options = {});

}  // namespace trainsim
