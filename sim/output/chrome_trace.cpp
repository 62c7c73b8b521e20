#include "output/chrome_trace.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <fstream>
#include <map>
#include <numeric>
#include <vector>

#include "output/atomic_file.hpp"
#include "output/output_error.hpp"
#include "output/result_json.hpp"

namespace trainsim::output {
namespace {

// JSON string literal of `text` (the results' escaping: output/result_json.hpp).
std::string quoted(const std::string& text) {
  std::string out;
  append_json_string(out, text);
  return out;
}

// Seconds to the format's microseconds, nanosecond resolution, no exponent.
std::string micros(double seconds) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.3f", seconds * 1e6);
  return buf;
}

std::string number(double v) {
  if (!std::isfinite(v)) return "null";
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.17g", v);
  return buf;
}

bool is_compute(ActivityKind k) {
  switch (k) {
    case ActivityKind::Forward:
    case ActivityKind::BackwardInput:
    case ActivityKind::BackwardWeight:
    case ActivityKind::Backward:
    case ActivityKind::Recompute:
    case ActivityKind::Optimizer:
    case ActivityKind::Compute:
    case ActivityKind::Wait:
      return true;
    default:
      return false;
  }
}

// Thread ids: compute lanes 1, 2, ...; communication lanes 1001, 1002, ... (sorted after).
constexpr int kCommTidBase = 1001;

std::string event_name(const TraceData& d, const ActivityRecord& a) {
  std::string name = activity_kind_name(a.kind);
  if (a.micro_batch >= 0) name += " mb " + std::to_string(a.micro_batch);
  if (a.chunk > 0) name += " chunk " + std::to_string(a.chunk);
  if (a.label >= 0 && static_cast<std::size_t>(a.label) < d.labels.size() && a.micro_batch < 0)
    name += ": " + d.labels.names()[a.label];
  return name;
}

std::string gpu_process_name(const GpuInfo& g, std::size_t index) {
  std::string name = "GPU " + std::to_string(index) + ": " + g.name;
  std::string roles;
  auto add = [&](const char* what, int32_t v) {
    if (v >= 0) roles += std::string(roles.empty() ? "" : ", ") + what + " " + std::to_string(v);
  };
  add("stage", g.stage);
  add("tp", g.tp_rank);
  add("dp", g.dp_rank);
  add("replica", g.replica);
  return roles.empty() ? name : name + " (" + roles + ")";
}

// active[g]: GPU g has at least one activity.
std::vector<bool> active_gpus(const TraceData& d) {
  std::vector<bool> active(d.gpus.size(), false);
  for (const ActivityRecord& a : d.activities)
    if (a.gpu >= 0 && static_cast<std::size_t>(a.gpu) < active.size()) active[a.gpu] = true;
  return active;
}

}  // namespace

std::size_t gpus_without_activity(const TraceData& data) {
  const auto active = active_gpus(data);
  return static_cast<std::size_t>(std::count(active.begin(), active.end(), false));
}

