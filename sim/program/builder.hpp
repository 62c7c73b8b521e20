#pragma once
// Building a ProgramSet: names interned once, groups by name, and each rank's program shared
// with an earlier identical one (memory then grows with the distinct programs, not the GPUs).
// ProgramWriter appends ops to one program with the field names of program.hpp.
#include <unordered_map>

#include "program/program.hpp"

namespace trainsim::program {

class ProgramWriter {
 public:
  explicit ProgramWriter(Program& program) : p_(program) {}

  void compute(int stream, double seconds, Role role, double flops = 0, int label = -1);
  void send(int stream, int slot, int peer, double bytes, uint64_t tag);
  void recv(int stream, int slot, int peer, double bytes, uint64_t tag, int gather_slot = -1,
            double gather_bytes = 0);
  void collective(int stream, int slot, const Collective& c, Role role, int label = -1);
  int event() { return p_.events++; }  // a fresh event id
  void record(int stream, int event);
  // Records a fresh event on `stream` and returns it.
  int record(int stream);
  void wait(int stream, int event);
  void alloc(int stream, MemoryCategory category, double bytes);
  void free(int stream, MemoryCategory category, double bytes);
  void marker(int stream, MarkerKind what, int value, bool end = false);
  void append(Op op) { p_.ops.push_back(std::move(op)); }
  Program& program() { return p_; }

 private:
  Program& p_;
};

class Builder {
 public:
  int stream(std::string_view name);
  int slot(std::string_view name);
  int label(std::string_view text);
  // The group named `name`, created with `gpus` on first use (later uses must name the same GPUs).
  int group(const std::string& name, std::vector<int32_t> gpus);
  // The index of `program` in the set, shared with an identical earlier program.
  int add_program(const Program& program);
  // Adds a rank on `gpu` running `program` (shared with an identical earlier program).
  int add_rank(int gpu, const Program& program, std::vector<int32_t> groups, double compute_scale = 1,
               RankInfo info = {}) {
    return add_rank(gpu, add_program(program), std::move(groups), compute_scale, info);
  }
  // Adds a rank on `gpu` running the set's program number `program`.
  int add_rank(int gpu, int program, std::vector<int32_t> groups, double compute_scale = 1, RankInfo info = {});
  JobInfo& job() { return set_.job; }
  const ProgramSet& set() const { return set_; }
  ProgramSet finish() { return std::move(set_); }

 private:
  ProgramSet set_;
  std::unordered_map<std::string, int> groups_;
  std::unordered_multimap<uint64_t, int> programs_;  // content hash -> program index
};

// Content hash of a program (equal programs hash equal).
uint64_t program_hash(const Program& p);

}  // namespace trainsim::program
