#pragma once
// Suggestions for mistyped names ("did you mean 'seed'?"): the one edit distance and the one
// rule for when a name is close enough, used by the input files' keys and values (config/) and
// the command line's commands and options (cli/).
#include <cstddef>
#include <string>
#include <vector>

namespace trainsim {

// Levenshtein distance (insertions, deletions, substitutions), case-sensitive.
size_t edit_distance(const std::string& a, const std::string& b);

// The candidate `word` is most likely a typo of, or nullptr: compared case-insensitively, at most
// a third of the word may differ (at least 2 edits allowed) and never all of it (suggesting 'a'
// for 'c' helps nobody); the first of equally close candidates wins. Words over 64 characters
// get none: the distance is quadratic and a pasted paragraph is not a typo.
const std::string* closest_name(const std::string& word, const std::vector<std::string>& candidates);

// "did you mean '<closest>'?", or "" when no candidate is close.
std::string did_you_mean(const std::string& word, const std::vector<std::string>& candidates);

}  // namespace trainsim
