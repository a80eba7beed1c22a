// Mock engines made and destroyed with channels still open, next to the
// real runtime: destroying a mock stops its actors, and neither the global
// registry nor the runtime's shutdown at exit ever touches them. The test
// passes only if the process then exits cleanly (ctest checks the exit
// status; ASan checks every access).

#include "pants/actors/testing/mock_engine.hpp"

#include "pants/actors/datagram.hpp"
#include "pants/actors/stream.hpp"
#include "pants/actors/stream_server.hpp"
#include "pants/actors/testing/mock_fixture.hpp"
#include "pants/engine/engine.hpp"

#define BOOST_TEST_MODULE mock_lifetime
#include <boost/test/unit_test.hpp>

#include "support/loopback.hpp"

#include <chrono>
#include <memory>
#include <string_view>
#include <vector>

using namespace pants;
using namespace pants::testing;
using namespace std::chrono_literals;

namespace {

class echo : public connection {
public:
  using connection::connection;
  void on_read(std::string_view data) override { write(data); }
};

/// One mock with a server, accepted connections, a client, a datagram
/// channel and pending timers, all left open.
std::vector<std::shared_ptr<stream>> busy_mock(mock_engine& mock) {
  auto srv = std::make_shared<server>([&mock] { return std::make_shared<echo>(mock.engine()); },
                                      mock.engine());
  srv->listen(4000);
  mock.run();
  auto net = mock.listener(*srv);
  auto a = net.accept();
  net.accept();
  auto c = std::make_shared<client>(mock.engine());
  c->connect(4001);
  auto d = std::make_shared<datagram>(mock.engine());
  d->listen(5000);
  mock.run();
  a.send("x");
  c->defer(1h, [] {});
  mock.run();
  return {c, net.channel_of(a)};
}

} // namespace

BOOST_AUTO_TEST_CASE(several_mock_engines_with_open_channels_are_destroyed_cleanly) {
  for (int i = 0; i < 3; ++i) {
    mock_engine mock;
    busy_mock(mock);
    BOOST_TEST(mock.live_actors() >= 4u);
  }
}

BOOST_AUTO_TEST_CASE(channels_kept_past_their_mock_engine_are_destroyed_safely) {
  std::vector<std::shared_ptr<stream>> kept;
  {
    mock_engine first, second;
    kept = busy_mock(first);
    auto more = busy_mock(second);
    kept.insert(kept.end(), more.begin(), more.end());
  }
  BOOST_TEST(kept.size() == 4u);
  kept.clear();
}

BOOST_AUTO_TEST_CASE(mock_engines_beside_the_real_runtime_leave_nothing_for_its_exit) {
  // A real server starts the global runtime, whose shutdown at exit stops
  // what the global registry holds: no actor of a destroyed mock may be
  // there (that would be a use after free at exit).
  engine eng;
  pants::test::engine_thread loop(eng);
  auto srv = std::make_shared<server>([&eng] { return std::make_shared<echo>(eng); }, eng);
  srv->listen("127.0.0.1", 0);
  for (int i = 0; i < 2; ++i) {
    mock_engine mock;
    busy_mock(mock);
  }
  BOOST_TEST(srv->listening());
  srv->close();
  BOOST_TEST(loop.wait_no_handles());
}
