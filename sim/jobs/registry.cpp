#include "jobs/registry.hpp"

#include <stdexcept>
#include <string>
#include <type_traits>
#include <variant>

#include "collective_benchmark/job.hpp"
#include "config/job_kinds.hpp"
#include "diloco/job.hpp"
#include "jobs/programs_job.hpp"
#include "training/job.hpp"

namespace trainsim {
namespace {

// Spec's position among JobSpec's alternatives.
template <class Spec, class... Alternatives>
constexpr size_t index_in(std::variant<Alternatives...>*) {
  size_t i = 0;
  (void)((std::is_same_v<Spec, Alternatives> || (++i, false)) || ...);
  return i;
}

// An entry from the kind's typed functions: each receives its own spec.
template <class Spec>
JobKind make_kind(limits::RunSize (*size)(const Scenario&, const Spec&, bool),
                  std::vector<JobPrograms> (*programs)(const Scenario&, const Spec&),
                  JobOutcome (*run)(const Scenario&, const Spec&, const JobOptions&)) {
  constexpr size_t index = index_in<Spec>(static_cast<JobSpec*>(nullptr));
  static_assert(index < std::variant_size_v<JobSpec>, "not a JobSpec alternative");
  const std::string_view name = job_parsers().at(index).name;
  return {name,
          [size](const Scenario& s, bool keep) { return size(s, std::get<Spec>(s.job), keep); },
          [programs](const Scenario& s) { return programs(s, std::get<Spec>(s.job)); },
          [run](const Scenario& s, const JobOptions& o) { return run(s, std::get<Spec>(s.job), o); }};
}

std::vector<JobKind> build_registry() {
  // The order of JobSpec's alternatives. To add a job kind, see docs/howto/job-kind.md.
  std::vector<JobKind> kinds = {
      make_kind<CollectiveBenchSpec>(benchmark_run_size, benchmark_job_programs, run_benchmark_job),
      make_kind<TrainingSpec>(training_run_size, training_job_programs, run_training_job),
      make_kind<DilocoSpec>(diloco_run_size, diloco_job_programs, run_diloco_job),
      make_kind<ProgramsSpec>(programs_run_size, programs_job_programs, run_programs_job),
  };
  bool in_order = kinds.size() == std::variant_size_v<JobSpec> && job_parsers().size() == kinds.size();
  for (size_t i = 0; in_order && i < kinds.size(); ++i) in_order = kinds[i].name == job_parsers()[i].name;
  if (!in_order)
    throw std::logic_error("jobs/registry.cpp and config/job_kinds.cpp must list every JobSpec alternative once, in its order");
  return kinds;
}

}  // namespace

const std::vector<JobKind>& job_kind_registry() {
  static const std::vector<JobKind> kinds = build_registry();
  return kinds;
}

const JobKind& job_kind(const JobSpec& job) { return job_kind_registry().at(job.index()); }

}  // namespace trainsim
