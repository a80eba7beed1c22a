#pragma once

// Test helper: a program run as a real child process, its output read and
// its exit waited for with bounded waits only.

#include "support/loopback.hpp"

#include <cerrno>
#include <chrono>
#include <csignal>
#include <fcntl.h>
#include <functional>
#include <optional>
#include <poll.h>
#include <spawn.h>
#include <stdexcept>
#include <string>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>
#include <vector>

extern char** environ;

namespace pants::test {

using clock_type = std::chrono::steady_clock;

/// Waits until `fd` is ready for `events` (or hung up), at most until
/// `deadline`. Returns false on timeout.
inline bool wait_ready(int fd, short events, clock_type::time_point deadline) {
  for (;;) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - clock_type::now());
    if (left.count() < 0)
      return false;
    pollfd p{fd, events, 0};
    int rc = ::poll(&p, 1, static_cast<int>(left.count()));
    if (rc > 0)
      return true;
    if (rc == 0 || errno != EINTR)
      return false;
  }
}

/// "exit N", "signal N" or "still running": readable in failure messages.
inline std::string describe(std::optional<int> status) {
  if (!status)
    return "still running";
  if (WIFEXITED(*status))
    return "exit " + std::to_string(WEXITSTATUS(*status));
  return "signal " + std::to_string(WTERMSIG(*status));
}

