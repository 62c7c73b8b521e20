#include "config/job_kinds.hpp"

namespace trainsim {

const std::vector<JobKind>& job_kinds() {
  static const std::vector<JobKind> kinds = {
      {"collective_benchmark", parse_collective_benchmark},
      {"training", parse_training},
      {"diloco", parse_diloco},
      {"programs", parse_programs},
  };
  return kinds;
}

}  // namespace trainsim
