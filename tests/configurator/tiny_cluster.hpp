#pragma once
// Fixtures of the configurator tests that run the simulator: a fresh folder, and a 4-node
// cluster with round numbers whose heterogeneity each test chooses.
#include <filesystem>
#include <fstream>
#include <string>
#include <unistd.h>

namespace trainsim::testing {

inline std::filesystem::path fresh_dir(const std::string& name) {
  namespace fs = std::filesystem;
  const fs::path d = fs::temp_directory_path() / ("trainsim-configurator-" + name + "-" + std::to_string(::getpid()));
  fs::remove_all(d);
  fs::create_directories(d);
  return d;
}

inline void write(const std::filesystem::path& p, const std::string& text) { std::ofstream(p) << text; }

// 4 nodes x `gpus` A100-40GB, NVSwitch 100 GB/s, one 100 Gb/s NIC per node, one switch, every
// latency `latency`. `degraded`: node 1's NIC at a quarter; `sigma` > 0: a lognormal NIC spread.
inline std::string tiny_platform(int gpus, bool degraded, double sigma = 0, const std::string& latency = "0s") {
  std::string s = "platform:\n  name: tiny\n  clusters:\n    - name: t\n      gpu: A100-40GB\n      nodes: 4\n"
                  "      gpus_per_node: " + std::to_string(gpus) + "\n" +
                  "      intra_node: {kind: nvswitch, bandwidth: 100GB/s, latency: " + latency + "}\n" +
                  "      nic: {count: 1, bandwidth: 100Gbps, latency: " + latency + "}\n" +
                  "      fabric: {kind: single_switch, switch_latency: " + latency + "}\n";
  if (degraded || sigma > 0) s += "  heterogeneity:\n";
  if (sigma > 0) s += "    spread:\n      - {links: \"t.n*.nic*\", distribution: lognormal, sigma: " + std::to_string(sigma) + "}\n";
  if (degraded) s += "    overrides:\n      - {links: t.n1.nic0, factor: 0.25}\n";
  return s;
}

// A GPT job of 8 layers, global batch 16, on tiny.yaml; its parallelism is a placeholder.
inline std::string tiny_job(const std::string& name, int tp, int pp, int dp) {
  return "name: " + name + "\nseed: 3\nplatform: tiny.yaml\njob:\n  kind: training\n"
         "  model: {family: gpt, layers: 8, hidden: 1024, heads: 16, seq_len: 512, vocab: 32000}\n"
         "  parallelism: {tp: " + std::to_string(tp) + ", pp: " + std::to_string(pp) + ", dp: " + std::to_string(dp) +
         "}\n  micro_batch: 1\n  global_batch: 16\n";
}

}  // namespace trainsim::testing
