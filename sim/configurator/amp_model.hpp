#pragma once
// AMP's cost model (Li et al., NeurIPS 2022) as the Pipette code implements its baseline
// (docs/pipette.md): T = (m-1) 3t_f + pp 3t_f + 2(pp-1) S_pp / bw_pp + 2(dp-1) S_dp / (dp min bw),
// with one bandwidth per node ([inter, intra]) instead of Pipette's per-link matrix.
#include "configurator/bandwidth.hpp"
#include "configurator/node_grid.hpp"

namespace trainsim::configurator {

// AMP's per-node inter-node bandwidth: the mean of the node's off-diagonal matrix row (what a
// per-node profile would report); a single node gets its diagonal.
std::vector<double> per_node_inter_bandwidth(const NodeBandwidth& bw);

struct AmpTerms {
  double t_f = 0;  // forward of one micro-batch on the slowest stage (AMP: cost = 3 t_f)
  int m = 1, pp = 1, dp = 1, d_out = 1;
  double s_pp = 0, s_dp = 0;
};

// bw_pp: for each replica row, the slowest per-node bandwidth on its chain; the boundary cost
// 2(pp-1) S_pp / bw_pp is averaged over rows. min bw: slowest per-node inter bandwidth when
// the data-parallel group spans nodes, else the slowest intra-node figure.
double amp_time(const AmpTerms& t, const NodeGrid& grid, const NodeBandwidth& bw);

}  // namespace trainsim::configurator
