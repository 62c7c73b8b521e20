#include "cli/args.hpp"

#include <algorithm>
#include <sstream>
#include <stdexcept>

namespace trainsim::cli {

size_t edit_distance(const std::string& a, const std::string& b) {
  std::vector<size_t> prev(b.size() + 1), cur(b.size() + 1);
  for (size_t j = 0; j <= b.size(); ++j) prev[j] = j;
  for (size_t i = 1; i <= a.size(); ++i) {
    cur[0] = i;
    for (size_t j = 1; j <= b.size(); ++j)
      cur[j] = std::min({prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1)});
    std::swap(prev, cur);
  }
  return prev[b.size()];
}

Args::Args(std::string command, std::string usage, std::string description, std::vector<OptionSpec> options,
           std::string example)
    : command_(std::move(command)),
      usage_(std::move(usage)),
      description_(std::move(description)),
      example_(std::move(example)),
      options_(std::move(options)) {}

void Args::parse(const std::vector<std::string>& words) {
  for (size_t i = 0; i < words.size(); ++i) {
    const std::string& w = words[i];
    if (w == "-h" || w == "--help") {
      help_ = true;
      continue;
    }
    if (w.rfind("--", 0) != 0 || w.size() == 2) {
      positionals_.push_back(w);
      continue;
    }
    std::string name = w.substr(2), value;
    bool has_value = false;
    if (auto eq = name.find('='); eq != std::string::npos) {
      value = name.substr(eq + 1);
      name = name.substr(0, eq);
      has_value = true;
    }
    auto it = std::find_if(options_.begin(), options_.end(), [&](const OptionSpec& o) { return o.name == name; });
    if (it == options_.end()) {
      std::string best;
      size_t best_d = 3;
      for (const auto& o : options_)
        if (size_t d = edit_distance(name, o.name); d < best_d) best_d = d, best = o.name;
      throw UsageError("unknown option '--" + name + "' for '" + command_ + "'" +
                       (best.empty() ? std::string() : " (did you mean '--" + best + "'?)"));
    }
    if (it->value_name.empty()) {
      if (has_value) throw UsageError("option '--" + name + "' takes no value");
      values_[name] = "";
    } else {
      if (!has_value) {
        if (i + 1 >= words.size()) throw UsageError("option '--" + name + "' needs a value <" + it->value_name + ">");
        value = words[++i];
      }
      values_[name] = value;
    }
  }
}

bool Args::flag(const std::string& name) const { return values_.count(name) > 0; }

std::optional<std::string> Args::value(const std::string& name) const {
  auto it = values_.find(name);
  if (it == values_.end()) return std::nullopt;
  return it->second;
}

std::string Args::help() const {
  std::ostringstream os;
  os << "usage: trainsim " << command_ << " " << usage_ << "\n\n" << description_ << "\n\noptions:\n";
  for (const auto& o : options_) {
    std::string left = "--" + o.name + (o.value_name.empty() ? "" : " <" + o.value_name + ">");
    // Option names up to 28 characters ("--chrome-trace <FILE.json>") keep the help column.
    os << "  " << left << std::string(left.size() < 28 ? 28 - left.size() : 1, ' ') << o.help << "\n";
  }
  os << "  -h, --help                  show this help\n\nexample:\n  " << example_ << "\n";
  return os.str();
}

}  // namespace trainsim::cli
