#include "pants/channels/stream_socket.hpp"

#include "pants/channels/errors.hpp"
#include "support/recording_sink.hpp"

#define BOOST_TEST_MODULE stream_socket
#include <boost/test/unit_test.hpp>

#include "support/descriptors.hpp" // after the module: it uses Boost.Test

#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <memory>
#include <netinet/in.h>
#include <string>
#include <sys/socket.h>
#include <unistd.h>
#include <vector>

using namespace pants;
using namespace pants::test;

namespace {

/// A raw, non-blocking descriptor the test holds as the socket's peer.
struct peer_fd {
  int fd = -1;
  ~peer_fd() { reset(); }
  void reset() {
    if (fd >= 0)
      ::close(fd);
    fd = -1;
  }
  /// Reads what is there now (never blocks); false on end of stream.
  bool read_into(std::string& out) {
    char buf[65536];
    for (;;) {
      auto n = ::recv(fd, buf, sizeof buf, MSG_DONTWAIT);
      if (n > 0) {
        out.append(buf, static_cast<std::size_t>(n));
        continue;
      }
      return n != 0;
    }
  }
  /// Sends what the kernel takes now; returns how much.
  std::size_t send_some(const std::string& data, std::size_t from) {
    auto n = ::send(fd, data.data() + from, data.size() - from, MSG_DONTWAIT | MSG_NOSIGNAL);
    return n > 0 ? static_cast<std::size_t>(n) : 0;
  }
};

/// An adopted stream socket on one end of a socketpair, started, and the
/// other end as a raw peer.
struct pair_fixture {
  engine eng;
  std::shared_ptr<recording_sink> sink = std::make_shared<recording_sink>();
  std::shared_ptr<stream_socket> sock;
  peer_fd peer;

  pair_fixture() {
    int fds[2];
    BOOST_REQUIRE(::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, fds) == 0);
    peer.fd = fds[1];
    sock = stream_socket::adopt(eng, fds[0], sink);
    sock->start();
    BOOST_REQUIRE(poll_until(eng, [&] { return sink->saw("connected"); }));
  }
  ~pair_fixture() {
    sock->close();
    poll_until(eng, [&] { return sink->saw("closed"); });
  }

  /// Writes `size` bytes with the first write; true when it went out at once.
  bool fill(std::size_t size) { return sock->write(std::string(size, 'x')); }
};

std::string pattern(std::size_t n) {
  std::string s(n, '\0');
  for (std::size_t i = 0; i < n; ++i)
    s[i] = static_cast<char>('a' + i % 26);
  return s;
}

/// A listening TCP socket on 127.0.0.1, port 0 (raw, blocking).
struct raw_listener {
  int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  endpoint where;
  raw_listener() {
    auto any = endpoint::numeric("127.0.0.1", 0);
    BOOST_REQUIRE(::bind(fd, any.data(), any.size()) == 0);
    BOOST_REQUIRE(::listen(fd, 8) == 0);
    where = endpoint::local_of(fd);
  }
  ~raw_listener() { ::close(fd); }
  int accept_one() { return ::accept4(fd, nullptr, nullptr, SOCK_CLOEXEC); }
};

/// A client stream socket connected to a raw listener on 127.0.0.1.
struct client_fixture {
  engine eng;
  raw_listener listener;
  std::shared_ptr<recording_sink> sink = std::make_shared<recording_sink>();
  std::shared_ptr<stream_socket> sock = stream_socket::make(eng, sink);

  client_fixture() {
    sock->connect({listener.where});
    BOOST_REQUIRE(poll_until(eng, [&] { return sink->saw("connected"); }));
  }
};

} // namespace

BOOST_FIXTURE_TEST_CASE(an_adopted_socket_reports_connected_chunks_eof_and_closed_in_order,
                        pair_fixture) {
  peer.send_some("hello", 0);
  ::shutdown(peer.fd, SHUT_WR);
  BOOST_REQUIRE(poll_until(eng, [&] { return sink->saw("eof"); }));
  BOOST_TEST(sink->data() == "hello");
  sock->consumed(5);
  sock->end(); // what the channel does on eof_msg
  BOOST_REQUIRE(poll_until(eng, [&] { return sink->saw("closed"); }));
  BOOST_TEST(sink->events() == (events{"connected", "chunk", "eof", "closed"}),
             boost::test_tools::per_element());
  BOOST_TEST(sock->is_closed());
  BOOST_TEST(eng.size() == 0u);
}

BOOST_AUTO_TEST_CASE(a_socket_select_cannot_watch_reports_why_and_closes) {
  engine eng("select");
  int sv[2];
  BOOST_REQUIRE(::socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0, sv) == 0);
  int big = dup_at_or_above_fd_setsize(sv[0]);
  ::close(sv[0]);
  auto sink = std::make_shared<recording_sink>();
  auto sock = stream_socket::adopt(eng, big, sink); // owns `big` from here
  sock->start();
  BOOST_REQUIRE(poll_until(eng, [&] { return sink->saw("closed"); }));
  BOOST_TEST(sink->events() == (events{"read_error:" + std::to_string(EMFILE), "closed"}),
             boost::test_tools::per_element());
  BOOST_TEST(eng.size() == 0u);
  BOOST_TEST(::fcntl(big, F_GETFD) == -1); // closed with the socket, not leaked
  ::close(sv[1]);
}

