#pragma once
// Rank programs: the plain-value seam between what a job does and how it is simulated
// (docs/programs.md). Generators (training/, diloco/, collective/) or files produce a
// ProgramSet; engine/player plays it on SimGrid and program/executor plays it without.
//
// A ProgramSet holds one job: ranks (one per simulated GPU), each running a Program (ordered ops
// on named streams) and bound to the communication groups its ops name through slots ("pp",
// "dp", ...). Ops of one stream run in program order, one after the other; streams of a rank run
// concurrently and meet only at events (record/wait). Ranks with identical programs share one
// Program (a pipeline stage's ranks usually do), so memory grows with the distinct programs, not
// with the GPUs; peers are ranks within a group, so the op lists do not name GPUs.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

#include "output/trace.hpp"
#include "program/collective_kind.hpp"

namespace trainsim::program {

// Version of the value model and of its file format (docs/programs.md, "Versioning").
inline constexpr int kFormatVersion = 1;

// Stream names the generators use (a program may name any others).
inline constexpr std::string_view kComputeStream = "compute";  // kernels, closed-form TP, pipeline p2p
inline constexpr std::string_view kDpStream = "dp-comm";       // data-parallel and embedding collectives
inline constexpr std::string_view kOuterStream = "outer-comm"; // DiLoCo outer synchronisations
inline constexpr std::string_view kTpStream = "tp-comm";       // tensor-parallel collectives overlapping compute
inline constexpr std::string_view kPpStream = "pp-comm";       // pipeline transfers off the compute stream
inline constexpr std::string_view kCpStream = "cp-comm";       // context-parallel KV transfers (ring attention)
inline constexpr std::string_view kCpSlot = "cp";              // the context-parallel group's slot
inline constexpr std::string_view kEpStream = "ep-comm";       // all-to-alls overlapping the other micro-batch (DualPipe F&B)

// What an op's time counts as, in traces and metrics: the trace's activity kinds.
using Role = output::ActivityKind;

// Seconds of work on the rank's GPU. Generators ask the compute model for them; the player
// only multiplies them by the rank's compute_scale (a straggler's slowdown).
struct Compute {
  double seconds = 0;
  double flops = 0;  // FLOP done (traces; 0 when unknown)
  friend bool operator==(const Compute&, const Compute&) = default;
};

// A point-to-point message to rank `peer` of the op's group, matched by `tag` with the peer's
// Recv. The sender does not wait for it (eager, like NCCL and MPI's small messages).
struct Send {
  double bytes = 0;
  uint64_t tag = 0;  // < 2^63
  int32_t peer = 0;
  friend bool operator==(const Send&, const Send&) = default;
};

// Blocks the stream until the message from rank `peer` with `tag` is usable: its flow has
// arrived, plus the route latency, plus (when gather_slot >= 0) the closed-form all-gather of
// `gather_bytes` over that slot's group that reassembles a tensor split across it (Megatron's
// scatter/gather of pipeline messages). A message that arrived before the stream asked for it
// was usable from arrival on: the stream does not wait for it.
struct Recv {
  double bytes = 0;
  uint64_t tag = 0;
  double gather_bytes = 0;
  int32_t peer = 0;
  int8_t gather_slot = -1;
  friend bool operator==(const Recv&, const Recv&) = default;
};

// A collective over the op's group; every member issues the same collectives of that group in
// the same order (NCCL's rule). Sizes follow nccl-tests (collective/algorithms.hpp). `count`
// collectives issued back to back stand behind one op: their bytes are summed in `bytes`, their
// latency terms paid `count` times (fractional when a generator splits an op's share of them).
// Aggregated and stepwise collectives are flows between the members; closed-form ones take the
// closed form of the aggregated flows and charge their bytes to the links, member by member
// without synchronising (tensor-parallel groups run in lockstep).
struct Collective {
  double bytes = 0;
  double count = 1;
  int32_t root = 0;       // broadcast root (rank in the group)
  int32_t per_peer = -1;  // all-to-all: offset in Program::values of the bytes sent to each rank
  CollectiveKind kind = CollectiveKind::AllReduce;
  CollectiveAlgorithm algorithm = CollectiveAlgorithm::Ring;
  Granularity granularity = Granularity::Aggregated;
  friend bool operator==(const Collective&, const Collective&) = default;
};

// Events order streams of one rank (CUDA events): Record marks the point its stream has reached;
// Wait blocks its stream until that point has been reached. Each event of a program is
// recorded exactly once, by an op before any Wait on it in program order.
struct Record {
  int32_t event = 0;
  friend bool operator==(const Record&, const Record&) = default;
};
struct Wait {
  int32_t event = 0;
  friend bool operator==(const Wait&, const Wait&) = default;
};

// Memory on the GPU, by what it holds: the memory timeline of a rank is its allocations minus
// its frees over time (the peak per category is what training reports).
enum class MemoryCategory : uint8_t { Weights, Gradients, Optimizer, Activations, CommBuffers, Overhead, Other };
inline constexpr int kMemoryCategories = 7;
struct Alloc {
  double bytes = 0;
  MemoryCategory category = MemoryCategory::Other;
  friend bool operator==(const Alloc&, const Alloc&) = default;
};
struct Free {
  double bytes = 0;
  MemoryCategory category = MemoryCategory::Other;
  friend bool operator==(const Free&, const Free&) = default;
};

// Markers set (or, with `end`, clear) a field of the stream's context, which the ops that follow
// on that stream carry into traces and metrics; they take no time. An end marker names what
// ends (its value): an iteration's end marker is the time that iteration ended on the rank.
enum class MarkerKind : uint8_t { Iteration, MicroBatch, Chunk, Layer, Round, Fragment };
inline constexpr int kMarkerKinds = 6;
struct Marker {
  int32_t value = 0;
  MarkerKind what = MarkerKind::Iteration;
  bool end = false;
  friend bool operator==(const Marker&, const Marker&) = default;
};

enum class OpKind : uint8_t { Compute, Send, Recv, Collective, Record, Wait, Alloc, Free, Marker };
inline constexpr int kOpKinds = 9;

struct Op {
  // Alternatives in OpKind order.
  std::variant<Compute, Send, Recv, Collective, Record, Wait, Alloc, Free, Marker> what;
  uint8_t stream = 0;     // index into ProgramSet::streams
  int8_t slot = -1;       // send, recv, collective: index into ProgramSet::slots
  Role role = Role::Compute;
  int32_t label = -1;     // index into ProgramSet::labels, or -1

