#pragma once
// Loading scenario files with the registered job kinds (jobs/registry.hpp): what every command,
// tool and test loads scenarios with. config/loader.hpp does the reading, given the kinds'
// parsers; platform files need no kinds and are loaded there.
#include <string>
#include <vector>

#include "config/loader.hpp"
#include "config/overrides.hpp"
#include "jobs/registry.hpp"

namespace trainsim {

Scenario load_scenario_file(const std::string& path, const JobKinds& kinds = job_kinds());
Scenario load_scenario_text(const std::string& text, const std::string& name, const JobKinds& kinds = job_kinds());
// The scenario file with `overrides` (no two overlapping) applied (config/overrides.hpp).
Scenario load_scenario_file(const std::string& path, const std::vector<Override>& overrides,
                            const JobKinds& kinds = job_kinds());

}  // namespace trainsim
