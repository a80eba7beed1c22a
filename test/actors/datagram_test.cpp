#include "pants/actors/datagram.hpp"

#include "pants/channels/address.hpp"
#include "pants/channels/errors.hpp"
#include "support/datagram_peer.hpp"
#include "support/loopback.hpp"
#include "support/pattern.hpp"

#define BOOST_TEST_MODULE datagram
#include <boost/test/unit_test.hpp>

#include "support/datagram_channels.hpp"

#include <algorithm>
#include <cstdio>
#include <fstream>
#include <future>
#include <memory>
#include <string>
#include <vector>

using namespace pants;
using namespace pants::test;

namespace {

endpoint v4(std::uint16_t port) { return endpoint::numeric("127.0.0.1", port); }
endpoint v6(std::uint16_t port) { return endpoint::numeric("::1", port); }

struct fixture : datagram_channels {
  /// Listens `d` on `host` port 0 and waits for its on_listen.
  void listen(const std::shared_ptr<datagram_recorder>& d, const std::string& host = "127.0.0.1") {
    d->listen(host, 0);
    listened();
  }

  /// A channel listening on `host` port 0, its on_listen seen.
  std::shared_ptr<datagram_recorder> listening(const std::string& host = "127.0.0.1") {
    auto d = make();
    listen(d, host);
    return d;
  }

  /// An echo: every datagram goes back to its sender.
  std::shared_ptr<datagram_recorder> echo(const std::string& host = "127.0.0.1") {
    auto d = make();
    d->echo_back();
    listen(d, host);
    return d;
  }
};

} // namespace

BOOST_FIXTURE_TEST_SUITE(datagram_suite, fixture)

// -- listening and reading ---------------------------------------------------------

BOOST_AUTO_TEST_CASE(listen_on_port_zero_reports_on_listen_and_the_real_port) {
  auto d = listening();
  BOOST_TEST(d->port() != 0u);
  BOOST_TEST(d->local_address() == "127.0.0.1:" + std::to_string(d->port()));
}

BOOST_AUTO_TEST_CASE(each_datagram_is_one_on_read_with_its_boundaries_and_sender) {
  auto d = listening();
  datagram_peer peer(v4(0));
  std::vector<std::string> sent;
  for (std::size_t i = 0; i < 120; ++i) {
    sent.push_back(pattern(i * 1500, (i * 379) % 1500));
    BOOST_TEST_REQUIRE(peer.send_to(sent.back(), v4(d->port())));
    if (i % 10 == 9) // in batches, so the receive buffer never drops one
      BOOST_TEST_REQUIRE(log.wait([&](auto& v) { return count_prefix(v, "read:") == i + 1; }));
  }
  auto got = d->received();
  BOOST_TEST_REQUIRE(got.size() == sent.size());
  for (std::size_t i = 0; i < sent.size(); ++i) {
    BOOST_TEST(got[i].first == sent[i], "datagram " << i);
    BOOST_TEST((got[i].second == peer.address()));
  }
}

BOOST_AUTO_TEST_CASE(zero_length_datagram_reaches_on_read) {
  auto d = listening();
  datagram_peer peer(v4(0));
  BOOST_TEST_REQUIRE(peer.send_to("", v4(d->port())));
  BOOST_TEST_REQUIRE(peer.send_to("after", v4(d->port())));
  BOOST_TEST_REQUIRE(log.wait_count("read:after"));
  auto got = d->received();
  BOOST_TEST_REQUIRE(got.size() == 2u);
  BOOST_TEST(got[0].first.empty());
}

BOOST_AUTO_TEST_CASE(the_largest_udp_datagram_arrives_whole) {
  auto d = listening();
  datagram_peer peer(v4(0));
  auto big = pattern(0, 65507);
  BOOST_TEST_REQUIRE(peer.send_to(big, v4(d->port())));
  BOOST_TEST_REQUIRE(log.wait([](auto& v) { return count_prefix(v, "read:") == 1; }));
  BOOST_TEST((d->received().at(0).first == big));
}

// -- replies -------------------------------------------------------------------------

