#pragma once
// One fuzz input, shared by the libFuzzer target (fuzz_loaders.cpp) and the Catch2 test that
// replays tests/fuzz/regressions/ (tests/robustness/). The first byte picks the loader (modulo
// 3: scenario, platform, bandwidth matrix); the rest is the file text. A loader may refuse the
// text with an InputError, which is its job; anything else escaping it (a yaml-cpp exception,
// std::out_of_range, an InternalError) is a finding, and so is a crash, a hang or a leak.
#include <cstddef>
#include <cstdint>
#include <stdexcept>
#include <string>

#include "config/bandwidth_matrix.hpp"
#include "config/job_kinds.hpp"
#include "config/loader.hpp"
#include "config/overrides.hpp"
#include "core/error.hpp"

namespace trainsim::fuzz {

enum class Loader : uint8_t { Scenario = 0, Platform = 1, Matrix = 2 };

// The shipped job kinds' parsers. The fuzz target links only the loader modules (no SimGrid), so
// not the registry (jobs/registry.cpp), which holds them with the kinds' runs: this list mirrors
// it, and tests/robustness checks that the two name the same kinds in the same order.
inline const JobParsers& fuzz_job_parsers() {
  static const JobParsers parsers = {
      {CollectiveBenchSpec::kind, parse_collective_benchmark},
      {TrainingSpec::kind, parse_training},
      {DilocoSpec::kind, parse_diloco},
      {ProgramsSpec::kind, parse_programs},
  };
  return parsers;
}

// Thrown for anything a loader must never do with hostile text.
struct Finding : std::runtime_error {
  using std::runtime_error::runtime_error;
};

inline void load_fuzz_input(const uint8_t* data, size_t size) {
  if (size == 0) return;
  const auto loader = static_cast<Loader>(data[0] % 3);
  const std::string text(reinterpret_cast<const char*>(data + 1), size - 1);
  try {
    // Names under scenarios/ and platforms/ so that relative references in seed inputs resolve
    // as in the shipped files (the fuzzer runs from the repository root).
    switch (loader) {
      case Loader::Scenario: load_scenario(text, "scenarios/fuzz.yaml", {}, fuzz_job_parsers()); break;
      case Loader::Platform: load_platform_text(text, "platforms/fuzz.yaml"); break;
      case Loader::Matrix: parse_bandwidth_matrix(text, "platforms/fuzz.json", "fuzz"); break;
    }
  } catch (const InputError& e) {
    // A refusal must say something: an empty message helps no user.
    if (e.message().empty()) throw Finding("InputError with an empty message");
  } catch (const std::exception& e) {
    throw Finding(std::string("a loader let a non-input error escape: ") + e.what());
  }
}

}  // namespace trainsim::fuzz
