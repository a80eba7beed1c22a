#pragma once

#include "pants/channels/address.hpp"
#include "pants/channels/messages.hpp"

#include <cerrno>
#include <cstring>
#include <string>

namespace pants {

// The errno rules of every socket call in channels/, in one place.
//
// All our descriptors are non-blocking, so a call interrupted by a signal
// (EINTR) did nothing and cannot have waited: the right answer is to make the
// same call again at once (`retry_on_eintr`). Treating EINTR as "would block"
// instead would wait for a readiness event that may already have been
// consumed (the edge of a level-triggered report is fine, but a direct send
// from a writer's thread would queue bytes for no reason), and treating it as
// an error would close a healthy connection. So `would_block` means only
// EAGAIN/EWOULDBLOCK, and EINTR never reaches it.

/// The kernel's buffer is full (or empty): wait for readiness. Not EINTR.
inline bool would_block(int err) noexcept { return err == EAGAIN || err == EWOULDBLOCK; }

/// Calls `f()` (a system call returning < 0 with errno on failure) again for
/// as long as a signal interrupts it; returns its first other result.
template <class F> auto retry_on_eintr(F f) -> decltype(f()) {
  for (;;) {
    auto r = f();
    if (r >= 0 || errno != EINTR)
      return r;
  }
}

/// `{code, strerror(code)}` for an event's error.
inline net_error os_net_error(int code) { return net_error{code, std::strerror(code)}; }

/// `{code, "strerror(code) (context)"}`: what the error concerns, for errors
/// that do not close the socket (one datagram).
inline net_error os_net_error(int code, const std::string& context) {
  return net_error{code, std::string(std::strerror(code)) + " (" + context + ")"};
}

/// A failed connect, naming the address: "connect to 127.0.0.1:4202:
/// Connection refused" (for a Unix path whose backlog is full, says so).
inline net_error connect_net_error(int code, const endpoint& target) {
  auto e = os_net_error(code);
  e.message = "connect to " + target.to_string() + ": " + e.message;
  if (code == EAGAIN && target.family() == AF_UNIX)
    e.message += " (its listen backlog is full)";
  return e;
}

} // namespace pants
