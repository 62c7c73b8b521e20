#include "training/job.hpp"

#include <cstdio>
#include <iostream>
#include <sstream>

#include "core/units.hpp"
#include "engine/recorder.hpp"
#include "engine/simulation.hpp"
#include "network/network.hpp"
#include "output/table_printer.hpp"
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

void describe_training(const TrainingResult& r, const TrainingAccounting& a, const GpuModel& gpu, std::ostream& os,
                       output::TraceData& trace) {
  const bool accounted = a.tokens > 0;
  const TrainingMetrics m = training_metrics(a, r, gpu.peak_flops);
  char buf[256];
  auto line = [&](const char* name, const std::string& value) {
    std::snprintf(buf, sizeof buf, "%-34s %s\n", name, value.c_str());
    os << buf;
  };
  line("iteration time", units::format_time(r.iteration_time));
  if (accounted) {
    line("tokens per second", units::format_significant(m.tokens_per_s));
    line("TFLOP/s per GPU (Megatron formula)", units::format_significant(m.tflops_per_gpu));
    line("MFU", units::format_percent(m.mfu));
    line("HFU", units::format_percent(m.hfu));
  }
  line("pipeline bubble", units::format_percent(r.bubble_fraction));
  line("exposed TP communication", units::format_time(r.exposed_tp) + " per GPU per iteration");
  line("exposed PP communication", units::format_time(r.exposed_pp) + " per GPU per iteration");
  line("exposed DP communication", units::format_time(r.exposed_dp) + " per GPU per iteration");
  if (r.expert_parallel) line("exposed EP communication", units::format_time(r.exposed_ep) + " per GPU per iteration");
  if (r.context_parallel) line("exposed CP communication", units::format_time(r.exposed_cp) + " per GPU per iteration");
  line("optimizer step", units::format_time(r.optimizer_time));
  if (r.max_slowdown > 1) line("slowest GPU factor", units::format_significant(r.max_slowdown));
  os << "\nper stage:\n";
  output::TextTable table;
  table.number_column("stage", 0).number_column("compute(s)", 4).number_column("weights(GiB)", 2);
  table.number_column("grads(GiB)", 2).number_column("optim(GiB)", 2).number_column("activ(GiB)", 2);
  table.number_column("total(GiB)", 2).text_column("fits");
  const double hbm = gpu.memory_bytes;
  const int stages = static_cast<int>(r.stage_compute.size());
  for (int s = 0; s < stages; ++s) {
    const auto& mem = r.stage_memory[s];
    table.add_row({double(s), r.stage_compute[s], mem.weights / units::GiB, mem.gradients / units::GiB,
                   mem.optimizer / units::GiB, mem.activations / units::GiB, mem.total() / units::GiB,
                   mem.total() <= hbm ? std::string("yes") : std::string("OUT OF MEMORY")});
  }
  table.print(os);
  if (!r.oom_stages.empty()) {
    os << "\nWARNING: " << r.oom_stages.size() << " stage(s) exceed the " << units::format_size(hbm)
       << " of HBM per GPU (stages:";
    for (int s : r.oom_stages) os << " " << s;
    os << ")\n";
  }

  auto& sum = trace.summary;
  sum.push_back({"iteration_time", r.iteration_time, "s"});
  if (accounted) {
    sum.push_back({"tokens_per_s", m.tokens_per_s, "1/s"});
    sum.push_back({"tflops_per_gpu", m.tflops_per_gpu * 1e12, "FLOP/s"});
    sum.push_back({"mfu", m.mfu, "1"});
    sum.push_back({"hfu", m.hfu, "1"});
  }
  sum.push_back({"bubble_fraction", r.bubble_fraction, "1"});
  sum.push_back({"exposed_tp", r.exposed_tp, "s"});
  sum.push_back({"exposed_pp", r.exposed_pp, "s"});
  sum.push_back({"exposed_dp", r.exposed_dp, "s"});
  if (r.expert_parallel) sum.push_back({"exposed_ep", r.exposed_ep, "s"});
  if (r.context_parallel) sum.push_back({"exposed_cp", r.exposed_cp, "s"});
  sum.push_back({"optimizer_time", r.optimizer_time, "s"});
  sum.push_back({"oom_stages", double(r.oom_stages.size()), "1"});
  sum.push_back({"hbm_per_gpu", hbm, "B"});  // HBM line of analysis/plot.py memory
  output::Table st{"stages", {"stage", "compute_s", "memory_total", "weights", "gradients", "optimizer", "activations"},
                   std::vector<std::vector<double>>(7), {}, {}};
  for (int s = 0; s < stages; ++s) {
    const auto& mem = r.stage_memory[s];
    const double vals[] = {double(s), r.stage_compute[s], mem.total(), mem.weights, mem.gradients, mem.optimizer,
                           mem.activations};
    for (int c = 0; c < 7; ++c) st.numeric_columns[c].push_back(vals[c]);
  }
  trace.tables.push_back(std::move(st));
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

  std::ostringstream os;
  char buf[256];
  os << "# training: " << spec.model.name << " on " << p.gpus() << " GPUs of platform '" << scenario.platform.name
     << "'\n";
  std::snprintf(buf, sizeof buf, "plan: tp %d, pp %d, dp %d, micro-batch %d, global batch %d, %d micro-batches per pipeline, schedule %s",
                p.tp, p.pp, p.dp, p.micro_batch, p.global_batch, p.micro_batches(),
                std::string(schedule::to_string(p.schedule)).c_str());
  os << buf << (p.chunks > 1 ? ", " + std::to_string(p.chunks) + " chunks per GPU" : "") << "\n";
  // Said only when it happened: results are the same either way (docs/programs.md, "Folding").
  if (r.folded_copies > 1) os << "simulated: " << fold_note << "\n";
  os << "\n";
  describe_training(r, training_accounting(spec), gpu_model, os, out.trace);
  out.report = os.str();
  return out;
}

}  // namespace trainsim
