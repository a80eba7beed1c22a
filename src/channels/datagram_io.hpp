#pragma once

#include "pants/channels/address.hpp"

#include <cstddef>
#include <string_view>

namespace pants {

/// What a datagram channel asks of its socket: implemented by the real
/// `datagram_socket` and by the mock engine's fake one. Contracts as
/// documented on `datagram_socket`; every member is safe from any thread.
class datagram_io {
public:
  virtual ~datagram_io() = default;
  /// Binds `where` (os_error at the call; state_error unless idle).
  virtual void bind(const endpoint& where) = 0;
  /// Sends one datagram to `to`; true when it went out at once and a drain is due.
  [[nodiscard]] virtual bool write(std::string_view data, const endpoint& to) = 0;
  /// No more writes: flush, then close. Idempotent.
  virtual void end() = 0;
  /// Closes at once; `closed_msg` follows. Idempotent.
  virtual void close() = 0;
  /// The actor processed one datagram of `n` bytes (read flow control).
  virtual void consumed(std::size_t n) = 0;
  /// The channel handled a drain: the next may be reported.
  virtual void drain_seen() noexcept = 0;
  virtual std::size_t bytes_queued() const noexcept = 0;
  /// True while received datagrams are delivered.
  virtual bool reading() const noexcept = 0;
  /// True once closed.
  virtual bool is_closed() const noexcept = 0;
  /// The bound address; empty before.
  virtual endpoint local() const = 0;
};

} // namespace pants
