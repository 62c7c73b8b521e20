#include "config/job_kinds.hpp"

namespace trainsim {

const std::vector<JobParser>& job_parsers() {
  static const std::vector<JobParser> kinds = {
      {"collective_benchmark", parse_collective_benchmark},
      {"training", parse_training},
      {"diloco", parse_diloco},
      {"programs", parse_programs},
  };
  return kinds;
}

std::string_view job_kind_name(const JobSpec& job) { return job_parsers().at(job.index()).name; }

}  // namespace trainsim
