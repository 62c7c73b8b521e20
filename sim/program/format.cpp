#include "program/format.hpp"

#include <nlohmann/json.hpp>

namespace trainsim::program {

using nlohmann::ordered_json;

namespace {

ordered_json op_json(const ProgramSet& set, const Op& op) {
  ordered_json j;
  j["op"] = op_kind_name(op.kind());
  j["stream"] = set.streams[op.stream];
  if (op.slot >= 0) j["slot"] = set.slots[op.slot];
  std::visit(
      [&](const auto& x) {
        using T = std::decay_t<decltype(x)>;
        if constexpr (std::is_same_v<T, Compute>) {
          j["seconds"] = x.seconds;
          if (x.flops > 0) j["flops"] = x.flops;
        } else if constexpr (std::is_same_v<T, Send>) {
          j["peer"] = x.peer, j["bytes"] = x.bytes, j["tag"] = x.tag;
        } else if constexpr (std::is_same_v<T, Recv>) {
          j["peer"] = x.peer, j["bytes"] = x.bytes, j["tag"] = x.tag;
          if (x.gather_slot >= 0) j["gather"] = {{"slot", set.slots[x.gather_slot]}, {"bytes", x.gather_bytes}};
        } else if constexpr (std::is_same_v<T, Collective>) {
          j["collective"] = collective_name(x.kind);
          j["algorithm"] = algorithm_name(x.algorithm);
          j["granularity"] = granularity_name(x.granularity);
          j["bytes"] = x.bytes;
          if (x.count != 1) j["count"] = x.count;
          if (x.root != 0) j["root"] = x.root;
          if (x.per_peer >= 0) j["per_peer"] = x.per_peer;
        } else if constexpr (std::is_same_v<T, Record> || std::is_same_v<T, Wait>) {
          j["event"] = x.event;
        } else if constexpr (std::is_same_v<T, Alloc> || std::is_same_v<T, Free>) {
          j["category"] = memory_category_name(x.category), j["bytes"] = x.bytes;
        } else {
          j["marker"] = marker_kind_name(x.what);
          j["value"] = x.value;
          if (x.end) j["end"] = true;
        }
      },
      op.what);
  if (op.role != default_role(op.kind())) j["role"] = output::activity_kind_name(op.role);
  if (op.label >= 0) j["label"] = set.labels[op.label];
  return j;
}

void line(std::ostream& out, const ordered_json& j) { out << j.dump() << '\n'; }

}  // namespace

void write_programs(const ProgramSet& set, std::ostream& out) {
  ordered_json header;
  header["format"] = kFormatName;
  header["version"] = kFormatVersion;
  ordered_json job;
  job["kind"] = set.job.kind;
  ordered_json values = ordered_json::object();
  for (const auto& [name, value] : set.job.values) values[name] = value;
  job["values"] = values;
  header["job"] = job;
  header["streams"] = set.streams;
  header["slots"] = set.slots;
  header["labels"] = set.labels;
  header["groups"] = set.groups.size();
  header["programs"] = set.programs.size();
  header["ranks"] = set.ranks.size();
  header["ops"] = set.op_count();
  line(out, header);
  for (const Group& g : set.groups) line(out, ordered_json{{"group", g.name}, {"gpus", g.gpus}});
  for (size_t p = 0; p < set.programs.size(); ++p) {
    const Program& prog = set.programs[p];
    ordered_json head{{"program", p}, {"ops", prog.ops.size()}, {"events", prog.events}};
    if (!prog.values.empty()) head["values"] = prog.values;
    line(out, head);
    for (const Op& op : prog.ops) line(out, op_json(set, op));
  }
  for (size_t r = 0; r < set.ranks.size(); ++r) {
    const Rank& rank = set.ranks[r];
    ordered_json j{{"rank", r}, {"gpu", rank.gpu}, {"program", rank.program}};
    ordered_json groups = ordered_json::object();
    for (size_t s = 0; s < rank.groups.size(); ++s)
      if (rank.groups[s] >= 0) groups[set.slots[s]] = set.groups[rank.groups[s]].name;
    j["groups"] = groups;
    if (rank.compute_scale != 1) j["compute_scale"] = rank.compute_scale;
    if (rank.info.stage >= 0) j["stage"] = rank.info.stage;
    if (rank.info.tp_rank >= 0) j["tp_rank"] = rank.info.tp_rank;
    if (rank.info.dp_rank >= 0) j["dp_rank"] = rank.info.dp_rank;
    if (rank.info.replica >= 0) j["replica"] = rank.info.replica;
    line(out, j);
  }
}

}  // namespace trainsim::program
