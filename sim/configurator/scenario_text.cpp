#include "configurator/scenario_text.hpp"

#include <sstream>
#include <yaml-cpp/yaml.h>

namespace trainsim::configurator {

namespace {

YAML::Node flow_list(const std::vector<int>& values) {
  YAML::Node n(YAML::NodeType::Sequence);
  for (int v : values) n.push_back(v);
  n.SetStyle(YAML::EmitterStyle::Flow);
  return n;
}

}  // namespace

std::string scenario_text(const ScenarioHeader& h, const std::string& input_yaml, const Recommendation& r,
                          int gpus_per_node) {
  YAML::Node root = YAML::Load(input_yaml);
  root["name"] = h.name;
  if (!h.platform_path.empty()) root["platform"] = h.platform_path;
  YAML::Node job = root["job"];
  YAML::Node par(YAML::NodeType::Map);
  par["tp"] = r.config.tp;
  par["pp"] = r.config.pp;
  par["dp"] = r.config.dp;
  par.SetStyle(YAML::EmitterStyle::Flow);
  job["parallelism"] = par;
  job["micro_batch"] = r.config.micro_batch;
  job["schedule"] = "1f1b";
  job.remove("chunks");
  if (r.layers_per_stage.empty()) job.remove("layers_per_stage");
  else job["layers_per_stage"] = flow_list(r.layers_per_stage);
  const auto mapping = recommendation_mapping(r, gpus_per_node);
  if (mapping.empty()) job.remove("mapping");
  else job["mapping"] = flow_list(mapping);
  job["iterations"] = 1;
  YAML::Emitter out;
  out << root;
  std::ostringstream os;
  std::istringstream comment(h.comment);
  for (std::string line; std::getline(comment, line);) os << "# " << line << "\n";
  os << out.c_str() << "\n";
  return os.str();
}

}  // namespace trainsim::configurator
