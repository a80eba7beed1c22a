#pragma once

#include "pants/actors/testing/stream_peer.hpp"

#include <memory>
#include <string>

namespace pants {
class stream;
class stream_server;
} // namespace pants

namespace pants::testing {

namespace detail {
class fake_listener;
class mock_factory;
} // namespace detail

/// The network side of one listening server on a `mock_engine`: clients
/// connect through it. A cheap handle; use only in the test's thread.
class listener_peer {
public:
  listener_peer(std::shared_ptr<detail::fake_listener> l, detail::mock_factory& f,
                std::weak_ptr<stream_server> srv)
      : l_(std::move(l)), factory_(&f), server_(std::move(srv)) {}

  /// A client at `from` (numeric "host:port" or "[v6]:port") connects: the
  /// server's `on_accept` runs at the next `run()`, making the connection's
  /// channel. Returns the client's side. Throws state_error once the
  /// listener is closed, address_error for a bad `from`.
  stream_peer accept(const std::string& from = "192.0.2.1:40000");

  /// The next `accept` fails with `code` (e.g. EMFILE), as the real
  /// listener handles it: the server sees nothing, the client's connection
  /// is dropped (`was_reset()`), and later accepts work again.
  void fail_next_accept(int code);

  /// The channel the server made for `client`, once `run()` let it accept;
  /// null before, or when the server did not adopt it.
  std::shared_ptr<stream> channel_of(const stream_peer& client) const;

  /// True once the server stopped listening.
  bool closed() const;
  /// The address the server listens on (a made-up port for port 0).
  std::string local_address() const;
  /// Connections handed to the server so far.
  std::size_t accepted() const;

private:
  std::shared_ptr<detail::fake_listener> l_;
  detail::mock_factory* factory_;
  std::weak_ptr<stream_server> server_;
};

} // namespace pants::testing
