#include "jobs/registry.hpp"

#include <string>

#include "collective_benchmark/job.hpp"
#include "diloco/job.hpp"
#include "jobs/programs_job.hpp"
#include "training/job.hpp"

namespace trainsim {

JobKinds::JobKinds(std::vector<JobKind> kinds) : kinds_(std::move(kinds)) {
  for (size_t i = 0; i < kinds_.size(); ++i) {
    for (size_t j = 0; j < i; ++j)
      if (kinds_[j].name == kinds_[i].name || *kinds_[j].spec == *kinds_[i].spec)
        throw InternalError("job kinds '" + std::string(kinds_[j].name) + "' and '" + std::string(kinds_[i].name) +
                            "' are registered with the same name or spec type");
    parsers_.push_back({kinds_[i].name, kinds_[i].parse});
  }
}

JobKinds JobKinds::with(std::vector<JobKind> more) const {
  std::vector<JobKind> all = kinds_;
  all.insert(all.end(), std::make_move_iterator(more.begin()), std::make_move_iterator(more.end()));
  return JobKinds(std::move(all));
}

const JobKind& JobKinds::of(const JobSpec& job) const {
  for (const auto& k : kinds_)
    if (k.name == job.kind() && *k.spec == job.type()) return k;
  throw InternalError(job.empty() ? std::string("a scenario without a job")
                                  : "the job kind '" + std::string(job.kind()) + "' is not registered");
}

const JobKinds& job_kinds() {
  // One line per kind, in the order users see them listed. To add one: docs/howto/job-kind.md.
  static const JobKinds kinds({
      make_kind(parse_collective_benchmark, benchmark_run_size, benchmark_job_programs, run_benchmark_job),
      make_kind(parse_training, training_run_size, training_job_programs, run_training_job),
      make_kind(parse_diloco, diloco_run_size, diloco_job_programs, run_diloco_job),
      make_kind(parse_programs, programs_run_size, programs_job_programs, run_programs_job),
  });
  return kinds;
}

}  // namespace trainsim
