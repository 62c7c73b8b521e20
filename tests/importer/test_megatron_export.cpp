// Training job -> Megatron-LM launch, and back: exporting a scenario and importing the launch
// gives the same job; what Megatron-LM has no flag for is refused naming the scenario key.
#include <catch2/catch.hpp>

#include <algorithm>

#include "engine/isolated.hpp"
#include "importer/megatron_export.hpp"
#include "importer/scenario_writer.hpp"
#include "importer_support.hpp"
#include "jobs/run_job.hpp"
#include "support/input_error.hpp"

using namespace trainsim;
using namespace trainsim::importer;
using testing::message_of;

namespace {

Scenario shipped(const std::string& path) { return load_scenario_file(std::string(TRAINSIM_SOURCE_DIR) + "/" + path); }

// Export, then import the launch as a user pastes it (one text) on the same platform.
TrainingSpec round_trip(const TrainingSpec& job, const PlatformSpec& platform) {
  const auto launch = export_megatron(job, platform, {});
  ImportOptions options;
  options.platform = platform;
  auto r = import_megatron(commands_from_text(launch_text(launch), {kCommandLineName, 1, 1}), options);
  if (r.job.model.name.empty()) r.job.model.name = job.model.name;  // a custom shape: the scenario names it
  return r.job;
}

}  // namespace

TEST_CASE("export: SC21's 145.6B row as Megatron-LM flags") {
  const Scenario s = shipped("scenarios/validation/megatron-145.6b.yaml");
  const auto launch = export_megatron(s.job.as<TrainingSpec>(), s.platform, {});
  CHECK(launch.nodes == 192);
  CHECK(launch.gpus_per_node == 8);
  CHECK(launch.env == std::vector<std::string>{"CUDA_DEVICE_MAX_CONNECTIONS=1"});
  CHECK(launch.launcher == std::vector<std::string>{"torchrun", "--nnodes", "192", "--nproc-per-node", "8", "--node-rank",
                                                    "\"$NODE_RANK\"", "--master-addr", "\"$MASTER_ADDR\"",
                                                    "--master-port", "6000"});
  CHECK(launch.flags == std::vector<std::string>{
                            "--num-layers 80", "--hidden-size 12288", "--ffn-hidden-size 49152",
                            "--num-attention-heads 96", "--seq-length 2048", "--max-position-embeddings 2048",
                            "--tokenizer-type NullTokenizer", "--vocab-size 51199", "--make-vocab-size-divisible-by 1",
                            "--mock-data", "--tensor-model-parallel-size 8", "--pipeline-model-parallel-size 8",
                            "--num-layers-per-virtual-pipeline-stage 5", "--micro-batch-size 2",
                            "--global-batch-size 2304", "--recompute-granularity full", "--recompute-method uniform",
                            "--recompute-num-layers 1", "--transformer-impl local", "--bf16", "--grad-reduce-in-bf16"});
  CHECK(launch.node_ranks.empty());
}

TEST_CASE("export: every shipped training scenario comes back from its launch") {
  for (const char* path :
       {"scenarios/default.yaml", "scenarios/tutorial/gpt-1.7b-32gpu.yaml", "scenarios/validation/megatron-1.7b.yaml",
        "scenarios/validation/megatron-7.5b.yaml", "scenarios/validation/megatron-39.1b.yaml",
        "scenarios/validation/megatron-145.6b.yaml", "scenarios/validation/megatron-1t.yaml",
        "scenarios/validation/korthikanti-22b-full.yaml", "scenarios/validation/korthikanti-22b-sp-selective.yaml",
        "scenarios/validation/korthikanti-530b-full.yaml", "scenarios/validation/korthikanti-530b-sp-selective.yaml",
        "scenarios/pipette/a100-8node-18b.yaml", "scenarios/moe/mixtral-8x7b-64gpu.yaml",
        "scenarios/validation/deepseek-v3-2048.yaml", "scenarios/long-context/llama3-405b-131k.yaml",
        "scenarios/overlap/llama3-70b-tp8.yaml", "scenarios/overlap/llama3-70b-tp8-overlap.yaml"}) {
    CAPTURE(path);
    const Scenario s = shipped(path);
    TrainingSpec job = s.job.as<TrainingSpec>();
    // Megatron-LM has no DualPipe (the export refuses it): the DeepSeek-V3 scenario on 1F1B.
    if (job.plan.schedule == schedule::ScheduleKind::DualPipe) job.plan.schedule = schedule::ScheduleKind::OneFOneB, job.plan.chunks = 1;
    const TrainingSpec back = round_trip(job, s.platform);
    job.plan.iterations = 1;  // the simulated iteration count is no Megatron-LM flag
    CHECK(training_job_text(back) == training_job_text(job));
  }
}

