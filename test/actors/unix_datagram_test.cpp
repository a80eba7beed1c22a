// Datagram channels on Unix sockets: paths and @abstract names, the
// socket-file policy, autobind for replies, full receivers.
#include "pants/actors/datagram.hpp"

#include "pants/channels/address.hpp"
#include "pants/channels/errors.hpp"
#include "support/datagram_peer.hpp"
#include "support/loopback.hpp"
#include "support/unix_sockets.hpp"

#define BOOST_TEST_MODULE unix_datagram
#include <boost/test/unit_test.hpp>

#include "support/datagram_channels.hpp"

#include <cerrno>
#include <cstdlib>
#include <ctime>
#include <fstream>
#include <random>
#include <string>
#include <sys/stat.h>
#include <thread>
#include <unistd.h>
#include <vector>

using namespace pants;
using namespace pants::test;

namespace {

struct fixture : datagram_channels {
  temp_dir dir;

  /// An echo listening on `where`, its on_listen seen.
  std::shared_ptr<datagram_recorder> echo(const endpoint& where) {
    auto d = make();
    d->echo_back();
    d->listen(where);
    listened();
    return d;
  }

  // The channels close (and remove their socket files) before `dir` goes.
  ~fixture() { close_all(); }
};

} // namespace

BOOST_FIXTURE_TEST_SUITE(unix_datagram_suite, fixture)

BOOST_AUTO_TEST_CASE(a_channel_on_a_path_keeps_boundaries_and_answers_the_sender) {
  auto where = unix_path(dir.file("echo.sock"));
  auto d = echo(where);
  BOOST_TEST(d->local_address() == where.to_string());
  BOOST_TEST(d->port() == 0u);
  datagram_peer peer(unix_path(dir.file("peer.sock")));
  for (const std::string& data :
       std::vector<std::string>{"one", "", std::string(5000, 'x'), "four"}) {
    BOOST_TEST_REQUIRE(peer.send_to(data, where));
    auto back = peer.receive();
    BOOST_TEST_REQUIRE(back.has_value());
    BOOST_TEST((back->first == data));
    BOOST_TEST(back->second.to_string() == where.to_string());
  }
}

BOOST_AUTO_TEST_CASE(a_channel_on_an_abstract_name_answers_the_sender) {
  auto where = unix_path(unique_abstract_name());
  auto d = echo(where);
  BOOST_TEST(d->local_address() == where.to_string());
  datagram_peer peer(unix_path(unique_abstract_name()));
  BOOST_TEST_REQUIRE(peer.send_to("abstract", where));
  auto back = peer.receive();
  BOOST_TEST_REQUIRE(back.has_value());
  BOOST_TEST(back->first == "abstract");
}

BOOST_AUTO_TEST_CASE(a_channel_that_writes_first_autobinds_and_gets_replies) {
  auto where = unix_path(dir.file("server.sock"));
  auto server = echo(where);
  auto d = make();
  d->write("who am i", where);
  BOOST_TEST_REQUIRE(log.wait_count("read:who am i", 2));                // the echo's, then ours
  BOOST_TEST(d->local_address().rfind("@", 0) == 0, d->local_address()); // an autobound name
}

BOOST_AUTO_TEST_CASE(a_stale_socket_file_is_replaced) {
  auto path = dir.file("stale.sock");
  {
    datagram_peer old(unix_path(path)); // bound, then closed: the file stays
  }
  BOOST_TEST_REQUIRE(exists(path));
  auto d = echo(unix_path(path));
  datagram_peer peer(unix_path(dir.file("p.sock")));
  BOOST_TEST_REQUIRE(peer.send_to("fresh", unix_path(path)));
  BOOST_TEST(peer.receive().has_value());
}

BOOST_AUTO_TEST_CASE(a_path_held_by_a_live_socket_is_in_use_and_left_alone) {
  auto path = dir.file("live.sock");
  datagram_peer owner(unix_path(path));
  auto d = make();
  try {
    d->listen(unix_path(path));
    BOOST_FAIL("listen on a live path did not throw");
  } catch (const os_error& e) {
    BOOST_TEST(e.code() == EADDRINUSE);
  }
  // The owner still receives on it, and the channel can listen elsewhere.
  datagram_peer peer(unix_path(dir.file("p.sock")));
  BOOST_TEST_REQUIRE(peer.send_to("mine", unix_path(path)));
  auto got = owner.receive();
  BOOST_TEST_REQUIRE(got.has_value());
  BOOST_TEST(got->first == "mine");
  d->listen(unix_path(dir.file("other.sock")));
  BOOST_TEST(log.wait_count("listen"));
}

BOOST_AUTO_TEST_CASE(a_regular_file_at_the_path_is_never_removed) {
  auto path = dir.file("data.txt");
  { std::ofstream(path) << "precious"; }
  auto d = make();
  BOOST_CHECK_THROW(d->listen(unix_path(path)), os_error);
  std::ifstream in(path);
  std::string text;
  in >> text;
  BOOST_TEST(text == "precious");
}

