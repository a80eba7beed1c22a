#include "pants/channels/datagram_socket.hpp"

#include "pants/channels/errors.hpp"
#include "support/recording_sink.hpp"
#include "support/unix_sockets.hpp"

#define BOOST_TEST_MODULE datagram_socket
#include <boost/test/unit_test.hpp>

#include <cerrno>
#include <memory>
#include <string>
#include <vector>

using namespace pants;
using namespace pants::test;

namespace {

/// Two datagram sockets bound to 127.0.0.1 port 0 on one engine.
struct udp_pair {
  engine eng;
  std::shared_ptr<recording_sink> a_sink = std::make_shared<recording_sink>();
  std::shared_ptr<recording_sink> b_sink = std::make_shared<recording_sink>();
  std::shared_ptr<datagram_socket> a = datagram_socket::make(eng, a_sink);
  std::shared_ptr<datagram_socket> b = datagram_socket::make(eng, b_sink);

  udp_pair() {
    a->bind(endpoint::numeric("127.0.0.1", 0));
    b->bind(endpoint::numeric("127.0.0.1", 0));
    BOOST_REQUIRE(
        poll_until(eng, [&] { return a_sink->saw("listening") && b_sink->saw("listening"); }));
  }
  ~udp_pair() {
    a->close();
    b->close();
    poll_until(eng, [&] { return a_sink->saw("closed") && b_sink->saw("closed"); });
  }
};

} // namespace

BOOST_FIXTURE_TEST_CASE(bind_reports_listening_and_a_datagram_arrives_with_its_sender, udp_pair) {
  BOOST_TEST(a->local().port() != 0);
  (void)b->write("hi", a->local());
  BOOST_REQUIRE(poll_until(eng, [&] { return a_sink->saw("packet:hi"); }));
  BOOST_TEST(a_sink->events() == (events{"listening", "packet:hi"}),
             boost::test_tools::per_element());
  BOOST_TEST(a_sink->senders() == (events{b->local().to_string()}),
             boost::test_tools::per_element());
}

BOOST_FIXTURE_TEST_CASE(a_zero_length_datagram_arrives_as_an_empty_packet, udp_pair) {
  (void)b->write("", a->local());
  (void)b->write("after", a->local());
  BOOST_REQUIRE(poll_until(eng, [&] { return a_sink->saw("packet:after"); }));
  BOOST_TEST(a_sink->events() == (events{"listening", "packet:", "packet:after"}),
             boost::test_tools::per_element());
}

BOOST_FIXTURE_TEST_CASE(an_oversize_datagram_gives_write_error_and_the_socket_goes_on, udp_pair) {
  BOOST_TEST(!b->write(std::string(datagram_socket::max_datagram + 1, 'x'), a->local()));
  BOOST_TEST(b_sink->count("write_error:" + std::to_string(EMSGSIZE)) == 1u);
  BOOST_TEST(b->write("fine", a->local())); // went out at once: a drain is due
  BOOST_REQUIRE(poll_until(eng, [&] { return a_sink->saw("packet:fine"); }));
  BOOST_TEST(!b->is_closed());
  BOOST_TEST(!b_sink->saw("closed"));
}

BOOST_FIXTURE_TEST_CASE(closed_msg_comes_once_and_last_and_a_later_write_throws, udp_pair) {
  (void)b->write("one", a->local());
  BOOST_REQUIRE(poll_until(eng, [&] { return a_sink->saw("packet:one"); }));
  a->close();
  a->close();
  BOOST_REQUIRE(poll_until(eng, [&] { return a_sink->saw("closed"); }));
  BOOST_CHECK_THROW((void)a->write("x", b->local()), state_error);
  poll_a_while(eng);
  BOOST_TEST(a_sink->events() == (events{"listening", "packet:one", "closed"}),
             boost::test_tools::per_element());
  BOOST_TEST(a->local().port() != 0); // kept after the close
}

BOOST_FIXTURE_TEST_CASE(binding_an_address_in_use_throws_os_error_and_changes_nothing, udp_pair) {
  auto sink = std::make_shared<recording_sink>();
  auto c = datagram_socket::make(eng, sink);
  BOOST_CHECK_EXCEPTION(c->bind(a->local()), os_error, has_code(EADDRINUSE));
  BOOST_TEST((c->current_state() == datagram_socket::state::idle));
  BOOST_TEST(stays_silent(eng, *sink));
}

BOOST_AUTO_TEST_CASE(an_unbound_unix_socket_sends_to_a_path_and_its_receiver_can_answer) {
  engine eng;
  temp_dir dir;
  auto rx_sink = std::make_shared<recording_sink>();
  auto tx_sink = std::make_shared<recording_sink>();
  auto rx = datagram_socket::make(eng, rx_sink);
  auto tx = datagram_socket::make(eng, tx_sink);
  rx->bind(unix_path(dir / "rx.sock"));
  BOOST_REQUIRE(poll_until(eng, [&] { return rx_sink->saw("listening"); }));
  (void)tx->write("ping", rx->local()); // opens tx, autobound
  BOOST_REQUIRE(poll_until(eng, [&] { return rx_sink->saw("packet:ping"); }));
  auto from = rx_sink->senders().at(0);
  BOOST_TEST(!from.empty());
  (void)rx->write("pong", tx->local());
  BOOST_REQUIRE(poll_until(eng, [&] { return tx_sink->saw("packet:pong"); }));
  BOOST_TEST(!tx_sink->saw("listening")); // an implicit open does not listen
  rx->close();
  tx->end(); // nothing queued: closes at once
  BOOST_REQUIRE(poll_until(eng, [&] { return rx_sink->saw("closed") && tx_sink->saw("closed"); }));
  BOOST_TEST(!exists(dir / "rx.sock"));
  BOOST_TEST(eng.size() == 0u);
}
