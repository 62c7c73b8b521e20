#pragma once
// Resource estimates and ceilings checked before a simulation starts (docs/robustness.md).
//
// A scenario beyond the machine must be refused with its reason and the limit, not discovered
// by the kernel's OOM killer an hour in. The estimate is a linear model over the sizes that
// drive memory (platform GPUs, simulated actors, recorded activities) with coefficients
// measured on this build (docs/robustness.md, "Memory estimate"): it is meant to err high.
#include <cstdint>
#include <optional>
#include <string>

#include "core/error.hpp"

namespace trainsim {

struct Scenario;

namespace limits {

// Measured coefficients (Release build, SimGrid 3.32, 256 KiB actor stacks): see
// docs/robustness.md for the runs they come from.
inline constexpr double kBaseBytes = 64.0 * 1024 * 1024;        // process, SimGrid, libraries
inline constexpr double kBytesPerPlatformGpu = 12.0 * 1024;     // host, its links and routes
inline constexpr double kBytesPerActor = 192.0 * 1024;          // actor, touched stack, flows
inline constexpr double kBytesPerActivity = 512.0;              // trace record + writer buffers
// Default ceiling: this fraction of physical memory (leaves room for the OS and other work).
inline constexpr double kDefaultCeilingFraction = 0.75;
// The command-line option and environment variable that set the ceiling (a size: "8GiB"); the
// option wins. One name per meaning (GUIDE decision 1): the host RAM a simulation may use,
// never the memory per GPU of a configuration (`--gpu-memory-limit` of configure/compare).
inline constexpr const char* kCeilingOption = "host-memory-limit";
inline constexpr const char* kCeilingEnv = "TRAINSIM_HOST_MEMORY_LIMIT";
// The variable's former name, refused when set so that a limit is never silently ignored.
inline constexpr const char* kRetiredCeilingEnv = "TRAINSIM_MEMORY_LIMIT";

// Message sizes a collective benchmark sweeps (min, min x factor, ... up to max), and the most
// one sweep may have: a factor of 1.0000001 would otherwise ask for millions of simulations.
double message_size_count(double min_bytes, double max_bytes, double factor);
inline constexpr double kMaxMessageSizes = 1000;

// The sizes of one run that the memory model needs.
struct RunSize {
  double platform_gpus = 0;
  double actors = 0;      // simulated processes (one per GPU taking part)
  double activities = 0;  // trace rows kept in memory (0 when no trace is written)
};

struct MemoryEstimate {
  RunSize size;
  double bytes = 0;
};

// The sizes of `scenario`'s job; `keep_activities` when a trace file is written.
RunSize run_size(const Scenario& scenario, bool keep_activities);
MemoryEstimate estimate_memory(const RunSize& size);

// Physical memory of this machine in bytes (0 if unknown).
double physical_memory_bytes();

// The ceiling in bytes: `option` (a size such as "6GiB", from --host-memory-limit) if given,
// else $TRAINSIM_HOST_MEMORY_LIMIT if set, else kDefaultCeilingFraction of physical memory.
// Throws InputError (key: the option or variable) for a malformed or non-positive size, and when
// the retired $TRAINSIM_MEMORY_LIMIT is set.
double memory_ceiling(const std::optional<std::string>& option);

// Throws InputError (at `where`, under `key`: the scenario's `job:`, or the platform file of a
// bandwidth profile) when the estimate exceeds `ceiling`: the message gives the estimate, its
// breakdown, the ceiling and how to raise it.
void check_memory(const MemoryEstimate& estimate, double ceiling, const SourceLocation& where,
                  const std::string& key = "job");

// The check every simulating command runs before building anything: the estimate of
// `scenario`'s job against memory_ceiling(option).
void check_run(const Scenario& scenario, bool keep_activities, const std::optional<std::string>& option);

}  // namespace limits
}  // namespace trainsim
