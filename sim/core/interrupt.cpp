#include "core/interrupt.hpp"

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstring>

#include "core/error.hpp"

namespace trainsim::interrupt {
namespace {

// Fixed tables, written by the main program and read by the handler. A slot is published by
// storing its owner pid last (release) and retired by storing 0, so the handler never reads a
// half-written path. They are process state by necessity: a signal handler has no context.
struct PathSlot {
  std::atomic<pid_t> owner{0};
  Removal removal = Removal::File;
  char path[kMaxPathBytes];
};
// The note of NoteOnInterrupt: printed if `path` exists (owner 0: none).
struct Note {
  std::atomic<pid_t> owner{0};
  char path[kMaxPathBytes];
  char text[kMaxPathBytes];
};
struct ChildSlot {
  std::atomic<pid_t> owner{0};  // the parent that forked it
  std::atomic<pid_t> child{0};
};
PathSlot g_paths[kMaxTracked];
ChildSlot g_children[kMaxTracked];
Note g_note;
std::atomic<bool> g_installed{false};
std::atomic<pid_t> g_main_pid{0};  // the process that installed the handlers

void say(const char* text) {
  ssize_t ignored = ::write(STDERR_FILENO, text, std::strlen(text));
  (void)ignored;
}

extern "C" void on_signal(int sig) {
  const pid_t self = ::getpid();
  for (auto& s : g_paths)
    if (s.owner.load(std::memory_order_acquire) == self && s.removal == Removal::File) ::unlink(s.path);
  // Folders after the files they may hold, deepest first: a folder registered after its parent
  // usually sits in a later slot, and further passes catch the rest.
  for (bool removed = true; removed;) {
    removed = false;
    for (int i = kMaxTracked - 1; i >= 0; --i) {
      auto& s = g_paths[i];
      if (s.owner.load(std::memory_order_acquire) == self && s.removal == Removal::EmptyFolder &&
          ::rmdir(s.path) == 0) {
        removed = true;
        s.owner.store(0, std::memory_order_relaxed);
      }
    }
  }
  for (auto& c : g_children)
    if (c.owner.load(std::memory_order_acquire) == self) {
      const pid_t child = c.child.load(std::memory_order_relaxed);
      if (child > 0) ::kill(child, SIGTERM);
    }
  for (auto& c : g_children)
    if (c.owner.load(std::memory_order_acquire) == self) {
      const pid_t child = c.child.load(std::memory_order_relaxed);
      int status = 0;
      while (child > 0 && ::waitpid(child, &status, 0) < 0 && errno == EINTR) {
      }
    }
  // A forked simulation child reports nothing: its parent speaks for the run.
  if (self == g_main_pid.load()) {
    say(sig == SIGINT ? "trainsim: interrupted (SIGINT); no partial output was left"
                      : "trainsim: terminated (SIGTERM); no partial output was left");
    if (g_note.owner.load(std::memory_order_acquire) == self && ::access(g_note.path, F_OK) == 0) {
      say("; ");
      say(g_note.text);
    }
    say("\n");
  }
  ::_exit(sig == SIGINT ? kExitSigint : kExitSigterm);
}

}  // namespace

void install(bool force) {
  if (force) {
    if (!g_installed.load()) return;  // a library user that never asked for our handlers
  } else {
    if (g_installed.exchange(true)) return;
    g_main_pid.store(::getpid());
  }
  struct sigaction sa {};
  sa.sa_handler = on_signal;
  sigemptyset(&sa.sa_mask);
  // Block the other signal while handling one, so a second Ctrl-C cannot cut the cleanup short.
  sigaddset(&sa.sa_mask, SIGINT);
  sigaddset(&sa.sa_mask, SIGTERM);
  sa.sa_flags = 0;
  ::sigaction(SIGINT, &sa, nullptr);
  ::sigaction(SIGTERM, &sa, nullptr);
}

bool installed() { return g_installed.load(); }

RemoveOnInterrupt::RemoveOnInterrupt(const std::string& path, Removal removal) : slot_(-1) {
  if (path.size() + 1 > static_cast<size_t>(kMaxPathBytes))
    throw InternalError("temporary path too long to track for interruption: " + path);
  for (int i = 0; i < kMaxTracked; ++i) {
    pid_t expected = 0;
    // Claim with a placeholder owner (-1, never a pid) while the path is copied in.
    if (g_paths[i].owner.compare_exchange_strong(expected, -1)) {
      std::memcpy(g_paths[i].path, path.c_str(), path.size() + 1);
      g_paths[i].removal = removal;
      g_paths[i].owner.store(::getpid(), std::memory_order_release);
      slot_ = i;
      return;
    }
  }
  throw InternalError("more than " + std::to_string(kMaxTracked) + " temporary files open at once");
}

RemoveOnInterrupt::~RemoveOnInterrupt() {
  if (slot_ >= 0) g_paths[slot_].owner.store(0, std::memory_order_release);
}

NoteOnInterrupt::NoteOnInterrupt(const std::string& path, const std::string& note) {
  if (path.size() + 1 > sizeof g_note.path || note.size() + 1 > sizeof g_note.text)
    throw InternalError("interruption note too long: " + note);
  pid_t expected = 0;
  if (!g_note.owner.compare_exchange_strong(expected, -1)) throw InternalError("a second interruption note");
  std::memcpy(g_note.path, path.c_str(), path.size() + 1);
  std::memcpy(g_note.text, note.c_str(), note.size() + 1);
  g_note.owner.store(::getpid(), std::memory_order_release);
}

NoteOnInterrupt::~NoteOnInterrupt() { g_note.owner.store(0, std::memory_order_release); }

void track_child(pid_t pid) {
  for (auto& c : g_children) {
    pid_t expected = 0;
    if (c.owner.compare_exchange_strong(expected, -1)) {
      c.child.store(pid, std::memory_order_relaxed);
      c.owner.store(::getpid(), std::memory_order_release);
      return;
    }
  }
  throw InternalError("more than " + std::to_string(kMaxTracked) + " child processes at once");
}

void untrack_child(pid_t pid) {
  const pid_t self = ::getpid();
  for (auto& c : g_children)
    if (c.owner.load(std::memory_order_acquire) == self && c.child.load(std::memory_order_relaxed) == pid) {
      c.child.store(0, std::memory_order_relaxed);
      c.owner.store(0, std::memory_order_release);
      return;
    }
}

}  // namespace trainsim::interrupt