BOOST_AUTO_TEST_CASE(the_socket_file_is_removed_on_close) {
  auto path = dir.file("gone.sock");
  auto d = echo(unix_path(path));
  BOOST_TEST_REQUIRE(exists(path));
  d->close();
  BOOST_TEST_REQUIRE(log.wait_count("close"));
  BOOST_TEST(!exists(path));
}

BOOST_AUTO_TEST_CASE(an_over_long_path_is_rejected_not_truncated) {
  auto d = make();
  BOOST_CHECK_THROW(d->listen(unix_path("/tmp/" + std::string(200, 'x'))), address_error);
  BOOST_CHECK_THROW(d->write("x", unix_path("@" + std::string(200, 'x'))), address_error);
  d->listen(unix_path(dir.file("ok.sock")));
  BOOST_TEST(log.wait_count("listen"));
}

BOOST_AUTO_TEST_CASE(writing_to_a_path_nobody_binds_gives_on_write_error_and_goes_on) {
  auto where = unix_path(dir.file("ch.sock"));
  auto d = echo(where);
  d->write("void", unix_path(dir.file("nobody.sock")));
  BOOST_TEST_REQUIRE(log.wait([](auto& v) {
    return std::any_of(v.begin(), v.end(), [](auto& e) { return e.rfind("write_error:", 0) == 0; });
  }));
  BOOST_CHECK_THROW(d->write("x", endpoint::numeric("127.0.0.1", 9)), address_error);
  datagram_peer peer(unix_path(dir.file("p.sock")));
  BOOST_TEST_REQUIRE(peer.send_to("alive", where));
  BOOST_TEST(peer.receive().has_value());
  BOOST_TEST(log.count("close") == 0u);
}

BOOST_AUTO_TEST_CASE(datagrams_over_64_kib_are_refused_both_ways_and_the_channel_goes_on) {
  auto where = unix_path(dir.file("big.sock"));
  auto d = echo(where);
  datagram_peer peer(unix_path(dir.file("p.sock")));
  int sndbuf = 1 << 20;
  ::setsockopt(peer.fd(), SOL_SOCKET, SO_SNDBUF, &sndbuf, sizeof sndbuf);
  BOOST_TEST_REQUIRE(peer.send_to(std::string(70000, 'b'), where));
  BOOST_TEST_REQUIRE(log.wait([](auto& v) {
    return std::any_of(v.begin(), v.end(), [](auto& e) { return e.rfind("read_error:", 0) == 0; });
  }));
  d->write(std::string(70000, 'w'), peer.address());
  BOOST_TEST_REQUIRE(log.wait([](auto& v) {
    return std::any_of(v.begin(), v.end(), [](auto& e) { return e.rfind("write_error:", 0) == 0; });
  }));
  BOOST_TEST_REQUIRE(peer.send_to("small", where));
  auto back = peer.receive();
  BOOST_TEST_REQUIRE(back.has_value());
  BOOST_TEST(back->first == "small");
}

BOOST_AUTO_TEST_CASE(a_full_receiver_does_not_spin_and_gets_every_datagram_in_order_later) {
  datagram_peer slow(unix_path(dir.file("slow.sock"))); // reads nothing for now
  auto d = make();
  const int n = 60; // the receiver's queue holds about 10 (net.unix.max_dgram_qlen)
  for (int i = 0; i < n; ++i)
    d->write("m" + std::to_string(i), slow.address());
  BOOST_TEST_REQUIRE(d->bytes_queued() > 0u);
  auto wall0 = std::chrono::steady_clock::now();
  auto cpu0 = process_cpu_seconds();
  // The one place this suite measures time: a window in which a spinning
  // retry would burn a whole core. Nothing waits on it for correctness.
  std::this_thread::sleep_for(std::chrono::milliseconds(500));
  auto cpu = process_cpu_seconds() - cpu0;
  auto wall = std::chrono::duration<double>(std::chrono::steady_clock::now() - wall0).count();
  BOOST_TEST_MESSAGE("cpu " << cpu << " s over " << wall << " s");
  BOOST_TEST(cpu < 0.25 * wall);
  for (int i = 0; i < n; ++i) {
    auto got = slow.receive();
    BOOST_TEST_REQUIRE(got.has_value(), "datagram " << i);
    BOOST_TEST(got->first == "m" + std::to_string(i));
  }
  BOOST_TEST(log.wait_count("write"));
  BOOST_TEST(log.count("close") == 0u);
}

BOOST_AUTO_TEST_CASE(end_flushes_a_queue_held_by_a_full_receiver_then_closes) {
  datagram_peer slow(unix_path(dir.file("slow.sock")));
  auto d = make();
  for (int i = 0; i < 30; ++i)
    d->write("e" + std::to_string(i), slow.address());
  d->end();
  for (int i = 0; i < 30; ++i) {
    auto got = slow.receive();
    BOOST_TEST_REQUIRE(got.has_value());
    BOOST_TEST(got->first == "e" + std::to_string(i));
  }
  BOOST_TEST(log.wait_count("close"));
  BOOST_TEST(log.count("close") == 1u);
}

BOOST_AUTO_TEST_SUITE_END()
