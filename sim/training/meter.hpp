#pragma once
// Training metrics from played programs (docs/training.md, "Results"), the same whichever
// player played them. Per rank, from its compute stream ("compute", else the first stream):
//   busy        compute ops other than the optimizer step, and closed-form TP collectives
//   exposed TP  the closed-form TP collectives (Megatron does not overlap them), and waits for
//               events of a "tp-comm" stream (TP collectives overlapping compute)
//   exposed PP  per receive, ready - max(asked, posted): the wait the producer's compute does
//               not explain; and waits for events of a "pp-comm" stream
//   exposed DP  waits for events of the "dp-comm" stream
//   exposed EP  collectives (all-to-alls, barriers, gathers) of the "ep" and "etp" slots on the
//               compute stream, and waits for events of the "ep-comm" stream (DualPipe's F&B)
//   exposed CP  waits for events of the "cp-comm" stream (ring attention's KV transfers) and
//               collectives of the "cp" slot on the compute stream (the all-gather variant)
//   outer wait  waits for events of the "outer-comm" stream (DiLoCo), per iteration
//   iteration   ends at the rank's end-of-iteration marker; its pipeline phase spans the busy ops
//   memory      the peak of the rank's allocations minus frees, with its split by category
#include <array>
#include <vector>

#include "program/observer.hpp"
#include "training/simulator.hpp"

namespace trainsim {

class TrainingMeter final : public program::Observer {
 public:
  explicit TrainingMeter(const program::ProgramSet& set);
  void op_done(int rank, const program::Op& op, const program::OpTiming& t, const program::Context& ctx) override;

  // Metrics over the ranks of `replica` (-1: every rank); stages above `hbm` bytes are flagged.
  TrainingResult result(double hbm, int replica = -1) const;
  // End of iteration `it` on `rank` (0 if it has not ended).
  double iteration_end(int rank, int it) const;
  // Seconds `rank` waited for outer synchronisations in iterations >= `from`.
  double outer_wait(int rank, int from) const;

 private:
  struct PerIteration {
    double end = 0, phase_start = -1, phase_end = 0, phase_busy = 0, outer_wait = 0;
  };
  struct PerRank {
    double busy = 0, tp = 0, pp = 0, dp = 0, ep = 0, cp = 0, optimizer = 0;
    std::vector<PerIteration> its;
    std::array<double, program::kMemoryCategories> held{}, at_peak{};
    double total = 0, peak = 0;
  };
  PerIteration& at(int rank, int it);

  const program::ProgramSet& set_;
  int compute_, dp_, outer_, tp_, pp_, cp_, ep_, cp_slot_;
  int ep_slot_, etp_slot_;  // expert parallelism's group slots (-1: none)
  std::vector<PerRank> ranks_;
};

}  // namespace trainsim
