// TLS channels through the mock engine: the handshake is simulated (the
// test completes or fails it; no byte is encrypted), with the real
// socket's order — on_connect after on_tls_handshake, writes during the
// handshake held and counted, STARTTLS's clear bytes first — and its
// handshake timeout on virtual time. Both handler styles.

#include "pants/actors/testing/mock_fixture.hpp"

#include "pants/actors/behavior_stream.hpp"
#include "pants/actors/stream.hpp"
#include "pants/actors/stream_server.hpp"
#include "pants/channels/errors.hpp"
#include "pants/channels/tls_context.hpp"
#include "support/tls_files.hpp"

#define BOOST_TEST_MODULE tls_mock
#include <boost/test/unit_test.hpp>

#include <cerrno>
#include <chrono>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

using namespace pants;
using namespace pants::testing;
using namespace std::chrono_literals;
using strings = std::vector<std::string>;

namespace {

tls_options server_side() {
  const auto& f = pants::test::tls_files::get();
  tls_options o;
  o.certificate_chain_file = f.leaf;
  o.private_key_file = f.leaf_key;
  return o;
}

/// Logs its callbacks and echoes.
class logged : public connection {
public:
  using connection::connection;
  strings log;

private:
  void on_tls_handshake() override { log.push_back("tls"); }
  void on_connect() override { log.push_back("connect"); }
  void on_read(std::string_view d) override {
    log.push_back("read " + std::string(d));
    write(d);
  }
  void on_write() override { log.push_back("write"); }
  void on_tls_error(const net_error& e) override {
    log.push_back("tls_error " + std::to_string(e.code) + " " + e.message);
  }
  void on_close() override { log.push_back("close"); }
};

/// A client that logs, and writes `greeting` in on_connect.
class logged_client : public client {
public:
  using client::client;
  strings log;
  std::string greeting;

private:
  void on_tls_handshake() override { log.push_back("tls"); }
  void on_connect() override {
    log.push_back("connect");
    write(greeting);
  }
  void on_read(std::string_view d) override { log.push_back("read " + std::string(d)); }
  void on_tls_error(const net_error& e) override { log.push_back("tls_error " + e.message); }
  void on_close() override { log.push_back("close"); }
};

/// A line protocol: "STARTTLS" is answered "GO" in the clear, TLS starts
/// at once, and each later line comes back as "secret:<line>".
class starttls_server : public connection {
public:
  using connection::connection;
  strings log;

private:
  void on_connect() override { read_delimiter("\n"); }
  void on_read(std::string_view line) override {
    log.push_back("line " + std::string(line));
    if (line == "STARTTLS") {
      start_tls(server_side(), "GO\n");
      write("early\n"); // during the handshake: held, counted
    } else {
      write("secret:" + std::string(line) + "\n");
    }
  }
  void on_tls_handshake() override { log.push_back("tls"); }
};

struct tls_fixture : mock_fixture {
  std::vector<std::shared_ptr<logged>> made;

  /// A TLS server on the mock (`server.tls`) and one client's far end.
  std::shared_ptr<server> serve(const tls_options& o = server_side()) {
    auto srv = make<server>([this] {
      made.push_back(std::make_shared<logged>(mock.engine()));
      return made.back();
    });
    srv->tls(o);
    srv->listen(443);
    run();
    return srv;
  }

  /// A client connects to `srv`, and the server makes its channel.
  stream_peer arrive(server& srv) {
    auto peer = mock.listener(srv).accept();
    run();
    return peer;
  }
};

} // namespace

BOOST_FIXTURE_TEST_SUITE(tls_mock, tls_fixture)

BOOST_AUTO_TEST_CASE(a_server_connection_starts_with_the_handshake_the_test_completes) {
  auto srv = serve();
  auto peer = mock.listener(*srv).accept("192.0.2.7:5000");
  run();
  BOOST_REQUIRE(made.size() == 1u);
  auto& ch = *made[0];
  BOOST_TEST(ch.log.empty()); // on_connect waits for the handshake
  BOOST_TEST(peer.tls_started());
  BOOST_TEST(peer.tls_handshaking());
  BOOST_TEST((peer.tls()->role() == tls_role::server));
  BOOST_TEST(peer.tls_host() == "");
  BOOST_TEST(peer.clear_bytes() == 0u);
  BOOST_CHECK_THROW(peer.send("too soon"), state_error); // only handshake records now

  peer.complete_tls();
  run();
  BOOST_TEST((ch.log == strings{"tls", "connect"}), boost::test_tools::per_element());
  BOOST_TEST(!peer.tls_handshaking());
  peer.send("hello");
  run();
  BOOST_TEST(peer.written() == "hello");               // the peer reads plaintext: TLS is simulated
  BOOST_CHECK_THROW(peer.complete_tls(), state_error); // it is done
  peer.close();
  run();
  BOOST_TEST((ch.log == strings{"tls", "connect", "read hello", "write", "close"}),
             boost::test_tools::per_element());
}

