#pragma once
// How many micro-batches a stage keeps activations for: the count of (micro-batch, chunk)
// whose forward has run but whose input-gradient backward (B or BI) has not, walking the
// stage's order. The memory estimator multiplies it by the activation size of one chunk.
#include <vector>

#include "schedule/schedule.hpp"

namespace trainsim::schedule {

struct InFlight {
  std::vector<int> per_chunk;    // peak for each chunk on its own (chunks = 1 + highest chunk index)
  int total = 0;                 // peak of the sum over chunks (not the sum of the per-chunk peaks)
  // Peak count of micro-batches whose BI has run but whose W has not (0 without split backward):
  // they still hold the inputs W needs, a smaller footprint than full activations.
  int awaiting_weight_grad = 0;
};

// Throws std::out_of_range for a stage not in the schedule.
InFlight peak_in_flight(const Schedule& schedule, int stage);

// Peak over the stage's order of sum_c alive_c * weight[c] (alive_c: chunk c's (micro-batch)
// forwards whose B/BI has not run): the activation peak when chunks hold different layer counts
// (weight = layers of the chunk). Equals total * w when every weight is w. Throws
// std::out_of_range for a stage not in the schedule or a chunk without a weight.
double peak_weighted_in_flight(const Schedule& schedule, int stage, const std::vector<double>& weight);

}  // namespace trainsim::schedule
