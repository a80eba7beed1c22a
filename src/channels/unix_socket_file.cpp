#include "pants/channels/unix_socket_file.hpp"

#include "pants/channels/errors.hpp"

#include <cerrno>
#include <climits>
#include <cstddef>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>
#include <utility>

namespace pants {

namespace {

// A filesystem path, not an abstract name (whose first byte is NUL) nor an
// unnamed socket.
bool is_path(const endpoint& where) {
  if (where.family() != AF_UNIX || where.size() <= offsetof(sockaddr_un, sun_path))
    return false;
  return reinterpret_cast<const sockaddr_un*>(where.data())->sun_path[0] != '\0';
}

bool same_file(const struct stat& a, const struct stat& b) {
  return a.st_dev == b.st_dev && a.st_ino == b.st_ino;
}

enum class probe_result { live, stale, gone };

// Whether a socket answers on `where`. A stale file refuses (ECONNREFUSED);
// a live listener answers, or is busy (EAGAIN: backlog full); a live socket
// of the other type answers EPROTOTYPE. Anything else (EACCES: a socket we
// may not use) cannot be told apart from live, so it is reported, and the
// file is left alone.
probe_result probe(const endpoint& where, int type, const std::string& path) {
  int fd = ::socket(AF_UNIX, type | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0)
    throw os_error(errno, "pants: socket");
  int rc = ::connect(fd, where.data(), where.size());
  int err = errno;
  ::close(fd);
  if (rc == 0 || err == EAGAIN || err == EPROTOTYPE || err == EINPROGRESS)
    return probe_result::live;
  if (err == ECONNREFUSED)
    return probe_result::stale;
  if (err == ENOENT)
    return probe_result::gone;
  throw os_error(err, "pants: cannot tell whether '" + path + "' is in use (not removed)");
}

// An absolute form of `path`, so the file can still be found on close after
// the process changed its working directory.
std::string absolute(const std::string& path) {
  if (path.empty() || path[0] == '/')
    return path;
  char cwd[PATH_MAX];
  if (::getcwd(cwd, sizeof cwd) == nullptr)
    return path;
  return std::string(cwd) + "/" + path;
}

} // namespace

unix_socket_file::unix_socket_file(unix_socket_file&& other) noexcept
    : path_(std::move(other.path_)), dev_(other.dev_), ino_(other.ino_) {
  other.path_.clear();
}

unix_socket_file& unix_socket_file::operator=(unix_socket_file&& other) noexcept {
  if (this != &other) {
    path_ = std::move(other.path_);
    dev_ = other.dev_;
    ino_ = other.ino_;
    other.path_.clear();
  }
  return *this;
}

void unix_socket_file::prepare(const endpoint& where, int type) {
  if (!is_path(where))
    return;
  auto path = where.to_string();
  struct stat before {};
  if (::lstat(path.c_str(), &before) != 0)
    return; // nothing there (or not reachable: bind reports it)
  if (!S_ISSOCK(before.st_mode))
    throw os_error(EADDRINUSE, "pants: '" + path + "' exists and is not a socket (not removed)");
  if (probe(where, type, path) == probe_result::live)
    throw os_error(EADDRINUSE, "pants: '" + path + "' is in use by a live socket");
  // Stale. Unlink only the file that was probed: another process may have
  // replaced it meanwhile with its own, live one. (A window of a few system
  // calls remains; closing it needs a lock file, which we do not impose.)
  struct stat now {};
  if (::lstat(path.c_str(), &now) == 0 && same_file(before, now))
    ::unlink(path.c_str());
}

void unix_socket_file::bound(int fd) {
  auto local = endpoint::local_of(fd);
  if (!is_path(local))
    return;
  auto path = absolute(local.to_string());
  struct stat st {};
  if (::lstat(path.c_str(), &st) != 0 || !S_ISSOCK(st.st_mode))
    return;
  path_ = path;
  dev_ = st.st_dev;
  ino_ = st.st_ino;
}

void unix_socket_file::remove() {
  if (path_.empty())
    return;
  struct stat st {};
  if (::lstat(path_.c_str(), &st) == 0 && S_ISSOCK(st.st_mode) && st.st_dev == dev_ &&
      st.st_ino == ino_)
    ::unlink(path_.c_str());
  path_.clear();
}

} // namespace pants
