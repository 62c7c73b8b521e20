#include "core/suggest.hpp"

#include <algorithm>
#include <cctype>

namespace trainsim {
namespace {

std::string lower(std::string s) {
  for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

}  // namespace

size_t edit_distance(const std::string& a, const std::string& b) {
  std::vector<size_t> row(b.size() + 1);
  for (size_t j = 0; j <= b.size(); ++j) row[j] = j;
  for (size_t i = 1; i <= a.size(); ++i) {
    size_t diag = row[0];
    row[0] = i;
    for (size_t j = 1; j <= b.size(); ++j) {
      const size_t up = row[j];
      row[j] = std::min({row[j] + 1, row[j - 1] + 1, diag + (a[i - 1] == b[j - 1] ? 0 : 1)});
      diag = up;
    }
  }
  return row[b.size()];
}

const std::string* closest_name(const std::string& word, const std::vector<std::string>& candidates) {
  if (word.size() > 64) return nullptr;
  const std::string w = lower(word);
  const size_t limit = std::min(std::max<size_t>(2, w.size() / 3), w.empty() ? 0 : w.size() - 1);
  const std::string* best = nullptr;
  size_t best_d = limit + 1;
  for (const auto& c : candidates)
    if (const size_t d = edit_distance(w, lower(c)); d < best_d) best_d = d, best = &c;
  return best;
}

std::string did_you_mean(const std::string& word, const std::vector<std::string>& candidates) {
  const std::string* best = closest_name(word, candidates);
  return best ? "did you mean '" + *best + "'?" : "";
}

}  // namespace trainsim