BOOST_AUTO_TEST_CASE(a_client_that_starts_tls_before_connecting_gets_on_connect_after_it) {
  auto c = make<logged_client>();
  c->greeting = "hi";
  tls_options o;
  o.ca_file = pants::test::tls_files::get().ca;
  c->start_tls(o);
  c->connect("192.0.2.9", 443);
  run();
  auto peer = mock.peer(*c);
  peer.complete_connect();
  run();
  BOOST_TEST(c->log.empty());
  BOOST_TEST((peer.tls()->role() == tls_role::client));
  BOOST_TEST(peer.tls_host() == "192.0.2.9"); // the host connected to, checked as an address
  BOOST_TEST(peer.tls()->options().ca_file == o.ca_file);
  BOOST_TEST(c->tls_info().version == "");
  peer.complete_tls({"TLSv1.2", "ECDHE-ECDSA-AES256-GCM-SHA384", "h2"});
  run();
  BOOST_TEST((c->log == strings{"tls", "connect"}), boost::test_tools::per_element());
  BOOST_TEST(peer.written() == "hi");
  BOOST_TEST(c->tls_info().version == "TLSv1.2");
  BOOST_TEST(c->tls_info().alpn == "h2");
  c->close();
  run();
}

BOOST_AUTO_TEST_CASE(starttls_sends_the_answer_in_the_clear_and_holds_what_follows) {
  auto ch = make<starttls_server>();
  auto peer = mock.accept(ch);
  peer.send("STARTTLS\n");
  run();
  BOOST_TEST(peer.take_written() == "GO\n"); // in the clear, before TLS
  BOOST_TEST(peer.clear_bytes() == 3u);
  BOOST_TEST(peer.tls_handshaking());
  BOOST_TEST(ch->bytes_queued() == 6u); // "early\n" waits for the handshake, counted
  peer.complete_tls();
  run();
  BOOST_TEST(peer.take_written() == "early\n");
  peer.send("hello\n");
  run();
  BOOST_TEST(peer.written() == "secret:hello\n");
  BOOST_TEST((ch->log == strings{"line STARTTLS", "tls", "line hello"}),
             boost::test_tools::per_element());
}

BOOST_AUTO_TEST_CASE(a_failed_handshake_is_on_tls_error_then_on_close) {
  auto srv = serve();
  auto peer = arrive(*srv);
  peer.fail_tls("certificate verify failed: certificate has expired");
  run();
  BOOST_TEST(
      (made[0]->log == strings{"tls_error " + std::to_string(EPROTO) +
                                   " TLS: certificate verify failed: certificate has expired",
                               "close"}),
      boost::test_tools::per_element());
  BOOST_TEST(peer.closed());
}

BOOST_AUTO_TEST_CASE(a_peer_closing_mid_handshake_is_a_tls_error) {
  auto srv = serve();
  auto peer = arrive(*srv);
  peer.close();
  run();
  BOOST_TEST(
      (made[0]->log == strings{"tls_error " + std::to_string(ECONNRESET) +
                                   " TLS: the peer closed the connection during the handshake",
                               "close"}),
      boost::test_tools::per_element());
}

BOOST_AUTO_TEST_CASE(the_handshake_timeout_runs_on_virtual_time) {
  auto o = server_side();
  o.handshake_timeout = 5s;
  auto srv = serve(o);
  auto peer = arrive(*srv);
  advance(4999ms);
  BOOST_TEST(made[0]->log.empty());
  advance(1ms);
  BOOST_TEST((made[0]->log == strings{"tls_error " + std::to_string(ETIMEDOUT) +
                                          " TLS: the handshake timed out after 5000 ms",
                                      "close"}),
             boost::test_tools::per_element());
  BOOST_TEST(peer.closed());
}

BOOST_AUTO_TEST_CASE(a_completed_handshake_stops_its_timeout) {
  auto srv = serve(); // the default bound, 60 s
  auto peer = arrive(*srv);
  peer.complete_tls();
  run();
  advance(120s);
  BOOST_TEST((made[0]->log == strings{"tls", "connect"}), boost::test_tools::per_element());
  BOOST_TEST(!peer.closed());
}

BOOST_AUTO_TEST_CASE(an_actor_style_channel_gets_the_typed_tls_messages) {
  strings log;
  auto srv = make<server>(behavior_stream::for_server(
      [&log](stream&) -> caf::behavior {
        return {
            [&log](tls_handshake_msg) { log.push_back("tls"); },
            [&log](connected_msg) { log.push_back("connect"); },
            [&log](tls_error_msg& m) { log.push_back("tls_error " + m.error.message); },
            [&log](closed_msg) { log.push_back("close"); },
        };
      },
      mock.engine()));
  srv->tls(server_side());
  srv->listen(443);
  run();
  auto net = mock.listener(*srv);
  auto a = net.accept("192.0.2.1:1");
  auto b = net.accept("192.0.2.2:2");
  run();
  a.complete_tls();
  b.fail_tls("http request");
  run();
  BOOST_TEST((log == strings{"tls", "connect", "tls_error TLS: http request", "close"}),
             boost::test_tools::per_element());
}

BOOST_AUTO_TEST_CASE(misuse_of_the_simulated_handshake_throws) {
  auto ch = make<logged>();
  auto peer = mock.accept(ch); // no TLS
  BOOST_CHECK_THROW(peer.complete_tls(), state_error);
  BOOST_CHECK_THROW(peer.fail_tls("x"), state_error);
  BOOST_TEST(!peer.tls_started());
  ch->start_tls(server_side());
  BOOST_CHECK_THROW(ch->start_tls(server_side()), state_error); // once
  auto c = make<logged_client>();
  c->start_tls();
  c->connect("192.0.2.9", 443);
  run();
  BOOST_CHECK_THROW(mock.peer(*c).complete_tls(), state_error); // still connecting
  c->close();
  run();
}

BOOST_AUTO_TEST_SUITE_END()
