#include "cli/run_job.hpp"

#include <type_traits>
#include <variant>

#include "collective/benchmark_job.hpp"
#include "diloco/job.hpp"
#include "training/job.hpp"

namespace trainsim {

JobOutcome run_job(const Scenario& scenario, const JobOptions& options) {
  return std::visit(
      [&](const auto& job) -> JobOutcome {
        using T = std::decay_t<decltype(job)>;
        if constexpr (std::is_same_v<T, CollectiveBenchSpec>) return run_benchmark_job(scenario, job, options);
        else if constexpr (std::is_same_v<T, TrainingSpec>) return run_training_job(scenario, job, options);
        else if constexpr (std::is_same_v<T, DilocoSpec>) return run_diloco_job(scenario, job, options);
      },
      scenario.job);
}

}  // namespace trainsim
