#include "jobs/load.hpp"

namespace trainsim {

Scenario load_scenario_file(const std::string& path, const JobKinds& kinds) {
  return load_scenario_file(path, {}, kinds);
}

Scenario load_scenario_text(const std::string& text, const std::string& name, const JobKinds& kinds) {
  return load_scenario(text, name, {}, kinds.parsers());
}

Scenario load_scenario_file(const std::string& path, const std::vector<Override>& overrides, const JobKinds& kinds) {
  return load_scenario_file(path, overrides, kinds.parsers());
}

}  // namespace trainsim
