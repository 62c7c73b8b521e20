#include "importer/import_result.hpp"

#include <cstdio>

#include "importer/scenario_writer.hpp"
#include "jobs/load.hpp"
#include "parallel/plan.hpp"
#include "workload/presets.hpp"

namespace trainsim::importer {

std::string nodes_text(int nodes, int gpus_per_node) {
  return std::to_string(nodes) + (nodes == 1 ? " node x " : " nodes x ") + std::to_string(gpus_per_node) +
         (gpus_per_node == 1 ? " GPU" : " GPUs");
}

std::vector<PlatformNode> platform_nodes(const PlatformSpec& platform) {
  std::vector<PlatformNode> nodes;
  int offset = 0;
  for (const auto& c : platform.clusters) {
    for (int n = 0; n < c.nodes; ++n) nodes.push_back({offset + n * c.gpus_per_node, c.gpus_per_node, c.name, n});
    offset += c.nodes * c.gpus_per_node;
  }
  return nodes;
}

std::vector<int> job_gpus(const PlatformSpec& platform, int nodes, int gpus_per_node, const SourceLocation& where,
                          const std::string& key) {
  const auto all = platform_nodes(platform);
  if (static_cast<int>(all.size()) < nodes)
    throw InputError(where, key,
                     std::to_string(nodes) + " nodes, but platform '" + platform.name + "' has " +
                         std::to_string(all.size()) + "; expected at most " + std::to_string(all.size()));
  std::vector<int> gpus;
  bool identity = true;
  for (int n = 0; n < nodes; ++n) {
    if (gpus_per_node > all[n].gpus)
      throw InputError(where, key,
                       std::to_string(gpus_per_node) + " GPUs per node, but the nodes of cluster '" + all[n].cluster +
                           "' of platform '" + platform.name + "' have " + std::to_string(all[n].gpus) +
                           "; expected at most " + std::to_string(all[n].gpus));
    for (int g = 0; g < gpus_per_node; ++g) {
      const int gpu = all[n].first_gpu + g;
      identity = identity && gpu == static_cast<int>(gpus.size());
      gpus.push_back(gpu);
    }
  }
  if (identity) gpus.clear();
  return gpus;
}

bool same_shape(const workload::ModelSpec& a, const workload::ModelSpec& b) {
  const auto &e = a.moe, &f = b.moe;
  const auto &x = a.mla, &y = b.mla;
  return a.family == b.family && a.layers == b.layers && a.hidden == b.hidden && a.heads == b.heads &&
         a.kv_heads == b.kv_heads && a.ffn_hidden == b.ffn_hidden && a.seq_len == b.seq_len && a.vocab == b.vocab &&
         a.tied_embeddings == b.tied_embeddings && a.head_dim() == b.head_dim() && e.experts == f.experts &&
         e.top_k == f.top_k && e.expert_ffn_hidden == f.expert_ffn_hidden && e.shared_ffn_hidden == f.shared_ffn_hidden &&
         e.dense_layers == f.dense_layers && e.capacity_factor == f.capacity_factor && e.score == f.score &&
         x.q_lora_rank == y.q_lora_rank && x.kv_lora_rank == y.kv_lora_rank && x.qk_head_dim == y.qk_head_dim &&
         x.qk_rope_head_dim == y.qk_rope_head_dim && x.v_head_dim == y.v_head_dim;
}

std::optional<std::string> matching_preset(const workload::ModelSpec& m) {
  for (const auto& p : workload::model_presets())
    if (same_shape(p, m)) return p.name;
  return std::nullopt;
}

namespace {
std::string printable(const std::string& text, size_t max) {
  std::string out;
  for (unsigned char c : text) {
    if (c == '\n') out += "\\n";
    else if (c == '\t') out += "\\t";
    else if (c < 0x20 || c == 0x7f) {
      char buf[8];
      std::snprintf(buf, sizeof buf, "\\x%02x", c);
      out += buf;
    } else {
      out += static_cast<char>(c);
    }
  }
  return out.size() > max ? out.substr(0, max - 3) + "..." : out;
}
}  // namespace

InputError one_line(const InputError& e) {
  return InputError(e.where(), printable(e.key(), 80), printable(e.message(), 4096));
}

namespace {
// A refusal of the assembled job, at the input setting behind its key when there is one.
InputError refused(const InputError& e, const SourceLocation& where, const Locate& locate) {
  std::string key = e.key();
  if (key.rfind("job.", 0) == 0) key = key.substr(4);
  const std::string message = "the imported job is refused (" + key + "): " + e.message();
  if (const auto ref = locate ? locate(key) : std::nullopt) return InputError(ref->where, ref->name, message);
  return InputError(where, "", message);
}
}  // namespace

void check_job(const TrainingSpec& job, const PlatformSpec& platform, const SourceLocation& where, const Locate& locate) {
  try {
    workload::validate(job.model);
    validate_plan(job.plan, job.model, platform.total_gpus());
  } catch (const InputError& e) {
    throw refused(e, where, locate);
  }
}

void check_loads(const TrainingSpec& job, const ImportOptions& options, const SourceLocation& where,
                 const Locate& locate) {
  if (options.platform_file.empty()) return;
  TrainingSpec named = job;
  if (named.model.name.empty()) named.model.name = "imported";
  const std::string text = training_scenario_text({"imported", 0, options.platform_file, {}}, named);
  try {
    load_scenario_text(text, "imported.yaml");
  } catch (const InputError& e) {
    throw refused(e, where, locate);
  }
}

}  // namespace trainsim::importer
