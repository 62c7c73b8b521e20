// What trainsim writes for and reads from Slurm, without a cluster (the real submissions are
// tests/python/test_slurm.py): time limits, pass-through arguments, the job-array script.
#include <catch2/catch.hpp>

#include "scaleout/slurm.hpp"

using namespace trainsim::scaleout;

TEST_CASE("slurm: time limits in Slurm's formats") {
  for (const char* ok : {"30", "5:00", "2:00:00", "1-0", "1-12:30", "3-00:00:00"}) CHECK(valid_slurm_time(ok));
  for (const char* bad : {"", "1h", "1:60", "1-24", "1:2:3:4", "-5", "1.5"}) CHECK_FALSE(valid_slurm_time(bad));
}

TEST_CASE("slurm: pass-through arguments split as a shell would, without expansion") {
  std::string why;
  CHECK(*split_words("--account=abc  --qos 'high prio' \"a\\\"b\" $HOME", &why) ==
        std::vector<std::string>{"--account=abc", "--qos", "high prio", "a\"b", "$HOME"});
  CHECK_FALSE(split_words("--x 'open", &why));
  CHECK_FALSE(split_words("--x\n--y", &why));
  CHECK(shell_quote("it's") == "'it'\\''s'");
  CHECK(shell_quote("out/a.h5") == "out/a.h5");
}

TEST_CASE("slurm: the array script runs shard $SLURM_ARRAY_TASK_ID of N in the search's folder") {
  Manifest m{"sweep", {"a b.yaml", "--trace", "out/t.h5"}, "/work/dir", 4, "id"};
  SlurmOptions s;
  s.partition = "gpu";
  s.time = "1:00:00";
  s.cpus_per_task = 8;
  s.array_parallelism = 2;
  s.sbatch_args = {"--account=abc"};
  const std::string script = shard_script(m, "/work/dir/out/t.h5.parts", {"/bin/trainsim", "sweep", "a b.yaml"}, s);
  CHECK(script.rfind("#!/bin/sh\n", 0) == 0);
  for (const char* line : {"#SBATCH --array=0-3%2\n", "#SBATCH --cpus-per-task=8\n", "#SBATCH --partition=gpu\n",
                           "#SBATCH --time=1:00:00\n", "#SBATCH --account=abc\n",
                           "#SBATCH --output=/work/dir/out/t.h5.parts/slurm-%A_%a.out\n", "cd /work/dir\n",
                           "exec /bin/trainsim sweep 'a b.yaml' --shard \"$SLURM_ARRAY_TASK_ID/4\"\n"})
    CHECK(script.find(line) != std::string::npos);
}
