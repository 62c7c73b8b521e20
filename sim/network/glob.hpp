#pragma once
// Shell-style globs over link names, as used by link overrides and bandwidth spreads (the same
// rules as config/link_names.hpp, which the network module cannot depend on):
// '*' matches any run of characters (including none), '?' exactly one; nothing else is special.
#include <string_view>

namespace trainsim {

bool link_glob_match(std::string_view pattern, std::string_view text);
bool link_glob_has_wildcard(std::string_view pattern);

}  // namespace trainsim