BOOST_FIXTURE_TEST_CASE(a_client_connects_to_loopback_and_reports_connected, client_fixture) {
  BOOST_TEST(sock->remote_address() == listener.where.to_string());
  BOOST_TEST(sock->writable());
  sock->close();
  BOOST_REQUIRE(poll_until(eng, [&] { return sink->saw("closed"); }));
  BOOST_TEST(sink->events() == (events{"connected", "closed"}), boost::test_tools::per_element());
  // Both addresses outlive the descriptor (a handler logs them in on_close).
  BOOST_TEST(sock->remote_address() == listener.where.to_string());
  BOOST_TEST(sock->local_address().rfind("127.0.0.1:", 0) == 0);
}

BOOST_AUTO_TEST_CASE(a_connect_to_a_closed_port_reports_connect_failed_then_closed) {
  engine eng;
  endpoint where;
  {
    raw_listener gone; // a port that was just free, closed again
    where = gone.where;
  }
  auto sink = std::make_shared<recording_sink>();
  auto sock = stream_socket::make(eng, sink);
  sock->connect({where});
  BOOST_REQUIRE(poll_until(eng, [&] { return sink->saw("closed"); }));
  BOOST_TEST(sink->events() == (events{"connect_failed:" + std::to_string(ECONNREFUSED), "closed"}),
             boost::test_tools::per_element());
  // The error names what failed.
  BOOST_TEST(sink->messages() ==
                 (events{"connect to " + where.to_string() + ": " + std::strerror(ECONNREFUSED)}),
             boost::test_tools::per_element());
}

BOOST_AUTO_TEST_CASE(a_connect_failing_at_every_address_names_each_one_and_why) {
  engine eng;
  endpoint first, second;
  {
    raw_listener a, b; // two ports that were just free, closed again
    first = a.where;
    second = b.where;
  }
  auto sink = std::make_shared<recording_sink>();
  auto sock = stream_socket::make(eng, sink);
  sock->connect({first, second});
  BOOST_REQUIRE(poll_until(eng, [&] { return sink->saw("closed"); }));
  std::string refused = std::strerror(ECONNREFUSED);
  BOOST_TEST(sink->messages() ==
                 (events{"every address failed: connect to " + first.to_string() + ": " + refused +
                         "; connect to " + second.to_string() + ": " + refused}),
             boost::test_tools::per_element());
  net_error e{ECONNREFUSED, "connect to x: refused"};
  BOOST_TEST(std::string(e.what()) == e.message); // as an exception says it
}

BOOST_FIXTURE_TEST_CASE(reading_pauses_over_the_inflight_limit_and_resumes_after_consumed,
                        pair_fixture) {
  const auto total = 4 * stream_socket::inflight_limit;
  auto data = pattern(total);
  std::size_t sent = 0;
  auto feed = [&] { sent += peer.send_some(data, sent); };
  // Nothing consumed: reading stops soon after the limit.
  BOOST_REQUIRE(poll_until(
      eng, [&] { return sink->data_size() > stream_socket::inflight_limit; },
      std::chrono::seconds(3), feed));
  for (int i = 0; i < 20; ++i) {
    feed();
    eng.poll(std::chrono::milliseconds(1));
  }
  auto paused_at = sink->data_size();
  BOOST_TEST(paused_at <= stream_socket::inflight_limit + stream_socket::read_chunk);
  poll_a_while(eng);
  BOOST_TEST(sink->data_size() == paused_at);
  // Consuming everything resumes it, until all has arrived.
  std::size_t consumed = 0;
  auto consume = [&] {
    feed();
    auto got = sink->data_size();
    sock->consumed(got - consumed);
    consumed = got;
  };
  BOOST_REQUIRE(poll_until(
      eng, [&] { return sink->data_size() == total; }, std::chrono::seconds(3), consume));
  BOOST_TEST(sink->data() == data);
}

BOOST_FIXTURE_TEST_CASE(a_write_to_an_empty_queue_goes_out_at_once_with_no_drained_msg,
                        pair_fixture) {
  BOOST_TEST(sock->write("abc")); // the drain is the caller's to report
  BOOST_TEST(sock->bytes_queued() == 0u);
  std::string got;
  BOOST_REQUIRE(poll_until(eng, [&] { return peer.read_into(got), got == "abc"; }));
  poll_a_while(eng);
  BOOST_TEST(!sink->saw("drained"));
  // Until the channel has seen that drain, the next one is folded into it.
  BOOST_TEST(!sock->write("d"));
  sock->drain_seen();
  BOOST_TEST(sock->write("e"));
}

