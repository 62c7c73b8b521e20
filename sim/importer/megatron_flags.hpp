#pragma once
// Every Megatron-LM flag trainsim knows, in one table (megatron_flags.cpp), each with what the
// importer does with it:
//  - Modelled: read into the scenario (its `apply` sets the field of MegatronArgs it names);
//  - Ignored: does not change the simulated iteration (data, logging, checkpoints, learning
//    rate, kernel-fusion switches): listed in the import's warning, never silently dropped;
//  - Refused: changes the iteration in a way trainsim does not model; an error naming the flag
//    unless it has its harmless value (`--context-parallel-size 1`).
// Adding a parallelism that scenarios gain (context, expert) is one row: Refused -> Modelled
// with the `apply` that sets its field. docs/import.md is this table in prose.
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "importer/command_line.hpp"

namespace trainsim::importer {

struct MegatronArgs;

// One use of a flag on the command line: its name as written, its values, where it was.
struct FlagUse {
  std::string name;
  std::vector<Word> values;
  SourceLocation where;

  // Typed readers: an InputError naming the flag when the value is not what is expected.
  const Word& value() const;
  long long integer(long long min, long long max) const;
  double number(double min, double max) const;
  std::string choice(const std::vector<std::string>& allowed) const;
};

enum class Arity { None, One, Many };  // store_true; one value; nargs '+' / '*'
enum class Effect { Modelled, Ignored, Refused };

struct MegatronFlag {
  std::string_view name;
  Arity arity;
  Effect effect;
  // Modelled: sets fields of MegatronArgs (values are checked there).
  void (*apply)(MegatronArgs&, const FlagUse&) = nullptr;
  // Refused: why, as the message says it ("FP8 training is not modelled ...").
  std::string_view why = {};
  // Refused: the value(s) with which the flag changes nothing (accepted silently).
  std::string_view harmless = {};
  // Flags removed from Megatron-LM in 2023 (pre-Transformer-Engine scripts): their presence
  // means Megatron-LM's own unfused attention was the only kind (docs/import.md).
  bool pre_core = false;
};

const std::vector<MegatronFlag>& megatron_flags();
const MegatronFlag* find_megatron_flag(std::string_view name);

// Reads the script's words into flag uses, in order. Throws InputError naming the word for an
// unknown flag (with the nearest known one), a missing value, a value given to a flag that
// takes none, or a word that is no flag's value.
std::vector<FlagUse> read_megatron_flags(const std::vector<Word>& words);

}  // namespace trainsim::importer
