// ZeRO-3 / FSDP per wrapped unit and gradient-reduction precision (issue 12), by hand.
#include <catch2/catch.hpp>

#include <functional>
#include <iomanip>
#include <sstream>
#include <string>

#include "engine/isolated.hpp"
#include "engine/simulation.hpp"
#include "network/network.hpp"
#include "support/platforms.hpp"
#include "training/costs.hpp"
#include "training/fsdp.hpp"
#include "training/programs.hpp"
#include "training/simulator.hpp"

using namespace trainsim;
using program::Collective;
using program::OpKind;

namespace {

// A GPT of `layers` layers whose parts are easy to count; untied so the head holds parameters.
TrainingSpec tiny(int layers, int dp, int m) {
  TrainingSpec s;
  s.model = {"tiny", workload::Family::Gpt, layers, 1024, 16, 16, 4096, 512, 1000, false};
  s.plan.dp = dp;
  s.plan.micro_batch = 1;
  s.plan.global_batch = m * dp;
  s.plan.zero_stage = 3;
  return s;
}

struct DpOps {
  int gathers = 0, reduce_scatters = 0, all_reduces = 0, computes = 0;
  double gather_bytes = 0, rs_bytes = 0, ar_bytes = 0;
};

// The collectives rank `r` hands to its dp-comm stream, by kind.
DpOps dp_ops(const program::ProgramSet& set, int r, const char* slot = "dp") {
  DpOps out;
  const int ds = set.stream_index(program::kDpStream), want = set.slot_index(slot);
  for (const auto& op : set.programs[set.ranks[r].program].ops) {
    if (op.kind() == OpKind::Compute && op.stream == set.stream_index(program::kComputeStream)) ++out.computes;
    if (op.kind() != OpKind::Collective || op.stream != ds || op.slot != want) continue;
    const auto& c = op.as<Collective>();
    if (c.kind == CollectiveKind::AllGather) ++out.gathers, out.gather_bytes += c.bytes;
    if (c.kind == CollectiveKind::ReduceScatter) ++out.reduce_scatters, out.rs_bytes += c.bytes;
    if (c.kind == CollectiveKind::AllReduce) ++out.all_reduces, out.ar_bytes += c.bytes;
  }
  return out;
}

std::string exact(double x) {
  std::ostringstream o;
  o << std::setprecision(17) << x;
  return o.str();
}

ChunkCosts chunk0(const TrainingSpec& s, const PlatformSpec& p) {
  workload::ComputeModel cm(p.clusters[0].gpu);
  return stage_costs(s.model, s.plan, cm, TpLink{1e30, 0})[0].chunks[0];
}

}  // namespace

TEST_CASE("FSDP units: embedding, groups of unit_layers layers, LM head", "[training][fsdp]") {
  CHECK(fsdp_unit_layers(5, 2) == std::vector<int>{2, 2, 1});
  CHECK(fsdp_unit_layers(4, 4) == std::vector<int>{4});
  CHECK(fsdp_unit_layers(3, 8) == std::vector<int>{3});
  const auto spec = tiny(5, 2, 1);
  const auto c = chunk0(spec, testing::uniform_cluster(2, 1, 1e11, 1e10, 0));
  const auto units = fsdp_units(c, 2);
  REQUIRE(units.size() == 5);  // embedding, 2 + 2 + 1 layers, head
  double params = 0, fwd = 0, bwd = 0;
  for (const auto& u : units) params += u.params, fwd += u.fwd_compute, bwd += u.bwd_input_compute + u.bwd_weight;
  CHECK(params == Approx(c.params).epsilon(1e-12));
  CHECK(fwd == Approx(c.fwd_compute).epsilon(1e-12));
  CHECK(bwd == Approx(c.bwd_input_compute + c.bwd_weight).epsilon(1e-12));
  CHECK(units[1].params == Approx(2 * workload::layer_parameters_per_rank(spec.model, 1)));
  CHECK(units[3].params == Approx(workload::layer_parameters_per_rank(spec.model, 1)));
  CHECK(units[0].params == Approx(workload::embedding_parameters(spec.model)));
}

