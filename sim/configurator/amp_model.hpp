#pragma once
// AMP's cost model (Li et al., NeurIPS 2022; its released src/cost_homo.py and pipe.py as quoted
// in docs/pipette.md, "AMP"):
//   T = (m-1) max_s e_s + sum_s e_s + sum_b c_b + max_s dp_s
// e_s: stage cost, 3 x the forward of its layers (per-layer profile); c_b: one-way activation
// volume over the boundary link of b, averaged over the replica rows; dp_s: ring all-reduce of
// stage s's gradients over the bandwidth of the *last* link of the ring (the released code's
// indentation bug, reproduced; AmpVariant::Corrected takes the slowest link of the ring).
// The layer partition is AMP's dynamic programme (amp_partition). Seconds and bytes.
#include <vector>

#include "configurator/bandwidth.hpp"
#include "configurator/node_grid.hpp"

namespace trainsim::configurator {

// AMP describes the cluster per node as [inter, intra] (cluster_info): here inter = the mean of
// the node's off-diagonal matrix row (what a per-node profile would report), intra = the
// diagonal.
struct AmpNodeBandwidth {
  std::vector<double> inter, intra;
  // A link of the rank graph: inside a node its intra figure, else the slower node's inter.
  double link(int a, int b) const;
};
AmpNodeBandwidth amp_node_bandwidth(const NodeBandwidth& bw);

// Forward seconds of one micro-batch per layer type (tensor-parallel communication in): AMP's
// profile of "embed2h", "transformer_layer" and "embed2v".
struct AmpLayerCosts {
  double layer = 0, embedding = 0, lm_head = 0;
};

// e(s, k) = 3 (k layer + embedding on stage 0 + lm_head on the last stage).
double amp_stage_cost(const AmpLayerCosts& c, int stage, int pp, int layers);

// The dynamic-programming partition of `layers` into `pp` stages of at least one layer: it
// minimises (m-1) max_s e_s + sum_s e_s, i.e. the slowest stage (the sum is fixed). Among the
// partitions that reach it, the one closest to an even split (least sum of squared deviations
// from layers/pp); the released code's tie-breaking is not stated.
std::vector<int> amp_partition(const AmpLayerCosts& c, int layers, int pp);

enum class AmpVariant { Faithful, Corrected };

struct AmpTerms {
  AmpLayerCosts fwd;
  int m = 1, pp = 1, dp = 1, d_in = 1;
  double s_pp = 0;               // bytes of one activation between stages (one way)
  double layer_param_bytes = 0;  // gradient bytes of one transformer layer per GPU
  double embedding_param_bytes = 0;  // word embedding per GPU, on the first and the last stage
};

struct AmpTime {
  double pipeline = 0, boundary = 0, dp = 0, total = 0;
};

// `partition`: layers per stage (size pp). `grid`: the placement (AMP: Megatron's order); data-
// parallel replica d of stage s runs on node grid.at(d / d_in, s).
AmpTime amp_time(const AmpTerms& t, const std::vector<int>& partition, const NodeGrid& grid,
                 const AmpNodeBandwidth& bw, AmpVariant v);

}  // namespace trainsim::configurator
