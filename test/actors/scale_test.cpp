// 10 000 concurrent connections to a Pants echo server, on each backend ctest
// runs the suite with: every connection open at once, an echo on each, every
// byte checked, all closed, every descriptor released. The clients are a
// second process (many_clients), so the server's descriptor limit holds only
// its own 10 000.

#include "pants/actors/stream_server.hpp"
#include "support/child_process.hpp"
#include "support/loopback.hpp"

#define BOOST_TEST_MODULE scale
#include <boost/test/unit_test.hpp>

#include "support/descriptors.hpp"

#include <chrono>
#include <memory>
#include <string>
#include <string_view>
#include <sys/resource.h>

using namespace pants;
using namespace pants::test;

namespace {

constexpr std::size_t connections = 10000;

struct echo : connection {
  using connection::connection;
  void on_read(std::string_view data) override { write(data); }
};

/// Raises the soft descriptor limit within the hard one; false (with the
/// reason) when even the hard limit is too low for `needed`.
boost::test_tools::assertion_result enough_descriptors(boost::unit_test::test_unit_id) {
  rlimit lim{};
  ::getrlimit(RLIMIT_NOFILE, &lim);
  if (lim.rlim_cur < connections + 256 && lim.rlim_max >= connections + 256) {
    lim.rlim_cur = connections + 256;
    ::setrlimit(RLIMIT_NOFILE, &lim);
  }
  if (lim.rlim_cur >= connections + 256)
    return true;
  boost::test_tools::assertion_result skip(false);
  skip.message() << "the hard descriptor limit (" << lim.rlim_max << ") is below "
                 << connections + 256 << ": the 10 000-connection test is skipped";
  return skip;
}

} // namespace

BOOST_TEST_DECORATOR(*boost::unit_test::precondition(enough_descriptors))
BOOST_AUTO_TEST_CASE(ten_thousand_concurrent_connections_echo_and_release_every_descriptor) {
  engine eng;
  engine_thread loop{eng};
  auto srv = std::make_shared<server>([&eng] { return std::make_shared<echo>(eng); }, eng);
  srv->listen("127.0.0.1", 0);
  // Runs the clients (n connections) and waits, bounded, until the server
  // has seen every one of them close: the listener alone is registered and
  // no connection is listed.
  auto round = [&](std::size_t n) {
    child clients({PANTS_MANY_CLIENTS, std::to_string(srv->port()), std::to_string(n)}, false,
                  true);
    BOOST_TEST(clients.read_to_eof());
    auto exit = describe(clients.wait_exit());
    auto err = clients.err();
    BOOST_TEST(exit == "exit 0", err);
    BOOST_TEST(clients.out() == "ok " + std::to_string(n) + "\n");
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
    bool settled = false;
    while (!(settled = loop.call([&] { return eng.size(); }) == 1u && srv->channels().empty()) &&
           std::chrono::steady_clock::now() < deadline) {
    }
    BOOST_TEST(settled);
  };
  round(10); // what the runtime opens once (its threads' descriptors) is open from here on
  auto before = open_descriptor_count();
  round(connections);
  BOOST_TEST(open_descriptor_count() == before); // every accepted descriptor closed
  srv->close();
  BOOST_TEST(loop.wait_no_handles());
}