BOOST_AUTO_TEST_CASE(a_reply_to_from_reaches_the_ipv4_sender) {
  auto d = echo();
  datagram_peer peer(v4(0));
  BOOST_TEST_REQUIRE(peer.send_to("ping", v4(d->port())));
  auto back = peer.receive();
  BOOST_TEST_REQUIRE(back.has_value());
  BOOST_TEST(back->first == "ping");
  BOOST_TEST(back->second.port() == d->port());
  BOOST_TEST(log.wait_count("write")); // on_write after the reply went out
}

BOOST_AUTO_TEST_CASE(a_reply_to_from_reaches_the_ipv6_sender) {
  auto d = echo("::1");
  BOOST_TEST(d->local_address() == "[::1]:" + std::to_string(d->port()));
  datagram_peer peer(v6(0));
  BOOST_TEST_REQUIRE(peer.send_to("six", v6(d->port())));
  auto back = peer.receive();
  BOOST_TEST_REQUIRE(back.has_value());
  BOOST_TEST(back->first == "six");
}

BOOST_AUTO_TEST_CASE(a_dual_stack_channel_answers_ipv4_and_ipv6_senders) {
  auto d = make();
  d->echo_back();
  d->listen(0); // [::], dual-stack
  BOOST_TEST_REQUIRE(log.wait_count("listen"));
  ++listens;
  datagram_peer four(v4(0)), six(v6(0));
  BOOST_TEST_REQUIRE(four.send_to("by four", v4(d->port())));
  BOOST_TEST_REQUIRE(six.send_to("by six", v6(d->port())));
  auto a = four.receive();
  auto b = six.receive();
  BOOST_TEST_REQUIRE((a && b));
  BOOST_TEST(a->first == "by four");
  BOOST_TEST(b->first == "by six");
}

BOOST_AUTO_TEST_CASE(the_first_write_opens_an_unbound_socket_that_receives_replies) {
  auto server = echo();
  auto d = make();
  d->write("hello", "127.0.0.1", server->port());      // before any listen
  BOOST_TEST_REQUIRE(log.wait_count("read:hello", 2)); // the echo's, then ours
  BOOST_TEST(d->port() != 0u);
  BOOST_TEST(log.count("listen") == 1u); // an implicit open is not a listen
  BOOST_CHECK_THROW(d->listen("127.0.0.1", 0), state_error);
}

BOOST_AUTO_TEST_CASE(listen_and_a_first_write_from_the_engine_thread_do_not_deadlock) {
  auto server = make();
  server->echo_back();
  loop.call([&] { server->listen("127.0.0.1", 0); });
  BOOST_TEST_REQUIRE(log.wait_count("listen", ++listens));
  auto d = make();
  loop.call([&] { d->write("from the loop", "127.0.0.1", server->port()); });
  BOOST_TEST(log.wait_count("read:from the loop", 2));
}

// -- framing per sender ---------------------------------------------------------------

BOOST_AUTO_TEST_CASE(a_delimiter_frames_each_sender_alone_across_interleaved_datagrams) {
  auto d = make();
  d->read_delimiter("\n");
  listen(d);
  datagram_peer a(v4(0)), b(v4(0));
  auto to = v4(d->port());
  for (auto [peer, piece] : std::vector<std::pair<datagram_peer*, std::string>>{
           {&a, "al"}, {&b, "be"}, {&a, "pha\nA"}, {&b, "ta\nB"}, {&a, "2\n"}, {&b, "2\n"}})
    BOOST_TEST_REQUIRE(peer->send_to(piece, to));
  BOOST_TEST_REQUIRE(log.wait_count("read:B2"));
  std::vector<std::string> from_a, from_b;
  for (auto& [data, from] : d->received())
    (from == a.address() ? from_a : from_b).push_back(data);
  BOOST_TEST(from_a == (std::vector<std::string>{"alpha", "A2"}), boost::test_tools::per_element());
  BOOST_TEST(from_b == (std::vector<std::string>{"beta", "B2"}), boost::test_tools::per_element());
}

