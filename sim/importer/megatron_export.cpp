#include "importer/megatron_export.hpp"

#include <algorithm>
#include <cstdio>

#include "importer/import_result.hpp"
#include "importer/megatron_args.hpp"
#include "parallel/expert_layout.hpp"
#include "parallel/plan.hpp"

namespace trainsim::importer {

namespace {

std::string str(long long v) { return std::to_string(v); }

class Exporter {
 public:
  Exporter(const TrainingSpec& job, const PlatformSpec& platform, const SourceLocation& where)
      : job_(job), platform_(platform), where_(where) {}

  MegatronLaunch run() {
    placement();
    model();
    parallelism();
    experts();
    training();
    launcher();
    return std::move(out_);
  }

 private:
  InputError refuse(const std::string& key, const std::string& message) const {
    return InputError(where_, "job." + key, message);
  }
  void flag(const std::string& name, const std::string& value = "") {
    out_.flags.push_back(value.empty() ? name : name + " " + value);
  }

  // Nodes and GPUs per node such that Megatron-LM's rank order (torchrun numbers ranks node
  // by node) puts every rank where the scenario does, possibly on other nodes than the first
  // ones (node_ranks).
  void placement() {
    const auto& p = job_.plan;
    const int world = p.gpus();
    const auto nodes = platform_nodes(platform_);
    std::vector<int> mapping = p.mapping;
    if (p.order != RankOrder::Explicit) {
      mapping.resize(world);
      for (int r = 0; r < world; ++r) mapping[r] = r;
    }
    const int max_per_node = nodes.empty() ? 1 : nodes.front().gpus;
    for (int g = std::min(max_per_node, world); g >= 1; --g) {
      if (world % g != 0) continue;
      std::vector<int> ranks;  // platform node of each node rank
      bool ok = true;
      for (int k = 0; ok && k < world / g; ++k) {
        const int first = mapping[k * g];
        auto node = std::find_if(nodes.begin(), nodes.end(), [&](const PlatformNode& n) { return n.first_gpu == first; });
        ok = node != nodes.end() && node->gpus >= g;
        for (int l = 1; ok && l < g; ++l) ok = mapping[k * g + l] == first + l;
        if (ok) ranks.push_back(static_cast<int>(node - nodes.begin()));
      }
      if (!ok) continue;
      out_.nodes = world / g;
      out_.gpus_per_node = g;
      bool in_order = true;
      for (int k = 0; k < out_.nodes; ++k) in_order = in_order && ranks[k] == k;
      if (!in_order) {
        out_.node_ranks = ranks;
        out_.notes.push_back("the scenario places node ranks on chosen nodes: start node rank k on the node listed "
                             "for it (an import of this launch places them on the first nodes)");
      }
      return;
    }
    throw refuse("mapping", "places ranks inside nodes in an order Megatron-LM cannot launch (torchrun numbers "
                            "ranks node by node, local ranks in GPU order); expected whole nodes in rank order");
  }

  void model() {
    const auto& m = job_.model;
    flag("--num-layers", str(m.layers));
    flag("--hidden-size", str(m.hidden));
    flag("--ffn-hidden-size", str(m.ffn_hidden));
    flag("--num-attention-heads", str(m.heads));
    if (m.kv_heads != m.heads) {
      flag("--group-query-attention");
      flag("--num-query-groups", str(m.kv_heads));
    }
    if (m.head_size > 0 && !m.mla.enabled()) flag("--kv-channels", str(m.head_size));
    flag("--seq-length", str(m.seq_len));
    flag("--max-position-embeddings", str(m.seq_len));
    if (m.family == workload::Family::Llama) {
      flag("--swiglu");
      flag("--normalization", "RMSNorm");
      flag("--position-embedding-type", "rope");
      flag("--disable-bias-linear");
      flag("--hidden-dropout", "0");
      flag("--attention-dropout", "0");
    }
    if (!m.tied_embeddings) flag("--untie-embeddings-and-output-weights");
    // The vocabulary through the NullTokenizer (its size is --vocab-size + 1), padded to a
    // multiple of tp only: exactly the scenario's.
    if (m.vocab % job_.plan.tp != 0)
      throw refuse("model.vocab", "vocabulary " + str(m.vocab) + " is not divisible by tp " + str(job_.plan.tp) +
                                      ", which Megatron-LM's vocabulary-parallel embedding needs; expected a multiple");
    flag("--tokenizer-type", "NullTokenizer");
    flag("--vocab-size", str(m.vocab - 1));
    flag("--make-vocab-size-divisible-by", "1");
    flag("--mock-data");
    out_.notes.push_back("Replace --mock-data and the NullTokenizer with your data and tokenizer; keep the padded "
                         "vocabulary at " + str(m.vocab) + " (Megatron-LM prints it at start-up)");
  }