TEST_CASE("ZeRO-3 gathers each unit before its forward and its backward and reduce-scatters its gradients", "[training][fsdp]") {
  // 4 layers, units of 2: embedding, 2 layer units, head = 4 units; 3 micro-batches at pp 1.
  auto spec = tiny(4, 2, 3);
  spec.plan.fsdp.unit_layers = 2;
  const auto platform = testing::uniform_cluster(2, 1, 1e11, 1e10, 0);
  const auto c = chunk0(spec, platform);
  for (int bytes : {2, 4}) {
    INFO("gradient bytes " << bytes);
    spec.plan.grad_reduce_bytes = bytes;
    const auto set = training_programs(spec, platform, 0);
    const auto ops = dp_ops(set, 0);
    CHECK(ops.gathers == 3 * 2 * 4);         // per micro-batch, forward and backward, per unit
    CHECK(ops.reduce_scatters == 3 * 4);     // per micro-batch, per unit after its backward
    CHECK(ops.computes == 3 * 2 * 4 + 1);    // one compute op per unit and pass, + the optimizer
    CHECK(ops.gather_bytes == Approx(3 * 2 * 2.0 * c.params).epsilon(1e-12));  // bf16 parameters
    CHECK(ops.rs_bytes == Approx(3 * double(bytes) * c.params).epsilon(1e-12));  // gradients in their precision
    CHECK(ops.all_reduces == 0);
  }
}

TEST_CASE("HSDP reduce-scatters inside the shard group and all-reduces the shard across replicas", "[training][fsdp]") {
  // dp 4 as two shard groups of 2 (one per node of 2 GPUs), replicated across the nodes.
  auto spec = tiny(2, 4, 1);
  spec.plan.fsdp.shard_group = 2;
  const auto platform = testing::uniform_cluster(2, 2, 1e11, 1e10, 0);
  const auto c = chunk0(spec, platform);
  const auto set = training_programs(spec, platform, 0);
  const int dp = set.slot_index("dp"), rep = set.slot_index("dp-replica");
  REQUIRE(rep >= 0);
  // Rank 0 shards with rank 1 (same node) and replicates with rank 2 (the other node).
  const auto& shard = set.groups[set.ranks[0].groups[dp]].gpus;
  const auto& replicas = set.groups[set.ranks[0].groups[rep]].gpus;
  CHECK(shard == std::vector<int32_t>{0, 1});
  CHECK(replicas == std::vector<int32_t>{0, 2});
  const auto in_shard = dp_ops(set, 0), across = dp_ops(set, 0, "dp-replica");
  CHECK(in_shard.gathers == 2 * 4);
  CHECK(in_shard.reduce_scatters == 4);
  CHECK(across.all_reduces == 4);
  CHECK(across.ar_bytes == Approx(2.0 * c.params / 2).epsilon(1e-12));  // the 1/2 shard, bf16
  // Model states are sharded over the shard group (2), not over dp (4).
  const auto mem = estimate_stage_memory(spec);
  CHECK(mem[0].optimizer == Approx(12.0 * c.params / 2).epsilon(1e-12));
}

TEST_CASE("ZeRO-3 memory holds the sharded states and prefetch + 1 gathered units", "[training][fsdp]") {
  auto spec = tiny(6, 4, 1);
  spec.plan.fsdp.unit_layers = 2;
  const auto c = chunk0(spec, testing::uniform_cluster(4, 1, 1e11, 1e10, 0));
  const double layer = workload::layer_parameters_per_rank(spec.model, 1);
  const double emb = workload::embedding_parameters(spec.model);
  REQUIRE(emb < 2 * layer);  // the largest units are the layer units
  for (int prefetch : {0, 1, 2}) {
    INFO("prefetch " << prefetch);
    spec.plan.fsdp.prefetch = prefetch;
    const auto mem = estimate_stage_memory(spec)[0];
    CHECK(mem.weights == Approx(2.0 * c.params / 4 + (prefetch + 1) * 2 * layer * 2.0).epsilon(1e-12));
    CHECK(mem.gradients == Approx(2.0 * c.params / 4).epsilon(1e-12));
    CHECK(mem.optimizer == Approx(12.0 * c.params / 4).epsilon(1e-12));
  }
  // fp32 gradient reduction keeps fp32 main gradients: 4 bytes per parameter.
  spec.plan.grad_reduce_bytes = 4;
  CHECK(estimate_stage_memory(spec)[0].gradients == Approx(4.0 * c.params / 4).epsilon(1e-12));
}

