#pragma once
// Token routing as data: how many rows each rank of an expert-parallel group sends to each
// expert in one MoE layer and micro-batch, drawn from a seeded distribution so that load
// imbalance (and the stragglers it makes) shows, and reruns are byte-identical. Every draw is a
// pure function of (seed, iteration, layer, micro-batch, group, source rank). Model, sources and
// approximations: docs/moe.md, "Routing".
#include <cstddef>
#include <cstdint>
#include <vector>

#include "workload/moe_spec.hpp"

namespace trainsim::workload {

enum class RoutingDistribution {
  Uniform,    // every expert equally likely
  Zipf,       // the i-th most popular expert of a layer has weight i^-s (which expert is i-th: seeded per layer)
  Dirichlet,  // expert weights drawn per layer from Dirichlet(alpha, ..., alpha)
};

struct RoutingSpec {
  RoutingDistribution distribution = RoutingDistribution::Uniform;
  double zipf_exponent = 1.0;            // s > 0
  double dirichlet_concentration = 1.0;  // alpha > 0 (large: near uniform; small: a few hot experts)
  // Node-limited routing (DeepSeek-V3): each token's experts lie on at most this many nodes of
  // its EP group; 0: no limit. A limit of top_k or more does not bind (k experts span <= k nodes).
  int max_nodes = 0;
};

// Where one MoE layer's experts live: `ep` ranks, rank r holding experts
// [r E / ep, (r + 1) E / ep) (Megatron-Core's contiguous placement), and the node each rank
// is on (node indices 0..nodes-1 within the group).
struct ExpertPlacement {
  int experts = 0;
  int ep = 1;
  std::vector<int> node_of_rank;  // size ep

  int experts_per_rank() const { return experts / ep; }
  int rank_of_expert(int e) const { return e / experts_per_rank(); }
  int nodes() const;
};

// Which draw: the same key gives the same sample.
struct RoutingKey {
  int iteration = 0, layer = 0, micro_batch = 0, group = 0;
};

// Expert weights of one layer (sum 1): the same for every group, micro-batch and iteration of a
// run (a trained router's preferences are a property of the layer).
std::vector<double> expert_popularity(const RoutingSpec& spec, int experts, uint64_t seed, int layer);

// One layer and micro-batch of one EP group. Rows are (token, expert) pairs: a token routed to k
// experts is k rows.
struct RoutingSample {
  int ep = 0, experts = 0, nodes = 0;
  std::vector<int64_t> tokens;       // [src] tokens each source rank routed
  std::vector<int64_t> rank_rows;    // [src * ep + dst] rows from src kept by the experts of rank dst
  std::vector<int64_t> expert_rows;  // [e] rows expert e computes, from all sources
  // [src * nodes + n] distinct tokens of `src` with at least one kept row on node n: what a
  // dispatch that sends a token once per node (DeepSeek's) moves across nodes.
  std::vector<int64_t> node_tokens;
  std::vector<int> node_of_rank;
  int64_t routed = 0, dropped = 0;   // rows chosen by the router, rows over a capacity
  // With a capacity factor only: [src * experts + e] rows chosen, and kept under the capacity.
  std::vector<int64_t> routed_by_expert, kept_by_expert;

  int64_t rows(int src, int dst_rank) const { return rank_rows[std::size_t(src) * ep + dst_rank]; }
  int64_t rows_sent(int src) const;                        // kept rows of src
  int64_t rows_received(int dst_rank) const;               // kept rows into the experts of dst
  std::vector<int64_t> local_expert_rows(int rank) const;  // per expert of `rank`
};

// Draws the routing of `tokens[src]` tokens per source rank (size placement.ep) to top_k experts
// each, with moe.capacity_factor applied per source and expert (Megatron-Core: capacity
// ceil(cf x T k / E) for the T tokens of the source). InputError on inconsistent input (experts
// not divisible by ep, a node list of the wrong size, max_nodes too small to hold k experts...).
RoutingSample route_tokens(const RoutingSpec& spec, const MoeSpec& moe, const ExpertPlacement& placement,
                           const std::vector<int64_t>& tokens, uint64_t seed, const RoutingKey& key);

// Node-limited routing's share of tokens visiting each node: q_n = min(c_n, lambda P_n) with
// c_n = min(1, top_k P_n), lambda such that the q_n sum to max_nodes (water-filling); all c_n
// when they sum to less (docs/moe.md). P: the nodes' popularity (sum of their experts').
std::vector<double> node_inclusion(const std::vector<double>& node_popularity, int top_k, int max_nodes);

// Throws InputError naming the key when a routing spec is out of range.
void validate(const RoutingSpec& spec);

}  // namespace trainsim::workload
