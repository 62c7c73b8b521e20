#pragma once
// Test helper: one SimGrid engine and Network per test process, and a runner for lone or
// concurrent flows that does what the engine does: wait the route's latency, then a flow.
#include <memory>
#include <string>
#include <vector>

#include <simgrid/s4u/Actor.hpp>
#include <simgrid/s4u/Comm.hpp>
#include <simgrid/s4u/Engine.hpp>
#include <simgrid/s4u/Host.hpp>
#include <simgrid/s4u/Link.hpp>

#include "network/network.hpp"
#include "platform/gpu_catalog.hpp"

namespace trainsim::test {

struct Flow {
  int src = 0, dst = 0;
  double bytes = 0;
  double start = 0;  // when the transfer is issued (its latency wait begins)
  bool wait_latency = true;  // false: the flow starts at once (latency left to SimGrid, if any)
};

struct FlowTiming {
  double elapsed = 0;       // from issue to arrival: latency + transfer
  double flow_start = 0;    // when the bandwidth part started (issue + route latency)
  double flow_elapsed = 0;  // the bandwidth part alone
};

class TestSim {
 public:
  explicit TestSim(const PlatformSpec& spec, uint64_t seed = 1, const GpuScope& scope = std::nullopt)
      : engine_(&argc_, argv_) {
    Network::configure_engine(engine_);
    net_ = std::make_unique<Network>(spec, seed, scope);
  }
  Network& net() { return *net_; }

  // Runs all flows concurrently (one actor each) and returns their timings, in input order.
  std::vector<FlowTiming> run(const std::vector<Flow>& flows) {
    std::vector<FlowTiming> out(flows.size());
    for (size_t i = 0; i < flows.size(); ++i) {
      const Flow f = flows[i];
      FlowTiming* t = &out[i];
      Network* n = net_.get();
      simgrid::s4u::Actor::create("flow" + std::to_string(i), n->gpu_host(f.src), [f, t, n] {
        simgrid::s4u::this_actor::sleep_until(f.start);
        if (f.wait_latency) simgrid::s4u::this_actor::sleep_for(n->route_latency(f.src, f.dst));
        t->flow_start = simgrid::s4u::Engine::get_clock();
        simgrid::s4u::Comm::sendto(n->gpu_host(f.src), n->gpu_host(f.dst), static_cast<uint64_t>(f.bytes));
        const double end = simgrid::s4u::Engine::get_clock();
        t->elapsed = end - f.start;
        t->flow_elapsed = end - t->flow_start;
      });
    }
    engine_.run();
    return out;
  }

 private:
  int argc_ = 1;
  char name_[16] = "test_network";
  char* argv_[2] = {name_, nullptr};
  simgrid::s4u::Engine engine_;
  std::unique_ptr<Network> net_;
};

// Link names of a route, in order.
inline std::vector<std::string> names(const std::vector<const LinkInfo*>& route) {
  std::vector<std::string> out;
  for (const auto* l : route) out.push_back(l->name);
  return out;
}

// SimGrid's own view of the route from GPU src to GPU dst, with the direction of each
// split-duplex half ("<name>_UP" / "<name>_DOWN").
inline std::vector<std::string> simgrid_names(Network& net, int src, int dst) {
  std::vector<simgrid::s4u::Link*> links;
  double latency = 0;
  net.gpu_host(src)->route_to(net.gpu_host(dst), links, &latency);
  std::vector<std::string> out;
  for (const auto* l : links) out.push_back(l->get_name());
  return out;
}

// An H100-like cluster with round numbers so expected times are easy to compute by hand.
inline ClusterSpec make_cluster(const std::string& name, int nodes, int gpus_per_node, FabricKind fabric,
                                int nodes_per_leaf = 0) {
  ClusterSpec c;
  c.name = name;
  c.gpu = find_gpu_model("H100-SXM").value();
  c.nodes = nodes;
  c.gpus_per_node = gpus_per_node;
  c.intra = {IntraNodeKind::NvSwitch, 400e9, 2e-6};
  c.nic = {1, 50e9, 1e-6};
  c.fabric = {fabric, nodes_per_leaf, 1.0, 0.5e-6};
  c.where = {"platform.yaml", 3, 5};
  return c;
}

inline PlatformSpec single(const ClusterSpec& c) {
  PlatformSpec p;
  p.name = "test";
  p.clusters.push_back(c);
  return p;
}

}  // namespace trainsim::test
