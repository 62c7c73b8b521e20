#pragma once
// Pipette's performance model (DATE 2024, arXiv 2405.18093, and its public code; formulas in
// docs/pipette.md). Everything here is in seconds and bytes (the paper writes ms and GB: the
// formulas are unit-free ratios of volume over bandwidth, so the choice does not matter).
#include "configurator/bandwidth.hpp"
#include "configurator/node_grid.hpp"

namespace trainsim::configurator {

// Each simplification of the released code as a switch: released() is the code formula for
// formula (docs/pipette.md, "Pipette's model"); corrected() fixes every one a simulator can
// expose. The deviations measurement (bench/pipette_deviations.cpp) flips them one at a time.
struct PipetteRules {
  bool remainder = false;         // k = m/pp instead of floor(m/pp): remainder micro-batches counted
  bool full_objective = false;    // the annealing minimises T instead of C_pp + C_dp_inter + C_dp_inner
  bool all_stage_rings = false;   // C_dp_inter over every stage's ring instead of stage 0's
  bool all_inner_nodes = false;   // C_dp_inner over every node instead of the first of each pipeline
  bool exact_parameters = false;  // S_dp from the largest stage's parameters instead of (hV + L/pp 16h^2)/tp
  double element_bytes = 4;       // S_pp and S_dp: the released driver trains in fp32; the job in 2 bytes

  static PipetteRules released() { return {}; }
  static PipetteRules corrected() { return {true, true, true, true, true, 2}; }
};

// The per-configuration inputs of the model.
struct PipetteTerms {
  double t_f = 0, t_b = 0;  // forward / backward of one micro-batch on the (slowest) stage
  int m = 1;                // micro-batches per pipeline
  int pp = 1, d_in = 1, d_out = 1;
  double s_pp = 0;  // bytes of one activation between stages (whole micro-batch)
  double s_dp = 0;  // gradient bytes of a stage held by one GPU
};

struct PipetteTime {
  double pipeline = 0;  // compute part incl. C_pp as weighted by the formula
  double c_pp = 0, c_dp_inter = 0, c_dp_inner = 0;
  double total = 0;
};

// S_pp = mbs * s * h * beta.
double activation_bytes(int micro_batch, int seq_len, int hidden, double beta);
// Faithful S_dp = (h*V + (L/pp) * 16 h^2) / tp * beta.
double faithful_gradient_bytes(int layers, int hidden, int vocab, int pp, int tp, double beta);

// C_pp = max over rows of sum_s 2 S_pp / B[node(r,s)][node(r,s+1)].
double pipeline_comm(const NodeGrid& grid, const NodeBandwidth& bw, double s_pp);
// 2 (d_out-1) S_dp max_i(1/B[n_i][n_i+1]) / d_out over the ring of one stage's nodes (column
// `stage`, wrapping around); `all_stages`: the slowest over every stage's ring.
double dp_inter_comm(const NodeGrid& grid, const NodeBandwidth& bw, double s_dp, bool all_stages);
// 2 (d_in-1) S_dp max_n(1/B[n][n]) / d_in over the first node of each pipeline (stage 0's
// column, Pipette's rule) or, `all_nodes`, over every node of the grid.
double dp_inner_comm(const NodeGrid& grid, const NodeBandwidth& bw, double s_dp, int d_in, bool all_nodes);

// The iteration time. m >= pp: (pp-1)(t_f+t_b) + k [pp(t_f+t_b) + C_pp] + C_dp, with
// k = floor(m/pp) (released) or m/pp (`remainder`); m < pp:
// (m-1)(t_f+t_b) + pp(t_f+t_b) + C_pp + C_dp.
PipetteTime pipette_time(const PipetteTerms& t, const NodeGrid& grid, const NodeBandwidth& bw, const PipetteRules& r);

// What the annealing minimises: C_pp + C_dp_inter + C_dp_inner (released), or the full
// iteration time of pipette_time() (`full_objective`).
double annealing_objective(const PipetteTerms& t, const NodeGrid& grid, const NodeBandwidth& bw, const PipetteRules& r);

}  // namespace trainsim::configurator
