#pragma once

// Test helper: a descriptor numbered at or above FD_SETSIZE, the first one
// select(2) cannot hold.

#include <boost/test/unit_test.hpp>

#include <fcntl.h>
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

} // namespace pants::test