  void parallelism() {
    const auto& p = job_.plan;
    const auto& m = job_.model;
    flag("--tensor-model-parallel-size", str(p.tp));
    flag("--pipeline-model-parallel-size", str(p.pp));
    if (p.cp > 1) {
      flag("--context-parallel-size", str(p.cp));
      flag("--cp-comm-type", p.cp_comm == CpComm::AllGather ? "allgather" : "p2p");
    }
    if (p.sequence_parallel) flag("--sequence-parallel");
    if (m.is_moe()) {
      flag("--expert-model-parallel-size", str(p.experts.ep));
      if (p.expert_tp() != p.tp) flag("--expert-tensor-parallel-size", str(p.expert_tp()));
    }
    if (p.schedule != schedule::ScheduleKind::OneFOneB && p.schedule != schedule::ScheduleKind::Interleaved1F1B)
      throw refuse("schedule", std::string(schedule::to_string(p.schedule)) +
                                   " has no Megatron-LM flag (Megatron-LM runs 1F1B, interleaved with virtual "
                                   "stages); expected 1f1b or interleaved-1f1b");
    pipeline_split();
  }

  // The layers of each (virtual) stage, with the plainest flags that give them: an even split,
  // the embedding and/or loss counted as a layer, uneven first and last stages, or else an
  // explicit --pipeline-model-parallel-layout.
  void pipeline_split() {
    const auto& p = job_.plan;
    const auto& m = job_.model;
    const std::vector<int> per = virtual_stage_layers(p, m);  // pp x chunks, in model order
    const int n = static_cast<int>(per.size());
    auto per_virtual_stage = [&](int layers) {
      if (p.chunks > 1) flag("--num-layers-per-virtual-pipeline-stage", str(layers));
    };
    if (std::all_of(per.begin(), per.end(), [&](int l) { return l == per.front(); })) {
      per_virtual_stage(per.front());
      return;
    }
    for (int e : {1, 0})
      for (int l : {1, 0}) {
        const int counted = m.layers + e + l;
        if ((e == 0 && l == 0) || counted % n != 0) continue;
        std::vector<int> expected(n, counted / n);
        expected.front() -= e;
        expected.back() -= l;
        if (expected != per) continue;
        if (e) flag("--account-for-embedding-in-pipeline-split");
        if (l) flag("--account-for-loss-in-pipeline-split");
        per_virtual_stage(counted / n);
        return;
      }
    const auto layers = stage_layers(p, m);
    bool first_last = true;
    for (int s = 1; s + 1 < p.pp; ++s) first_last = first_last && layers[s] == layers[1];
    for (int vs = 0; vs < n; ++vs) first_last = first_last && layers[vs % p.pp] % p.chunks == 0 &&
                                                 per[vs] == layers[vs % p.pp] / p.chunks;
    if (first_last && p.pp >= 2) {
      if (p.chunks > 1) flag("--num-virtual-stages-per-pipeline-rank", str(p.chunks));
      flag("--decoder-first-pipeline-num-layers", str(layers.front()));
      flag("--decoder-last-pipeline-num-layers", str(layers.back()));
      return;
    }
    flag("--pipeline-model-parallel-layout", "\"" + layout_text(per) + "\"");
  }

  // Megatron-Core's layout string: stages in virtual-stage order separated by '|', E the
  // embedding, t a transformer layer, L the loss; runs of equal stages as "(...|)*k".
  static std::string layout_text(const std::vector<int>& per) {
    const int n = static_cast<int>(per.size());
    std::vector<std::string> stages(n);
    for (int vs = 0; vs < n; ++vs) {
      std::string& st = stages[vs];
      if (vs == 0) st += "E";
      if (per[vs] == 1) st += "t";
      else if (per[vs] > 1) st += "t*" + str(per[vs]);
      if (vs == n - 1) st += "L";
    }
    std::string out;
    for (int vs = 0; vs < n;) {
      int run = 1;
      while (vs + run < n - 1 && vs > 0 && stages[vs + run] == stages[vs]) ++run;
      const bool last = vs + run == n;
      if (run > 1) out += "(" + stages[vs] + "|)*" + str(run);
      else out += stages[vs] + (last ? "" : "|");
      vs += run;
    }
    return out;
  }

