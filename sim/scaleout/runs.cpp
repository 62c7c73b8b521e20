#include "scaleout/runs.hpp"

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <system_error>

#include "core/error.hpp"
#include "scaleout/part_file.hpp"

namespace trainsim::scaleout {

namespace fs = std::filesystem;

namespace {

std::string shard_list(const std::vector<int>& shards, int count) {
  std::string s;
  for (int i : shards) s += (s.empty() ? "" : ", ") + std::to_string(i) + "/" + std::to_string(count);
  return s;
}

double now_seconds() {
  return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count();
}

// A run takes well under a millisecond in some searches, a flush to disk several: journal
// records go out in batches at most this far apart (and at the end of every batch of runs).
constexpr double kJournalDelay = 0.2;

}  // namespace

MissingShards::MissingShards(int round_, std::vector<int> shards_, int count_)
    : std::runtime_error("round " + std::to_string(round_) + " lacks the parts of shard(s) " + shard_list(shards_, count_)),
      round(round_),
      shards(std::move(shards_)),
      count(count_) {}

ShardRoundDone::ShardRoundDone(int round_, std::vector<int> waiting_)
    : std::runtime_error("round " + std::to_string(round_) + " done"), round(round_), waiting(std::move(waiting_)) {}

Runs Runs::local(RunJournal* journal) {
  Runs r;
  r.journal_ = journal;
  if (journal) r.store_ = journal->completed();
  return r;
}

Runs Runs::shard(const std::string& folder, const std::string& run, Shard shard) {
  Runs r;
  r.role_ = Role::Shard;
  r.shard_ = shard;
  r.folder_ = folder;
  r.load_parts(run, shard.count);
  r.own_journal_ = std::make_unique<RunJournal>(
      (fs::path(folder) / ("shard-" + std::to_string(shard.index) + "-of-" + std::to_string(shard.count))).string());
  r.journal_ = r.own_journal_.get();
  for (const auto& [key, result] : r.journal_->completed()) r.store_.emplace(key, result);
  r.journalled_ = r.journal_->completed().size();
  return r;
}

Runs Runs::merge(const std::string& folder, const std::string& run, int shards) {
  Runs r;
  r.role_ = Role::Merge;
  r.shard_ = Shard{0, shards};
  r.folder_ = folder;
  r.load_parts(run, shards);
  return r;
}

void Runs::load_parts(const std::string& run, int shards) {
  run_ = run;
  std::error_code ec;
  std::vector<std::string> names;
  for (const auto& entry : fs::directory_iterator(folder_, ec)) names.push_back(entry.path().filename().string());
  if (ec) throw InputError({folder_, 0, 0}, "", "cannot list the parts folder: " + ec.message());
  std::sort(names.begin(), names.end());  // the same store whatever the listing order
  for (const auto& name : names) {
    const auto id = parse_part_file_name(name);
    if (!id) continue;
    const std::string path = (fs::path(folder_) / name).string();
    if (id->second.count != shards)
      throw InputError({path, 0, 0}, "", "a part of a search split into " + std::to_string(id->second.count) +
                                             " shards in a folder of " + std::to_string(shards) +
                                             "; the folder was edited: remove the stray part");
    const Part part = read_part(path);
    if (part.run != run || part.round != id->first || !(part.shard == id->second))
      throw InputError({path, 0, 0}, "", "this part belongs to another search than the folder's manifest (or was "
                                         "renamed); remove it, or the folder, and run the search again");
    for (const auto& [key, result] : part.results) store_.emplace(key, result);
    parts_.emplace(id->first, id->second.index);
  }
}

std::vector<std::optional<std::string>> Runs::lookup(const std::vector<std::string>& keys) {
  std::vector<std::optional<std::string>> got(keys.size());
  for (size_t i = 0; i < keys.size(); ++i)
    if (auto it = store_.find(keys[i]); it != store_.end()) {
      got[i] = it->second;
      reused_ += simulated_here_.count(keys[i]) == 0;
    }
  return got;
}

void Runs::run(const std::vector<std::string>& keys, const std::vector<size_t>& positions, const Simulate& simulate,
               std::vector<std::optional<std::string>>& got) {
  // Every position still without a result, by key: a key simulated here fills them all (the
  // same run asked for twice, or by another shard's chain too).
  std::map<std::string, std::vector<size_t>> holders;
  for (size_t i = 0; i < keys.size(); ++i)
    if (!got[i]) holders[keys[i]].push_back(i);
  std::vector<size_t> todo;
  std::set<std::string> queued;
  for (size_t p : positions)
    if (queued.insert(keys[p]).second) todo.push_back(p);
  if (todo.empty()) return;
  simulate(todo, [&](size_t p, const std::string& result) {
    for (size_t q : holders.at(keys[p])) got[q] = result;
    store_[keys[p]] = result;
    simulated_here_.insert(keys[p]);
    ++simulated_;
    if (journal_) {
      unrecorded_.emplace_back(keys[p], result);
      if (now_seconds() - last_flush_ >= kJournalDelay) flush();
    }
  });
  flush();
  for (size_t p : todo)
    if (!got[p]) throw InternalError("scale-out: the simulation of '" + keys[p] + "' returned no result");
}

void Runs::flush() {
  if (journal_ && !unrecorded_.empty()) journal_->record_all(unrecorded_);
  unrecorded_.clear();
  last_flush_ = now_seconds();
}

void Runs::write_part(const std::map<std::string, std::string>& results) {
  Part part{run_, round_, shard_, results};
  scaleout::write_part((fs::path(folder_) / part_file_name(round_, shard_)).string(), part);
  parts_.emplace(round_, shard_.index);
}

std::vector<int> Runs::absent_shards(int round) const {
  std::vector<int> out;
  for (int s = 0; s < shard_.count; ++s)
    if (!parts_.count({round, s})) out.push_back(s);
  return out;
}

void Runs::throw_missing() const {
  std::vector<int> absent = absent_shards(round_);
  if (absent.empty())
    throw InputError({folder_, 0, 0}, "", "every shard's part of round " + std::to_string(round_) +
                                              " is there, yet results the merge needs are not: the parts were "
                                              "edited or written by another trainsim; remove the folder and run "
                                              "the search again");
  throw MissingShards(round_, std::move(absent), shard_.count);
}

std::vector<std::string> Runs::all(const std::vector<std::string>& keys, const Simulate& simulate) {
  end_chains();
  auto got = lookup(keys);
  std::vector<size_t> missing;
  for (size_t i = 0; i < keys.size(); ++i)
    if (!got[i]) missing.push_back(i);
  if (!missing.empty()) {
    if (role_ == Role::Merge) throw_missing();
    if (role_ == Role::Local) {
      run(keys, missing, simulate, got);
    } else {
      std::vector<size_t> mine;
      for (size_t p : missing)
        if (shard_.owns(p)) mine.push_back(p);
      run(keys, mine, simulate, got);
      std::map<std::string, std::string> part;
      for (size_t p = 0; p < keys.size(); ++p)
        if (shard_.owns(p)) part[keys[p]] = *got[p];
      write_part(part);
      for (size_t p : missing)
        if (!got[p]) {
          std::vector<int> waiting = absent_shards(round_);
          throw ShardRoundDone(round_, std::move(waiting));
        }
    }
  }
  ++round_;
  std::vector<std::string> out;
  out.reserve(got.size());
  for (auto& g : got) out.push_back(std::move(*g));
  return out;
}

std::vector<std::optional<std::string>> Runs::chains(const std::vector<std::string>& keys,
                                                     const std::vector<size_t>& chain, const Simulate& simulate) {
  if (chain.size() != keys.size()) throw InternalError("Runs::chains: one chain per key expected");
  if (!in_chains_) {
    in_chains_ = true;
    chains_stopped_ = false;
    chain_part_.clear();
  }
  auto got = lookup(keys);
  std::vector<size_t> missing;
  for (size_t i = 0; i < keys.size(); ++i)
    if (!got[i] && (role_ != Role::Shard || shard_.owns(chain[i]))) missing.push_back(i);
  if (role_ == Role::Merge && !missing.empty()) throw_missing();
  run(keys, missing, simulate, got);
  if (role_ == Role::Shard)
    for (size_t i = 0; i < keys.size(); ++i) {
      if (!got[i]) chains_stopped_ = true;  // another shard's chain: it goes on there
      else if (shard_.owns(chain[i])) chain_part_[keys[i]] = *got[i];
    }
  return got;
}

void Runs::end_chains() {
  if (!in_chains_) return;
  in_chains_ = false;
  if (role_ == Role::Shard && (chains_stopped_ || !chain_part_.empty())) write_part(chain_part_);
  const int round = round_++;
  if (role_ == Role::Shard && chains_stopped_) throw ShardRoundDone(round, absent_shards(round));
}

void Runs::finish() { end_chains(); }

void Runs::close() {
  flush();
  if (own_journal_) own_journal_->finish();
}

}  // namespace trainsim::scaleout
