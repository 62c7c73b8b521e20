#include "core/error.hpp"

namespace trainsim {

std::string SourceLocation::str() const {
  std::string s = file.empty() ? std::string("<input>") : file;
  if (line > 0) {
    s += ":" + std::to_string(line);
    if (column > 0) s += ":" + std::to_string(column);
  }
  return s;
}

static std::string format(const SourceLocation& w, const std::string& key, const std::string& msg) {
  std::string s = w.str() + ": error: ";
  if (!key.empty()) s += "key '" + key + "': ";
  return s + msg;
}

InputError::InputError(SourceLocation where, std::string key, std::string message)
    : std::runtime_error(format(where, key, message)),
      where_(std::move(where)),
      key_(std::move(key)),
      message_(std::move(message)) {}

}  // namespace trainsim
