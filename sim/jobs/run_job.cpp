#include "jobs/run_job.hpp"

#include <filesystem>
#include <fstream>

#include "output/output_error.hpp"
#include "program/format.hpp"

namespace trainsim {

JobOutcome run_job(const Scenario& scenario, const JobOptions& options, const JobKinds& kinds) {
  return kinds.of(scenario.job).run(scenario, options);
}

std::vector<JobPrograms> job_programs(const Scenario& scenario, const JobKinds& kinds) {
  return kinds.of(scenario.job).programs(scenario);
}

std::vector<ProgramsFileOut> programs_to_dump(const Scenario& scenario, const std::string& dir, const JobKinds& kinds) {
  std::vector<ProgramsFileOut> out;
  for (auto& [suffix, set] : job_programs(scenario, kinds))
    out.push_back({(std::filesystem::path(dir) / (scenario.name + suffix + ".programs.jsonl")).string(), std::move(set)});
  return out;
}

void write_programs_file(const std::string& path, const program::ProgramSet& set, output::Existing existing) {
  output::AtomicOutputFile file(path, existing);
  {
    std::ofstream os(file.temp_path());
    program::write_programs(set, os);
    if (!os.flush()) throw output::OutputError(path, "writing the programs failed");
  }
  file.commit();
}

namespace limits {

RunSize run_size(const Scenario& scenario, bool keep_activities, const JobKinds& kinds) {
  return kinds.of(scenario.job).size(scenario, keep_activities);
}

void check_run(const Scenario& scenario, bool keep_activities, const std::optional<std::string>& option,
               const JobKinds& kinds) {
  check_memory(estimate_memory(run_size(scenario, keep_activities, kinds)), memory_ceiling(option), scenario.job_at);
}

}  // namespace limits
}  // namespace trainsim
