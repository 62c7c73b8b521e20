#include "scaleout/shard.hpp"

#include <algorithm>
#include <vector>

namespace trainsim::scaleout {

namespace {

// A non-negative decimal integer of at most 9 digits (no sign, no spaces); -1 otherwise.
long parse_count(const std::string& s) {
  if (s.empty() || s.size() > 9 || !std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; }))
    return -1;
  return std::stol(s);
}

}  // namespace

std::optional<Shard> parse_shard(const std::string& text, std::string* why) {
  const size_t slash = text.find('/');
  const long i = slash == std::string::npos ? -1 : parse_count(text.substr(0, slash));
  const long n = slash == std::string::npos ? -1 : parse_count(text.substr(slash + 1));
  if (i < 0 || n < 0) {
    *why = "expected I/N, the shard's index from 0 and the number of shards (e.g. 0/4), got '" + text + "'";
    return std::nullopt;
  }
  if (n < 1 || n > kMaxShards) {
    *why = "the number of shards must be 1 to " + std::to_string(kMaxShards) + ", got " + std::to_string(n);
    return std::nullopt;
  }
  if (i >= n) {
    *why = "the shard index counts from 0 and must be below the number of shards (0 to " + std::to_string(n - 1) +
           "), got " + std::to_string(i);
    return std::nullopt;
  }
  return Shard{static_cast<int>(i), static_cast<int>(n)};
}

std::string index_list(const std::vector<int>& indices) {
  std::vector<int> v = indices;
  std::sort(v.begin(), v.end());
  v.erase(std::unique(v.begin(), v.end()), v.end());
  std::string out;
  for (size_t a = 0; a < v.size();) {
    size_t b = a;
    while (b + 1 < v.size() && v[b + 1] == v[b] + 1) ++b;
    if (!out.empty()) out += ",";
    out += std::to_string(v[a]);
    if (b > a) out += "-" + std::to_string(v[b]);
    a = b + 1;
  }
  return out;
}

}  // namespace trainsim::scaleout
