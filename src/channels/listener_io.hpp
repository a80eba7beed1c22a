#pragma once

#include "pants/channels/address.hpp"

#include <cstddef>

namespace pants {

/// What a stream server asks of its listening socket: implemented by the
/// real `stream_listener` and by the mock engine's fake listener. Every
/// member is safe from any thread. Owned through shared_ptr by the server.
class listener_io {
public:
  virtual ~listener_io() = default;
  /// Stops accepting; `closed_msg` follows. Idempotent.
  virtual void close() = 0;
  /// True once closed.
  virtual bool is_closed() const noexcept = 0;
  /// The bound address.
  virtual const endpoint& local() const noexcept = 0;
  /// At most `max` accepted connections open at once (0: no limit),
  /// counting every one accepted so far that `release` has not given back:
  /// at the cap the listener stops accepting (the kernel's backlog holds
  /// the rest; no busy loop) until a `release`.
  virtual void limit(std::size_t max) = 0;
  /// One accepted connection has closed, or was never used.
  virtual void release() = 0;
};

} // namespace pants
