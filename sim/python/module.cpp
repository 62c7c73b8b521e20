// trainsim._core: the one native piece of the Python package (docs/python.md). It runs the
// `trainsim` command in a child process and waits for it with the GIL released, so a notebook
// can simulate any number of times (SimGrid's engine is a process singleton: one per child),
// other Python threads keep running meanwhile, and Ctrl-C stops the child cleanly.
//
// Why fork + exec of the trainsim executable rather than fork alone and a call into the library:
// a notebook kernel has threads (ZeroMQ, BLAS) whose locks a fork()ed child inherits held, and
// h5py has already initialised the HDF5 library the simulator writes traces with (the same
// shared object, with the notebook's open files in its state). exec gives the child a fresh
// process, which is by construction the command line's behaviour: same outputs, same messages,
// same exit codes. Everything else (arguments, errors, progress, reading results) is in Python.
#include <fcntl.h>
#include <poll.h>
#include <pty.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>

#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <string>
#include <thread>
#include <vector>

namespace py = pybind11;

namespace {

// Closes a file descriptor once.
struct Fd {
  int fd = -1;
  Fd() = default;
  explicit Fd(int f) : fd(f) {}
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  ~Fd() { close(); }
  void close() {
    if (fd >= 0) ::close(fd);
    fd = -1;
  }
};

[[noreturn]] void fail(const std::string& what) { throw std::runtime_error(what + ": " + std::strerror(errno)); }

// The child between fork() and exec(): only async-signal-safe calls.
[[noreturn]] void exec_child(const std::vector<char*>& argv, const std::string& cwd, int out, int err, pid_t parent) {
  // Its own process group: a Ctrl-C on a terminal reaches the Python process only, which
  // forwards it once (the same path as a notebook's interrupt, which signals the kernel alone).
  ::setpgid(0, 0);
  // If the Python process dies without stopping it, the child is terminated (SIGTERM: it
  // removes its temporaries like an interrupted command) instead of running on unobserved.
  ::prctl(PR_SET_PDEATHSIG, SIGTERM);
  if (::getppid() != parent) ::_exit(143);
  // Python ignores SIGPIPE; the command expects the default dispositions and an empty mask.
  ::signal(SIGPIPE, SIG_DFL);
  sigset_t none;
  sigemptyset(&none);
  ::sigprocmask(SIG_SETMASK, &none, nullptr);
  int null_in = ::open("/dev/null", O_RDONLY);
  if (null_in < 0 || ::dup2(null_in, 0) < 0 || ::dup2(out, 1) < 0 || ::dup2(err, 2) < 0) ::_exit(127);
  ::close_range(3, ~0U, 0);  // nothing of the notebook's (sockets, files) leaks into the run
  if (!cwd.empty() && ::chdir(cwd.c_str()) != 0) {
    const char msg[] = "trainsim: internal error: cannot enter the working folder\n";
    ssize_t ignored = ::write(2, msg, sizeof msg - 1);
    (void)ignored;
    ::_exit(3);
  }
  ::execv(argv[0], argv.data());
  const char msg[] = "trainsim: internal error: cannot execute the trainsim command\n";
  ssize_t ignored = ::write(2, msg, sizeof msg - 1);
  (void)ignored;
  ::_exit(127);
}

// Waits for `pid` for at most `seconds`; true once reaped (status in *status).
bool reap_within(pid_t pid, double seconds, int* status) {
  const auto until = std::chrono::steady_clock::now() + std::chrono::duration<double>(seconds);
  while (true) {
    pid_t r = ::waitpid(pid, status, WNOHANG);
    if (r == pid || (r < 0 && errno != EINTR)) return true;
    if (std::chrono::steady_clock::now() >= until) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
}

// Stops the child as an interrupted command stops (SIGINT: it removes its temporaries and its
// own children, then exits 130), and reaps it. If it has not exited after `grace_s`, SIGKILL
// goes to its whole process group, so that its own children cannot outlive it.
void stop(pid_t pid, double grace_s) {
  int status = 0;
  ::kill(pid, SIGINT);
  if (reap_within(pid, grace_s, &status)) return;
  ::kill(-pid, SIGKILL);
  while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
}

// Runs `executable args...`; returns (exit status, stdout bytes, stderr bytes). A child killed
// by signal N returns -N. `on_stderr(bytes)` receives stderr as it arrives; with
// `terminal_stderr`, stderr is a pseudo-terminal (raw mode), so the command draws its progress
// there as on a terminal. A Python exception (KeyboardInterrupt, or one raised by on_stderr)
// stops and reaps the child, then propagates.
py::tuple run(const std::string& executable, const std::vector<std::string>& args, const std::string& cwd,
              py::object on_stderr, bool terminal_stderr, double grace_s) {
  std::vector<std::string> words{executable};
  words.insert(words.end(), args.begin(), args.end());
  std::vector<char*> argv;
  for (auto& w : words) argv.push_back(w.data());
  argv.push_back(nullptr);

  int out_pipe[2];
  if (::pipe2(out_pipe, O_CLOEXEC) != 0) fail("pipe");
  Fd out_r(out_pipe[0]), out_w(out_pipe[1]);
  Fd err_r, err_w;
  if (terminal_stderr) {
    termios raw{};
    ::cfmakeraw(&raw);  // no "\n" -> "\r\n", no echo: the bytes the command wrote
    winsize size{};
    size.ws_col = 200;
    size.ws_row = 50;
    int master = -1, slave = -1;
    if (::openpty(&master, &slave, nullptr, &raw, &size) != 0) fail("openpty");
    err_r.fd = master;
    err_w.fd = slave;
    ::fcntl(master, F_SETFD, FD_CLOEXEC);
    ::fcntl(slave, F_SETFD, FD_CLOEXEC);
  } else {
    int err_pipe[2];
    if (::pipe2(err_pipe, O_CLOEXEC) != 0) fail("pipe");
    err_r.fd = err_pipe[0];
    err_w.fd = err_pipe[1];
  }

  const pid_t parent = ::getpid();
  const pid_t pid = ::fork();
  if (pid < 0) fail("fork");
  if (pid == 0) exec_child(argv, cwd, out_w.fd, err_w.fd, parent);
  ::setpgid(pid, pid);  // also here: no window in which a signal to the group reaches it
  out_w.close();
  err_w.close();

  std::string out, err;
  bool out_open = true, err_open = true;
  char buf[65536];
  try {
    while (out_open || err_open) {
      pollfd fds[2];
      nfds_t n = 0;
      if (out_open) fds[n++] = {out_r.fd, POLLIN, 0};
      if (err_open) fds[n++] = {err_r.fd, POLLIN, 0};
      int ready;
      {
        py::gil_scoped_release nogil;
        ready = ::poll(fds, n, 100);
      }
      if (ready < 0 && errno != EINTR) fail("poll");
      for (nfds_t i = 0; ready > 0 && i < n; ++i) {
        if (!(fds[i].revents & (POLLIN | POLLHUP | POLLERR))) continue;
        const bool is_out = fds[i].fd == out_r.fd;
        ssize_t r = ::read(fds[i].fd, buf, sizeof buf);
        if (r < 0 && errno == EINTR) continue;
        if (r <= 0) {  // end of file (a pseudo-terminal reports EIO once the child closed it)
          (is_out ? out_open : err_open) = false;
          continue;
        }
        (is_out ? out : err).append(buf, static_cast<size_t>(r));
        if (!is_out && !on_stderr.is_none()) on_stderr(py::bytes(buf, static_cast<size_t>(r)));
      }
      if (PyErr_CheckSignals() != 0) throw py::error_already_set();
    }
  } catch (...) {
    {
      py::gil_scoped_release nogil;
      stop(pid, grace_s);
    }
    throw;
  }
  int status = 0;
  {
    py::gil_scoped_release nogil;
    while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
    }
  }
  const int code = WIFSIGNALED(status) ? -WTERMSIG(status) : WEXITSTATUS(status);
  return py::make_tuple(code, py::bytes(out), py::bytes(err));
}

}  // namespace

PYBIND11_MODULE(_core, m) {
  m.doc() = "Runs the trainsim command in a child process (docs/python.md); used by the trainsim package.";
  m.def("run", &run, py::arg("executable"), py::arg("args"), py::arg("cwd") = "", py::arg("on_stderr") = py::none(),
        py::arg("terminal_stderr") = false, py::arg("grace_s") = 10.0,
        "Runs `executable args...` in a child process; returns (status, stdout, stderr).");
  m.attr("EXECUTABLE") = TRAINSIM_EXECUTABLE;
  m.attr("VERSION") = TRAINSIM_VERSION;
}
