#pragma once
// Shell-style globs over link names, as used by link overrides and bandwidth spreads:
// '*' matches any run of characters (including none and dots), '?' exactly one; nothing else
// is special. One implementation for the loader (checking globs) and the network (applying them).
#include <string_view>

namespace trainsim {

bool glob_match(std::string_view pattern, std::string_view text);
bool has_wildcard(std::string_view pattern);

}  // namespace trainsim
