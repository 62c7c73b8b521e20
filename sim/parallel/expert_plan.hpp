#pragma once
// How a MoE job lays out and runs its experts (docs/moe.md): expert parallelism, expert tensor
// parallelism ("parallel folding": experts with their own TP and DP, Megatron-Core MoE), the
// order of expert ranks within a pipeline stage, grouped GEMMs and the token routing. Plain
// values, members of ParallelPlan; checked by validate_plan.
#include "program/collective_kind.hpp"
#include "workload/routing.hpp"

namespace trainsim {

// Order of the expert coordinates within a pipeline stage's tp x dp ranks, fastest first
// (Megatron-Core's RankGenerator for experts, "tp-ep-dp" with tp the expert TP):
enum class ExpertRankOrder {
  EpInner,   // etp-ep-edp (Megatron-Core): EP groups of consecutive ranks, intra-node while
             // expert_tp x ep fits a node, spanning nodes beyond
  EdpInner,  // etp-edp-ep: EP ranks strided by expert_tp x expert-DP, i.e. across nodes
};

struct ExpertPlan {
  int ep = 1;         // expert-parallel size: each EP rank holds experts / ep experts
  int expert_tp = 0;  // tensor-parallel size of each expert's FFN; 0: the attention tp
  ExpertRankOrder order = ExpertRankOrder::EpInner;
  bool grouped_gemm = true;     // one grouped GEMM per expert linear (Megatron's --moe-grouped-gemm)
  // Dispatch and combine all-to-alls as flows (Aggregated: contention with DP and PP traffic
  // shows), or in closed form after a barrier of the EP group (ClosedForm: no flows, the
  // group still waits for its slowest member; for runs too large to simulate every flow).
  Granularity all_to_all = Granularity::Aggregated;
  workload::RoutingSpec routing;
};

}  // namespace trainsim
