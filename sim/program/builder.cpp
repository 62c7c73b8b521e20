#include "program/builder.hpp"

#include <cstring>

#include "core/error.hpp"

namespace trainsim::program {

void ProgramWriter::compute(int stream, double seconds, Role role, double flops, int label) {
  p_.ops.push_back({Compute{seconds, flops}, static_cast<uint8_t>(stream), -1, role, label});
}

void ProgramWriter::send(int stream, int slot, int peer, double bytes, uint64_t tag) {
  p_.ops.push_back({Send{bytes, tag, peer}, static_cast<uint8_t>(stream), static_cast<int8_t>(slot), Role::PpSend, -1});
}

void ProgramWriter::recv(int stream, int slot, int peer, double bytes, uint64_t tag, int gather_slot,
                         double gather_bytes) {
  p_.ops.push_back({Recv{bytes, tag, gather_bytes, peer, static_cast<int8_t>(gather_slot)},
                    static_cast<uint8_t>(stream), static_cast<int8_t>(slot), Role::PpRecv, -1});
}

void ProgramWriter::collective(int stream, int slot, const Collective& c, Role role, int label) {
  p_.ops.push_back({c, static_cast<uint8_t>(stream), static_cast<int8_t>(slot), role, label});
}

void ProgramWriter::record(int stream, int event) {
  p_.ops.push_back({Record{event}, static_cast<uint8_t>(stream), -1, default_role(OpKind::Record), -1});
}

int ProgramWriter::record(int stream) {
  const int e = event();
  record(stream, e);
  return e;
}

void ProgramWriter::wait(int stream, int event) {
  p_.ops.push_back({Wait{event}, static_cast<uint8_t>(stream), -1, Role::Wait, -1});
}

void ProgramWriter::alloc(int stream, MemoryCategory category, double bytes) {
  p_.ops.push_back({Alloc{bytes, category}, static_cast<uint8_t>(stream), -1, default_role(OpKind::Alloc), -1});
}

void ProgramWriter::free(int stream, MemoryCategory category, double bytes) {
  p_.ops.push_back({Free{bytes, category}, static_cast<uint8_t>(stream), -1, default_role(OpKind::Free), -1});
}

void ProgramWriter::marker(int stream, MarkerKind what, int value, bool end) {
  p_.ops.push_back({Marker{value, what, end}, static_cast<uint8_t>(stream), -1, default_role(OpKind::Marker), -1});
}

namespace {

int intern(std::vector<std::string>& names, std::string_view name, size_t limit, const char* what) {
  for (size_t i = 0; i < names.size(); ++i)
    if (names[i] == name) return static_cast<int>(i);
  if (names.size() >= limit)
    throw InternalError(std::string("a program set can name at most ") + std::to_string(limit) + " " + what);
  names.emplace_back(name);
  return static_cast<int>(names.size() - 1);
}

// Mixes each field as one 64-bit word (fields are at most 8 bytes).
struct Hasher {
  uint64_t h = 0x9E3779B97F4A7C15ull;
  template <typename T>
  void operator()(const T& v) {
    static_assert(sizeof(T) <= 8);
    uint64_t w = 0;
    std::memcpy(&w, &v, sizeof v);
    h = (h ^ w) * 0xBF58476D1CE4E5B9ull;
    h ^= h >> 31;
  }
};

}  // namespace

uint64_t program_hash(const Program& p) {
  Hasher h;
  h(p.events);
  for (double v : p.values) h(v);
  for (const Op& op : p.ops) {
    h(static_cast<uint8_t>(op.kind())), h(op.stream), h(op.slot), h(op.role), h(op.label);
    std::visit(
        [&](const auto& x) {
          using T = std::decay_t<decltype(x)>;
          if constexpr (std::is_same_v<T, Compute>) h(x.seconds), h(x.flops);
          else if constexpr (std::is_same_v<T, Send>) h(x.bytes), h(x.tag), h(x.peer);
          else if constexpr (std::is_same_v<T, Recv>) h(x.bytes), h(x.tag), h(x.gather_bytes), h(x.peer), h(x.gather_slot);
          else if constexpr (std::is_same_v<T, Collective>)
            h(x.bytes), h(x.count), h(x.root), h(x.per_peer), h(x.kind), h(x.algorithm), h(x.granularity);
          else if constexpr (std::is_same_v<T, Record> || std::is_same_v<T, Wait>) h(x.event);
          else if constexpr (std::is_same_v<T, Alloc> || std::is_same_v<T, Free>) h(x.bytes), h(x.category);
          else h(x.value), h(x.what), h(x.end);
        },
        op.what);
  }
  return h.h;
}

int Builder::stream(std::string_view name) { return intern(set_.streams, name, 255, "streams"); }
int Builder::slot(std::string_view name) { return intern(set_.slots, name, 127, "group slots"); }
int Builder::label(std::string_view text) { return intern(set_.labels, text, 1u << 30, "labels"); }

int Builder::group(const std::string& name, std::vector<int32_t> gpus) {
  auto [it, fresh] = groups_.try_emplace(name, static_cast<int>(set_.groups.size()));
  if (fresh) {
    set_.groups.push_back({name, std::move(gpus)});
  } else if (set_.groups[it->second].gpus != gpus) {
    throw InternalError("group " + name + " defined twice with different GPUs");
  }
  return it->second;
}

int Builder::add_program(const Program& program) {
  const uint64_t key = program_hash(program);
  for (auto [it, end] = programs_.equal_range(key); it != end; ++it)
    if (set_.programs[it->second] == program) return it->second;
  const int index = static_cast<int>(set_.programs.size());
  set_.programs.push_back(program);
  programs_.emplace(key, index);
  return index;
}

int Builder::add_rank(int gpu, int program, std::vector<int32_t> groups, double compute_scale, RankInfo info) {
  set_.ranks.push_back({gpu, program, std::move(groups), compute_scale, info});
  return static_cast<int>(set_.ranks.size() - 1);
}

}  // namespace trainsim::program