BOOST_AUTO_TEST_CASE(a_new_sender_beyond_max_senders_evicts_the_least_recent_partial_frame) {
  auto d = make();
  d->read_delimiter("\n");
  d->max_senders(1);
  listen(d);
  datagram_peer a(v4(0)), b(v4(0));
  auto to = v4(d->port());
  BOOST_TEST_REQUIRE(a.send_to("lost", to));
  BOOST_TEST_REQUIRE(b.send_to("kept", to)); // evicts a's partial frame
  BOOST_TEST_REQUIRE(b.send_to("\n", to));
  BOOST_TEST_REQUIRE(log.wait_count("read:kept"));
  BOOST_TEST_REQUIRE(a.send_to("!\n", to));
  BOOST_TEST_REQUIRE(log.wait_count("read:!"));
  BOOST_TEST(log.count("read:lost!") == 0u);
}

BOOST_AUTO_TEST_CASE(one_sender_overflowing_does_not_cost_another_its_data) {
  auto d = make();
  d->read_delimiter("\n");
  d->buffer_size(8);
  listen(d);
  datagram_peer a(v4(0)), b(v4(0));
  auto to = v4(d->port());
  BOOST_TEST_REQUIRE(b.send_to("keep", to));
  BOOST_TEST_REQUIRE(a.send_to("far too long for eight", to));
  BOOST_TEST_REQUIRE(log.wait_count("overflow:" + a.address().to_string()));
  BOOST_TEST_REQUIRE(b.send_to("-it\n", to));
  BOOST_TEST_REQUIRE(a.send_to("ok\n", to));
  BOOST_TEST_REQUIRE(log.wait_count("read:ok"));
  BOOST_TEST(log.count("read:keep-it") == 1u);
  BOOST_TEST(log.count("close") == 0u);
}

BOOST_AUTO_TEST_CASE(length_prefixed_frames_are_cut_per_sender_and_a_huge_claim_overflows_alone) {
  using namespace std::string_literals;
  auto d = make();
  d->read_delimiter(length_prefix(2, 64));
  listen(d);
  datagram_peer a(v4(0)), b(v4(0));
  auto to = v4(d->port());
  // a's frame spans two datagrams, with b's frames between them; b then
  // claims 65535 bytes (over max_frame) and overflows without costing a.
  BOOST_TEST_REQUIRE(a.send_to("\0\x05"
                               "al"s,
                               to));
  BOOST_TEST_REQUIRE(b.send_to("\0\x02"
                               "b1\0\0"s,
                               to));
  BOOST_TEST_REQUIRE(a.send_to("pha\0\x02"
                               "a2"s,
                               to));
  BOOST_TEST_REQUIRE(b.send_to("\xff\xff"
                               "junk"s,
                               to));
  BOOST_TEST_REQUIRE(log.wait_count("read:a2"));
  BOOST_TEST_REQUIRE(log.wait_count("overflow:" + b.address().to_string()));
  std::vector<std::string> from_a, from_b;
  for (auto& [data, from] : d->received())
    (from == a.address() ? from_a : from_b).push_back(data);
  BOOST_TEST(from_a == (std::vector<std::string>{"alpha", "a2"}), boost::test_tools::per_element());
  BOOST_TEST(from_b == (std::vector<std::string>{"b1", ""}), boost::test_tools::per_element());
  BOOST_TEST(log.count("close") == 0u);
}

BOOST_AUTO_TEST_CASE(a_delimiter_set_inside_on_read_applies_to_the_rest_of_the_datagram) {
  auto d = make();
  d->read_delimiter("\n");
  d->read_hook = [](datagram_recorder& self, std::string_view data, const endpoint&) {
    if (data == "len")
      self.read_delimiter(3);
  };
  listen(d);
  datagram_peer a(v4(0));
  BOOST_TEST_REQUIRE(a.send_to("len\nabcdef", v4(d->port())));
  BOOST_TEST_REQUIRE(log.wait_count("read:def"));
  BOOST_TEST(log.count("read:abc") == 1u);
}

// -- write errors and ICMP ----------------------------------------------------------

