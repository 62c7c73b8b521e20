// Sharded runs (scaleout/runs.hpp): a search cut into shards and merged gets exactly the results
// a single run gets, round by round, with independent chains shared out as wholes; a merge
// names the round and the shards it lacks; a shard resumes from its journal.
#include <catch2/catch.hpp>

#include <unistd.h>

#include <filesystem>
#include <map>

#include "core/journal.hpp"
#include "output/result_json.hpp"
#include "scaleout/manifest.hpp"
#include "scaleout/part_file.hpp"
#include "scaleout/runs.hpp"

using namespace trainsim;
using namespace trainsim::scaleout;
namespace fs = std::filesystem;

namespace {

struct Folder {
  fs::path path = fs::temp_directory_path() / ("trainsim-runs-" + std::to_string(::getpid()) + "-" +
                                               std::to_string(reinterpret_cast<uintptr_t>(this)));
  Folder() {
    fs::remove_all(path);
    fs::create_directories(path);
  }
  ~Folder() { fs::remove_all(path); }
  std::string str() const { return path.string(); }
};

// A toy adaptive search over integers: round 1 squares 0..n-1; then every odd square starts a
// chain that halves (integer division) until it reaches 0 or runs `steps` moves; finally a
// round of "sum of the chains' ends". Its result depends on every result of every round.
struct Search {
  int n = 10, steps = 4;
  std::vector<std::string> simulated;  // keys simulated by this process

  Runs::Simulate simulate(const std::vector<std::string>& keys) {
    return [this, &keys](const std::vector<size_t>& positions, const Runs::Done& done) {
      for (size_t p : positions) {
        simulated.push_back(keys[p]);
        const long long x = std::stoll(keys[p].substr(keys[p].find(' ') + 1));
        done(p, std::to_string(keys[p][0] == 's' ? x * x : keys[p][0] == 'h' ? x / 2 : x + 1));
      }
    };
  }

  long long run(Runs& runs) {
    std::vector<std::string> keys;
    for (int i = 0; i < n; ++i) keys.push_back("s " + std::to_string(i));
    const auto squares = runs.all(keys, simulate(keys));
    std::vector<long long> state;
    for (const auto& s : squares)
      if (std::stoll(s) % 2) state.push_back(std::stoll(s));
    std::vector<bool> stopped(state.size(), false);
    for (int step = 0; step < steps; ++step) {
      std::vector<std::string> k;
      std::vector<size_t> chain;
      for (size_t c = 0; c < state.size(); ++c)
        if (!stopped[c] && state[c] > 0) k.push_back("h " + std::to_string(state[c])), chain.push_back(c);
      if (k.empty()) break;
      const auto got = runs.chains(k, chain, simulate(k));
      for (size_t j = 0; j < k.size(); ++j) {
        if (!got[j]) stopped[chain[j]] = true;
        else state[chain[j]] = std::stoll(*got[j]);
      }
    }
    std::vector<std::string> last;
    for (long long s : state) last.push_back("i " + std::to_string(s));
    long long sum = 0;
    for (const auto& r : runs.all(last, simulate(last))) sum += std::stoll(r);
    runs.finish();
    return sum;
  }
};

long long local_result() {
  Search s;
  Runs runs = Runs::local();
  return s.run(runs);
}

// Runs shard `i` of `n` until it stops; returns the round it stopped at (0: the search is complete).
int run_shard(const std::string& folder, int i, int n, std::vector<std::string>* simulated = nullptr) {
  Search s;
  Runs runs = Runs::shard(folder, "run-id", Shard{i, n});
  int round = 0;
  try {
    s.run(runs);
  } catch (const ShardRoundDone& d) {
    round = d.round;
  }
  runs.close();
  if (simulated) *simulated = s.simulated;
  return round;
}

}  // namespace

TEST_CASE("runs: a local search simulates every key once") {
  Search s;
  Runs runs = Runs::local();
  // Hand computation: squares 0..81, odd ones 1, 9, 25, 49, 81; halving 4 times:
  // 1->0; 9->4->2->1->0; 25->12->6->3->1; 49->24->12->6->3; 81->40->20->10->5; then +1 each:
  // 1 + 1 + 2 + 4 + 6 = 14.
  CHECK(s.run(runs) == 14);
  CHECK(runs.simulated() == s.simulated.size());
  CHECK(runs.reused() == 0);
}

TEST_CASE("runs: shards round by round, then the merge, give the local result without simulating") {
  Folder f;
  const int n = 3;
  // Round 1 (the squares): each shard simulates positions i mod 3, then stops for the others.
  CHECK(run_shard(f.str(), 0, n) == 1);
  CHECK(run_shard(f.str(), 1, n) == 1);
  std::vector<std::string> last;
  // The last shard of round 1 finds it complete and goes on with its chains (round 2).
  CHECK(run_shard(f.str(), 2, n, &last) == 2);
  {
    Search m;
    Runs merge = Runs::merge(f.str(), "run-id", n);
    try {
      m.run(merge);
      FAIL("the merge should lack round 2");
    } catch (const MissingShards& e) {
      CHECK(e.round == 2);
      CHECK(e.shards == std::vector<int>{0, 1});
    }
  }
  CHECK(run_shard(f.str(), 0, n) == 2);
  // Shard 1 completes round 2 and does its share of round 3 (the sums) with it.
  CHECK(run_shard(f.str(), 1, n) == 3);
  CHECK(run_shard(f.str(), 0, n) == 3);
  CHECK(run_shard(f.str(), 2, n) == 0);  // complete: its share of round 3 was the last one
  Search m;
  Runs merge = Runs::merge(f.str(), "run-id", n);
  CHECK(m.run(merge) == local_result());
  CHECK(m.simulated.empty());
  CHECK(merge.simulated() == 0);
}

