#pragma once

#include "pants/channels/address.hpp"

#include <string>
#include <sys/types.h>

namespace pants {

/// The socket file of a Unix socket bound to a filesystem path, and the
/// policy around it (abstract `@names` have no file: every member is then
/// a no-op):
/// - before binding, a path held by a live socket (of either type, or with
///   a full backlog) is "address in use"; a stale socket file (nobody
///   listening) is removed so the bind succeeds; a path that is not a
///   socket (a regular file, a directory, a symlink) is never touched and
///   is "address in use" too;
/// - on close, the file is removed, but only if it is still the one this
///   socket created (not a successor's), even after a change of the
///   working directory.
/// Liveness is probed with a connect: a live listener accepts one
/// connection that closes at once. Move-only (one owner removes the file);
/// not thread-safe.
class unix_socket_file {
public:
  unix_socket_file() = default;
  unix_socket_file(unix_socket_file&& other) noexcept;
  unix_socket_file& operator=(unix_socket_file&& other) noexcept;
  unix_socket_file(const unix_socket_file&) = delete;
  unix_socket_file& operator=(const unix_socket_file&) = delete;

  /// Applies the pre-bind policy for `where` on behalf of a socket of
  /// `type` (SOCK_STREAM or SOCK_DGRAM). Throws os_error(EADDRINUSE) for a
  /// live socket or a path that is not a socket, os_error(errno) when the
  /// probe cannot tell (EACCES: the file is then left alone); does nothing
  /// for a missing path, a network address or an abstract name.
  static void prepare(const endpoint& where, int type);

  /// Records the file `fd` was just bound to, so `remove` can tell it is
  /// still ours. Call right after a successful bind; a no-op for a
  /// network address or an abstract name.
  void bound(int fd);

  /// Removes the socket file if it is still the one recorded by `bound`.
  /// Call it before closing the socket: the open socket pins its file's
  /// inode, so no successor's file can have the same device and inode
  /// number (after the close, one may). Idempotent.
  void remove();

private:
  std::string path_;
  dev_t dev_ = 0;
  ino_t ino_ = 0;
};

} // namespace pants
