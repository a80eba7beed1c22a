#include "channels/unix_socket_file.hpp"

#include "channels/errors.hpp"

#include <cerrno>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

namespace pants {

namespace {

bool is_path(const endpoint& where) {
  auto name = where.to_string();
  return where.family() == AF_UNIX && !name.empty() && name[0] != '@';
}

// True when a socket answers on `where`. A stale file refuses (ECONNREFUSED);
// a live socket of another type answers with EPROTOTYPE, still in use.
bool answers(const endpoint& where, int type) {
  int probe = ::socket(AF_UNIX, type | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (probe < 0)
    throw os_error(errno, "pants: socket");
  int rc = ::connect(probe, where.data(), where.size());
  int err = errno;
  ::close(probe);
  return rc == 0 || err != ECONNREFUSED;
}

} // namespace

void unix_socket_file::prepare(const endpoint& where, int type) {
  if (!is_path(where))
    return;
  auto path = where.to_string();
  struct stat st {};
  if (::lstat(path.c_str(), &st) != 0)
    return; // nothing there (or not reachable: bind reports it)
  if (!S_ISSOCK(st.st_mode))
    throw os_error(EADDRINUSE, "pants: '" + path + "' exists and is not a socket (not removed)");
  if (answers(where, type))
    throw os_error(EADDRINUSE, "pants: '" + path + "' is in use by a live socket");
  ::unlink(path.c_str()); // stale: nobody listens on it any more
}

void unix_socket_file::bound(int fd) {
  auto local = endpoint::local_of(fd);
  if (!is_path(local))
    return;
  struct stat st {};
  if (::lstat(local.to_string().c_str(), &st) != 0)
    return;
  path_ = local.to_string();
  dev_ = st.st_dev;
  ino_ = st.st_ino;
}

void unix_socket_file::remove() {
  if (path_.empty())
    return;
  struct stat st {};
  if (::lstat(path_.c_str(), &st) == 0 && st.st_dev == dev_ && st.st_ino == ino_)
    ::unlink(path_.c_str());
  path_.clear();
}

} // namespace pants
