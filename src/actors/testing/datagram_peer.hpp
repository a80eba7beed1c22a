#pragma once

#include "pants/actors/testing/fake_datagram.hpp"

#include <memory>
#include <string>
#include <vector>

namespace pants::testing {

/// The network around one datagram channel on a `mock_engine`: injects
/// datagrams from any address and reads back what the channel sent. A
/// cheap handle; use only in the test's thread.
class datagram_peer {
public:
  explicit datagram_peer(std::shared_ptr<detail::fake_datagram> d) : d_(std::move(d)) {}

  /// A datagram `bytes` arrives from `from` (numeric "host:port", or a
  /// Unix path): `on_read` at the next `run()`. Ignored once closed;
  /// throws state_error before the channel is open (listen or first write).
  void receive(std::string bytes, const std::string& from);
  void receive(std::string bytes, const endpoint& from);
  /// A read error `code` (e.g. ECONNREFUSED from an earlier send): the
  /// channel goes on.
  void read_error(int code);
  /// The next datagram sent fails with `code` (e.g. EMSGSIZE): it is
  /// dropped with `on_write_error`; the channel goes on.
  void fail_next_send(int code);

  /// Every datagram sent so far, in order, with its destination.
  const std::vector<sent_datagram>& sent() const { return d_->sent; }
  /// Returns `sent()` and clears it.
  std::vector<sent_datagram> take_sent();
  bool closed() const { return d_->is_closed(); }
  /// The bound address (a made-up port for port 0); empty before opening.
  std::string local_address() const { return d_->local().to_string(); }

private:
  std::shared_ptr<detail::fake_datagram> d_;
};

} // namespace pants::testing
