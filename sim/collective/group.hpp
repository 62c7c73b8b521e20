#pragma once
#include <vector>

#include "platform/spec.hpp"
#include "scenario/collective_benchmark_spec.hpp"

namespace trainsim {

// The global GPU indices a group spec selects, in node-major order. Throws InputError
// (located at `where`) when the group asks for more nodes or GPUs than the platform has.
std::vector<int> resolve_group(const GpuGroupSpec& group, const PlatformSpec& platform,
                               const SourceLocation& where);

}  // namespace trainsim
