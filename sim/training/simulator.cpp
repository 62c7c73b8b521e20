#include "training/simulator.hpp"

#include "engine/fold.hpp"
#include "engine/player.hpp"
#include "engine/recorder.hpp"
#include "engine/simulation.hpp"
#include "network/network.hpp"
#include "schedule/in_flight.hpp"
#include "schedule/schedule.hpp"
#include "training/fsdp.hpp"
#include "training/meter.hpp"
#include "training/costs.hpp"
#include "training/programs.hpp"

namespace trainsim {

std::vector<workload::MemoryEstimate> estimate_stage_memory(const TrainingSpec& spec) {
  const auto& plan = spec.plan;
  const auto sched = schedule::make_schedule({plan.schedule, plan.pp, plan.micro_batches(), plan.chunks});
  const schedule::Placement placement = chunk_placement(plan);
  std::vector<workload::MemoryEstimate> out;
  for (int s = 0; s < plan.pp; ++s) {
    // What GPU stage s holds over its chunks (under DualPipe two model stages, both copies'
    // states: docs/schedules.md, "DualPipe in training jobs").
    const auto layers = layers_of_stage(plan, spec.model, s);
    bool embedding = false, head = false;
    for (int c = 0; c < plan.chunks; ++c) {
      embedding |= placement.virtual_stage(s, c) == 0;
      head |= placement.virtual_stage(s, c) == placement.virtual_stages() - 1;
    }
    workload::MemoryInput in;
    in.model = spec.model;
    in.tp = plan.tp;
    in.pp = plan.pp;
    // ZeRO shards over dp x cp (x the two ranks holding each stage under DualPipe), or the
    // HSDP shard group.
    in.dp = plan.shard_ranks() * plan.cp * weight_copies(plan);
    in.cp = plan.cp;
    in.virtual_stages = plan.chunks;
    in.micro_batch = plan.micro_batch;
    in.layers_on_stage = static_cast<int>(layers.size());
    in.has_embedding = embedding;
    in.has_lm_head = head;
    in.seq_parallel = plan.sequence_parallel;
    in.recompute = plan.recompute;
    in.zero_stage = plan.zero_stage;
    in.grad_bytes_per_param = plan.grad_reduce_bytes;
    in.flash_attention = plan.flash_attention;
    if (spec.model.is_moe()) {  // MoE terms need the layers' indices (dense or MoE) and the expert layout
      in.layer_indices = layers;
      in.ep = plan.experts.ep, in.expert_tp = plan.expert_tp();
      in.dispatch_bytes_per_element = workload::operand_bytes(plan.gemm_precision);
    }
    // (micro-batch, chunk) pairs alive at the peak, each holding its chunk's layers: the peak of
    // the layer-weighted count, over the stage's layers (total / chunks when chunks are even).
    const auto weight = chunk_activation_weights(plan, spec.model, s);
    double weight_sum = 0;
    for (double w : weight) weight_sum += w;
    in.micro_batches_in_flight = schedule::peak_weighted_in_flight(sched, s, weight) / weight_sum;
    // The embedding and the LM head: the peak count of the chunk(s) holding the first and the last
    // virtual stage alone.
    auto chunk_in_flight = [&](int virtual_stage) {
      std::vector<double> only(weight.size(), 0.0);
      for (int c = 0; c < plan.chunks; ++c)
        if (placement.virtual_stage(s, c) == virtual_stage) only[static_cast<size_t>(c)] = 1;
      return schedule::peak_weighted_in_flight(sched, s, only);
    };
    if (in.has_embedding) in.embedding_micro_batches_in_flight = chunk_in_flight(0);
    if (in.has_lm_head) in.lm_head_micro_batches_in_flight = chunk_in_flight(placement.virtual_stages() - 1);
    out.push_back(workload::estimate_memory(in));
    // ZeRO-3: the gathered units' bf16 parameters beside the shard (training/fsdp.hpp).
    if (plan.zero_stage >= 3 && plan.dp > 1) out.back().weights += fsdp_buffer_bytes(spec.model, plan, s);
  }
  return out;
}

TrainingResult play_training(Simulation& sim, const program::ProgramSet& set, Recorder* recorder, FoldChoice fold) {
  Fold folded;
  if (fold.enabled) {
    folded = fold_tensor_parallel(set, sim.network(), recorder && recorder->keeps_activities());
    apply_fold(folded, sim.network(), recorder);
    if (fold.note) *fold.note = folded.note;
  }
  const program::ProgramSet& played = folded.applied() ? folded.set : set;
  TrainingMeter meter(played);
  play(sim, played, {recorder, &meter, folded.applied() ? &folded.folded_group : nullptr});
  if (recorder) recorder->set_copies(nullptr);  // the fold's copies do not outlive this call
  const Network& net = sim.network();
  TrainingResult r = meter.result(net.spec().clusters[net.location(set.ranks.at(0).gpu).cluster].gpu.memory_bytes);
  r.folded_copies = folded.copies;
  return r;
}

TrainingResult simulate_training(Simulation& sim, const TrainingSpec& spec, uint64_t seed, Recorder* recorder,
                                 FoldChoice fold) {
  const auto set = training_programs(spec, sim.network().spec(), seed);
  return play_training(sim, set, recorder, fold);
}

}  // namespace trainsim