TEST_CASE("gradient buckets and their memory follow grad_reduce_precision", "[training]") {
  auto spec = tiny(4, 2, 2);
  spec.plan.zero_stage = 1;
  const auto platform = testing::uniform_cluster(2, 1, 1e11, 1e10, 0);
  const auto c = chunk0(spec, platform);
  for (int bytes : {2, 4}) {
    INFO("gradient bytes " << bytes);
    spec.plan.grad_reduce_bytes = bytes;
    const auto ops = dp_ops(training_programs(spec, platform, 0), 0);
    // One reduce-scatter of every gradient per iteration, one all-gather of the bf16 parameters.
    CHECK(ops.rs_bytes == Approx(double(bytes) * c.params).epsilon(1e-12));
    CHECK(ops.gather_bytes == Approx(2.0 * c.params).epsilon(1e-12));
    const auto mem = estimate_stage_memory(spec)[0];
    CHECK(mem.gradients == Approx(double(bytes) * c.params).epsilon(1e-12));  // ZeRO-1: not sharded
    CHECK(mem.optimizer == Approx(12.0 * c.params / 2).epsilon(1e-12));
  }
}

TEST_CASE("a ZeRO-3 timeline without prefetch is the sum of its gathers, computes and reduce-scatters", "[training][fsdp]") {
  // pp 1, one micro-batch, dp 2 over two nodes, no latency: with prefetch 0 nothing overlaps.
  // Forward: per unit its gather then its compute. Backward: per unit its gather (queued
  // behind the previous unit's reduce-scatter on the one data-parallel stream), its compute,
  // then its reduce-scatter; the step waits for the last one, then the optimizer runs.
  const double bw = 5e9;
  auto spec = tiny(4, 2, 1);
  spec.plan.fsdp.unit_layers = 2;
  const auto platform = testing::uniform_cluster(2, 1, 1e12, bw, 0);
  const auto c = chunk0(spec, platform);
  const auto units = fsdp_units(c, 2);
  workload::ComputeModel cm(platform.clusters[0].gpu);
  double expect = cm.optimizer_step(c.params / 2);
  for (const auto& u : units) {
    const double gather = 2.0 * u.params / 2 / bw, reduce = 2.0 * u.params / 2 / bw;
    expect += gather + u.fwd_compute + gather + u.bwd_input_compute + u.bwd_weight + reduce;
  }
  std::vector<std::function<std::string()>> jobs;
  for (int prefetch : {0, 1, 3})
    jobs.push_back([=] {
      auto s = spec;
      s.plan.fsdp.prefetch = prefetch;
      Simulation sim(platform, 0);
      return exact(simulate_training(sim, s, 0, nullptr).iteration_time);
    });
  const auto out = run_isolated_all(jobs, 2);
  CHECK(std::stod(out[0]) == Approx(expect).epsilon(1e-5));
  // Prefetching overlaps gathers with compute: faster, and never below the compute alone.
  double compute = cm.optimizer_step(c.params / 2);
  for (const auto& u : units) compute += u.fwd_compute + u.bwd_input_compute + u.bwd_weight;
  CHECK(std::stod(out[1]) < std::stod(out[0]));
  CHECK(std::stod(out[2]) <= std::stod(out[1]) * (1 + 1e-9));
  CHECK(std::stod(out[2]) > compute);
}