void write_chrome_trace(const TraceData& d, std::ostream& os, const ChromeTraceOptions& options) {
  const int64_t n_gpus = static_cast<int64_t>(d.gpus.size());
  const std::vector<bool> active = active_gpus(d);
  const std::size_t idle = static_cast<std::size_t>(std::count(active.begin(), active.end(), false));
  const int64_t other_pid = n_gpus + 1, links_pid = n_gpus + 2;  // GPU g is process g + 1
  bool first = true;
  auto emit = [&](const std::string& event) {
    os << (first ? "\n" : ",\n") << event;
    first = false;
  };
  auto metadata = [&](const char* what, int64_t pid, int64_t tid, const std::string& args) {
    emit(std::string("{\"name\":\"") + what + "\",\"ph\":\"M\",\"pid\":" + std::to_string(pid) +
         ",\"tid\":" + std::to_string(tid) + ",\"args\":{" + args + "}}");
  };
  os << "{\"displayTimeUnit\":\"ms\",\"otherData\":{\"producer\":" << quoted("trainsim " + d.trainsim_version)
     << ",\"scenario\":" << quoted(d.scenario_file) << ",\"makespan_s\":" << number(d.makespan)
     << ",\"gpus_without_activity\":" << idle << ",\"gpus_left_out\":" << (options.all_gpus ? 0 : idle)
     << "},\n\"traceEvents\":[";

  // Process ids stay GPU index + 1 whether or not idle GPUs are left out.
  for (int64_t g = 0; g < n_gpus; ++g) {
    if (!active[g] && !options.all_gpus) continue;
    metadata("process_name", g + 1, 0, "\"name\":" + quoted(gpu_process_name(d.gpus[g], g)));
    metadata("process_sort_index", g + 1, 0, "\"sort_index\":" + std::to_string(g));
  }

  // Lane assignment: activities by (process, category) in start order; each goes to the first
  // lane whose previous activity has ended (interval partitioning: the fewest lanes without
  // overlap). Ties keep the recording order (stable sort), so the output is deterministic.
  std::vector<std::size_t> order(d.activities.size());
  std::iota(order.begin(), order.end(), std::size_t{0});
  auto pid_of = [&](const ActivityRecord& a) -> int64_t {
    return a.gpu >= 0 && a.gpu < n_gpus ? a.gpu + 1 : other_pid;
  };
  std::stable_sort(order.begin(), order.end(), [&](std::size_t x, std::size_t y) {
    return d.activities[x].start < d.activities[y].start;
  });
  std::map<std::pair<int64_t, int>, std::vector<double>> lane_end;  // (pid, tid base) -> lane ends
  std::map<std::pair<int64_t, int64_t>, bool> named;               // threads given a name
  bool other_used = false;
  for (std::size_t i : order) {
    const ActivityRecord& a = d.activities[i];
    const int64_t pid = pid_of(a);
    other_used |= pid == other_pid;
    const bool compute = is_compute(a.kind);
    const int base = compute ? 1 : kCommTidBase;
    auto& ends = lane_end[{pid, base}];
    std::size_t lane = 0;
    while (lane < ends.size() && ends[lane] > a.start) ++lane;
    if (lane == ends.size()) ends.push_back(a.end);
    else ends[lane] = a.end;
    const int64_t tid = base + static_cast<int64_t>(lane);
    if (!named[{pid, tid}]) {
      named[{pid, tid}] = true;
      std::string thread = compute ? "compute" : "communication";
      if (lane > 0) thread += " " + std::to_string(lane + 1);
      metadata("thread_name", pid, tid, "\"name\":" + quoted(thread));
      metadata("thread_sort_index", pid, tid, "\"sort_index\":" + std::to_string(tid));
    }
    std::string args;
    auto arg = [&](const char* key, const std::string& value) {
      args += std::string(args.empty() ? "" : ",") + "\"" + key + "\":" + value;
    };
    if (a.stage >= 0) arg("stage", std::to_string(a.stage));
    if (a.micro_batch >= 0) arg("micro_batch", std::to_string(a.micro_batch));
    if (a.chunk >= 0) arg("chunk", std::to_string(a.chunk));
    if (a.step >= 0) arg("step", std::to_string(a.step));
    if (a.peer >= 0) arg("peer_gpu", std::to_string(a.peer));
    if (a.bytes > 0) arg("bytes", number(a.bytes));
    if (a.flops > 0) arg("flops", number(a.flops));
    if (a.label >= 0 && static_cast<std::size_t>(a.label) < d.labels.size())
      arg("label", quoted(d.labels.names()[a.label]));
    emit("{\"name\":" + quoted(event_name(d, a)) + ",\"cat\":\"" + activity_kind_name(a.kind) +
         "\",\"ph\":\"X\",\"ts\":" + micros(a.start) + ",\"dur\":" + micros(std::max(0.0, a.end - a.start)) +
         ",\"pid\":" + std::to_string(pid) + ",\"tid\":" + std::to_string(tid) + ",\"args\":{" + args + "}}");
  }
  if (other_used) metadata("process_name", other_pid, 0, "\"name\":\"other (no GPU)\"");

  // Link tiers: aggregate throughput per bin, one counter track per tier.
  const auto& s = d.link_series;
  if (s.bin_width > 0 && s.bins > 0 && !s.link.empty()) {
    metadata("process_name", links_pid, 0, "\"name\":\"links by tier\"");
    metadata("process_sort_index", links_pid, 0, "\"sort_index\":" + std::to_string(links_pid));
    std::map<std::string, std::vector<double>> tier_bytes;  // sorted by tier name: deterministic
    for (std::size_t r = 0; r < s.link.size(); ++r) {
      auto& bytes = tier_bytes[d.links.at(s.link[r]).tier];
      bytes.resize(s.bins, 0.0);
      for (std::size_t b = 0; b < s.bins; ++b) bytes[b] += s.bytes[r * s.bins + b];
    }
    for (const auto& [tier, bytes] : tier_bytes) {
      for (std::size_t b = 0; b <= s.bins; ++b) {
        // The closing sample at the end of the last bin returns the track to 0.
        const double rate = b < s.bins ? bytes[b] / s.bin_width / 1e9 : 0.0;
        emit("{\"name\":" + quoted(tier + " GB/s") + ",\"ph\":\"C\",\"ts\":" + micros(double(b) * s.bin_width) +
             ",\"pid\":" + std::to_string(links_pid) + ",\"args\":{\"GB/s\":" + number(rate) + "}}");
      }
    }
  }
  os << "\n]}\n";
}

void write_chrome_trace_file(const TraceData& data, const std::string& path, const ChromeTraceOptions& options) {
  AtomicOutputFile file(path, options.existing, options.key);
  {
    std::ofstream os(file.temp_path(), std::ios::binary);
    if (!os) throw OutputError(path, "cannot create the Chrome trace file (is the directory writable?)", options.key);
    write_chrome_trace(data, os, options);
    os.flush();
    if (!os) throw OutputError(path, "writing the Chrome trace failed (disk full?)", options.key);
  }
  file.commit();
}

}  // namespace trainsim::output
