#pragma once
// A progress bar per batch of child simulations, for callers that only see a
// `progress(done, total)` callback (engine/isolated.hpp's run_isolated_all through
// configurator::child_simulator): a batch starts when `done` is 0 and ends when it reaches
// `total`, so an oracle search that simulates in several batches draws one bar per batch.
#include <functional>
#include <memory>
#include <string>

#include "core/progress.hpp"

namespace trainsim::cli {

class BatchProgress {
 public:
  BatchProgress(std::string what, ProgressOptions options) : what_(std::move(what)), options_(std::move(options)) {}

  void update(size_t done, size_t total) {
    if (total == 0) return;  // an empty batch: nothing to show
    if (!bar_ || done == 0) {
      bar_.reset();  // ends the previous batch's line first
      bar_ = std::make_unique<ProgressBar>(what_, static_cast<double>(total), "runs", options_);
    }
    bar_->update(static_cast<double>(done));
    if (done >= total) bar_.reset();  // ProgressBar's destructor finishes the line
  }
  std::function<void(size_t, size_t)> callback() {
    return [this](size_t done, size_t total) { update(done, total); };
  }

 private:
  std::string what_;
  ProgressOptions options_;
  std::unique_ptr<ProgressBar> bar_;
};

}  // namespace trainsim::cli
