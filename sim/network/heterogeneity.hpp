#pragma once
// Per-link heterogeneity applied to the built link table, as plain values (no SimGrid): the
// network copies the result into SimGrid afterwards. Order (docs/network.md): spreads in file
// order, then overrides in file order, then the measured matrix.
#include <cstdint>
#include <string>
#include <unordered_map>
#include <vector>

#include "network/network.hpp"
#include "platform/spec.hpp"

namespace trainsim {

using LinkNameIndex = std::unordered_map<std::string, size_t>;

// Indices of the links whose names match the glob, in sorted name order (empty if none).
std::vector<size_t> match_links(const std::string& pattern, const std::vector<LinkInfo>& links,
                                const LinkNameIndex& index);

// The rules below refuse a glob that matches no link (a typo would silently change nothing).
// When the table holds only part of a platform's links (a job's scope, network.hpp), `part_of`
// names that platform: a glob matching none of the table's links is then refused only if it
// matches none of the platform's link names either, and matrix entries of links not in the
// table are skipped.

// Each matched link's bandwidth is multiplied by an independent draw. The draw for a link comes
// from Rng(seed).fork("bandwidth-spread").fork(<rule index>).fork(<link name>), so it depends on
// the seed, the rule and the link's name only: not on build order, nor on which other links exist.
void apply_spreads(const std::vector<BandwidthSpread>& spreads, uint64_t seed, std::vector<LinkInfo>& links,
                   const LinkNameIndex& index, const PlatformSpec* part_of = nullptr);
void apply_overrides(const std::vector<LinkOverride>& overrides, std::vector<LinkInfo>& links,
                     const LinkNameIndex& index, const PlatformSpec* part_of = nullptr);
// Off-diagonal entries set the pair link <cluster>.pair.n<a>-n<b> to min(B[a][b], B[b][a]);
// the diagonal B[k][k] sets node k's GPU links (NVSwitch ports; mesh links, the per-GPU figure
// split over peers; the GPUs' own PCIe links).
void apply_matrix(const BandwidthMatrix& matrix, const PlatformSpec& spec, std::vector<LinkInfo>& links,
                  const LinkNameIndex& index, bool partial = false);

// All three, in the documented order; `partial`: the table holds part of `spec`'s links.
void apply_heterogeneity(const PlatformSpec& spec, uint64_t seed, std::vector<LinkInfo>& links,
                         const LinkNameIndex& index, bool partial = false);

}  // namespace trainsim