/// A running example with its stdout (and optionally stdin and stderr) on
/// pipes. The destructor stops it (SIGTERM, then SIGKILL after a bounded
/// wait) and reaps it, so a failed assertion never leaks a process.
class child {
public:
  child(const std::vector<std::string>& args, bool pipe_stdin, bool pipe_stderr) {
    int out[2], in[2] = {-1, -1}, err[2] = {-1, -1};
    // O_CLOEXEC: no other child inherits these ends, so EOFs are reliable.
    if (::pipe2(out, O_CLOEXEC) != 0 || (pipe_stdin && ::pipe2(in, O_CLOEXEC) != 0) ||
        (pipe_stderr && ::pipe2(err, O_CLOEXEC) != 0))
      throw std::runtime_error("pipe2 failed");
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_adddup2(&actions, out[1], 1);
    if (pipe_stdin)
      posix_spawn_file_actions_adddup2(&actions, in[0], 0);
    else
      posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0);
    if (pipe_stderr)
      posix_spawn_file_actions_adddup2(&actions, err[1], 2);
    // The test ignores SIGPIPE, and an ignored signal stays ignored across
    // exec: give the child default dispositions and an empty mask.
    posix_spawnattr_t attr;
    posix_spawnattr_init(&attr);
    sigset_t defaults, none;
    sigemptyset(&defaults);
    sigaddset(&defaults, SIGPIPE);
    sigaddset(&defaults, SIGINT);
    sigaddset(&defaults, SIGTERM);
    sigemptyset(&none);
    posix_spawnattr_setsigdefault(&attr, &defaults);
    posix_spawnattr_setsigmask(&attr, &none);
    posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETSIGMASK);
    std::vector<char*> argv;
    for (auto& a : args)
      argv.push_back(const_cast<char*>(a.c_str()));
    argv.push_back(nullptr);
    int rc = ::posix_spawn(&pid_, argv[0], &actions, &attr, argv.data(), environ);
    posix_spawn_file_actions_destroy(&actions);
    posix_spawnattr_destroy(&attr);
    for (int fd : {out[1], in[0], err[1]})
      if (fd >= 0)
        ::close(fd);
    out_fd_ = out[0];
    in_fd_ = in[1];
    err_fd_ = err[0];
    if (rc != 0) {
      pid_ = -1;
      throw std::runtime_error("posix_spawn " + args[0] + " failed: " + std::to_string(rc));
    }
    // Readable once the child has exited: a bounded wait for exit without
    // sleeping. (glibc 2.36's <sys/pidfd.h> lacks extern "C": use syscall.)
    pidfd_ = static_cast<int>(::syscall(SYS_pidfd_open, pid_, 0));
    if (pidfd_ < 0) {
      ::kill(pid_, SIGKILL);
      ::waitpid(pid_, nullptr, 0);
      throw std::runtime_error("pidfd_open failed");
    }
  }

  ~child() {
    if (pid_ > 0 && !status_) {
      ::kill(pid_, SIGTERM);
      if (!wait_exit(std::chrono::seconds(5))) {
        ::kill(pid_, SIGKILL);
        wait_exit(patience);
      }
    }
    for (int fd : {out_fd_, in_fd_, err_fd_, pidfd_})
      if (fd >= 0)
        ::close(fd);
  }
  child(const child&) = delete;
  child& operator=(const child&) = delete;

  /// Reads stdout until `done(everything read so far)` holds, EOF or the
  /// bounded wait ends. Returns whether `done` held.
  bool read_until(const std::function<bool(const std::string&)>& done) {
    auto deadline = clock_type::now() + patience;
    while (!done(out_)) {
      if (out_eof_ || !wait_ready(out_fd_, POLLIN, deadline))
        return false;
      char buf[4096];
      auto n = ::read(out_fd_, buf, sizeof buf);
      if (n == 0)
        out_eof_ = true;
      else if (n > 0)
        out_.append(buf, static_cast<std::size_t>(n));
      else if (errno != EINTR)
        return false;
    }
    return true;
  }

  /// Reads stdout to EOF (bounded); returns whether EOF came.
  bool read_to_eof() {
    read_until([this](const std::string&) { return out_eof_; });
    return out_eof_;
  }

  /// Everything read from stdout so far.
  const std::string& out() const { return out_; }

  /// Reads stderr to EOF (bounded); needs `pipe_stderr`.
  std::string err() {
    std::string text;
    char buf[4096];
    auto deadline = clock_type::now() + patience;
    while (wait_ready(err_fd_, POLLIN, deadline)) {
      auto n = ::read(err_fd_, buf, sizeof buf);
      if (n <= 0 && !(n < 0 && errno == EINTR))
        break;
      if (n > 0)
        text.append(buf, static_cast<std::size_t>(n));
    }
    return text;
  }

  /// Writes all of `data` to the child's stdin; needs `pipe_stdin`.
  void write_stdin(const std::string& data) {
    std::size_t done = 0;
    while (done < data.size()) {
      auto n = ::write(in_fd_, data.data() + done, data.size() - done);
      if (n < 0 && errno == EINTR)
        continue;
      if (n <= 0)
        throw std::runtime_error("write to the child's stdin failed");
      done += static_cast<std::size_t>(n);
    }
  }

  void close_stdin() {
    ::close(in_fd_);
    in_fd_ = -1;
  }

  /// Waits at most `limit` for the child to exit; its wait status, or
  /// nothing if it is still running.
  std::optional<int> wait_exit(std::chrono::milliseconds limit = patience) {
    if (!status_ && wait_ready(pidfd_, POLLIN, clock_type::now() + limit)) {
      int st = 0;
      while (::waitpid(pid_, &st, 0) < 0 && errno == EINTR) {
      }
      status_ = st;
    }
    return status_;
  }

  /// Sends `sig` without waiting; false if the child is already reaped.
  bool signal(int sig) { return !status_ && ::kill(pid_, sig) == 0; }

  /// Sends `sig` and waits (bounded) for the exit.
  std::optional<int> stop(int sig = SIGTERM) {
    if (!status_)
      ::kill(pid_, sig);
    return wait_exit();
  }

private:
  pid_t pid_ = -1;
  int pidfd_ = -1, out_fd_ = -1, in_fd_ = -1, err_fd_ = -1;
  std::string out_;
  bool out_eof_ = false;
  std::optional<int> status_;
};

} // namespace pants::test
