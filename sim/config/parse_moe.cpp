// MoE keys of `job: {kind: training, ...}` (docs/scenarios.md, "MoE models and expert
// parallelism"; model and layout: docs/model.md, docs/moe.md).
#include "config/parse_moe.hpp"

#include <algorithm>
#include <functional>

#include "core/units.hpp"
#include "parallel/expert_layout.hpp"
#include "schedule/schedule.hpp"

namespace trainsim {
namespace {

using workload::Family;
using workload::RoutingDistribution;

enum class FamilyName { Gpt, Llama, Moe };
const std::vector<std::pair<std::string, FamilyName>> kFamilyNames = {
    {"gpt", FamilyName::Gpt}, {"llama", FamilyName::Llama}, {"moe", FamilyName::Moe}};
const std::vector<std::pair<std::string, Family>> kBlocks = {{"gpt", Family::Gpt}, {"llama", Family::Llama}};
const std::vector<std::pair<std::string, workload::RouterScore>> kScores = {
    {"softmax", workload::RouterScore::Softmax}, {"sigmoid", workload::RouterScore::Sigmoid}};
const std::vector<std::pair<std::string, ExpertRankOrder>> kOrders = {{"etp-ep-edp", ExpertRankOrder::EpInner},
                                                                      {"etp-edp-ep", ExpertRankOrder::EdpInner}};
const std::vector<std::pair<std::string, Granularity>> kAllToAll = {{"flows", Granularity::Aggregated},
                                                                   {"closed_form", Granularity::ClosedForm}};
const std::vector<std::pair<std::string, RoutingDistribution>> kDistributions = {
    {"uniform", RoutingDistribution::Uniform},
    {"zipf", RoutingDistribution::Zipf},
    {"dirichlet", RoutingDistribution::Dirichlet}};
const std::vector<std::pair<std::string, workload::Precision>> kPrecisions = {{"bf16", workload::Precision::Bf16},
                                                                              {"fp8", workload::Precision::Fp8}};

const char* const kMoeKeys[] = {"experts",   "top_k",           "expert_ffn_hidden", "shared_expert_ffn_hidden",
                                "dense_layers", "capacity_factor", "router_score"};

std::string str(long long v) { return std::to_string(v); }

// An integer field: required without a value to fall back on, else optional.
int field(YamlMap& m, const char* key, bool have_default, int fallback, long long lo, long long hi) {
  return static_cast<int>(have_default ? m.optional_int(key, fallback, lo, hi) : m.get_int(key, lo, hi));
}

workload::MlaSpec read_mla(YamlMap& model_map, const workload::MlaSpec* base) {
  YamlMap a = model_map.get_map("mla");
  workload::MlaSpec mla;
  const bool have = base != nullptr;
  mla.q_lora_rank = field(a, "q_lora_rank", true, have ? base->q_lora_rank : 0, 0, 1 << 20);
  mla.kv_lora_rank = field(a, "kv_lora_rank", have, have ? base->kv_lora_rank : 0, 1, 1 << 20);
  mla.qk_head_dim = field(a, "qk_head_dim", have, have ? base->qk_head_dim : 0, 1, 1 << 16);
  mla.qk_rope_head_dim = field(a, "qk_rope_head_dim", true, have ? base->qk_rope_head_dim : 0, 0, 1 << 16);
  mla.v_head_dim = field(a, "v_head_dim", have, have ? base->v_head_dim : 0, 1, 1 << 16);
  a.finish();
  return mla;
}

// routing: uniform | {distribution, exponent | concentration, max_nodes}. `max_nodes_ok` checks
// the node limit against the job's EP groups (an error message, or "").
workload::RoutingSpec read_routing(YamlMap& moe, const std::function<std::string(int)>& max_nodes_ok) {
  workload::RoutingSpec r;
  if (!moe.has("routing")) return r;
  if (!moe.node("routing").IsMap()) {
    // A bare name: only `uniform` stands without a parameter.
    r.distribution = moe.get_enum("routing", kDistributions);
    if (r.distribution != RoutingDistribution::Uniform)
      throw moe.error("routing", "a skewed routing needs its parameter: routing: {distribution: zipf, exponent: S} "
                                 "or {distribution: dirichlet, concentration: A}");
    return r;
  }
  YamlMap m = moe.get_map("routing");
  r.distribution = m.optional_enum("distribution", kDistributions, RoutingDistribution::Uniform);
  if (r.distribution == RoutingDistribution::Zipf) r.zipf_exponent = m.get_number("exponent", 1e-3, 10);
  else m.forbid("exponent", "the Zipf exponent needs distribution: zipf");
  if (r.distribution == RoutingDistribution::Dirichlet) r.dirichlet_concentration = m.get_number("concentration", 1e-3, 1e6);
  else m.forbid("concentration", "the Dirichlet concentration needs distribution: dirichlet");
  r.max_nodes = static_cast<int>(m.optional_int("max_nodes", 0, 0, 1 << 20));
  if (r.max_nodes > 0)
    if (const std::string why = max_nodes_ok(r.max_nodes); !why.empty()) throw m.error("max_nodes", why);
  m.finish();
  return r;
}

// Node-limited routing must be able to place a token's k experts on max_nodes nodes of every EP
// group of the job.
std::string check_max_nodes(int max_nodes, const TrainingSpec& spec, const PlatformSpec& platform) {
  const ExpertLayout layout(spec.plan);
  const int k = spec.model.moe.top_k;
  for (int stage = 0; stage < spec.plan.pp; ++stage)
    for (const auto& group : layout.ep_groups(stage)) {
      const workload::ExpertPlacement pl = expert_placement(group, spec.model.moe.experts, platform);
      if (max_nodes >= pl.nodes() || max_nodes >= k) continue;  // the limit does not bind
      std::vector<int> per_node(pl.nodes(), 0);
      for (int n : pl.node_of_rank) per_node[n] += pl.experts_per_rank();
      const int fewest = *std::min_element(per_node.begin(), per_node.end());
      if (int64_t(max_nodes) * fewest < k)
        return "max_nodes " + str(max_nodes) + " cannot hold a token's " + str(k) + " experts: an EP group has " + str(fewest) +
               (fewest == 1 ? " expert" : " experts") + " on a node; expected at least " + str((k + fewest - 1) / fewest);
    }
  return "";
}

// The clusters of the job's GPUs (the mapping's, or the first tp x pp x dp).
std::vector<const ClusterSpec*> job_clusters(const ParallelPlan& p, const PlatformSpec& platform) {
  std::vector<int> gpus = p.mapping;
  if (gpus.empty())
    for (int g = 0; g < p.gpus(); ++g) gpus.push_back(g);
  std::vector<const ClusterSpec*> out;
  int first = 0;
  for (const auto& c : platform.clusters) {
    const int last = first + c.nodes * c.gpus_per_node;
    if (std::any_of(gpus.begin(), gpus.end(), [&](int g) { return g >= first && g < last; })) out.push_back(&c);
    first = last;
  }
  return out;
}

}  // namespace

bool read_family(YamlMap& m, const workload::ModelSpec* preset, workload::ModelSpec& model) {
  const FamilyName fallback = !preset ? FamilyName::Llama
                              : preset->is_moe() ? FamilyName::Moe
                              : preset->family == Family::Gpt ? FamilyName::Gpt
                                                              : FamilyName::Llama;
  const FamilyName family = preset ? m.optional_enum("family", kFamilyNames, fallback) : m.get_enum("family", kFamilyNames);
  if (preset && preset->is_moe() && family != FamilyName::Moe)
    throw m.error("family", preset->name + " is a mixture-of-experts preset; expected family: moe (block: sets the "
                                           "style of its attention and FFNs)");
  if (family != FamilyName::Moe) {
    m.forbid("block", "block: sets the block style of family moe; family gpt and llama are their own style");
    model.family = family == FamilyName::Gpt ? Family::Gpt : Family::Llama;
    return false;
  }
  model.family = m.optional_enum("block", kBlocks, preset ? preset->family : Family::Llama);
  return true;
}

void read_moe_model(YamlMap& m, bool moe_family, const workload::ModelSpec* preset, workload::ModelSpec& model) {
  model.head_size = field(m, "head_size", true, preset ? preset->head_size : 0, 0, 1 << 16);
  if (m.has("mla")) {
    model.mla = read_mla(m, preset && preset->mla.enabled() ? &preset->mla : nullptr);
    if (model.family != Family::Llama)
      throw m.error("mla", "multi-head latent attention is modelled with Llama-style blocks (RMSNorm, no biases), as "
                           "DeepSeek builds it; expected block: llama");
  }
  if (!moe_family) {
    for (const char* key : kMoeKeys) m.forbid(key, std::string(key) + " is a key of family moe; expected family: moe, or no " + key);
    model.moe = {};
    return;
  }
  const bool base = preset && preset->is_moe();
  const workload::MoeSpec from = base ? preset->moe : workload::MoeSpec{};
  workload::MoeSpec& e = model.moe;
  e.experts = field(m, "experts", base, from.experts, 1, 1 << 16);
  e.top_k = field(m, "top_k", base, from.top_k, 1, 1 << 16);
  e.expert_ffn_hidden = field(m, "expert_ffn_hidden", base, from.expert_ffn_hidden, 1, 1 << 24);
  e.shared_ffn_hidden = field(m, "shared_expert_ffn_hidden", true, from.shared_ffn_hidden, 0, 1 << 24);
  e.dense_layers = field(m, "dense_layers", true, from.dense_layers, 0, 100000);
  e.score = m.optional_enum("router_score", kScores, from.score);
  if (e.top_k > e.experts)
    throw m.error(m.has("top_k") ? "top_k" : "experts",
                  "top_k " + str(e.top_k) + " is more than the " + str(e.experts) + " experts a token can pick from; expected 1 to " +
                      str(e.experts));
  if (e.dense_layers >= model.layers)
    throw m.error(m.has("dense_layers") ? "dense_layers" : "layers",
                  "dense_layers " + str(e.dense_layers) + " leaves no MoE layer of the " + str(model.layers) +
                      "; expected 0 to " + str(model.layers - 1));
  e.capacity_factor = from.capacity_factor;
  if (m.has("capacity_factor")) {
    // ceil(cf T k / E) >= T once cf >= E / k: no token can be dropped, i.e. dropless (no key).
    const double never_drops = double(e.experts) / e.top_k;
    e.capacity_factor = m.get_number("capacity_factor", 0.01, 1000);
    if (e.capacity_factor > never_drops)
      throw m.error("capacity_factor", "capacity factor " + units::format_significant(e.capacity_factor) +
                                           " can never drop a token (from experts / top_k = " +
                                           units::format_significant(never_drops) +
                                           " on, an expert takes every token); expected 0.01 to that, or no "
                                           "capacity_factor for dropless routing");
  }
}

void read_expert_parallelism(YamlMap& par, ParallelPlan& p) {
  p.experts.ep = static_cast<int>(par.optional_int("ep", 1, 1, 1 << 16));
  p.experts.expert_tp = static_cast<int>(par.optional_int("expert_tp", 0, 1, 1 << 10));
}

void read_moe_job(YamlMap& job, TrainingSpec& spec, const PlatformSpec& platform) {
  ParallelPlan& p = spec.plan;
  p.gemm_precision = job.optional_enum("gemm_precision", kPrecisions, workload::Precision::Bf16);
  if (p.gemm_precision == workload::Precision::Fp8) {
    if (!spec.model.is_moe())
      throw job.error("gemm_precision", "fp8 GEMMs are modelled for MoE models (family moe); the dense training "
                                        "programs time every GEMM in bf16, expected bf16");
    for (const ClusterSpec* c : job_clusters(p, platform))
      if (!(c->gpu.peak_fp8 > 0))
        throw job.error("gemm_precision", "fp8 needs FP8 tensor cores, and cluster '" + c->name + "' has " + c->gpu.name +
                                              " GPUs, whose datasheet gives no FP8 rate; expected bf16");
  }
  if (!spec.model.is_moe()) {
    job.forbid("moe", "the moe: map sets how a mixture-of-experts model runs, and this model has no experts; expected "
                      "family: moe, or no moe: map");
    return;
  }
  if (!job.has("moe")) return;
  YamlMap m = job.get_map("moe");
  p.experts.order = m.optional_enum("rank_order", kOrders, ExpertRankOrder::EpInner);
  p.experts.grouped_gemm = m.optional_bool("grouped_gemm", true);
  p.experts.all_to_all = m.optional_enum("all_to_all", kAllToAll, Granularity::Aggregated);
  p.experts.routing = read_routing(m, [&](int max_nodes) { return check_max_nodes(max_nodes, spec, platform); });
  m.finish();
}

void check_moe_programs(YamlMap& job, const TrainingSpec& spec) {
  if (!spec.model.is_moe()) return;
  const ParallelPlan& p = spec.plan;
  // ZeRO-3 and HSDP run with experts (docs/moe.md, "Sharded data parallelism") when each dense
  // shard group holds whole expert-DP blocks.
  if (!expert_hsdp_supported(p))
    throw job.error("fsdp", "HSDP shard groups of " + std::to_string(p.shard_ranks()) + " data-parallel ranks x tp " +
                                std::to_string(p.tp) + " do not hold whole blocks of ep x expert_tp = " +
                                std::to_string(p.experts.ep * p.expert_tp()) +
                                " expert ranks in the ep_inner rank order (docs/moe.md, \"Sharded data "
                                "parallelism\"); expected a shard_group whose tp x shard_group is a multiple of ep x "
                                "expert_tp, or none");
  // An F&B pair interleaves whole compute segments between its all-to-alls (docs/moe.md,
  // "DualPipe"); the chunked TP overlap would cut them again, which is not modelled.
  if (p.schedule == schedule::ScheduleKind::DualPipe && p.tp_comm_overlap && p.tp > 1 && p.experts.ep > 1)
    throw job.error("tp_comm_overlap", "dualpipe with experts interleaves an F&B pair's compute between its all-to-alls, "
                                       "and the chunked tensor-parallel overlap is not modelled inside them; expected "
                                       "tp_comm_overlap: false (or tp 1)");
}

}  // namespace trainsim
