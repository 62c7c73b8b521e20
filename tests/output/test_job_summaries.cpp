// Every job kind's terminal summary is the one writer's text of its result
// (output/terminal_summary.hpp): the result serialized and read back (output/result_json.hpp:
// metrics, texts, tables; the display spec holds no figure) and shown with the run's display
// spec gives the same text byte for byte, so a job cannot print a figure its result does not
// hold. Each TEST_CASE is its own process (one SimGrid engine per process).
#include <catch2/catch.hpp>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "jobs/load.hpp"
#include "jobs/run_job.hpp"
#include "output/result_json.hpp"
#include "output/terminal_summary.hpp"
#include "support/run_process.hpp"

using namespace trainsim;
using namespace trainsim::output;
namespace fs = std::filesystem;

namespace {

const fs::path kSource = TRAINSIM_SOURCE_DIR;

// The result as another process would read it, with the run's display spec.
TraceData read_back(const JobOutcome& out) {
  TraceData back = results_from_json(results_to_json(out.trace));
  back.display = out.trace.display;
  return back;
}

// The run's summary from its serialized result; returns the summary.
std::string check_from_result(const JobOutcome& out) {
  const std::string text = out.report();
  REQUIRE(!text.empty());
  CHECK(terminal_summary(read_back(out)) == text);
  return text;
}

JobOutcome run_file(const std::string& rel) {
  return run_job(load_scenario_file((kSource / rel).string()), {false, true});
}

void set_metric(TraceData& r, const std::string& name, double value) {
  for (auto& m : r.summary)
    if (m.name == name) m.value = value;
}

// Two datacenters of one node of 2 GPUs joined by a 1 Gbit/s WAN link (inline YAML).
const std::string kTwoDcPlatform =
    "platform:\n  name: two\n  clusters:\n"
    "    - {name: a, gpu: H100-SXM, nodes: 1, gpus_per_node: 2,\n"
    "       intra_node: {kind: nvswitch, bandwidth: 400GB/s, latency: 1us},\n"
    "       nic: {count: 2, bandwidth: 400Gbps, latency: 1us}, fabric: {kind: single_switch}}\n"
    "    - {name: b, gpu: H100-SXM, nodes: 1, gpus_per_node: 2,\n"
    "       intra_node: {kind: nvswitch, bandwidth: 400GB/s, latency: 1us},\n"
    "       nic: {count: 2, bandwidth: 400Gbps, latency: 1us}, fabric: {kind: single_switch}}\n"
    "  wan:\n    - {between: [a, b], bandwidth: 1Gbps, latency: 10ms}\n";

// Full DiLoCo workers of a small GPT on kTwoDcPlatform, two methods, a token budget.
const std::string kFullDiloco =
    "name: full\nseed: 1\n" + kTwoDcPlatform +
    "job:\n  kind: diloco\n  worker: full\n  rounds: 3\n  tokens: 1.0e9\n  training:\n"
    "    model: {family: gpt, layers: 4, hidden: 256, heads: 4, seq_len: 128, vocab: 1000}\n"
    "    parallelism: {tp: 1, pp: 1, dp: 2}\n    micro_batch: 1\n    global_batch: 4\n"
    "  methods:\n    - {name: DiLoCo, algorithm: diloco, inner_steps: 2}\n"
    "    - {name: Streaming, algorithm: streaming, inner_steps: 2, layers_per_fragment: 2}\n";

// The scenario's (first) programs, dumped to a scratch folder and played as a `programs` job on
// the platform `platform` (a YAML `platform:` line or block).
JobOutcome replay(const Scenario& s, const std::string& platform) {
  const fs::path dir = fs::temp_directory_path() / ("trainsim-job-summaries-" + std::to_string(::getpid()));
  fs::create_directories(dir);
  const auto dumps = programs_to_dump(s, dir.string());
  for (const auto& d : dumps) write_programs_file(d.path, d.set, Existing::Replace);
  const std::string yaml = "name: replay\nseed: 1\n" + platform + "job:\n  kind: programs\n  file: " +
                           dumps.front().path + "\n";
  JobOutcome out = run_job(load_scenario_text(yaml, (dir / "replay.yaml").string()), {false, true});
  fs::remove_all(dir);
  return out;
}

}  // namespace

TEST_CASE("job summaries: training - from its result - a changed metric changes its line", "[output][summary][jobs]") {
  const JobOutcome out = run_file("scenarios/tutorial/gpt-1.7b-32gpu.yaml");
  const std::string text = check_from_result(out);
  CHECK(text.rfind("# training: ", 0) == 0);
  TraceData back = read_back(out);
  set_metric(back, "iteration_time", 12.5);
  const std::string changed = terminal_summary(back);
  CHECK(changed.find("\niteration time                     12.50 s\n") != std::string::npos);
  CHECK(changed != text);
}

TEST_CASE("job summaries: training out of memory - with its warning line", "[output][summary][jobs]") {
  const std::string yaml = "name: oom\nseed: 1\nplatform: " + (kSource / "platforms/h100-400g.yaml").string() +
                           "\njob:\n  kind: training\n  model: llama3-70b\n  parallelism: {tp: 2, pp: 2, dp: 1}\n"
                           "  micro_batch: 1\n  global_batch: 4\n  schedule: 1f1b\n  iterations: 1\n";
  const JobOutcome out = run_job(load_scenario_text(yaml, "oom.yaml"), {false, true});
  const std::string text = check_from_result(out);
  CHECK(text.find("OUT OF MEMORY") != std::string::npos);
  CHECK(text.find("\nWARNING: 2 stage(s) exceed the 80 GiB of HBM per GPU (stages: 0 1)\n") != std::string::npos);
  // The limit check reads the result's HBM: with twice as much, every stage of this run fits.
  TraceData back = read_back(out);
  set_metric(back, "hbm_per_gpu", 1e15);
  CHECK(terminal_summary(back).find("OUT OF MEMORY") == std::string::npos);
}

