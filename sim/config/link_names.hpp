#pragma once
// The link names a PlatformSpec will have once built (the scheme documented in
// platform/spec.hpp), so that heterogeneity globs can be checked when the file is loaded:
// a spread or override whose glob matches no link is almost certainly a typo.
#include <functional>
#include <string>
#include <string_view>

#include "core/glob.hpp"
#include "platform/link_names.hpp"
#include "platform/spec.hpp"

namespace trainsim {


// Whether some link of `spec` matches `glob`. `budget`, when given, is decremented per link name
// tried; once it is exhausted the answer is false and *budget negative (the loader refuses the
// platform rather than spend minutes on hostile globs).
bool any_link_matches(const PlatformSpec& spec, const std::string& glob, long long* budget = nullptr);

// One name per kind of link of each cluster ("c.n0.gpu0.nvlink, c.n0.nic0, c.leaf0.up"), for
// error messages.
std::string link_name_examples(const PlatformSpec& spec);

}  // namespace trainsim
