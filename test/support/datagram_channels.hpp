#pragma once

// The base of the datagram suites' fixtures. Uses Boost.Test's checks:
// include it after the suite's BOOST_TEST_MODULE and unit_test.hpp.

#include "support/datagram_peer.hpp"
#include "support/loopback.hpp"

#include <boost/test/unit_test.hpp>

#include <cstddef>
#include <memory>
#include <vector>

namespace pants::test {

/// Recording datagram channels on an engine thread of their own; every
/// channel made is closed, and waited for, when the test ends.
struct datagram_channels {
  engine eng;
  event_log log;
  engine_thread loop{eng};
  std::vector<std::shared_ptr<datagram_recorder>> made;
  std::size_t listens = 0; // on_listen calls seen so far

  std::shared_ptr<datagram_recorder> make() {
    made.push_back(std::make_shared<datagram_recorder>(log, eng));
    return made.back();
  }

  /// Waits for the next on_listen.
  void listened() { BOOST_TEST_REQUIRE(log.wait_count("listen", ++listens)); }

  /// Closes every channel made and waits until they are gone. Idempotent.
  void close_all() {
    for (auto& d : made)
      d->close();
    log.wait_count("close", made.size());
    loop.wait_no_handles();
  }

  ~datagram_channels() { close_all(); }
};

} // namespace pants::test
