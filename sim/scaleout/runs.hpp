#pragma once
// Where a command's simulations get their results: run here, or split over the shards of a
// sharded search and merged (docs/slurm.md). Commands hand every batch of independent runs to
// Runs, as keys (a run's identity, e.g. a sweep point) and a function that simulates some of
// them; the same command code then runs
//  - locally: everything missing is simulated here (with a journal: results are recorded as
//    they finish and reused by a rerun, core/journal.hpp);
//  - as shard I of N: the runs of each batch at positions I mod N are simulated here, and
//    every result the other shards delivered (their parts in the search's folder) is reused.
//    At the first batch that still lacks other shards' results, the shard writes its part of
//    that round (part_file.hpp) and stops (ShardRoundDone);
//  - as the merge: every result comes from the parts; the first batch with a missing one
//    throws MissingShards, naming the round and the shards whose part of it is absent.
// So the merged outputs come from the one code path a single-machine run takes, and are
// byte-identical to its outputs.
//
// Rounds. An adaptive search (bisection, an oracle's placement search) decides its next runs
// from the results of the previous ones: each all() batch is a round, and its successor can
// only be listed once it is complete. Runs of independent chains (each bisection bracket, each
// annealing walk: its next step depends on its own results only) go through chains(): the
// chains are shared out as wholes (chain id I mod N), every shard runs its chains to their end,
// and all the chains() batches between two all() batches form one round.
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <stdexcept>
#include <string>
#include <vector>

#include "core/journal.hpp"
#include "scaleout/shard.hpp"

namespace trainsim::scaleout {

// The merge reached a round whose parts from `shards` are absent.
class MissingShards : public std::runtime_error {
 public:
  MissingShards(int round, std::vector<int> shards, int count);
  int round;
  std::vector<int> shards;  // ascending
  int count;                // N
};

// A shard did its part of round `round` and wrote it; the search cannot go on here until the
// shards in `waiting` (ascending) deliver theirs.
class ShardRoundDone : public std::runtime_error {
 public:
  ShardRoundDone(int round, std::vector<int> waiting);
  int round;
  std::vector<int> waiting;
};

enum class Role { Local, Shard, Merge };

class Runs {
 public:
  using Done = std::function<void(size_t position, const std::string& result)>;
  // Simulates the runs at `positions` of the batch, calling done(position, result) in the
  // calling thread as each finishes, in any order.
  using Simulate = std::function<void(const std::vector<size_t>& positions, const Done& done)>;

  // Everything simulated here; `journal` (optional) is read and extended.
  static Runs local(RunJournal* journal = nullptr);
  // Shard `shard` of the search in `folder` (manifest identity `run`, manifest.hpp): reads the
  // parts there and its own journal, "<folder>/shard-I-of-N.partial".
  static Runs shard(const std::string& folder, const std::string& run, Shard shard);
  // The merge of the search in `folder` split into `shards`.
  static Runs merge(const std::string& folder, const std::string& run, int shards);

  Runs(Runs&&) = default;
  Runs& operator=(Runs&&) = default;

  Role role() const { return role_; }
  const Shard& shard() const { return shard_; }
  const std::string& folder() const { return folder_; }

  // Results of every run of the batch, in order (a round of its own).
  std::vector<std::string> all(const std::vector<std::string>& keys, const Simulate& simulate);
  // Results of runs of independent chains (`chain[i]`: the chain of keys[i]). In a shard, the
  // runs of other shards' chains that no part holds yet come back empty: those chains stop here.
  std::vector<std::optional<std::string>> chains(const std::vector<std::string>& keys, const std::vector<size_t>& chain,
                                                 const Simulate& simulate);
  // After the command's last batch: ends a last round of chains (a shard writes its part, and
  // throws ShardRoundDone if some chain stopped).
  void finish();
  // A shard that has written its part no longer needs its journal: removes it.
  void close();

  size_t reused() const { return reused_; }        // results taken from a journal or parts
  // Results a shard found in its own journal when it started (left by an interrupted run).
  size_t journalled() const { return journalled_; }
  size_t simulated() const { return simulated_; }  // results simulated here

 private:
  Runs() = default;
  void load_parts(const std::string& run, int shards);
  std::vector<std::optional<std::string>> lookup(const std::vector<std::string>& keys);
  // Simulates `positions` (one run per distinct key), fills `got` at every position of each key.
  void run(const std::vector<std::string>& keys, const std::vector<size_t>& positions, const Simulate& simulate,
           std::vector<std::optional<std::string>>& got);
  void flush();
  void write_part(const std::map<std::string, std::string>& results);
  std::vector<int> absent_shards(int round) const;
  [[noreturn]] void throw_missing() const;
  void end_chains();

  Role role_ = Role::Local;
  Shard shard_;
  std::string folder_, run_;
  std::map<std::string, std::string> store_;  // results from parts, journals and this process
  std::set<std::string> simulated_here_;
  std::set<std::pair<int, int>> parts_;       // (round, shard) delivered
  std::unique_ptr<RunJournal> own_journal_;   // a shard's
  RunJournal* journal_ = nullptr;
  std::vector<std::pair<std::string, std::string>> unrecorded_;
  double last_flush_ = 0;
  int round_ = 1;
  bool in_chains_ = false, chains_stopped_ = false;
  std::map<std::string, std::string> chain_part_;
  size_t reused_ = 0, simulated_ = 0, journalled_ = 0;
};

}  // namespace trainsim::scaleout
