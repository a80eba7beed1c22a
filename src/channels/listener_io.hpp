#pragma once

#include "pants/channels/address.hpp"

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
};

} // namespace pants