  // The mixture of experts and multi-latent attention of the model, and how the experts run.
  void experts() {
    const auto& m = job_.model;
    const auto& p = job_.plan;
    if (p.gemm_precision == workload::Precision::Fp8) {
      flag("--fp8-format", "e4m3");
      out_.notes.push_back("FP8 GEMMs: choose your --fp8-recipe (trainsim times every FP8 GEMM alike, docs/model.md)");
    }
    if (m.mla.enabled()) {
      flag("--multi-latent-attention");
      if (m.mla.q_lora_rank > 0) flag("--q-lora-rank", str(m.mla.q_lora_rank));
      flag("--kv-lora-rank", str(m.mla.kv_lora_rank));
      flag("--qk-head-dim", str(m.mla.qk_head_dim));
      flag("--qk-pos-emb-head-dim", str(m.mla.qk_rope_head_dim));
      flag("--v-head-dim", str(m.mla.v_head_dim));
    }
    if (!m.is_moe()) return;
    const auto& e = m.moe;
    flag("--num-experts", str(e.experts));
    flag("--moe-router-topk", str(e.top_k));
    flag("--moe-ffn-hidden-size", str(e.expert_ffn_hidden));
    if (e.shared_ffn_hidden > 0) flag("--moe-shared-expert-intermediate-size", str(e.shared_ffn_hidden));
    if (e.dense_layers > 0)
      flag("--moe-layer-freq", "\"[0]*" + str(e.dense_layers) + "+[1]*" + str(m.layers - e.dense_layers) + "\"");
    if (e.score == workload::RouterScore::Sigmoid) flag("--moe-router-score-function", "sigmoid");
    if (e.capacity_factor > 0) {
      char buf[40];
      std::snprintf(buf, sizeof buf, "%.17g", e.capacity_factor);
      flag("--moe-expert-capacity-factor", buf);
    }
    const auto& x = p.experts;
    if (x.order != ExpertRankOrder::EpInner)
      throw refuse("moe.rank_order", "etp-edp-ep has no Megatron-LM flag (Megatron-Core orders expert ranks "
                                     "etp-ep-edp); expected etp-ep-edp");
    if (x.grouped_gemm) flag("--moe-grouped-gemm");
    if (x.all_to_all == Granularity::ClosedForm) {
      flag("--moe-token-dispatcher-type", "flex");
      flag("--moe-enable-deepep");
    } else {
      flag("--moe-token-dispatcher-type", "alltoall");
    }
    if (x.routing.max_nodes > 0) {
      const ExpertLayout layout(p);
      const int nodes = expert_placement(layout.ep_groups(0).front(), e.experts, platform_).nodes();
      flag("--moe-router-num-groups", str(nodes));
      flag("--moe-router-group-topk", str(x.routing.max_nodes));
    }
    if (x.routing.distribution != workload::RoutingDistribution::Uniform)
      out_.notes.push_back("the scenario's skewed routing is the simulation's assumption about the router, not part "
                           "of the launch (an import of this launch routes uniformly)");
  }