BOOST_FIXTURE_TEST_CASE(queued_writes_are_flushed_in_order_with_one_drained_msg_per_drain,
                        pair_fixture) {
  auto big = pattern(4 * 1024 * 1024);
  BOOST_TEST(!sock->write(big)); // more than the socket buffer takes
  BOOST_TEST(sock->bytes_queued() > 0u);
  BOOST_TEST(!sock->write("tail"));
  std::string got;
  BOOST_REQUIRE(poll_until(
      eng, [&] { return got.size() == big.size() + 4 && sink->saw("drained"); },
      std::chrono::seconds(3), [&] { peer.read_into(got); }));
  BOOST_TEST((got == big + "tail"));
  poll_a_while(eng);
  BOOST_TEST(sink->count("drained") == 1u);
  // A second drain after drain_seen is reported again, once.
  sock->drain_seen();
  BOOST_TEST(!sock->write(big));
  got.clear();
  BOOST_REQUIRE(poll_until(
      eng, [&] { return got.size() == big.size() && sink->count("drained") == 2; },
      std::chrono::seconds(3), [&] { peer.read_into(got); }));
  poll_a_while(eng);
  BOOST_TEST(sink->count("drained") == 2u);
}

BOOST_FIXTURE_TEST_CASE(end_flushes_the_queue_then_closes, pair_fixture) {
  auto big = pattern(2 * 1024 * 1024);
  BOOST_TEST(!sock->write(big));
  sock->end();
  BOOST_TEST(!sock->writable());
  BOOST_CHECK_THROW((void)sock->write("late"), state_error);
  std::string got;
  bool open = true;
  BOOST_REQUIRE(poll_until(
      eng, [&] { return !open && sink->saw("closed"); }, std::chrono::seconds(3),
      [&] { open = peer.read_into(got); }));
  BOOST_TEST((got == big));
  BOOST_TEST(sink->events() == (events{"connected", "drained", "closed"}),
             boost::test_tools::per_element());
}

BOOST_FIXTURE_TEST_CASE(close_discards_queued_output_and_reports_closed_once, pair_fixture) {
  auto big = pattern(4 * 1024 * 1024);
  BOOST_TEST(!sock->write(big));
  sock->close();
  sock->close(); // idempotent
  BOOST_REQUIRE(poll_until(eng, [&] { return sink->saw("closed"); }));
  BOOST_TEST(sock->bytes_queued() == 0u);
  std::string got;
  BOOST_REQUIRE(poll_until(eng, [&] { return !peer.read_into(got); }));
  BOOST_TEST(got.size() < big.size());
  poll_a_while(eng);
  BOOST_TEST(sink->events() == (events{"connected", "closed"}), boost::test_tools::per_element());
}

BOOST_FIXTURE_TEST_CASE(closed_msg_comes_once_and_last_after_a_peer_reset, client_fixture) {
  peer_fd peer;
  peer.fd = listener.accept_one();
  BOOST_REQUIRE(peer.fd >= 0);
  linger abort_close{1, 0};
  ::setsockopt(peer.fd, SOL_SOCKET, SO_LINGER, &abort_close, sizeof abort_close);
  peer.reset(); // an RST, not a FIN
  BOOST_REQUIRE(poll_until(eng, [&] { return sink->saw("closed"); }));
  poll_a_while(eng);
  BOOST_TEST(sink->events() ==
                 (events{"connected", "read_error:" + std::to_string(ECONNRESET), "closed"}),
             boost::test_tools::per_element());
  BOOST_TEST(eng.size() == 0u);
}

BOOST_FIXTURE_TEST_CASE(shutdown_write_half_closes_and_reading_goes_on, pair_fixture) {
  sock->shutdown_write();
  BOOST_TEST(!sock->writable());
  BOOST_TEST(sock->reading());
  BOOST_CHECK_THROW((void)sock->write("x"), state_error);
  std::string got;
  BOOST_REQUIRE(poll_until(eng, [&] { return !peer.read_into(got); })); // the peer reads EOF
  BOOST_TEST(got.empty());
  peer.send_some("still here", 0);
  BOOST_REQUIRE(poll_until(eng, [&] { return sink->data() == "still here"; }));
  BOOST_TEST(!sink->saw("closed"));
}

BOOST_FIXTURE_TEST_CASE(a_write_after_close_throws_state_error_and_changes_nothing, pair_fixture) {
  sock->close();
  BOOST_REQUIRE(poll_until(eng, [&] { return sink->saw("closed"); }));
  auto before = sink->events();
  BOOST_CHECK_THROW((void)sock->write("x"), state_error);
  poll_a_while(eng);
  BOOST_TEST(sink->events() == before, boost::test_tools::per_element());
  BOOST_TEST(sock->bytes_queued() == 0u);
  BOOST_TEST(sock->is_closed());
}
