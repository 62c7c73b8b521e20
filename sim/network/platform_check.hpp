#pragma once
// Checks a PlatformSpec for what the network builder relies on (positive sizes and rates,
// unique cluster names, WAN links between known clusters, all clusters reachable), so a bad
// value is reported at its source location instead of failing deep inside SimGrid.
#include "platform/spec.hpp"

namespace trainsim {

void check_platform(const PlatformSpec& spec);

}  // namespace trainsim
