#include "pants/actors/stream_server.hpp"

#include "pants/channels/errors.hpp"
#include "support/loopback.hpp"
#include "support/recorder.hpp"

#define BOOST_TEST_MODULE stream_server
#include <boost/test/unit_test.hpp>

#include "support/family.hpp"

using namespace pants;
using namespace pants::test;

namespace {

struct echo : connection {
  using connection::connection;
  void on_read(std::string_view data) override { write(data); }
};

/// An echo connection that logs its on_close: a test waits for every
/// connection's close before the engine goes (the engine must outlive its
/// channels, docs/overview.md).
struct logged_echo : echo {
  logged_echo(pants::engine& eng, event_log& log) : echo(eng), log_(log) {}
  void on_close() override { log_.add("closed"); }
  event_log& log_;
};

struct fixture {
  engine eng;
  event_log log;
  engine_thread loop{eng};

  address_maker addresses;

  std::shared_ptr<server> echo_server() {
    auto srv = std::make_shared<server>([this] { return std::make_shared<echo>(eng); }, eng);
    srv->listen("127.0.0.1", 0);
    return srv;
  }

  /// An echo server on a fresh address of `fam`.
  served echo_server_on(family fam) {
    auto srv = std::make_shared<server>([this] { return std::make_shared<echo>(eng); }, eng);
    auto at = addresses.listen(*srv, fam);
    return {srv, at};
  }
};

} // namespace

BOOST_FIXTURE_TEST_SUITE(stream_server_suite, fixture)

PANTS_FAMILY_TEST_CASE(echo_server_answers_a_client) {
  auto [srv, at] = echo_server_on(fam);
  blocking_client c(at);
  c.send("hello");
  BOOST_TEST(c.recv_exactly(5) == "hello");
  srv->close();
}

PANTS_FAMILY_TEST_CASE(a_storm_of_clients_beyond_max_connections_is_served_in_turn) {
  auto srv =
      std::make_shared<server>([this] { return std::make_shared<logged_echo>(eng, log); }, eng);
  srv->set_max_connections(4);
  auto at = addresses.listen(*srv, fam);
  std::vector<std::unique_ptr<blocking_client>> clients;
  for (int i = 0; i < 24; ++i) { // all connected at once: the backlog holds those past the cap
    clients.push_back(std::make_unique<blocking_client>(at));
    clients.back()->send("client " + std::to_string(i) + "\n");
  }
  std::size_t most = 0;
  for (std::size_t i = 0; i < clients.size(); ++i) {
    auto line = "client " + std::to_string(i) + "\n";
    BOOST_TEST(clients[i]->recv_exactly(line.size()) == line); // accepted in connect order
    most = std::max(most, srv->channels().size());
    clients[i].reset(); // leaves: the next one waiting is accepted
  }
  BOOST_TEST(most <= 4u);
  BOOST_TEST(most >= 1u);
  // Each leaving connection gives its slot back through the engine: let
  // every one finish before the engine goes.
  BOOST_TEST(log.wait_count("closed", clients.size()));
  srv->close();
}

BOOST_TEST_DECORATOR(*boost::unit_test::precondition(ipv6_needed))
BOOST_AUTO_TEST_CASE(dual_stack_server_answers_ipv4_and_ipv6_clients) {
  auto srv = std::make_shared<server>([this] { return std::make_shared<echo>(eng); }, eng);
  srv->listen(0);
  blocking_client v4(srv->port());
  v4.send("four");
  BOOST_TEST(v4.recv_exactly(4) == "four");
  blocking_client v6(srv->port(), true);
  v6.send("six");
  BOOST_TEST(v6.recv_exactly(3) == "six");
  srv->close();
}

PANTS_FAMILY_TEST_CASE(half_closed_client_gets_its_echo_then_eof) {
  auto [srv, at] = echo_server_on(fam);
  blocking_client c(at);
  c.send("hello");
  c.shutdown_write();
  BOOST_TEST(c.recv_all() == "hello");
  srv->close();
}

PANTS_FAMILY_TEST_CASE(channels_lists_live_connections_and_forgets_closed_ones) {
  auto srv = std::make_shared<server>([this] { return std::make_shared<recorder>(log, eng); }, eng);
  auto at = addresses.listen(*srv, fam);
  {
    blocking_client a(at);
    blocking_client b(at);
    BOOST_REQUIRE(log.wait_count("connect", 2));
    BOOST_TEST(srv->channels().size() == 2u);
  }
  BOOST_REQUIRE(log.wait_count("close", 2));
  BOOST_TEST(srv->channels().empty());
  srv->close();
}

BOOST_AUTO_TEST_CASE(listen_twice_throws_state_error_and_keeps_listening) {
  auto srv = echo_server();
  BOOST_CHECK_THROW(srv->listen("127.0.0.1", 0), state_error);
  blocking_client c(srv->port());
  c.send("x");
  BOOST_TEST(c.recv_exactly(1) == "x");
  srv->close();
}

BOOST_AUTO_TEST_CASE(listen_on_a_port_in_use_throws_os_error_and_stays_usable) {
  auto first = echo_server();
  auto second = std::make_shared<server>([this] { return std::make_shared<echo>(eng); }, eng);
  BOOST_CHECK_THROW(second->listen("127.0.0.1", first->port()), os_error);
  BOOST_TEST(!second->listening());
  second->listen("127.0.0.1", 0);
  BOOST_TEST(second->listening());
  first->close();
  second->close();
}

BOOST_AUTO_TEST_CASE(bad_port_and_bad_host_throw_invalid_argument) {
  auto srv = std::make_shared<server>([this] { return std::make_shared<echo>(eng); }, eng);
  BOOST_CHECK_THROW(srv->listen(70000), std::invalid_argument);
  BOOST_CHECK_THROW(srv->listen(-1), std::invalid_argument);
  BOOST_CHECK_THROW(srv->listen("not-an-ip", 0), std::invalid_argument);
  BOOST_TEST(!srv->listening());
}

PANTS_FAMILY_TEST_CASE(shutdown_write_flushes_then_reads_the_reply_until_the_peer_closes) {
  auto [srv, at] = echo_server_on(fam);
  auto client = std::make_shared<recorder>(log, eng);
  client->connect_hook = [](recorder& self) {
    self.write("hello ");
    self.write("world");
    self.shutdown_write();
    BOOST_CHECK_THROW(self.write("late"), state_error);
    BOOST_TEST(!self.connected());
  };
  client->connect(at);
  BOOST_REQUIRE(log.wait_count("close"));
  std::string echoed;
  for (auto& e : log.snapshot())
    if (e.rfind("read:", 0) == 0)
      echoed += e.substr(5);
  BOOST_TEST(echoed == "hello world");
  BOOST_TEST(log.snapshot().back() == "close");
  BOOST_TEST(log.count("close") == 1u);
  srv->close();
  BOOST_TEST(loop.wait_no_handles());
}

BOOST_AUTO_TEST_SUITE_END()
