#include "training/job.hpp"

#include <cstdio>

#include "core/units.hpp"
#include "engine/recorder.hpp"
#include "engine/simulation.hpp"
#include "network/network.hpp"
#include "parallel/layout.hpp"
#include "schedule/schedule.hpp"
#include "training/programs.hpp"
#include "workload/ops.hpp"

namespace trainsim {

TrainingMetrics training_metrics(const TrainingAccounting& a, const TrainingResult& r, double peak) {
  TrainingMetrics m;
  m.iteration_time = r.iteration_time;
  m.tokens_per_s = a.tokens / r.iteration_time;
  m.tflops_per_gpu = a.counted_flops / (r.iteration_time * a.gpus) / 1e12;
  m.mfu = a.model_flops / (r.iteration_time * a.gpus * peak);
  m.hfu = a.hardware_flops / (r.iteration_time * a.gpus * peak);
  return m;
}

TrainingMetrics training_metrics(const TrainingSpec& spec, const TrainingResult& r, double peak) {
  return training_metrics(training_accounting(spec), r, peak);
}

namespace {
// Labels of the training summary's metric lines are left-aligned in this many columns.
constexpr int kLabelWidth = 34;
}  // namespace

void describe_training(const TrainingResult& r, const TrainingAccounting& a, const GpuModel& gpu,
                       output::TraceData& trace) {
  using output::ValueFormat;
  const bool accounted = a.tokens > 0;
  const TrainingMetrics m = training_metrics(a, r, gpu.peak_flops);
  auto& sum = trace.summary;
  auto& show = trace.display;
  // A metric of the result and its line on the terminal.
  auto metric = [&](const char* name, double value, const char* unit, const char* label, output::ValueStyle style,
                    const char* suffix = "") {
    sum.push_back({name, value, unit});
    show.metric(name, label, style, suffix, kLabelWidth);
  };
  const char* per_gpu = " per GPU per iteration";
  metric("iteration_time", r.iteration_time, "s", "iteration time", {ValueFormat::Time});
  if (accounted) {
    metric("tokens_per_s", m.tokens_per_s, "1/s", "tokens per second", {ValueFormat::Significant});
    metric("tflops_per_gpu", m.tflops_per_gpu * 1e12, "FLOP/s", "TFLOP/s per GPU (Megatron formula)",
           {ValueFormat::Significant, 0, 1, 1e12});
    metric("mfu", m.mfu, "1", "MFU", {ValueFormat::Percent});
    metric("hfu", m.hfu, "1", "HFU", {ValueFormat::Percent});
  }
  metric("bubble_fraction", r.bubble_fraction, "1", "pipeline bubble", {ValueFormat::Percent});
  metric("exposed_tp", r.exposed_tp, "s", "exposed TP communication", {ValueFormat::Time}, per_gpu);
  metric("exposed_pp", r.exposed_pp, "s", "exposed PP communication", {ValueFormat::Time}, per_gpu);
  metric("exposed_dp", r.exposed_dp, "s", "exposed DP communication", {ValueFormat::Time}, per_gpu);
  if (r.expert_parallel) metric("exposed_ep", r.exposed_ep, "s", "exposed EP communication", {ValueFormat::Time}, per_gpu);
  if (r.context_parallel) metric("exposed_cp", r.exposed_cp, "s", "exposed CP communication", {ValueFormat::Time}, per_gpu);
  metric("optimizer_time", r.optimizer_time, "s", "optimizer step", {ValueFormat::Time});
  const double hbm = gpu.memory_bytes;
  sum.push_back({"oom_stages", double(r.oom_stages.size()), "1"});
  sum.push_back({"hbm_per_gpu", hbm, "B"});  // HBM line of analysis/plot.py memory
  // Straggler runs only (after the metrics every run has, whose order the goldens keep).
  if (r.max_slowdown > 1) {
    sum.push_back({"slowest_gpu_factor", r.max_slowdown, "1"});
    show.metric("slowest_gpu_factor", "slowest GPU factor", {ValueFormat::Significant}, "", kLabelWidth);
  }

  const int stages = static_cast<int>(r.stage_compute.size());
  output::Table st{"stages", {"stage", "compute_s", "memory_total", "weights", "gradients", "optimizer", "activations"},
                   std::vector<std::vector<double>>(7), {}, {}};
  for (int s = 0; s < stages; ++s) {
    const auto& mem = r.stage_memory[s];
    const double vals[] = {double(s), r.stage_compute[s], mem.total(), mem.weights, mem.gradients, mem.optimizer,
                           mem.activations};
    for (int c = 0; c < 7; ++c) st.numeric_columns[c].push_back(vals[c]);
  }
  trace.tables.push_back(std::move(st));
  show.line("");
  using Column = output::ColumnDisplay;
  auto gib = [](const char* column, const char* heading) { return Column::number(column, heading, 2, 1, units::GiB); };
  show.table({"stages",
              "per stage:",
              {Column::number("stage", "stage", 0),
               Column::number("compute_s", "compute(s)", 4),
               gib("weights", "weights(GiB)"),
               gib("gradients", "grads(GiB)"),
               gib("optimizer", "optim(GiB)"),
               gib("activations", "activ(GiB)"),
               gib("memory_total", "total(GiB)"),
               Column::check("memory_total", "fits", "hbm_per_gpu", "yes", "OUT OF MEMORY")}});
  if (!r.oom_stages.empty()) {
    std::string list;
    for (int s : r.oom_stages) list += " " + std::to_string(s);
    show.line("");
    show.line("WARNING: {oom_stages:count} stage(s) exceed the {hbm_per_gpu:size} of HBM per GPU (stages:" + list + ")",
              "warning");
  }
  output::Table its{"iterations", {"iteration", "seconds"}, {{}, {}}, {}, {}};
  for (size_t i = 0; i < r.iteration_times.size(); ++i) {
    its.numeric_columns[0].push_back(double(i));
    its.numeric_columns[1].push_back(r.iteration_times[i]);
  }
  trace.tables.push_back(std::move(its));
}

double training_rows_per_iteration(const ParallelPlan& p) {
  // Per GPU and iteration: about 8 rows per (micro-batch, chunk) — forward, backward,
  // recompute, pipeline send/receive, TP collectives — plus DP buckets and the optimizer
  // (measured 5.5 and 7.3 per (micro-batch, chunk) on the default and megatron-39.1b runs).
  return 8.0 * p.micro_batches() * p.chunks + 32;
}

limits::RunSize training_run_size(const Scenario& scenario, const TrainingSpec& spec, bool keep_activities) {
  limits::RunSize r;
  r.platform_gpus = scenario.platform.total_gpus();
  r.actors = spec.plan.gpus();
  // Tensor-parallel ranks will most likely fold (engine/fold.hpp decides after the build; it
  // never folds a trace of activities, heterogeneous links, PCIe nodes or measured fabrics):
  // one rank of each group is simulated. (`run --no-fold` simulates all with this estimate.)
  const auto& pf = scenario.platform;
  bool plain = pf.spreads.empty() && pf.overrides.empty() && !pf.matrix;
  for (const auto& c : pf.clusters)
    plain = plain && c.intra.kind != IntraNodeKind::Pcie && c.fabric.kind != FabricKind::Measured;
  if (plain && !keep_activities && spec.plan.tp > 1) r.actors /= spec.plan.tp;
  r.activities = keep_activities ? r.actors * spec.plan.iterations * training_rows_per_iteration(spec.plan) : 0;
  return r;
}

std::vector<JobPrograms> training_job_programs(const Scenario& scenario, const TrainingSpec& spec) {
  std::vector<JobPrograms> out;
  out.push_back({"", training_programs(spec, scenario.platform, scenario.seed)});
  return out;
}

namespace {
// From this many GPUs a run that could not fold says why (a folded 16,384-GPU run takes a tenth
// of the CPU time of the unfolded one: docs/performance.md).
constexpr int kFoldNoteGpus = 1024;
}  // namespace

JobOutcome run_training_job(const Scenario& scenario, const TrainingSpec& spec, const JobOptions& options) {
  validate_plan(spec.plan, spec.model, scenario.platform.total_gpus());
  SimulationOptions scope;
  if (!options.whole_platform) scope.gpus = RankLayout(spec.plan).gpus_of_ranks();
  Simulation sim(scenario.platform, scenario.seed, scope);
  Recorder recorder(sim.network(), options.keep_activities);
  std::string fold_note;
  const TrainingResult r = simulate_training(sim, spec, scenario.seed, &recorder, {options.fold, &fold_note});
  const auto& gpu_model = scenario.platform.clusters[sim.network().location(0).cluster].gpu;
  JobOutcome out;
  // Why a large run was not folded (where folding saves minutes), for the terminal; not in the
  // report, and not for small runs, where it would only be noise.
  if (options.fold && r.folded_copies == 1 && spec.plan.gpus() >= kFoldNoteGpus) out.notes.push_back(fold_note);
  out.trace = std::move(recorder.finish(Simulation::now()));
  const auto& p = spec.plan;

  // The summary's header: what was run (words from the inputs).
  auto& show = out.trace.display;
  show.text("# training: " + spec.model.name + " on " + std::to_string(p.gpus()) + " GPUs of platform '" +
                scenario.platform.name + "'",
            "title");
  // Context and expert parallelism are named when used (a plan without them reads as before).
  std::string plan = "plan: tp " + std::to_string(p.tp);
  if (p.cp > 1) plan += ", cp " + std::to_string(p.cp);
  plan += ", pp " + std::to_string(p.pp) + ", dp " + std::to_string(p.dp);
  if (p.experts.ep > 1) plan += ", ep " + std::to_string(p.experts.ep);
  if (p.experts.ep > 1 && p.expert_tp() != p.tp) plan += ", expert tp " + std::to_string(p.expert_tp());
  char buf[256];
  std::snprintf(buf, sizeof buf, ", micro-batch %d, global batch %d, %d micro-batches per pipeline, schedule %s",
                p.micro_batch, p.global_batch, p.micro_batches(), std::string(schedule::to_string(p.schedule)).c_str());
  show.text(plan + buf + (p.chunks > 1 ? ", " + std::to_string(p.chunks) + " chunks per GPU" : std::string()), "plan");
  // Said only when it happened: results are the same either way (docs/programs.md, "Folding").
  if (r.folded_copies > 1) show.text("simulated: " + fold_note, "folding");
  show.line("");
  describe_training(r, training_accounting(spec), gpu_model, out.trace);
  return out;
}

}  // namespace trainsim