TEST_CASE("export: placements Megatron-LM can launch") {
  const PlatformSpec platform = testing::shipped_platform("selene-dgx-a100");
  TrainingSpec job = shipped("scenarios/validation/korthikanti-22b-full.yaml").job.as<TrainingSpec>();
  job.plan.dp = 2;
  job.plan.global_batch = 8;
  // Four GPUs on each of four nodes (tp 4, dp 4): torchrun --nproc-per-node 4 on four nodes.
  job.plan.tp = 4;
  job.plan.dp = 4;
  job.plan.global_batch = 16;
  job.plan.order = RankOrder::Explicit;
  job.plan.mapping = {0, 1, 2, 3, 8, 9, 10, 11, 16, 17, 18, 19, 24, 25, 26, 27};
  auto launch = export_megatron(job, platform, {});
  CHECK(launch.nodes == 4);
  CHECK(launch.gpus_per_node == 4);
  CHECK(launch.node_ranks.empty());
  CHECK(training_job_text(round_trip(job, platform)) == training_job_text(job));
  // Whole nodes in another order (a configurator's placement): node rank k on the node listed.
  job.plan.tp = 8;
  job.plan.dp = 2;
  job.plan.global_batch = 8;
  job.plan.mapping = {40, 41, 42, 43, 44, 45, 46, 47, 8, 9, 10, 11, 12, 13, 14, 15};
  launch = export_megatron(job, platform, {});
  CHECK(launch.nodes == 2);
  CHECK(launch.node_ranks == std::vector<int>{5, 1});
  // Ranks shuffled inside a node: torchrun cannot place them.
  job.plan.mapping = {1, 0, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15};
  CHECK(message_of([&] { export_megatron(job, platform, {"s.yaml", 7, 3}); }) ==
        "s.yaml:7:3: error: key 'job.mapping': places ranks inside nodes in an order Megatron-LM cannot launch "
        "(torchrun numbers ranks node by node, local ranks in GPU order); expected whole nodes in rank order");
}

TEST_CASE("export: settings Megatron-LM has no flag for are refused by key") {
  const Scenario s = shipped("scenarios/tutorial/gpt-1.7b-32gpu.yaml");
  auto key = [&](const std::function<void(TrainingSpec&)>& change) {
    TrainingSpec job = s.job.as<TrainingSpec>();
    change(job);
    try {
      export_megatron(job, s.platform, {});
    } catch (const InputError& e) {
      return e.key();
    }
    return std::string("<no error>");
  };
  CHECK(key([](TrainingSpec&) {}) == "<no error>");
  CHECK(key([](TrainingSpec& j) { j.plan.schedule = schedule::ScheduleKind::GPipe; }) == "job.schedule");
  CHECK(key([](TrainingSpec& j) { j.plan.schedule = schedule::ScheduleKind::ZeroBubbleH1; }) == "job.schedule");
  CHECK(key([](TrainingSpec& j) { j.plan.zero_stage = 3; }) == "job.zero_stage");
  CHECK(key([](TrainingSpec& j) { j.plan.dp_algorithm = CollectiveAlgorithm::Hierarchical; }) == "job.dp_algorithm");
  CHECK(key([](TrainingSpec& j) { j.plan.scatter_gather = false; }) == "job.scatter_gather");
  CHECK(key([](TrainingSpec& j) { j.model.vocab = 51201; }) == "job.model.vocab");
  // Any other split: Megatron-Core's --pipeline-model-parallel-layout.
  TrainingSpec any = s.job.as<TrainingSpec>();
  any.plan.layers_per_stage = {5, 7, 6, 6};
  const auto flags = export_megatron(any, s.platform, {}).flags;
  CHECK(std::find(flags.begin(), flags.end(), "--pipeline-model-parallel-layout \"Et*5|t*7|t*6|t*6L\"") != flags.end());
  CHECK(training_job_text(round_trip(any, s.platform)) == training_job_text(any));
  // First and last stages of their own size are Megatron-LM's uneven split.
  CHECK(key([](TrainingSpec& j) { j.plan.layers_per_stage = {5, 7, 7, 5}; }) == "<no error>");
  TrainingSpec uneven = s.job.as<TrainingSpec>();
  uneven.plan.layers_per_stage = {5, 7, 7, 5};
  CHECK(training_job_text(round_trip(uneven, s.platform)) == training_job_text(uneven));
  // Uneven stages with interleaving (issue 12): --num-virtual-stages-per-pipeline-rank with the
  // first and last counts, as long as each stage's chunks are equal.
  TrainingSpec uneven_vpp = s.job.as<TrainingSpec>();
  uneven_vpp.plan.schedule = schedule::ScheduleKind::Interleaved1F1B;
  uneven_vpp.plan.chunks = 2;
  uneven_vpp.plan.layers_per_virtual_stage = {1, 5, 5, 1, 1, 5, 5, 1};
  CHECK(training_job_text(round_trip(uneven_vpp, s.platform)) == training_job_text(uneven_vpp));
  any = s.job.as<TrainingSpec>();
  any.plan.schedule = schedule::ScheduleKind::Interleaved1F1B;
  any.plan.chunks = 2;
  any.plan.layers_per_virtual_stage = {2, 5, 5, 1, 1, 5, 5, 0};
  CHECK(training_job_text(round_trip(any, s.platform)) == training_job_text(any));
  // What the launch does not carry is said, not dropped.
  TrainingSpec many = s.job.as<TrainingSpec>();
  many.plan.iterations = 3;
  many.stragglers.sigma = 0.1;
  const auto notes = export_megatron(many, s.platform, {}).notes;
  CHECK(std::find(notes.begin(), notes.end(),
                  "the scenario simulates 3 iterations: set --train-iters yourself (an import simulates 1)") != notes.end());
  CHECK(std::find(notes.begin(), notes.end(), "stragglers are the simulation's, not part of the launch") != notes.end());
}

