#pragma once
// Checks that a program set can be played (docs/programs.md, "Rules"): indices in range,
// events recorded once before they are awaited, a group's messages handled by one stream per
// rank, peers inside their groups, sends matched by receives, and every member of a group
// issuing the same synchronising collectives. Generators are checked by tests; files by the
// loader, which reports the line of the faulty record.
#include <stdexcept>
#include <string>

#include "program/program.hpp"

namespace trainsim::program {

class InvalidPrograms : public std::runtime_error {
 public:
  // What is wrong where: a program's op, a rank, or a group (-1 when not applicable), and the
  // field at fault ("peer", "event", ...).
  struct Where {
    int program = -1, op = -1, rank = -1, group = -1;
    std::string field;
  };
  InvalidPrograms(Where where, const std::string& message);
  const Where& where() const { return where_; }

 private:
  Where where_;
};

// Throws InvalidPrograms naming the first fault. `platform_gpus`: GPUs of the platform the set
// will run on (GPU indices must be below it).
void validate(const ProgramSet& set, int platform_gpus);

}  // namespace trainsim::program
