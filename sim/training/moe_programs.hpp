#pragma once
// Expert parallelism as rank programs (docs/moe.md, "Programs"): a TrainingExtension of the
// dense generator (training/programs.hpp) for MoE models. The dense generator keeps the
// schedule, pipeline messages, memory timeline and the dense parameters' data parallelism; this
// one writes each schedule op's layers:
//   forward of a MoE layer:  attention + route -> dispatch all-to-all -> routed experts (grouped
//                            GEMMs of the rows this GPU received) + shared experts -> combine
//                            all-to-all -> unroute
//   backward:                the mirror image (combine's transpose carries the output gradients
//                            to the experts, dispatch's transpose carries them back)
// with every all-to-all's per-peer bytes and every GPU's expert GEMMs taken from the routing
// drawn for (seed, iteration, layer, micro-batch, EP group) (workload/routing.hpp): an EP group
// waits for its most loaded GPU at each all-to-all, so routing imbalance shows as stragglers.
// Expert gradients are reduced over the expert-data-parallel group ("edp" slot).
#include <cstdint>
#include <memory>
#include <string>

#include "platform/spec.hpp"
#include "scenario/training_spec.hpp"

namespace trainsim {

class TrainingExtension;

// The extension for `spec` (a MoE model). InputError for what the generator does not model yet:
// HSDP shard groups that split an expert-DP rank's dense block (expert_hsdp_supported).
std::unique_ptr<TrainingExtension> make_moe_extension(const TrainingSpec& spec, const PlatformSpec& platform,
                                                      uint64_t seed, const std::string& prefix);

}  // namespace trainsim
