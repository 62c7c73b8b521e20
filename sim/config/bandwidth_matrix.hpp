#pragma once
// Pipette's measured node-to-node bandwidth matrix (JSON):
//   {"gpus": ["host0", "host1"], "bandwidth": [["150.00", "11.52"], ["11.49", "150.00"]]}
// Entries are GB/s (1e9 bytes/s), as numbers or numeric strings; row/column i is node i of the
// cluster; the diagonal is the intra-node figure. Asymmetric matrices are accepted (a measured
// matrix need not be symmetric); every entry must be positive.
#include <string>

#include "output/atomic_file.hpp"
#include "platform/spec.hpp"

namespace trainsim {

// Reads `path` (InputError with the file position of any bad entry). `cluster_name` is stored in
// the result; the caller checks the size against the cluster.
BandwidthMatrix load_bandwidth_matrix(const std::string& path, const std::string& cluster_name);

// Same, from text already read; `file` is used in messages and stored in BandwidthMatrix::file.
BandwidthMatrix parse_bandwidth_matrix(const std::string& text, const std::string& file,
                                       const std::string& cluster_name);

// Writes Pipette's format (values as strings of GB/s with 2 decimals) atomically
// (output/atomic_file.hpp). OutputError if the file cannot be written.
void write_bandwidth_matrix(const BandwidthMatrix& matrix, const std::string& path,
                            output::Existing existing = output::Existing::Refuse);

}  // namespace trainsim
