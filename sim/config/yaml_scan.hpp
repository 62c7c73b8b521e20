#pragma once
// The first pass over every input file, before any value is built (docs/robustness.md,
// "Limits"): yaml-cpp's event parser walks the text once, cheaply, so that hostile or mistaken
// input is refused in the user's terms, with file, line and the key it sits under, before
// yaml-cpp builds its (slow, memory-hungry) node tree:
//  - bytes that are not text (NUL, control characters, invalid UTF-8, UTF-16/32);
//  - nesting deeper than kMaxInputDepth, more than kMaxInputValues values (aliases expanded:
//    no "billion laughs"), more than one document;
//  - YAML features the loaders do not support and would otherwise misread: merge keys
//    (`<<: *defaults`), explicit tags (`!!str`), quoted strings never closed or running over
//    a line break;
//  - an unknown top-level key (the loader's `root_keys`), before its value is built;
//  - syntax errors, translated from yaml-cpp's wording ("illegal map value") to what is wrong
//    (a tab in the indentation, a '{' never closed, ...) and placed at the offending line.
// JSON files (`.json`: Pipette's matrices, mapping files) are parsed as YAML, their syntax
// errors called JSON syntax errors.
#include <cstddef>
#include <string>
#include <vector>

namespace trainsim {

inline constexpr std::size_t kMaxInputBytes = 16u << 20;  // 16 MiB per file
inline constexpr int kMaxInputDepth = 64;                 // nested maps and lists
inline constexpr long long kMaxInputValues = 250000;      // scalars, maps and lists, aliases expanded

// Throws InputError for anything listed above; returns when yaml-cpp can build the document.
// `root_keys`: the keys the top-level map may have (empty: not checked here).
void scan_yaml(const std::string& text, const std::string& file, const std::vector<std::string>& root_keys);

// "unknown key 'k' (did you mean 'x'?)" or "unknown key 'k'; allowed keys here: a, b": the one
// wording of YamlMap::finish() and scan_yaml.
std::string unknown_key_message(const std::string& key, std::vector<std::string> known);

}  // namespace trainsim