TEST_CASE("export: every MoE, MLA and context-parallel setting comes back from its launch") {
  const Scenario s = shipped("scenarios/moe/mixtral-8x7b-64gpu.yaml");
  const TrainingSpec base = s.job.as<TrainingSpec>();
  auto same = [&](const std::function<void(TrainingSpec&)>& change) {
    TrainingSpec job = base;
    change(job);
    TrainingSpec back = round_trip(job, s.platform);
    return training_job_text(back) == training_job_text(job);
  };
  CHECK(same([](TrainingSpec&) {}));
  CHECK(same([](TrainingSpec& j) {
    j.model.name = "custom-moe";
    j.model.moe.expert_ffn_hidden = 7168;
    j.model.moe.shared_ffn_hidden = 4096;
    j.model.moe.dense_layers = 2;
    j.model.moe.capacity_factor = 1.25;
    j.model.moe.score = workload::RouterScore::Sigmoid;
    j.model.moe.top_k = 4;
  }));
  CHECK(same([](TrainingSpec& j) {
    j.model.name = "custom-mla";
    j.model.mla = {1536, 512, 128, 64, 128};
  }));
  CHECK(same([](TrainingSpec& j) {
    j.model.name = "custom-head";
    j.model.head_size = 96;
  }));
  CHECK(same([](TrainingSpec& j) { j.plan.experts.grouped_gemm = false; }));
  CHECK(same([](TrainingSpec& j) { j.plan.experts.all_to_all = Granularity::ClosedForm; }));
  CHECK(same([](TrainingSpec& j) { j.plan.gemm_precision = workload::Precision::Fp8; }));
  // EP 16 over two nodes of 8: node-limited routing is the group-limited flags with 2 groups.
  CHECK(same([](TrainingSpec& j) {
    j.model.moe.experts = 16;
    j.plan.experts.ep = 16;
    j.plan.experts.routing.max_nodes = 1;
  }));
  const auto flags = [&](const std::function<void(TrainingSpec&)>& change) {
    TrainingSpec job = base;
    change(job);
    return export_megatron(job, s.platform, {}).flags;
  };
  const auto routed = flags([](TrainingSpec& j) {
    j.model.moe.experts = 16;
    j.plan.experts.ep = 16;
    j.plan.experts.routing.max_nodes = 1;
  });
  CHECK(std::find(routed.begin(), routed.end(), "--moe-router-num-groups 2") != routed.end());
  CHECK(std::find(routed.begin(), routed.end(), "--moe-router-group-topk 1") != routed.end());
  TrainingSpec edp = base;
  edp.plan.experts.order = ExpertRankOrder::EdpInner;
  try {
    export_megatron(edp, s.platform, {});
    FAIL("etp-edp-ep exported");
  } catch (const InputError& e) {
    CHECK(e.key() == "job.moe.rank_order");
  }
  TrainingSpec skewed = base;
  skewed.plan.experts.routing.distribution = workload::RoutingDistribution::Zipf;
  const auto notes = export_megatron(skewed, s.platform, {}).notes;
  CHECK(std::find_if(notes.begin(), notes.end(), [](const std::string& n) {
          return n.find("skewed routing is the simulation's assumption") != std::string::npos;
        }) != notes.end());
  // Context parallelism, both exchanges.
  const Scenario t = shipped("scenarios/tutorial/gpt-1.7b-32gpu.yaml");
  for (const CpComm comm : {CpComm::Ring, CpComm::AllGather}) {
    TrainingSpec cp = t.job.as<TrainingSpec>();
    cp.plan.flash_attention = true;
    cp.plan.cp = 2;
    cp.plan.dp /= 2;
    cp.plan.global_batch /= 2;
    cp.plan.cp_comm = comm;
    CHECK(training_job_text(round_trip(cp, t.platform)) == training_job_text(cp));
  }
}

