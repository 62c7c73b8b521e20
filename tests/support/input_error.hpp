#pragma once
// The message of the InputError a call throws, or "<no error>": for checking exact messages.
#include <functional>
#include <string>

#include "core/error.hpp"

namespace trainsim::testing {

inline std::string message_of(const std::function<void()>& f) {
  try {
    f();
  } catch (const InputError& e) {
    return e.what();
  }
  return "<no error>";
}

// The key of the InputError a call throws, or "<no error>".
inline std::string key_of(const std::function<void()>& f) {
  try {
    f();
  } catch (const InputError& e) {
    return e.key();
  }
  return "<no error>";
}

}  // namespace trainsim::testing