BOOST_AUTO_TEST_CASE(an_oversized_datagram_gives_on_write_error_and_the_channel_goes_on) {
  auto d = listening();
  datagram_peer peer(v4(0));
  d->write(pattern(0, 65520), peer.address()); // above UDP's limit: the kernel refuses
  d->write(pattern(0, 70000), peer.address()); // above pants' limit
  BOOST_TEST_REQUIRE(log.wait([](auto& v) { return count_prefix(v, "write_error:") == 2; }));
  auto errors = log.snapshot();
  auto first = std::find_if(errors.begin(), errors.end(),
                            [](auto& e) { return e.rfind("write_error:", 0) == 0; });
  BOOST_TEST(first->find(peer.address().to_string()) != std::string::npos, *first);
  BOOST_TEST(first->find("65520 bytes") != std::string::npos, *first);
  d->write("small", peer.address());
  auto got = peer.receive();
  BOOST_TEST_REQUIRE(got.has_value());
  BOOST_TEST(got->first == "small");
  BOOST_TEST(log.count("close") == 0u);
}

BOOST_AUTO_TEST_CASE(sending_to_a_closed_port_does_not_close_the_channel) {
  auto d = echo();
  endpoint closed_port;
  {
    datagram_peer gone(v4(0)); // a port that was just released
    closed_port = gone.address();
  }
  for (int i = 0; i < 3; ++i)
    d->write("anyone?", closed_port); // ICMP port unreachable comes back
  datagram_peer peer(v4(0));
  for (int i = 0; i < 3; ++i) {
    BOOST_TEST_REQUIRE(peer.send_to("still here", v4(d->port())));
    auto back = peer.receive();
    BOOST_TEST_REQUIRE(back.has_value());
    BOOST_TEST(back->first == "still here");
  }
  BOOST_TEST(log.count("close") == 0u);
  BOOST_TEST(!d->closed());
}

// -- end, close, on_close -------------------------------------------------------------

BOOST_AUTO_TEST_CASE(end_flushes_queued_datagrams_then_closes_once) {
  auto d = listening();
  datagram_peer peer(v4(0));
  for (int i = 0; i < 5; ++i)
    d->write("d" + std::to_string(i), peer.address());
  d->end();
  BOOST_CHECK_THROW(d->write("late", peer.address()), state_error);
  for (int i = 0; i < 5; ++i) {
    auto got = peer.receive();
    BOOST_TEST_REQUIRE(got.has_value());
    BOOST_TEST(got->first == "d" + std::to_string(i));
  }
  BOOST_TEST_REQUIRE(log.wait_count("close"));
  d->end();
  d->close();
  BOOST_TEST(loop.wait_no_handles());
  BOOST_TEST(log.count("close") == 1u);
  BOOST_TEST(d->closed());
}

BOOST_AUTO_TEST_CASE(close_is_idempotent_and_on_close_fires_exactly_once) {
  auto d = listening();
  d->close();
  d->close();
  BOOST_TEST_REQUIRE(log.wait_count("close"));
  BOOST_TEST(loop.wait_no_handles());
  BOOST_TEST(log.count("close") == 1u);
  BOOST_CHECK_THROW(d->write("x", v4(9)), state_error);
  BOOST_CHECK_THROW(d->listen("127.0.0.1", 0), state_error);
}

BOOST_AUTO_TEST_CASE(close_inside_on_read_stops_reading_and_on_close_follows_once) {
  auto d = make();
  d->read_delimiter("\n");
  d->read_hook = [](datagram_recorder& self, std::string_view, const endpoint&) { self.close(); };
  listen(d);
  datagram_peer a(v4(0));
  BOOST_TEST_REQUIRE(a.send_to("one\ntwo\n", v4(d->port())));
  BOOST_TEST_REQUIRE(log.wait_count("close"));
  BOOST_TEST(log.count("read:one") == 1u);
  BOOST_TEST(log.count("read:two") == 0u);
}

BOOST_AUTO_TEST_CASE(a_channel_closed_before_it_opened_closes_once_and_refuses_use) {
  auto d = make();
  d->close();
  BOOST_TEST_REQUIRE(log.wait_count("close"));
  BOOST_CHECK_THROW(d->listen("127.0.0.1", 0), state_error);
  BOOST_CHECK_THROW(d->write("x", v4(9)), state_error);
}