  void training() {
    const auto& p = job_.plan;
    flag("--micro-batch-size", str(p.micro_batch));
    flag("--global-batch-size", str(p.global_batch));
    if (p.recompute == workload::Recompute::Selective) {
      flag("--recompute-activations");
    } else if (p.recompute == workload::Recompute::Full) {
      flag("--recompute-granularity", "full");
      flag("--recompute-method", "uniform");
      flag("--recompute-num-layers", "1");
    }
    if (p.zero_stage == 1) flag("--use-distributed-optimizer");
    // --use-torch-fsdp2 is ZeRO-3 in units of one layer, one gathered ahead, over the whole
    // data-parallel group, without pipelining (megatron_import.cpp's torch_fsdp2).
    const bool fsdp2 = p.zero_stage == 3 && p.fsdp.unit_layers == 1 && p.fsdp.prefetch == 1 &&
                       (p.fsdp.shard_group == 0 || p.fsdp.shard_group == p.dp) && p.pp == 1;
    if (fsdp2) flag("--use-torch-fsdp2");
    else if (p.zero_stage > 1)
      throw refuse("zero_stage", "ZeRO stage " + str(p.zero_stage) +
                                     (p.zero_stage == 3 ? " with these fsdp units, HSDP or pipelining" : "") +
                                     " has no Megatron-LM flag trainsim models the same way; expected 0, 1 "
                                     "(--use-distributed-optimizer) or 3 with fsdp {unit_layers: 1, prefetch: 1}, no "
                                     "shard_group and pp 1 (--use-torch-fsdp2)");
    if (p.overlap_grad_reduce) flag("--overlap-grad-reduce");
    if (p.overlap_param_gather) flag("--overlap-param-gather");
    if (p.tp_comm_overlap) flag("--tp-comm-overlap");
    if (p.bucket_bytes != megatron_default_bucket_bytes(p.dp * p.cp) / 2 * p.grad_reduce_bytes) {
      const double params = p.bucket_bytes / p.grad_reduce_bytes;
      if (params != static_cast<double>(static_cast<long long>(params)))
        throw refuse("bucket_size", "is not a whole number of gradients of grad_reduce_precision; expected a multiple "
                                    "of " + str(p.grad_reduce_bytes) + " bytes");
      flag("--ddp-bucket-size", str(static_cast<long long>(params)));
    }
    if (p.dp_algorithm != CollectiveAlgorithm::Ring)
      throw refuse("dp_algorithm", std::string(algorithm_name(p.dp_algorithm)) + " has no Megatron-LM flag (NCCL chooses its algorithm); expected ring");
    if (!p.scatter_gather)
      throw refuse("scatter_gather", "false has no flag in current Megatron-LM; expected true");
    flag("--transformer-impl", p.flash_attention ? "transformer_engine" : "local");
    if (!p.fused_bias_dropout_add) flag("--no-bias-dropout-fusion");
    const auto& gpu = platform_.clusters.front().gpu;
    if (gpu.bf16) {
      flag("--bf16");
      if (p.grad_reduce_bytes == 2) flag("--grad-reduce-in-bf16");  // fp32 is Megatron-LM's default with --bf16
    } else {
      flag("--fp16");
      if (p.grad_reduce_bytes == 4) flag("--accumulate-allreduce-grads-in-fp32");
    }
    if (p.iterations > 1)
      out_.notes.push_back("the scenario simulates " + str(p.iterations) + " iterations: set --train-iters yourself "
                                                                           "(an import simulates 1)");
    if (job_.stragglers.sigma > 0 || !job_.stragglers.gpus.empty())
      out_.notes.push_back("stragglers are the simulation's, not part of the launch");
  }

  void launcher() {
    if (job_.plan.tp > 1) out_.env.push_back("CUDA_DEVICE_MAX_CONNECTIONS=1");  // Megatron-LM requires it with TP
    out_.launcher = {"torchrun"};
    if (out_.nodes == 1) {
      out_.launcher.push_back("--standalone");
    } else {
      out_.launcher.insert(out_.launcher.end(), {"--nnodes", str(out_.nodes)});
    }
    out_.launcher.insert(out_.launcher.end(), {"--nproc-per-node", str(out_.gpus_per_node)});
    if (out_.nodes > 1)
      out_.launcher.insert(out_.launcher.end(),
                           {"--node-rank", "\"$NODE_RANK\"", "--master-addr", "\"$MASTER_ADDR\"", "--master-port", "6000"});
  }

  const TrainingSpec& job_;
  const PlatformSpec& platform_;
  SourceLocation where_;
  MegatronLaunch out_;
};

}  // namespace

MegatronLaunch export_megatron(const TrainingSpec& job, const PlatformSpec& platform, const SourceLocation& where) {
  return Exporter(job, platform, where).run();
}

std::string launch_text(const MegatronLaunch& launch) {
  std::string s;
  for (const auto& e : launch.env) s += e + " ";
  for (size_t i = 0; i < launch.launcher.size(); ++i) s += (i ? " " : "") + launch.launcher[i];
  s += " \\\n    pretrain_gpt.py";
  for (const auto& f : launch.flags) s += " \\\n    " + f;
  return s + "\n";
}

}  // namespace trainsim::importer
