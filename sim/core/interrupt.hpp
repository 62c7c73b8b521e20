#pragma once
// SIGINT / SIGTERM handling for the command-line tool.
//
// Why exit from the handler instead of setting a flag: a simulation spends its time inside
// SimGrid's engine loop, which has no cancellation point we could poll without touching every
// actor. Every output file is written under a temporary name and renamed over its target only
// once complete (output/atomic_file.hpp), so dying at any instant leaves no partial output as
// long as the temporaries of the moment are removed. The handler therefore does only
// async-signal-safe work: unlink the registered temporaries, SIGTERM and reap the registered
// child processes, print one line, and _exit with the documented code (docs/robustness.md):
//   130 after SIGINT, 143 after SIGTERM (128 + signal number, as shells report it).
#include <sys/types.h>

#include <string>

namespace trainsim::interrupt {

inline constexpr int kExitSigint = 130;
inline constexpr int kExitSigterm = 143;

// Installs the handlers for SIGINT and SIGTERM (idempotent). Call once, early in main().
// `force` installs them again even if done before: SimGrid replaces the SIGINT handler with
// its own (print and exit(1)) when an engine is created, so the engine's creator must
// re-install ours afterwards (no-op unless install() already ran in this process tree).
void install(bool force = false);

// True once install() has run in this process (or its parent before fork()).
bool installed();

// Most temporaries and children tracked at once; registration beyond it throws InternalError
// (tracking is a fixed table because a signal handler may not allocate).
inline constexpr int kMaxTracked = 256;
// Longest path a temporary may have to be tracked (bytes, terminating zero included).
inline constexpr int kMaxPathBytes = 4096;

// What the handler removes: a file (a temporary), or a folder the command created, only if it
// is still empty (rmdir(2)); folders go after files, deepest first.
enum class Removal { File, EmptyFolder };

// While alive, `path` is removed if the process is interrupted. Only the process that
// registered a path removes it: a forked child inherits the table but not the ownership.
class RemoveOnInterrupt {
 public:
  explicit RemoveOnInterrupt(const std::string& path, Removal removal = Removal::File);
  ~RemoveOnInterrupt();
  RemoveOnInterrupt(const RemoveOnInterrupt&) = delete;
  RemoveOnInterrupt& operator=(const RemoveOnInterrupt&) = delete;

 private:
  int slot_;
};

// While alive, and if `path` exists when the process is interrupted, the exit line adds
// `note` ("trainsim: interrupted (SIGINT); no partial output was left; <note>"): what was kept on
// purpose (a sweep's journal, for resuming) and where. One at a time.
class NoteOnInterrupt {
 public:
  NoteOnInterrupt(const std::string& path, const std::string& note);
  ~NoteOnInterrupt();
  NoteOnInterrupt(const NoteOnInterrupt&) = delete;
  NoteOnInterrupt& operator=(const NoteOnInterrupt&) = delete;
};

// Child processes to terminate (SIGTERM, then reaped) if this process is interrupted.
void track_child(pid_t pid);
void untrack_child(pid_t pid);

}  // namespace trainsim::interrupt
