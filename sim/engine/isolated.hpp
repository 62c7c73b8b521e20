#pragma once
// Runs simulations in child processes. SimGrid's engine is a process singleton whose state
// survives it (a second engine in one process inherits the first one's clock), so every
// simulation of a sweep or a configurator search runs in a forked child that returns its
// result as text through a pipe. The parent must not have created an engine itself.
//
// What the library's children return is always a job's results in the one serialized form
// (output/result_json.hpp, docs/trace-format.md "Results as JSON"): run_isolated_results does
// the writing and reading; the text forms below are the transport under it (sweeps and searches
// hand the text straight to scaleout::Runs, whose journals and parts keep it as is).
#include <functional>
#include <string>
#include <vector>

#include "output/trace.hpp"

namespace trainsim {

// Error of a child: the exception message it reported, or how it died.
struct ChildFailure {
  bool failed = false;
  bool bad_input = false;  // the child threw an InputError
  std::string message;
};

// Runs `job` in a child process and returns what it returned. Throws InputError or
// InternalError mirroring the child's exception (or InternalError if it crashed).
std::string run_isolated(const std::function<std::string()>& job);

// Runs every job in its own child, at most `parallel` at a time; results in job order.
// `progress(done, total)` is called in the parent as children finish. A failed job leaves
// its result empty and its failure in `failures` (if given) instead of throwing.
std::vector<std::string> run_isolated_all(const std::vector<std::function<std::string()>>& jobs, int parallel,
                                          std::vector<ChildFailure>* failures = nullptr,
                                          const std::function<void(size_t, size_t)>& progress = {});

// `job`'s results (metrics, texts, tables) from a child, through their serialized form.
output::TraceData run_isolated_results(const std::function<output::TraceData()>& job);

}  // namespace trainsim
