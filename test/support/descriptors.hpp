#pragma once

// Test helpers about descriptors: one numbered at or above FD_SETSIZE (the
// first one select(2) cannot hold), and how many the process has open.

#include <boost/test/unit_test.hpp>

#include <cstddef>
#include <fcntl.h>
#include <filesystem>
#include <sys/resource.h>
#include <sys/select.h>

namespace pants::test {

/// A duplicate of `fd` numbered FD_SETSIZE or above (the caller closes it),
/// raising the soft RLIMIT_NOFILE first if it is too low for one. Fails
/// the test when the hard limit does not allow it.
inline int dup_at_or_above_fd_setsize(int fd) {
  rlimit lim{};
  BOOST_REQUIRE(::getrlimit(RLIMIT_NOFILE, &lim) == 0);
  if (lim.rlim_cur <= FD_SETSIZE && lim.rlim_max > FD_SETSIZE) {
    lim.rlim_cur = FD_SETSIZE + 1;
    BOOST_REQUIRE(::setrlimit(RLIMIT_NOFILE, &lim) == 0);
  }
  int big = ::fcntl(fd, F_DUPFD_CLOEXEC, FD_SETSIZE);
  BOOST_REQUIRE_MESSAGE(big >= FD_SETSIZE, "cannot open descriptor " << FD_SETSIZE);
  return big;
}

/// The descriptors this process has open now (/proc/self/fd): compare with
/// a count taken before an operation to see that it released its own.
inline std::size_t open_descriptor_count() {
  std::size_t n = 0;
  for ([[maybe_unused]] const auto& e : std::filesystem::directory_iterator("/proc/self/fd"))
    ++n;
  return n - 1; // the directory iterator's own
}

/// The sockets among them: what a leaked connection would add, unmoved by
/// the pipes, eventfds and epoll descriptors a runtime opens on first use.
inline std::size_t open_socket_count() {
  std::size_t n = 0;
  for (const auto& e : std::filesystem::directory_iterator("/proc/self/fd")) {
    std::error_code ec;
    auto target = std::filesystem::read_symlink(e.path(), ec);
    if (!ec && target.native().rfind("socket:", 0) == 0)
      ++n;
  }
  return n;
}

} // namespace pants::test
