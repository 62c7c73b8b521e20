#pragma once
// Command-line options shared by `trainsim configure` and `trainsim compare` (header-only: it
// belongs to the command line, which links the simulator; see training_bridge.hpp).
#include <string>
#include <vector>

#include "cli/args.hpp"
#include "cli/shared_options.hpp"
#include "configurator/training_bridge.hpp"
#include "core/units.hpp"

namespace trainsim::configurator {

inline std::vector<cli::OptionSpec> session_option_specs() {
  return {{"matrix", "FILE.json", "Pipette bandwidth matrix to use instead of profiling the simulated platform"},
          {"top", "K", "configurations to keep per method (default 5)"},
          {"seed", "N", "seed of the annealing, the random mapping, the oracle's search and the bootstrap (default 1)"},
          {"iterations", "N", "Pipette's annealing moves per configuration (default 20000)"},
          {"jobs", "N", "child processes for simulated runs (default 2)"},
          {"gpu-memory-limit", "SIZE", "memory per GPU a configuration may use (default: the GPU's HBM; Pipette: 70000MiB on A100, 20000MiB on V100)"},
          cli::host_memory_limit_option(),
          {"oracle-budget", "N", "oracle: placements simulated per searched configuration; exhaustive when its placements modulo symmetry fit (default 64)"},
          {"oracle-margin", "F", "oracle: search the placements of the configurations within this fraction of the best (default 0.05)"}};
}

// `--memory-limit` meant host RAM for `run` and GPU memory here; both commands refuse it and
// name the two options that replace it.
inline void refuse_memory_limit(const std::vector<std::string>& words) {
  for (const auto& w : words)
    if (w == "--memory-limit" || w.rfind("--memory-limit=", 0) == 0)
      throw cli::UsageError("--memory-limit is ambiguous and no longer accepted: use --gpu-memory-limit SIZE (memory "
                            "per GPU a configuration may use) or --host-memory-limit SIZE (host RAM the simulations may use)");
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

// `range`: how the accepted interval reads in the message ("0..10").
inline double cli_number(const cli::Args& args, const std::string& name, double fallback, double lo, double hi,
                         const std::string& range) {
  const auto v = args.value(name);
  if (!v) return fallback;
  try {
    size_t pos = 0;
    const double x = std::stod(*v, &pos);
    if (pos != v->size() || !(x >= lo && x <= hi)) throw std::invalid_argument("range");
    return x;
  } catch (const std::exception&) {
    throw cli::UsageError("--" + name + " needs a number in " + range + ", got '" + *v + "'");
  }
}

inline SessionOptions session_options(const cli::Args& args) {
  SessionOptions o;
  o.matrix_file = args.value("matrix").value_or("");
  o.configure.seed = static_cast<uint64_t>(cli_integer(args, "seed", 1, 0, (1LL << 62)));
  o.configure.iterations = static_cast<int>(cli_integer(args, "iterations", 20000, 0, 100000000));
  o.jobs = static_cast<int>(cli_integer(args, "jobs", 2, 1, 256));
  o.oracle.budget = static_cast<int>(cli_integer(args, "oracle-budget", o.oracle.budget, 1, 100000000));
  o.oracle.margin = cli_number(args, "oracle-margin", o.oracle.margin, 0, 10, "0..10");
  if (auto m = args.value("gpu-memory-limit")) {
    std::string why;
    auto bytes = units::parse(units::Kind::Size, *m, &why);
    if (!bytes || *bytes <= 0)
      throw cli::UsageError("--gpu-memory-limit needs a positive size like 70000MiB, got '" + *m + "'" +
                            (why.empty() ? "" : ": " + why));
    o.gpu_memory_limit = *bytes;
  }
  o.host_memory_limit = args.value("host-memory-limit");
  return o;
}

inline Method cli_method(const std::string& name) {
  if (auto m = parse_method(name)) return *m;
  std::string all;
  for (const auto& [n, v] : method_names()) all += (all.empty() ? "" : ", ") + n;
  throw cli::UsageError("unknown method '" + name + "'; methods: " + all);
}

}  // namespace trainsim::configurator
