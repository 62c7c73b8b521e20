#include "configurator/pipette_model.hpp"

#include <algorithm>
#include <cmath>

namespace trainsim::configurator {

double activation_bytes(int micro_batch, int seq_len, int hidden, double beta) {
  return double(micro_batch) * seq_len * hidden * beta;
}

double faithful_gradient_bytes(int layers, int hidden, int vocab, int pp, int tp, double beta) {
  const double h = hidden;
  return (h * vocab + double(layers) / pp * 16 * h * h) / tp * beta;
}

double pipeline_comm(const NodeGrid& grid, const NodeBandwidth& bw, double s_pp) {
  double worst = 0;
  for (int r = 0; r < grid.rows; ++r) {
    double sum = 0;
    for (int s = 0; s + 1 < grid.pp; ++s) sum += 2 * s_pp / bw.pair(grid.node(r, s), grid.node(r, s + 1));
    worst = std::max(worst, sum);
  }
  return worst;
}

double dp_inter_comm(const NodeGrid& grid, const NodeBandwidth& bw, double s_dp, bool all_stages) {
  const int d_out = grid.rows;
  if (d_out <= 1) return 0;
  double worst_inv = 0;
  for (int s = 0; s < (all_stages ? grid.pp : 1); ++s)
    for (int r = 0; r < d_out; ++r)
      worst_inv = std::max(worst_inv, 1 / bw.pair(grid.node(r, s), grid.node((r + 1) % d_out, s)));
  return 2.0 * (d_out - 1) * s_dp * worst_inv / d_out;
}

double dp_inner_comm(const NodeGrid& grid, const NodeBandwidth& bw, double s_dp, int d_in, bool all_nodes) {
  if (d_in <= 1) return 0;
  double worst_inv = 0;
  for (int r = 0; r < grid.rows; ++r)
    for (int s = 0; s < (all_nodes ? grid.pp : 1); ++s) worst_inv = std::max(worst_inv, 1 / bw.at(grid.node(r, s), grid.node(r, s)));
  return 2.0 * (d_in - 1) * s_dp * worst_inv / d_in;
}

PipetteTime pipette_time(const PipetteTerms& t, const NodeGrid& grid, const NodeBandwidth& bw, const PipetteRules& r) {
  PipetteTime out;
  out.c_pp = pipeline_comm(grid, bw, t.s_pp);
  out.c_dp_inter = dp_inter_comm(grid, bw, t.s_dp, r.all_stage_rings);
  out.c_dp_inner = dp_inner_comm(grid, bw, t.s_dp, t.d_in, r.all_inner_nodes);
  const double fb = t.t_f + t.t_b;
  if (t.m >= t.pp) {
    const double k = r.remainder ? double(t.m) / t.pp : std::floor(double(t.m) / t.pp);
    out.pipeline = (t.pp - 1) * fb + k * (t.pp * fb + out.c_pp);
  } else {
    out.pipeline = (t.m - 1) * fb + t.pp * fb + out.c_pp;
  }
  out.total = out.pipeline + out.c_dp_inter + out.c_dp_inner;
  return out;
}

double annealing_objective(const PipetteTerms& t, const NodeGrid& grid, const NodeBandwidth& bw, const PipetteRules& r) {
  const PipetteTime time = pipette_time(t, grid, bw, r);
  return r.full_objective ? time.total : time.c_pp + time.c_dp_inter + time.c_dp_inner;
}

}  // namespace trainsim::configurator