TEST_CASE("runs: chains go to shards whole (chain id mod N), whatever their position in a batch") {
  Folder f;
  for (int i = 0; i < 3; ++i) run_shard(f.str(), i, 3);  // round 1 complete
  std::vector<std::string> sim;
  run_shard(f.str(), 1, 3, &sim);
  // Odd squares 1, 9, 25, 49, 81 are chains 0..4: shard 1 owns chains 1 and 4 (9 and 81) and
  // runs them to their end, nothing else.
  std::vector<std::string> expected = {"h 9", "h 81", "h 4", "h 40", "h 2", "h 20", "h 1", "h 10"};
  CHECK(sim == expected);
}

TEST_CASE("runs: a killed shard resumes from its journal") {
  Folder f;
  // Shard 0 of 2 killed after journalling two results: its journal is there, its part is not.
  RunJournal((f.path / "shard-0-of-2").string()).record_all({{"s 0", "0"}, {"s 2", "4"}});
  std::vector<std::string> sim;
  CHECK(run_shard(f.str(), 0, 2, &sim) == 1);
  CHECK(sim == std::vector<std::string>{"s 4", "s 6", "s 8"});  // 0 and 2 came from the journal
  CHECK_FALSE(fs::exists(f.path / "shard-0-of-2.partial"));     // its part holds them now
  const Part p = read_part((f.path / part_file_name(1, Shard{0, 2})).string());
  CHECK(p.results ==
        std::map<std::string, std::string>{{"s 0", "0"}, {"s 2", "4"}, {"s 4", "16"}, {"s 6", "36"}, {"s 8", "64"}});
}

TEST_CASE("runs: parts of another search or another shard count are refused") {
  Folder f;
  write_part((f.path / part_file_name(1, Shard{0, 2})).string(), Part{"other-run", 1, Shard{0, 2}, {{"s 0", "0"}}});
  CHECK_THROWS_WITH(Runs::merge(f.str(), "run-id", 2), Catch::Contains("belongs to another search"));
  CHECK_THROWS_WITH(Runs::merge(f.str(), "run-id", 3), Catch::Contains("split into 2 shards"));
}

TEST_CASE("parts: the format round-trips any key and result, and refuses cut or foreign files") {
  Part p{"abc", 3, Shard{2, 5}, {{"tab\there", "line\nbreak\\"}, {"k", ""}}};
  CHECK(parse_part(format_part(p), "x.part").results == p.results);
  CHECK(parse_part(format_part(p), "x.part").round == 3);
  std::string cut = format_part(p);
  cut.resize(cut.size() - 4);  // no "end"
  CHECK_THROWS_WITH(parse_part(cut, "x.part"), Catch::Contains("cut short"));
  CHECK_THROWS_WITH(parse_part("trainsim-part 99\nend\n", "x.part"), Catch::Contains("another trainsim version"));
  // A part is results in the one serialized form (output/result_json.hpp), of its own version.
  const auto doc = trainsim::output::results_from_json(format_part(p));
  CHECK(trainsim::output::text_value(doc, "shard") == "2/5");
  std::string older = format_part(p);
  older.replace(older.find("\"part_version\",\"value\":\"2\""), 26, "\"part_version\",\"value\":\"1\"");
  CHECK_THROWS_WITH(parse_part(older, "x.part"), Catch::Contains("another trainsim version (part version 1)"));
  CHECK(part_file_name(2, Shard{1, 4}) == "round-2-shard-1-of-4.part");
  CHECK(parse_part_file_name("round-2-shard-1-of-4.part")->first == 2);
  CHECK_FALSE(parse_part_file_name("round-02-shard-1-of-4.part"));
  CHECK_FALSE(parse_part_file_name("round-2-shard-4-of-4.part"));
}

TEST_CASE("manifest: a folder belongs to one search: --force starts it over") {
  Folder f;
  const std::string folder = (f.path / "out.h5.parts").string();
  Manifest m{"sweep", {"a.yaml", "--trace", "out.h5"}, "/w", 4, "id-1"};
  open_parts_folder(folder, m, false);
  open_parts_folder(folder, m, false);  // the same search: resumed
  CHECK(read_manifest(folder).words == m.words);
  write_part((fs::path(folder) / part_file_name(1, Shard{0, 4})).string(), Part{"id-1", 1, Shard{0, 4}, {}});
  Manifest other = m;
  other.identity = "id-2";
  CHECK_THROWS_WITH(open_parts_folder(folder, other, false), Catch::Contains("another search"));
  Manifest five = m;
  five.shards = 5;
  CHECK_THROWS_WITH(open_parts_folder(folder, five, false), Catch::Contains("split into 4 shards, not 5"));
  open_parts_folder(folder, other, true);
  CHECK(read_manifest(folder).identity == "id-2");
  CHECK_FALSE(fs::exists(fs::path(folder) / part_file_name(1, Shard{0, 4})));
}

TEST_CASE("shard: I/N parsing and Slurm array lists") {
  std::string why;
  CHECK(parse_shard("3/4", &why)->index == 3);
  CHECK_FALSE(parse_shard("4/4", &why));
  CHECK(why.find("below the number of shards") != std::string::npos);
  CHECK_FALSE(parse_shard("0/0", &why));
  CHECK_FALSE(parse_shard("-1/4", &why));
  CHECK_FALSE(parse_shard("1 /4", &why));
  CHECK(index_list({5, 0, 1, 2, 7, 8}) == "0-2,5,7-8");
}
