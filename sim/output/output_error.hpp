#pragma once
// Failure to produce an output file (directory missing or not writable, disk full, HDF5 error).
// The user can act on it (choose another path, free space), so it is an InputError naming the
// output path: the CLI reports it as `path: error: key 'output': ...` with exit code 2.
#include <string>

#include "core/error.hpp"

namespace trainsim::output {

class OutputError : public InputError {
 public:
  OutputError(const std::string& path, std::string message)
      : InputError(SourceLocation{path, 0, 0}, "output", std::move(message)) {}
};

}  // namespace trainsim::output
