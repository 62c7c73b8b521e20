#include "engine/isolated.hpp"

#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <iostream>
#include <map>

#include "core/error.hpp"
#include "core/interrupt.hpp"
#include "output/result_json.hpp"

namespace trainsim {
namespace {

// Child protocol on the pipe: one status byte ('0' ok, 'I' input error, 'E' other error)
// then the payload (result or message).
void child_main(const std::function<std::string()>& job, int fd) {
  char status = '0';
  std::string out;
  try {
    out = job();
  } catch (const InputError& e) {
    status = 'I';
    out = e.what();
  } catch (const std::exception& e) {
    status = 'E';
    out = e.what();
  } catch (...) {
    status = 'E';
    out = "unknown exception";
  }
  std::string msg = std::string(1, status) + out;
  const char* p = msg.data();
  size_t left = msg.size();
  while (left > 0) {
    ssize_t w = ::write(fd, p, left);
    if (w < 0 && errno == EINTR) continue;
    if (w <= 0) break;
    p += w;
    left -= static_cast<size_t>(w);
  }
  ::close(fd);
  ::_exit(status == '0' ? 0 : 1);
}

struct Child {
  pid_t pid;
  int fd;
  size_t job;
  std::string data;
};

Child start(const std::function<std::string()>& job, size_t index) {
  int fds[2];
  if (::pipe(fds) != 0) throw InternalError(std::string("pipe failed: ") + std::strerror(errno));
  // SIGINT/SIGTERM stay blocked from fork() until the child is tracked, so an interruption
  // in between cannot leave it running; both processes unblock them afterwards.
  // What this process has buffered for stdout/stderr goes out now: the child inherits copies of
  // the buffers, and a job that flushes its output would print them a second time.
  std::cout.flush();
  std::cerr.flush();
  std::fflush(nullptr);
  sigset_t stop, previous;
  sigemptyset(&stop);
  sigaddset(&stop, SIGINT);
  sigaddset(&stop, SIGTERM);
  ::sigprocmask(SIG_BLOCK, &stop, &previous);
  pid_t pid = ::fork();
  if (pid < 0) {
    ::sigprocmask(SIG_SETMASK, &previous, nullptr);
    throw InternalError(std::string("fork failed: ") + std::strerror(errno));
  }
  if (pid == 0) {
    ::sigprocmask(SIG_SETMASK, &previous, nullptr);
    ::close(fds[0]);
    child_main(job, fds[1]);
  }
  ::close(fds[1]);
  // An interrupted parent terminates and reaps its children (core/interrupt.hpp).
  interrupt::track_child(pid);
  ::sigprocmask(SIG_SETMASK, &previous, nullptr);
  return {pid, fds[0], index, {}};
}

ChildFailure finish(Child& c, std::string* result) {
  ::close(c.fd);
  int status = 0;
  while (::waitpid(c.pid, &status, 0) < 0 && errno == EINTR) {
  }
  interrupt::untrack_child(c.pid);
  ChildFailure f;
  if (WIFSIGNALED(status)) {
    f = {true, false, "simulation process killed by signal " + std::to_string(WTERMSIG(status))};
  } else if (c.data.empty()) {
    f = {true, false, "simulation process exited with status " + std::to_string(WEXITSTATUS(status)) + " and no result"};
  } else if (c.data[0] == '0') {
    *result = c.data.substr(1);
  } else {
    f = {true, c.data[0] == 'I', c.data.substr(1)};
  }
  return f;
}

}  // namespace

std::string run_isolated(const std::function<std::string()>& job) {
  std::vector<ChildFailure> failures;
  auto out = run_isolated_all({job}, 1, &failures);
  if (failures[0].failed) {
    if (failures[0].bad_input) throw InputError({}, "", failures[0].message);
    throw InternalError(failures[0].message);
  }
  return out[0];
}

output::TraceData run_isolated_results(const std::function<output::TraceData()>& job) {
  const std::string text = run_isolated([&job] { return output::results_to_json(job()); });
  try {
    return output::results_from_json(text);
  } catch (const std::runtime_error& e) {
    throw InternalError(std::string("a child's results: ") + e.what());
  }
}

std::vector<std::string> run_isolated_all(const std::vector<std::function<std::string()>>& jobs, int parallel,
                                          std::vector<ChildFailure>* failures,
                                          const std::function<void(size_t, size_t)>& progress) {
  std::vector<std::string> results(jobs.size());
  if (failures) failures->assign(jobs.size(), {});
  if (parallel < 1) parallel = 1;
  std::map<int, Child> running;  // by fd
  size_t next = 0, done = 0;
  while (done < jobs.size()) {
    while (next < jobs.size() && static_cast<int>(running.size()) < parallel) {
      Child c = start(jobs[next], next);
      running.emplace(c.fd, std::move(c));
      ++next;
    }
    std::vector<pollfd> fds;
    for (auto& [fd, c] : running) fds.push_back({fd, POLLIN, 0});
    if (::poll(fds.data(), fds.size(), -1) < 0) {
      if (errno == EINTR) continue;
      throw InternalError(std::string("poll failed: ") + std::strerror(errno));
    }
    for (auto& p : fds) {
      if (!(p.revents & (POLLIN | POLLHUP | POLLERR))) continue;
      Child& c = running.at(p.fd);
      char buf[65536];
      ssize_t r = ::read(p.fd, buf, sizeof buf);
      if (r > 0) {
        c.data.append(buf, static_cast<size_t>(r));
        continue;
      }
      if (r < 0 && errno == EINTR) continue;
      ChildFailure f = finish(c, &results[c.job]);
      if (failures) (*failures)[c.job] = f;
      else if (f.failed) throw InternalError(f.message);
      running.erase(p.fd);
      ++done;
      if (progress) progress(done, jobs.size());
    }
  }
  return results;
}

}  // namespace trainsim
