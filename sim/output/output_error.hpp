#pragma once
// Failure to produce an output file (folder not writable, disk full, not a regular file, HDF5
// error). The user can act on it (choose another path, free space), so it is an InputError
// naming the output path and where the path came from: the CLI reports it as
// `path: error: key '--trace': ...` with exit code 2.
#include <string>

#include "core/error.hpp"

namespace trainsim::output {

class OutputError : public InputError {
 public:
  // `key`: the option or scenario key that named the path ("output" when unknown).
  OutputError(const std::string& path, std::string message, std::string key = "output")
      : InputError(SourceLocation{path, 0, 0}, std::move(key), std::move(message)) {}
};

}  // namespace trainsim::output