// Regression: the slowest GPU's factor was printed but not in the result (nor its HDF5 or JSON).
TEST_CASE("job summaries: training with a straggler holds the slowest GPU factor it shows", "[output][summary][jobs]") {
  const std::string yaml = "name: straggler\nseed: 1\nplatform: " + (kSource / "platforms/h100-400g.yaml").string() +
                           "\njob:\n  kind: training\n  model: llama3-8b\n  parallelism: {tp: 8, pp: 2, dp: 2}\n"
                           "  micro_batch: 1\n  global_batch: 8\n  schedule: 1f1b\n  iterations: 2\n"
                           "  stragglers: {gpus: {3: 1.3}}\n";
  const JobOutcome out = run_job(load_scenario_text(yaml, "straggler.yaml"), {false, true});
  const std::string text = check_from_result(out);
  CHECK(metric_value(out.trace, "slowest_gpu_factor") == Approx(1.3));
  CHECK(text.find("\nslowest GPU factor                 1.300\n") != std::string::npos);
}

TEST_CASE("job summaries: the plan line names context and expert parallelism when used", "[output][summary][jobs]") {
  // It used to print "plan: tp 1, pp 4, dp 8" for this cp 2, ep 8 plan (and "tp 8, pp 16, dp 8"
  // for Llama 3's long-context run with cp 16).
  const std::string text = check_from_result(run_file("scenarios/moe/mixtral-8x7b-cp2.yaml"));
  CHECK_THAT(text, Catch::Contains("plan: tp 1, cp 2, pp 4, dp 8, ep 8, micro-batch 1,"));
}

TEST_CASE("job summaries: abstract DiLoCo workers", "[output][summary][jobs]") {
  const JobOutcome out = run_file("scenarios/tutorial/streaming-diloco-two-dc.yaml");
  const std::string text = check_from_result(out);
  CHECK(text.find("who waits for whom") != std::string::npos);
  // The waits come from the table diloco_worker_wait, row by row.
  TraceData back = read_back(out);
  for (auto& t : back.tables)
    if (t.name == "diloco_worker_wait") t.numeric_columns[2][0] = 1234.5;
  CHECK(terminal_summary(back).find(" waits 1234 s per round\n") != std::string::npos);
}

TEST_CASE("job summaries: full DiLoCo workers with a token budget", "[output][summary][jobs]") {
  const JobOutcome out = run_job(load_scenario_text(kFullDiloco, "full.yaml"), {false, true});
  const std::string text = check_from_result(out);
  CHECK(text.rfind("DiLoCo (full workers) on two, 2 workers; ", 0) == 0);
  CHECK(text.find("wall h") != std::string::npos);  // the token budget's columns
  CHECK(text.find("\nCU: busy compute") != std::string::npos);
}

TEST_CASE("job summaries: collective benchmark", "[output][summary][jobs]") {
  const std::string text = check_from_result(run_file("scenarios/nccl/dgx-a100-allreduce-1node.yaml"));
  CHECK(text.rfind("# collective benchmark: 8 GPUs on platform 'dgx-a100-16node'\n", 0) == 0);
}

TEST_CASE("job summaries: programs from a file", "[output][summary][jobs]") {
  const std::string text = check_from_result(run_file("scenarios/programs/tp-overlap.yaml"));
  CHECK(text.rfind("# programs: ", 0) == 0);
}

TEST_CASE("job summaries: programs of a collective benchmark - replayed", "[output][summary][jobs]") {
  const std::string bench = check_from_result(
      replay(load_scenario_file((kSource / "scenarios/nccl/dgx-a100-allreduce-1node.yaml").string()),
             "platform: " + (kSource / "platforms/dgx-a100-16node.yaml").string() + "\n"));
  CHECK(bench.find("\n\n# collective benchmark: 8 GPUs") != std::string::npos);
}

TEST_CASE("job summaries: programs of full DiLoCo workers - replayed", "[output][summary][jobs]") {
  const std::string full = check_from_result(replay(load_scenario_text(kFullDiloco, "full.yaml"), kTwoDcPlatform));
  CHECK(full.find("\n\nDiLoCo full workers: utilization ") != std::string::npos);
  CHECK(full.find("\n  replica 1: compute ") != std::string::npos);
}

TEST_CASE("job summaries: trainsim run prints the writer's text of the result it writes with --results",
          "[output][summary][jobs]") {
  const fs::path dir = fs::temp_directory_path() / ("trainsim-job-summary-cli-" + std::to_string(::getpid()));
  fs::remove_all(dir);
  const std::string rel = "scenarios/tutorial/gpt-1.7b-32gpu.yaml";
  const std::string file = (dir / "r.json").string();
  const auto run = trainsim::testing::run_process(
      {std::string(TRAINSIM_BINARY_DIR) + "/sim/trainsim", "run", rel, "--quiet", "--results", file},
      TRAINSIM_SOURCE_DIR, {}, 60);
  REQUIRE(run.status == 0);
  std::ifstream in(file);
  std::stringstream json;
  json << in.rdbuf();
  // The file's result, shown with this job's display spec (built here by the same job).
  TraceData result = results_from_json(json.str());
  result.display = run_file(rel).trace.display;
  CHECK(terminal_summary(result) == run.out);
  fs::remove_all(dir);
}
