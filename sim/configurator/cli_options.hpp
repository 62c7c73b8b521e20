#pragma once
// Command-line options shared by `trainsim configure` and `trainsim compare` (header-only: it
// belongs to the command line, which links the simulator; see training_bridge.hpp).
#include <string>
#include <vector>

#include "cli/args.hpp"
#include "configurator/training_bridge.hpp"
#include "core/units.hpp"

namespace trainsim::configurator {

inline std::vector<cli::OptionSpec> session_option_specs() {
  return {{"matrix", "FILE.json", "Pipette bandwidth matrix to use instead of profiling the simulated platform"},
          {"top", "K", "configurations to keep per method (default 5)"},
          {"seed", "N", "seed of the annealing and the random mapping (default 1)"},
          {"iterations", "N", "annealing iterations per configuration (default 20000)"},
          {"jobs", "N", "child processes for simulated runs (default 2)"},
          {"memory-limit", "SIZE", "memory per GPU a configuration may use (default: the GPU's HBM; Pipette: 70000MiB on A100, 20000MiB on V100)"},
          {"oracle-limit", "N", "oracle: simulate only the N best configurations by the corrected model (default: all)"}};
}

inline long long cli_integer(const cli::Args& args, const std::string& name, long long fallback, long long lo, long long hi) {
  const auto v = args.value(name);
  if (!v) return fallback;
  try {
    size_t pos = 0;
    const long long x = std::stoll(*v, &pos);
    if (pos != v->size() || x < lo || x > hi) throw std::invalid_argument("range");
    return x;
  } catch (const std::exception&) {
    throw cli::UsageError("--" + name + " needs an integer in " + std::to_string(lo) + ".." + std::to_string(hi) +
                          ", got '" + *v + "'");
  }
}

inline SessionOptions session_options(const cli::Args& args) {
  SessionOptions o;
  o.matrix_file = args.value("matrix").value_or("");
  o.configure.seed = static_cast<uint64_t>(cli_integer(args, "seed", 1, 0, (1LL << 62)));
  o.configure.iterations = static_cast<int>(cli_integer(args, "iterations", 20000, 0, 100000000));
  o.jobs = static_cast<int>(cli_integer(args, "jobs", 2, 1, 256));
  o.oracle_limit = static_cast<int>(cli_integer(args, "oracle-limit", 0, 0, 1000000));
  if (auto m = args.value("memory-limit")) {
    std::string why;
    auto bytes = units::parse(units::Kind::Size, *m, &why);
    if (!bytes || *bytes <= 0) throw cli::UsageError("--memory-limit needs a positive size like 70000MiB, got '" + *m + "'" + (why.empty() ? "" : ": " + why));
    o.memory_limit = *bytes;
  }
  return o;
}

inline Method cli_method(const std::string& name) {
  if (auto m = parse_method(name)) return *m;
  std::string all;
  for (const auto& [n, v] : method_names()) all += (all.empty() ? "" : ", ") + n;
  throw cli::UsageError("unknown method '" + name + "'; methods: " + all);
}

}  // namespace trainsim::configurator