  OpKind kind() const { return static_cast<OpKind>(what.index()); }
  template <typename T>
  const T& as() const { return std::get<T>(what); }
  friend bool operator==(const Op&, const Op&) = default;
};

struct Program {
  std::vector<Op> ops;
  std::vector<double> values;  // per-peer byte counts of all-to-all ops
  int32_t events = 0;          // event ids are 0..events-1
  friend bool operator==(const Program&, const Program&) = default;
};

// A communication group (communicator): its members' GPUs, rank i of the group on gpus[i].
struct Group {
  std::string name;  // unique in the set
  std::vector<int32_t> gpus;
};

// Where a rank sits in its job, for traces and per-stage or per-replica metrics (-1: none).
struct RankInfo {
  int32_t stage = -1, tp_rank = -1, dp_rank = -1, replica = -1;
  friend bool operator==(const RankInfo&, const RankInfo&) = default;
};

struct Rank {
  int32_t gpu = 0;                // global GPU index on the platform
  int32_t program = 0;            // index into ProgramSet::programs
  std::vector<int32_t> groups;    // per slot: index into ProgramSet::groups, -1 when unused
  double compute_scale = 1;       // multiplies every compute op's seconds (>= 1: a straggler)
  RankInfo info;
};

// What produced the programs and the numbers its summary needs beyond them (docs/programs.md):
// kind "training" (tokens and FLOPs per iteration), "diloco_full" (inner steps, rounds),
// "collective_benchmark", or "" for programs from elsewhere.
struct JobInfo {
  std::string kind;
  std::vector<std::pair<std::string, double>> values;
  // The value named `name`, or `fallback` when absent.
  double get(std::string_view name, double fallback = 0) const;
  bool has(std::string_view name) const;
};

struct ProgramSet {
  std::vector<std::string> streams, slots, labels;
  std::vector<Group> groups;
  std::vector<Program> programs;
  std::vector<Rank> ranks;
  JobInfo job;

  // Index of a stream or slot by name, -1 when absent.
  int stream_index(std::string_view name) const;
  int slot_index(std::string_view name) const;
  size_t op_count() const;  // ops of all distinct programs
};

// The role an op gets unless its generator says otherwise: compute for compute ops, pp_send and
// pp_recv for messages, collective for collectives, wait for waits and compute for the rest.
Role default_role(OpKind kind);

// Names used in files and messages ("compute", "all_reduce" ...), and their inverses.
const char* op_kind_name(OpKind k);
const char* memory_category_name(MemoryCategory c);
const char* marker_kind_name(MarkerKind k);
std::optional<OpKind> op_kind_from_name(std::string_view name);
std::optional<MemoryCategory> memory_category_from_name(std::string_view name);
std::optional<MarkerKind> marker_kind_from_name(std::string_view name);
std::optional<Role> role_from_name(std::string_view name);  // output::activity_kind_name's names

}  // namespace trainsim::program
