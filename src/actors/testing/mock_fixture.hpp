#pragma once

#include "pants/actors/stream.hpp"
#include "pants/actors/testing/mock_engine.hpp"

#include <memory>
#include <utility>

namespace pants::testing {

/// A channel accepted on a mock engine and its far end.
template <class T> struct accepted {
  std::shared_ptr<T> channel;
  stream_peer peer;
};

/// A test fixture (for Boost.Test's BOOST_FIXTURE_TEST_CASE or any
/// framework; it includes no test framework) holding a `mock_engine`, with
/// shortcuts so a handler test reads as a short script:
///
///     auto [conn, peer] = accept<echo>();
///     peer.send("hello");
///     run();
///     BOOST_TEST(peer.written() == "hello");
///
/// Single-threaded, like mock_engine.
struct mock_fixture {
  mock_engine mock;

  /// `std::make_shared<T>(args..., mock.engine())`: a channel, server or
  /// user class whose constructor takes the engine last.
  template <class T, class... Args> std::shared_ptr<T> make(Args&&... args) {
    return std::make_shared<T>(std::forward<Args>(args)..., mock.engine());
  }

  /// A `T` made as by `make`, accepted from a client, with `on_connect`
  /// already run; see mock_engine::accept.
  template <class T, class... Args> accepted<T> accept(Args&&... args) {
    auto channel = make<T>(std::forward<Args>(args)...);
    auto peer = mock.accept(channel);
    return {std::move(channel), std::move(peer)};
  }

  /// mock_engine::run.
  std::size_t run() { return mock.run(); }
  /// mock_engine::advance.
  template <class Rep, class Period> std::size_t advance(std::chrono::duration<Rep, Period> d) {
    return mock.advance(d);
  }
};

} // namespace pants::testing
