#include "schedule/executor.hpp"

#include <algorithm>
#include <deque>
#include <stdexcept>
#include <string>

#include "schedule/dependencies.hpp"

namespace trainsim::schedule {

double OpDurations::of(OpType type) const {
  switch (type) {
    case OpType::Forward: return forward;
    case OpType::Backward: return backward;
    case OpType::BackwardInput: return backward_input;
    case OpType::BackwardWeight: return backward_weight;
  }
  return 0;
}

namespace {

// End times of the ops other ops can wait for: forwards and input-gradient ops (B or BI),
// indexed by (virtual stage, micro-batch). Negative = not done yet.
class DoneTimes {
 public:
  DoneTimes(int virtual_stages, int micro_batches)
      : micro_batches_(micro_batches),
        end_(2 * static_cast<size_t>(virtual_stages) * static_cast<size_t>(micro_batches), -1.0) {}
  long key(const OpRef& op) const {
    // B and BI share a slot: whichever a stage runs is what its neighbours wait for.
    const long slot = op.type == OpType::Forward ? 0 : 1;
    const long vs_count = static_cast<long>(end_.size()) / (2L * micro_batches_);
    return (slot * vs_count + op.virtual_stage) * micro_batches_ + op.micro_batch;
  }
  double& at(long key) { return end_[static_cast<size_t>(key)]; }

 private:
  int micro_batches_;
  std::vector<double> end_;
};

int micro_batch_count(const Schedule& schedule) {
  int m = 0;
  for (const auto& ops : schedule)
    for (const PipelineOp& op : ops) m = std::max(m, op.micro_batch + 1);
  return m;
}

}  // namespace

ExecutionResult execute(const Schedule& schedule, const ExecutorParams& params) {
  const int p = static_cast<int>(schedule.size());
  const int v = params.chunks;
  if (p < 1) throw std::invalid_argument("executor: empty schedule");
  if (v < 1) throw std::invalid_argument("executor: chunks must be >= 1");
  const Placement placement{params.layout, p, v, micro_batch_count(schedule)};
  const auto vs_count = static_cast<size_t>(placement.virtual_stages());
  if (params.durations.size() != 1 && params.durations.size() != vs_count)
    throw std::invalid_argument("executor: durations must have 1 or one per virtual stage (" +
                                std::to_string(vs_count) + ") entries, got " +
                                std::to_string(params.durations.size()));
  for (const OpDurations& d : params.durations)
    if (d.forward < 0 || d.backward < 0 || d.backward_input < 0 || d.backward_weight < 0 || d.overlap < 0)
      throw std::invalid_argument("executor: op durations must be >= 0");
  if (params.p2p_delay < 0) throw std::invalid_argument("executor: p2p delay must be >= 0");
  const int m = placement.micro_batches;
  check_structure(schedule, placement);

  auto entry = [&](const OpRef& op) -> const OpDurations& {
    return params.durations.size() == 1 ? params.durations[0]
                                        : params.durations[static_cast<size_t>(op.virtual_stage)];
  };

  ExecutionResult result;
  result.busy.assign(static_cast<size_t>(p), 0.0);
  result.timeline.resize(static_cast<size_t>(p));
  DoneTimes done(static_cast<int>(vs_count), m);
  std::vector<size_t> next(static_cast<size_t>(p), 0);   // index of each stage's next op
  std::vector<double> free_at(static_cast<size_t>(p), 0.0);
  std::vector<long> waiting_on(static_cast<size_t>(p), -1);  // key a blocked stage waits for
  std::deque<int> ready;
  for (int r = 0; r < p; ++r) ready.push_back(r);

  // Run each ready stage as far as its dependencies allow; a finished op wakes the stages that
  // can consume it. Start times do not depend on the visiting order: each op (or overlapped
  // pair, which starts and ends as one unit) starts at max(stage free, dependencies ready), a
  // longest path over a fixed DAG.
  while (!ready.empty()) {
    const int r = ready.front();
    ready.pop_front();
    const auto ur = static_cast<size_t>(r);
    const auto& ops = schedule[ur];
    while (next[ur] < ops.size()) {
      const size_t first = next[ur];
      const size_t count = ops[first].overlapped_with_next ? 2 : 1;
      double start = free_at[ur];
      long blocked = -1;
      for (size_t i = first; i < first + count && blocked < 0; ++i)
        for (const Dependency& dep : dependencies(global_op(ops[i], r, placement), placement)) {
          const long k = done.key(dep.producer);
          const double end = done.at(k);
          if (end < 0) {
            blocked = k;
            break;
          }
          start = std::max(start, end + (dep.cross_stage ? params.p2p_delay : 0.0));
        }
      if (blocked >= 0) {
        waiting_on[ur] = blocked;
        break;
      }
      const OpRef g = global_op(ops[first], r, placement);
      double length = entry(g).of(g.type);
      if (count == 2) {
        const OpRef g2 = global_op(ops[first + 1], r, placement);
        const double second = entry(g2).of(g2.type);
        length = std::max(length + second - entry(g).overlap, std::max(length, second));
      }
      const double end = start + length;
      result.busy[ur] += end - start;
      free_at[ur] = end;
      next[ur] += count;
      for (size_t i = first; i < first + count; ++i) {
        const PipelineOp& op = ops[i];
        result.timeline[ur].push_back({op, start, end});
        if (op.type == OpType::BackwardWeight) continue;  // nothing waits for a W
        const OpRef gi = global_op(op, r, placement);
        const long k = done.key(gi);
        done.at(k) = end;
        // Consumers: the same stage (B after F, W after BI) and the neighbouring virtual stage.
        const int neighbour_vs = op.type == OpType::Forward ? gi.virtual_stage + 1 : gi.virtual_stage - 1;
        const int last = placement.virtual_stages() - 1;
        for (int c : {r, placement.rank_of(std::clamp(neighbour_vs, 0, last), op.micro_batch)}) {
          if (waiting_on[static_cast<size_t>(c)] == k) {
            waiting_on[static_cast<size_t>(c)] = -1;
            ready.push_back(c);
          }
        }
      }
    }
  }

  std::string blocked;
  for (int r = 0; r < p; ++r) {
    const auto ur = static_cast<size_t>(r);
    if (next[ur] == schedule[ur].size()) continue;
    const PipelineOp& op = schedule[ur][next[ur]];
    std::string wants;
    const size_t count = op.overlapped_with_next ? 2 : 1;
    for (size_t i = next[ur]; i < next[ur] + count; ++i)
      for (const Dependency& dep : dependencies(global_op(schedule[ur][i], r, placement), placement))
        if (done.at(done.key(dep.producer)) < 0)
          wants = describe({dep.producer.type, dep.producer.micro_batch, 0}, false) + " on virtual stage " +
                  std::to_string(dep.producer.virtual_stage);
    blocked += "; stage " + std::to_string(r) + " at op " + std::to_string(next[ur]) + " (" + describe(op, v > 1) +
               ") waits for " + wants;
  }
  if (!blocked.empty()) throw ScheduleDeadlock("pipeline schedule deadlocks" + blocked);

  for (double f : free_at) result.makespan = std::max(result.makespan, f);
  double idle_sum = 0;
  for (double b : result.busy) {
    result.idle.push_back(result.makespan - b);
    idle_sum += result.makespan - b;
  }
  result.bubble_fraction = result.makespan > 0 ? idle_sum / (p * result.makespan) : 0.0;
  return result;
}

}  // namespace trainsim::schedule
