#include "program/validate.hpp"

#include "program/index.hpp"

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdio>
#include <limits>
#include <map>
#include <set>
#include <tuple>
#include <cstring>
#include <unordered_map>
#include <unordered_set>

namespace trainsim::program {

InvalidPrograms::InvalidPrograms(Where where, const std::string& message)
    : std::runtime_error(message), where_(std::move(where)) {}

namespace {

using Where = InvalidPrograms::Where;

[[noreturn]] void fail(Where w, const std::string& message) { throw InvalidPrograms(std::move(w), message); }

std::string str(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%g", v);
  return buf;
}

bool finite_non_negative(double v) { return std::isfinite(v) && v >= 0; }

// A collective that every member of its group takes part in at the same point: flows or a barrier.
bool synchronising(const Collective& c) { return c.granularity != Granularity::ClosedForm; }

// The fields sends and receives share.
template <typename Message, typename Bad>
void check_message(const Message& m, const Bad& bad) {
  if (!finite_non_negative(m.bytes)) bad("bytes", "bytes must be finite and >= 0, got " + str(m.bytes));
  if (m.tag >> 63) bad("tag", "tags must be below 2^63");
  if (m.peer < 0) bad("peer", "peer must be a rank of the group (>= 0)");
}

// Checks one program on its own (no group sizes yet).
void check_program(const ProgramSet& set, int p) {
  const Program& prog = set.programs[p];
  const int streams = static_cast<int>(set.streams.size()), slots = static_cast<int>(set.slots.size());
  std::vector<int> recorded(prog.events, -1);
  std::vector<int> endpoint_stream(slots, -1);
  std::array<double, kMemoryCategories> held{};
  if (prog.events < 0) fail({p, -1, -1, -1, "events"}, "a negative event count");
  for (size_t i = 0; i < prog.ops.size(); ++i) {
    const Op& op = prog.ops[i];
    const Where at{p, static_cast<int>(i), -1, -1, ""};
    auto bad = [&](const char* field, const std::string& message) {
      Where w = at;
      w.field = field;
      fail(w, message);
    };
    if (op.stream >= streams) bad("stream", "stream index " + std::to_string(op.stream) + " is not declared");
    if (op.label < -1 || op.label >= static_cast<int>(set.labels.size())) bad("label", "label index out of range");
    const bool needs_slot = op.kind() == OpKind::Send || op.kind() == OpKind::Recv || op.kind() == OpKind::Collective;
    if (needs_slot && (op.slot < 0 || op.slot >= slots)) bad("slot", "a " + std::string(op_kind_name(op.kind())) + " needs a declared group slot");
    if (!needs_slot && op.slot != -1) bad("slot", "only send, recv and collective ops name a group slot");
    if (needs_slot && uses_endpoint(op)) {
      int& owner = endpoint_stream[op.slot];
      if (owner < 0) owner = op.stream;
      if (owner != op.stream)
        bad("stream", "slot '" + set.slots[op.slot] + "' exchanges messages on streams '" + set.streams[owner] + "' and '" +
                          set.streams[op.stream] + "'; one stream per slot and rank must own its messages");
    }
    switch (op.kind()) {
      case OpKind::Compute: {
        const auto& c = op.as<Compute>();
        if (!finite_non_negative(c.seconds)) bad("seconds", "compute seconds must be finite and >= 0, got " + str(c.seconds));
        if (!finite_non_negative(c.flops)) bad("flops", "flops must be finite and >= 0");
        break;
      }
      case OpKind::Send:
        check_message(op.as<Send>(), bad);
        break;
      case OpKind::Recv: {
        const auto& r = op.as<Recv>();
        check_message(r, bad);
        if (r.gather_slot < -1 || r.gather_slot >= slots) bad("gather", "gather slot is not declared");
        if (!finite_non_negative(r.gather_bytes)) bad("gather", "gather bytes must be finite and >= 0");
        break;
      }
      case OpKind::Collective: {
        const auto& c = op.as<Collective>();
        if (!finite_non_negative(c.bytes)) bad("bytes", "bytes must be finite and >= 0, got " + str(c.bytes));
        if (!std::isfinite(c.count) || c.count <= 0) bad("count", "count must be finite and > 0, got " + str(c.count));
        if (!supports(c.algorithm, c.kind))
          bad("algorithm", std::string(algorithm_name(c.algorithm)) + " does not implement " + collective_name(c.kind));
        if (c.root < 0) bad("root", "root must be a rank of the group (>= 0)");
        if (c.per_peer != -1 && c.kind != CollectiveKind::AllToAll) bad("per_peer", "per-peer bytes are for all_to_all only");
        if (c.per_peer < -1 || c.per_peer > static_cast<int>(prog.values.size())) bad("per_peer", "per-peer offset out of range");
        break;
      }
      case OpKind::Record: {
        const int e = op.as<Record>().event;
        if (e < 0 || e >= prog.events) bad("event", "event " + std::to_string(e) + " is outside 0.." + std::to_string(prog.events - 1));
        if (recorded[e] >= 0) bad("event", "event " + std::to_string(e) + " is recorded twice (first by op " + std::to_string(recorded[e]) + ")");
        recorded[e] = static_cast<int>(i);
        break;
      }
      case OpKind::Wait: {
        const int e = op.as<Wait>().event;
        if (e < 0 || e >= prog.events) bad("event", "event " + std::to_string(e) + " is outside 0.." + std::to_string(prog.events - 1));
        if (recorded[e] < 0) bad("event", "event " + std::to_string(e) + " is awaited before any op records it");
        break;
      }
      case OpKind::Alloc:
      case OpKind::Free: {
        const bool alloc = op.kind() == OpKind::Alloc;
        const double bytes = alloc ? op.as<Alloc>().bytes : op.as<Free>().bytes;
        const auto cat = alloc ? op.as<Alloc>().category : op.as<Free>().category;
        if (!finite_non_negative(bytes)) bad("bytes", "bytes must be finite and >= 0, got " + str(bytes));
        double& h = held[static_cast<size_t>(cat)];
        h += alloc ? bytes : -bytes;
        if (h < -1e-6 * std::max(1.0, bytes))
          bad("bytes", std::string("frees more ") + memory_category_name(cat) + " memory than the program allocated");
        break;
      }
      case OpKind::Marker: {
        const auto& m = op.as<Marker>();
        if (m.value < 0) bad("value", "a marker's value must be >= 0");
        break;
      }
    }
  }
  for (int e = 0; e < prog.events; ++e)
    if (recorded[e] < 0) fail({p, -1, -1, -1, "events"}, "event " + std::to_string(e) + " is never recorded");
}

// A synchronising collective as the group sees it (per-peer counts may differ between ranks).
using CollectiveKey = std::tuple<int, int, int, double, double, int>;
CollectiveKey key_of(const Collective& c) {
  return {static_cast<int>(c.kind), static_cast<int>(c.algorithm), static_cast<int>(c.granularity), c.bytes, c.count,
          c.root};
}


// The messages of group g whose send and receive do not match (one of them is missing, or they
// disagree on bytes): found one by one, then reported.
[[noreturn]] void unmatched_message(const ProgramSet& set, int g, const std::vector<std::vector<int32_t>>& positions,
                                    const std::unordered_map<int, int>& rank_of_gpu) {
  struct Side {
    double bytes = 0;
    int sends = 0, recvs = 0, program = -1, op = -1, rank = -1;
  };
  std::map<std::tuple<int, int, uint64_t>, Side> messages;  // (src, dst, tag)
  for (int gpu : set.groups[g].gpus) {
    const int r = rank_of_gpu.at(gpu);
    const Rank& rank = set.ranks[r];
    const auto& ops = set.programs[rank.program].ops;
    for (size_t i = 0; i < ops.size(); ++i) {
      const Op& op = ops[i];
      if (op.slot < 0 || op.slot >= static_cast<int>(rank.groups.size()) || rank.groups[op.slot] != g) continue;
      const bool send = op.kind() == OpKind::Send;
      if (!send && op.kind() != OpKind::Recv) continue;
      const int me = positions[r][op.slot];
      const int peer = send ? op.as<Send>().peer : op.as<Recv>().peer;
      const uint64_t tag = send ? op.as<Send>().tag : op.as<Recv>().tag;
      const double bytes = send ? op.as<Send>().bytes : op.as<Recv>().bytes;
      Side& m = messages[{send ? me : peer, send ? peer : me, tag}];
      if (m.sends + m.recvs > 0 && m.bytes != bytes)
        fail({rank.program, static_cast<int>(i), r, g, "bytes"},
             "send and receive of tag " + std::to_string(tag) + " disagree on bytes (" + str(m.bytes) + " vs " + str(bytes) +
                 ") (rank " + std::to_string(r) + ")");
      m.bytes = bytes;
      (send ? m.sends : m.recvs) += 1;
      m.program = rank.program, m.op = static_cast<int>(i), m.rank = r;
    }
  }
  for (const auto& [key, m] : messages)
    if (m.sends != m.recvs)
      fail({m.program, m.op, m.rank, g, "tag"},
           std::string(m.sends > m.recvs ? "a send has no matching recv" : "a recv has no matching send") + ": group '" +
               set.groups[g].name + "', from rank " + std::to_string(std::get<0>(key)) + " to rank " +
               std::to_string(std::get<1>(key)) + ", tag " + std::to_string(std::get<2>(key)));
  fail({-1, -1, -1, g, "tag"}, "the messages of group '" + set.groups[g].name + "' do not match");
}

}  // namespace

void validate(const ProgramSet& set, int platform_gpus) {
  const int slots = static_cast<int>(set.slots.size());
  if (set.streams.empty()) fail({}, "a program set needs at least one stream");
  if (set.streams.size() > 255) fail({}, "at most 255 streams");
  if (set.slots.size() > 127) fail({}, "at most 127 group slots");
  if (set.ranks.empty()) fail({}, "a program set needs at least one rank");
  // Groups.
  std::set<std::string> names;
  for (size_t g = 0; g < set.groups.size(); ++g) {
    const Group& group = set.groups[g];
    const Where at{-1, -1, -1, static_cast<int>(g), ""};
    if (!names.insert(group.name).second) fail({-1, -1, -1, static_cast<int>(g), "name"}, "group name '" + group.name + "' is used twice");
    if (group.gpus.empty()) fail({-1, -1, -1, static_cast<int>(g), "gpus"}, "group '" + group.name + "' has no GPU");
    std::set<int> seen;
    for (int gpu : group.gpus) {
      if (gpu < 0 || gpu >= platform_gpus)
        fail({-1, -1, -1, static_cast<int>(g), "gpus"},
             "GPU " + std::to_string(gpu) + " of group '" + group.name + "' is outside 0.." + std::to_string(platform_gpus - 1));
      if (!seen.insert(gpu).second)
        fail({-1, -1, -1, static_cast<int>(g), "gpus"}, "GPU " + std::to_string(gpu) + " appears twice in group '" + group.name + "'");
    }
    (void)at;
  }
  for (size_t p = 0; p < set.programs.size(); ++p) check_program(set, static_cast<int>(p));

  // Ranks, and the rank of each GPU.
  std::unordered_map<int, int> rank_of_gpu;
  for (size_t r = 0; r < set.ranks.size(); ++r) {
    const Rank& rank = set.ranks[r];
    auto at = [&](const char* field) { return Where{-1, -1, static_cast<int>(r), -1, field}; };
    if (rank.gpu < 0 || rank.gpu >= platform_gpus)
      fail(at("gpu"), "GPU " + std::to_string(rank.gpu) + " is outside 0.." + std::to_string(platform_gpus - 1));
    if (!rank_of_gpu.emplace(rank.gpu, static_cast<int>(r)).second)
      fail(at("gpu"), "GPU " + std::to_string(rank.gpu) + " runs two ranks (" + std::to_string(rank_of_gpu[rank.gpu]) + " and " +
                          std::to_string(r) + ")");
    if (rank.program < 0 || rank.program >= static_cast<int>(set.programs.size()))
      fail(at("program"), "program " + std::to_string(rank.program) + " is not defined");
    if (!std::isfinite(rank.compute_scale) || rank.compute_scale <= 0)
      fail(at("compute_scale"), "compute_scale must be finite and > 0, got " + str(rank.compute_scale));
    if (static_cast<int>(rank.groups.size()) > slots) fail(at("groups"), "more group slots than declared");
    for (size_t s = 0; s < rank.groups.size(); ++s) {
      const int g = rank.groups[s];
      if (g == -1) continue;
      if (g < 0 || g >= static_cast<int>(set.groups.size())) fail(at("groups"), "group " + std::to_string(g) + " is not defined");
      const auto& gpus = set.groups[g].gpus;
      if (std::find(gpus.begin(), gpus.end(), rank.gpu) == gpus.end())
        fail(at("groups"), "slot '" + set.slots[s] + "' names group '" + set.groups[g].name + "' but GPU " +
                               std::to_string(rank.gpu) + " is not a member of it");
    }
  }
  for (size_t g = 0; g < set.groups.size(); ++g)
    for (int gpu : set.groups[g].gpus)
      if (!rank_of_gpu.count(gpu))
        fail({-1, -1, -1, static_cast<int>(g), "gpus"}, "GPU " + std::to_string(gpu) + " of group '" + set.groups[g].name +
                                                            "' runs no rank");

  // Per program: a tag names one message between two ranks of a group.
  for (size_t p = 0; p < set.programs.size(); ++p) {
    std::unordered_set<MessageKey, MessageKeyHash> seen;  // (slot, peer, direction, tag)
    const auto& ops = set.programs[p].ops;
    for (size_t i = 0; i < ops.size(); ++i) {
      const bool send = ops[i].kind() == OpKind::Send;
      if (!send && ops[i].kind() != OpKind::Recv) continue;
      const int peer = send ? ops[i].as<Send>().peer : ops[i].as<Recv>().peer;
      const uint64_t tag = send ? ops[i].as<Send>().tag : ops[i].as<Recv>().tag;
      if (!seen.insert({ops[i].slot, peer, send ? 1 : 0, tag}).second)
        fail({static_cast<int>(p), static_cast<int>(i), -1, -1, "tag"},
             "tag " + std::to_string(tag) + " is " + (send ? "sent to" : "received from") + " rank " + std::to_string(peer) +
                 " of slot '" + set.slots[ops[i].slot] + "' twice");
    }
  }

  // Per rank: slots bound, peers and roots inside their groups; synchronising collectives per
  // (group, member); point-to-point messages, matched per group by a checksum of (source,
  // destination, tag, bytes) over sends and over receives, searched one by one only in a group
  // whose checksums differ (linear in the ops, and in the groups' memory only).
  const auto positions = group_positions(set);
  std::vector<std::map<int, std::vector<CollectiveKey>>> sequences(set.groups.size());  // member rank -> sequence
  struct Checksum {
    uint64_t sends = 0, recvs = 0;
    int64_t balance = 0;
  };
  std::vector<Checksum> messages(set.groups.size());
  auto message_hash = [](int src, int dst, uint64_t tag, double bytes) {
    uint64_t b = 0;
    std::memcpy(&b, &bytes, sizeof b);
    uint64_t h = MessageKeyHash()(MessageKey{0, src, dst, tag}) ^ (b * 0x9E3779B97F4A7C15ull);
    h ^= h >> 29;
    return h * 0xBF58476D1CE4E5B9ull;
  };
  for (size_t r = 0; r < set.ranks.size(); ++r) {
    const Rank& rank = set.ranks[r];
    const Program& prog = set.programs[rank.program];
    auto group_of = [&](int slot) { return slot >= 0 && slot < static_cast<int>(rank.groups.size()) ? rank.groups[slot] : -1; };
    for (size_t i = 0; i < prog.ops.size(); ++i) {
      const Op& op = prog.ops[i];
      if (op.slot < 0) continue;
      auto bad = [&](const char* field, const std::string& message) {
        fail({rank.program, static_cast<int>(i), static_cast<int>(r), -1, field}, message + " (rank " + std::to_string(r) + ")");
      };
      const int g = group_of(op.slot);
      if (g < 0) bad("slot", "slot '" + set.slots[op.slot] + "' is not bound to a group on this rank");
      const int n = static_cast<int>(set.groups[g].gpus.size()), me = positions[r][op.slot];
      auto in_group = [&](int peer, const char* field) {
        if (peer >= n) bad(field, std::string(field) + " " + std::to_string(peer) + " is outside group '" + set.groups[g].name + "' of " + std::to_string(n) + " ranks");
      };
      switch (op.kind()) {
        case OpKind::Send:
        case OpKind::Recv: {
          const bool send = op.kind() == OpKind::Send;
          const int peer = send ? op.as<Send>().peer : op.as<Recv>().peer;
          in_group(peer, "peer");
          if (peer == me) bad("peer", "a rank cannot message itself");
          const uint64_t tag = send ? op.as<Send>().tag : op.as<Recv>().tag;
          const double bytes = send ? op.as<Send>().bytes : op.as<Recv>().bytes;
          Checksum& c = messages[g];
          if (send) c.sends += message_hash(me, peer, tag, bytes), ++c.balance;
          else c.recvs += message_hash(peer, me, tag, bytes), --c.balance;
          if (!send && op.as<Recv>().gather_slot >= 0 && group_of(op.as<Recv>().gather_slot) < 0)
            bad("gather", "gather slot '" + set.slots[op.as<Recv>().gather_slot] + "' is not bound to a group on this rank");
          break;
        }
        case OpKind::Collective: {
          const auto& c = op.as<Collective>();
          in_group(c.root, "root");
          if (c.per_peer >= 0 && c.per_peer + n > static_cast<int>(prog.values.size()))
            bad("per_peer", "per-peer bytes need " + std::to_string(n) + " values from offset " + std::to_string(c.per_peer));
          if (c.per_peer >= 0)
            for (int k = 0; k < n; ++k)
              if (!finite_non_negative(prog.values[c.per_peer + k])) bad("per_peer", "per-peer bytes must be finite and >= 0");
          if (synchronising(c)) sequences[g][me].push_back(key_of(c));
          break;
        }
        default: break;
      }
    }
  }
  for (size_t g = 0; g < set.groups.size(); ++g)
    if (messages[g].sends != messages[g].recvs || messages[g].balance != 0) unmatched_message(set, static_cast<int>(g), positions, rank_of_gpu);
  for (size_t g = 0; g < set.groups.size(); ++g) {
    const auto& seq = sequences[g];
    if (seq.empty()) continue;
    const int n = static_cast<int>(set.groups[g].gpus.size());
    const auto& first = seq.begin()->second;
    for (int member = 0; member < n; ++member) {
      auto it = seq.find(member);
      const size_t have = it == seq.end() ? 0 : it->second.size();
      const int rank = rank_of_gpu.at(set.groups[g].gpus[member]);
      if (have != first.size() || (it != seq.end() && it->second != first))
        fail({set.ranks[rank].program, -1, rank, static_cast<int>(g), "collective"},
             "the members of group '" + set.groups[g].name + "' issue different collectives (rank " +
                 std::to_string(seq.begin()->first) + " of the group issues " + std::to_string(first.size()) + ", rank " +
                 std::to_string(member) + " " + std::to_string(have) + ", or they differ in kind, algorithm or size)");
    }
  }
}

}  // namespace trainsim::program
