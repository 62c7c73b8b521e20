#pragma once
// JobSpec: a scenario's job, whatever its kind, as an immutable value. It is open: a job kind is
// any copyable spec type naming itself (`static constexpr std::string_view kind = "training";`,
// the name written after `job: {kind: ...}`), wherever it lives; this module lists none of them.
// What trainsim does with each kind (parse, size estimate, programs, run) is the registry's
// (jobs/registry.hpp, docs/howto/job-kind.md).
//
// Copies share the spec, which nobody can change: to edit a job, copy its spec out, change the
// copy and assign it back (`auto t = s.job.as<TrainingSpec>(); t.plan.dp = 2; s.job = t;`).
// Scenario stays a plain value: equal inputs give equal behaviour.
#include <concepts>
#include <memory>
#include <string>
#include <string_view>
#include <typeinfo>
#include <utility>

#include "core/error.hpp"

namespace trainsim {

// A job kind's spec: a copyable plain value with its kind's name. (The name is checked first:
// JobSpec itself, which has none, then never asks whether it is copyable through its own
// converting constructor, a recursion clang refuses.)
template <class T>
concept JobSpecType = requires {
  { T::kind } -> std::convertible_to<std::string_view>;
} && std::copyable<T>;

class JobSpec {
 public:
  JobSpec() = default;  // no job yet (a Scenario being built)
  template <JobSpecType T>
  JobSpec(T spec)  // NOLINT: implicit, as `s.job = training_spec;` reads
      : kind_(T::kind), type_(&typeid(T)), spec_(std::make_shared<const T>(std::move(spec))) {}

  // The kind's name ("" for no job).
  std::string_view kind() const { return kind_; }
  bool empty() const { return spec_ == nullptr; }
  // The spec's type (typeid(void) for no job): the registry checks it against the kind's.
  const std::type_info& type() const { return type_ ? *type_ : typeid(void); }

  template <JobSpecType T>
  bool is() const {
    return type_ != nullptr && *type_ == typeid(T);
  }
  // The spec, or nullptr when the job is of another kind.
  template <JobSpecType T>
  const T* get_if() const {
    return is<T>() ? static_cast<const T*>(spec_.get()) : nullptr;
  }
  // The spec; InternalError naming both kinds when the job is of another kind (callers check
  // the kind first where the user chooses it: is<T>(), get_if<T>()).
  template <JobSpecType T>
  const T& as() const& {
    if (!is<T>())
      throw InternalError("the job is " + (empty() ? std::string("missing") : "a '" + std::string(kind_) + "' job") +
                          ", not a '" + std::string(T::kind) + "' job");
    return *static_cast<const T*>(spec_.get());
  }
  // On a temporary (`load_scenario_text(...).job.as<T>()`): a copy, so no reference outlives it.
  template <JobSpecType T>
  T as() && {
    return static_cast<const JobSpec&>(*this).as<T>();
  }

 private:
  std::string_view kind_;
  const std::type_info* type_ = nullptr;
  std::shared_ptr<const void> spec_;
};

}  // namespace trainsim