// -- misuse ---------------------------------------------------------------------------

BOOST_AUTO_TEST_CASE(misuse_throws_and_the_channel_still_works) {
  auto d = echo();
  BOOST_CHECK_THROW(d->listen("127.0.0.1", 0), state_error); // twice
  BOOST_CHECK_THROW(d->write("x", v6(1)), address_error);    // IPv6 from IPv4
  BOOST_CHECK_THROW(d->write("x", unix_path("@pants-nowhere")), address_error);
  BOOST_CHECK_THROW(d->write("x", endpoint{}), address_error);         // empty
  BOOST_CHECK_THROW(d->write("x", "localhost", 1), address_error);     // not numeric
  BOOST_CHECK_THROW(d->write("x", "127.0.0.1", 70000), address_error); // bad port
  BOOST_CHECK_THROW(d->read_delimiter(std::string()), std::invalid_argument);
  BOOST_CHECK_THROW(d->read_delimiter(0), std::invalid_argument);
  BOOST_CHECK_THROW(d->buffer_size(0), std::invalid_argument);
  BOOST_CHECK_THROW(d->max_senders(0), std::invalid_argument);
  BOOST_TEST((d->read_delimiter().type() == pants::read_delimiter::kind::none));
  datagram_peer peer(v4(0));
  BOOST_TEST_REQUIRE(peer.send_to("fine", v4(d->port())));
  auto back = peer.receive();
  BOOST_TEST_REQUIRE(back.has_value());
  BOOST_TEST(back->first == "fine");
}

BOOST_AUTO_TEST_CASE(bad_listen_arguments_throw_and_a_later_listen_works) {
  auto d = make();
  BOOST_CHECK_THROW(d->listen(-1), address_error);
  BOOST_CHECK_THROW(d->listen(65536), address_error);
  BOOST_CHECK_THROW(d->listen("not-an-address", 0), address_error);
  datagram_peer taken(v4(0));
  BOOST_CHECK_THROW(d->listen(taken.address()), os_error); // in use
  d->listen("127.0.0.1", 0);
  BOOST_TEST(log.wait_count("listen"));
  ++listens;
}

// -- flow control ------------------------------------------------------------------------

namespace {
std::size_t rmem_default() {
  std::ifstream in("/proc/sys/net/core/rmem_default");
  std::size_t n = 212992;
  in >> n;
  return n;
}
} // namespace

BOOST_AUTO_TEST_CASE(a_blocked_handler_stops_reading_so_memory_stays_bounded) {
  std::promise<void> release;
  auto gate = release.get_future().share();
  auto d = make();
  d->read_hook = [gate](datagram_recorder&, std::string_view data, const endpoint&) {
    if (data == "block")
      gate.wait_for(patience);
  };
  listen(d);
  datagram_peer peer(v4(0));
  auto to = v4(d->port());
  BOOST_TEST_REQUIRE(peer.send_to("block", to));
  BOOST_TEST_REQUIRE(log.wait_count("read:block"));
  const std::size_t n = 4000, size = 1000;
  for (std::size_t i = 0; i < n; ++i)
    peer.send_to(pattern(0, size), to);
  release.set_value();
  // The kernel may drop a marker too while its queue is full: send one
  // until one arrives (each wait bounded).
  bool seen = false;
  for (int i = 0; i < 50 && !seen; ++i) {
    peer.send_to("marker", to);
    seen = log.wait([](auto& v) { return std::count(v.begin(), v.end(), "read:marker") > 0; },
                    std::chrono::milliseconds(200));
  }
  BOOST_TEST_REQUIRE(seen);
  auto got = d->received().size();
  // At most what flow control lets through plus what the kernel queues.
  auto bound = 256 * 1024 / size + rmem_default() / size + 64;
  BOOST_TEST_MESSAGE("delivered " << got << " of " << n << ", bound " << bound);
  BOOST_TEST(got < bound);
  BOOST_TEST(log.count("close") == 0u);
}

BOOST_AUTO_TEST_SUITE_END()