TEST_CASE("megatron: --use-torch-fsdp2 is ZeRO-3 in units of one layer, and the export writes it back") {
  const auto opts = testing::on("h100-400g", 1);
  const auto r = testing::megatron(testing::kLlama + "--global-batch-size 8 --use-torch-fsdp2", opts);
  const auto& p = r.job.plan;
  CHECK(p.zero_stage == 3);
  CHECK(p.fsdp.unit_layers == 1);
  CHECK(p.fsdp.prefetch == 1);
  CHECK(p.dp == 8);
  CHECK(training_job_text(r.job).find("  zero_stage: 3\n") != std::string::npos);
  // The imported scenario loads and simulates.
  const Scenario mine =
      load_scenario_text(training_scenario_text({"imported", 1, opts.platform_file, {}}, r.job), "imported.yaml");
  const auto report = run_isolated_all({[&] { return run_job(mine, {}).report(); }}, 1);
  CHECK(report[0].find("iteration time") != std::string::npos);
  // Megatron-LM's argument checks, at the flag.
  CHECK(message_of([&] { testing::megatron(testing::kLlama + "--use-torch-fsdp2 --use-distributed-optimizer", opts); }) ==
        "<command line>:1:496: error: key '--use-torch-fsdp2': with --use-distributed-optimizer, which Megatron-LM "
        "refuses (FSDP2 shards the optimizer states itself); expected one of the two");
  CHECK(message_of([&] {
          testing::megatron(testing::kLlama + "--use-torch-fsdp2 --pipeline-model-parallel-size 2", opts);
        }).find("key '--use-torch-fsdp2': with pipeline parallelism, which Megatron-LM refuses") != std::string::npos);
  // Megatron-FSDP stays refused, with what is modelled.
  CHECK(message_of([&] { testing::megatron(testing::kLlama + "--use-megatron-fsdp", opts); })
            .find("Megatron-FSDP (its own bucketed, double-buffered parameter gathers and "
                  "--data-parallel-sharding-strategy) is not modelled; --use-torch-fsdp2") != std::string::npos);
  // The shipped ZeRO-3 scenario comes back from its launch; its HSDP twin has no flag.
  const Scenario zero3 = shipped("scenarios/zero3/gpt3-175b-zero3.yaml");
  TrainingSpec job = zero3.job.as<TrainingSpec>();
  const auto flags = export_megatron(job, zero3.platform, {}).flags;
  CHECK(std::find(flags.begin(), flags.end(), "--use-torch-fsdp2") != flags.end());
  job.plan.iterations = 1;
  CHECK(training_job_text(round_trip(job, zero3.platform)) == training_job_text(job));
  const Scenario hsdp = shipped("scenarios/zero3/gpt3-175b-hsdp.yaml");
  CHECK(message_of([&] { export_megatron(hsdp.job.as<TrainingSpec>(), hsdp.platform, {}); })
            .find("key 'job.zero_stage': ZeRO stage 3 with these fsdp units, HSDP or pipelining has no Megatron-LM flag") !=
        std::string::npos);
}
