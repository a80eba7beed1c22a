// The examples of docs/testing.md, block by block (docs_sync_test
// checks that this file is exactly the guide's code).
#include <pants/actors/testing/mock_fixture.hpp>
#include <pants/pants.hpp>

#include "idle_echo.hpp" // examples/: the idle_timeout example's handler

#define BOOST_TEST_MODULE testing_guide
#include <boost/test/unit_test.hpp>

#include <caf/atom.hpp>
#include <caf/send.hpp>

#include <cctype>
#include <cerrno>
#include <chrono>
#include <memory>
#include <string>
#include <string_view>

using namespace pants;
using namespace pants::testing;
using namespace std::chrono_literals;

struct echo : connection {
  using connection::connection; // echo(engine&): the mock's, in tests
  void on_read(std::string_view data) override { write(data); }
};

BOOST_FIXTURE_TEST_CASE(echo_writes_back_what_the_peer_sends, mock_fixture) {
  auto [conn, peer] = accept<echo>(); // accepted from 192.0.2.1:40000
  peer.send("hel");                   // two reads: any chunking you like
  peer.send("lo");
  BOOST_TEST(peer.written().empty()); // nothing has run yet
  run();
  BOOST_TEST(peer.written() == "hello");
  peer.close(); // the client hangs up
  run();
  BOOST_TEST(conn->closed());
}

struct chatter : connection {
  using connection::connection;
  void on_connect() override { read_delimiter("\n"); }
  void on_read(std::string_view line) override {
    auto room = server(); // null once the server is gone
    if (!room)
      return;
    std::string message(line);
    message += '\n';
    for (auto& other : room->channels()) {
      try {
        other->write(message);
      } catch (const state_error&) { // closing right now: skip it
      }
    }
  }
};

struct chat_room : mock_fixture {
  std::shared_ptr<server> room =
      make<server>([this] { return std::make_shared<chatter>(mock.engine()); });
  chat_room() {
    room->listen(4000);
    run();
  }
};

BOOST_FIXTURE_TEST_CASE(a_line_from_one_client_reaches_every_client, chat_room) {
  auto net = mock.listener(*room);
  auto ann = net.accept("192.0.2.1:1001");
  auto bob = net.accept("192.0.2.2:1002");
  auto cyd = net.accept("[2001:db8::3]:1003");
  run();
  BOOST_TEST(room->channels().size() == 3u);
  ann.send("hel");
  run();
  BOOST_TEST(bob.written().empty()); // not a whole line yet
  ann.send("lo\n");
  run();
  BOOST_TEST(ann.written() == "hello\n");
  BOOST_TEST(bob.written() == "hello\n");
  BOOST_TEST(cyd.written() == "hello\n");
}

BOOST_FIXTURE_TEST_CASE(a_client_that_left_gets_nothing_more, chat_room) {
  auto net = mock.listener(*room);
  auto ann = net.accept("192.0.2.1:1001");
  auto bob = net.accept("192.0.2.2:1002");
  run();
  bob.close();
  run();
  BOOST_TEST(room->channels().size() == 1u);
  ann.send("anyone?\n");
  run();
  BOOST_TEST(ann.written() == "anyone?\n");
  BOOST_TEST(bob.written().empty());
}

BOOST_FIXTURE_TEST_CASE(a_quiet_connection_is_told_and_closed_after_thirty_seconds, mock_fixture) {
  auto [conn, peer] = accept<idle_echo>(30s); // a 30 s limit
  BOOST_TEST(mock.pending_wakeups() == 1u); // the idle check
  BOOST_TEST((mock.next_wakeup() == mock_engine::duration(30s)));
  advance(29s);
  BOOST_TEST(!peer.closed());
  advance(1s);
  BOOST_TEST(peer.written() == "idle timeout\n");
  BOOST_TEST(peer.closed());
}

BOOST_FIXTURE_TEST_CASE(input_postpones_the_idle_timeout, mock_fixture) {
  auto [conn, peer] = accept<idle_echo>(30s); // a 30 s limit
  advance(20s);
  peer.send("ping");
  run();
  BOOST_TEST(peer.take_written() == "ping"); // take: read and clear
  advance(29s);                              // 49 s in, 29 s after the read
  BOOST_TEST(!peer.closed());
  advance(1s);
  BOOST_TEST(peer.written() == "idle timeout\n");
  BOOST_TEST(peer.closed());
}

using shout_atom = caf::atom_constant<caf::atom("shout")>;

caf::behavior upper_lines(stream& self) {
  return {
      [&self](connected_msg) { self.read_delimiter("\n"); },
      [&self](read_msg& m) {
        for (auto& c : m.data)
          c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
        self.write(m.data + "\n");
      },
      [&self](shout_atom, const std::string& text) { self.write(text + "!\n"); },
  };
}

BOOST_FIXTURE_TEST_CASE(an_actor_style_channel_answers_lines_and_messages, mock_fixture) {
  auto [conn, peer] = accept<behavior_stream>(upper_lines);
  peer.send("hello\nwor");
  run();
  BOOST_TEST(peer.take_written() == "HELLO\n");
  caf::anon_send(conn->actor(), shout_atom::value, std::string("hey"));
  run();
  BOOST_TEST(peer.take_written() == "hey!\n");
  peer.send("ld\n");
  run();
  BOOST_TEST(peer.take_written() == "WORLD\n");
}

struct echo_stats {
  int write_errors = 0;
  int closed = 0;
};

struct counted_echo : connection {
  counted_echo(std::shared_ptr<echo_stats> s, pants::engine& eng)
      : connection(eng), stats(std::move(s)) {}
  void on_read(std::string_view data) override { write(data); }
  void on_write_error(const net_error&) override { ++stats->write_errors; }
  void on_close() override { ++stats->closed; }
  std::shared_ptr<echo_stats> stats;
};

BOOST_FIXTURE_TEST_CASE(a_failed_write_is_counted_and_closes_the_connection, mock_fixture) {
  auto stats = std::make_shared<echo_stats>();
  auto [conn, peer] = accept<counted_echo>(stats); // counted_echo(stats, mock.engine())
  peer.fail_next_write(EPIPE);
  peer.send("hello");
  run();
  BOOST_TEST(stats->write_errors == 1);
  BOOST_TEST(stats->closed == 1);
  BOOST_TEST(peer.written().empty());
  BOOST_TEST(conn->closed());
}

struct greeter : client {
  using client::client;
  void on_connect() override { write("HELLO\n"); }
  void on_connect_error(const net_error& e) override { failure = e.code; }
  void on_close() override { gone = true; }
  int failure = 0;
  bool gone = false;
};

BOOST_FIXTURE_TEST_CASE(a_greeter_greets_once_connected, mock_fixture) {
  mock.resolves("chat.example", {"192.0.2.10"});
  auto c = make<greeter>();
  c->connect("chat.example", 4000);
  run();
  auto peer = mock.peer(*c);
  BOOST_TEST(peer.connecting());
  BOOST_TEST(peer.targets().at(0).to_string() == "192.0.2.10:4000");
  peer.complete_connect();
  run();
  BOOST_TEST(peer.written() == "HELLO\n");
}

BOOST_FIXTURE_TEST_CASE(a_refused_connect_reaches_on_connect_error_then_on_close, mock_fixture) {
  auto c = make<greeter>();
  mock.fail_next_connect(ECONNREFUSED);
  c->connect("127.0.0.1", 4000);
  run();
  BOOST_TEST(c->failure == ECONNREFUSED);
  BOOST_TEST(c->gone);
}

struct counting_server : server {
  using server::server;
  void on_accept(int fd, const std::string& peer) override {
    ++accepted;
    server::on_accept(fd, peer);
  }
  int accepted = 0;
};

BOOST_FIXTURE_TEST_CASE(an_accept_failing_with_emfile_is_not_seen_and_the_server_goes_on,
                        mock_fixture) {
  auto srv = make<counting_server>([this] { return std::make_shared<echo>(mock.engine()); });
  srv->listen(4000);
  run();
  auto net = mock.listener(*srv);
  net.fail_next_accept(EMFILE);
  auto dropped = net.accept();
  run();
  BOOST_TEST(dropped.was_reset());
  BOOST_TEST(srv->accepted == 0);
  auto next = net.accept();
  run();
  next.send("still here");
  run();
  BOOST_TEST(srv->accepted == 1);
  BOOST_TEST(next.written() == "still here");
}

struct secure_greeter : client {
  using client::client;
  void on_connect() override { write("HELLO\n"); } // after the handshake
  void on_tls_error(const net_error& e) override { why = e.message; }
  std::string why;
};

BOOST_FIXTURE_TEST_CASE(the_greeting_waits_for_the_tls_handshake, mock_fixture) {
  auto c = make<secure_greeter>();
  c->start_tls(); // the system's CAs; the name checked is the host connected to
  c->connect("192.0.2.10", 4433);
  run();
  auto peer = mock.peer(*c);
  peer.complete_connect();
  run();
  BOOST_TEST(peer.tls_host() == "192.0.2.10");
  BOOST_TEST(peer.written() == ""); // on_connect has not run
  peer.complete_tls();
  run();
  BOOST_TEST(peer.written() == "HELLO\n");
}

BOOST_FIXTURE_TEST_CASE(a_bad_certificate_ends_before_the_greeting, mock_fixture) {
  auto c = make<secure_greeter>();
  c->start_tls();
  c->connect("192.0.2.10", 4433);
  run();
  auto peer = mock.peer(*c);
  peer.complete_connect();
  peer.fail_tls("certificate verify failed: self-signed certificate");
  run();
  BOOST_TEST(c->why == "TLS: certificate verify failed: self-signed certificate");
  BOOST_TEST(peer.closed());
  BOOST_TEST(peer.written() == "");
}

struct udp_echo : datagram {
  using datagram::datagram;
  void on_read(std::string_view data, const endpoint& from) override { write(data, from); }
};

BOOST_FIXTURE_TEST_CASE(each_datagram_goes_back_to_its_sender, mock_fixture) {
  auto ch = make<udp_echo>();
  ch->listen(5000);
  run();
  auto net = mock.peer(*ch);
  net.receive("ping", "192.0.2.7:6000");
  net.receive("", "[2001:db8::9]:7000"); // an empty datagram is one too
  run();
  auto sent = net.take_sent();
  BOOST_REQUIRE(sent.size() == 2u);
  BOOST_TEST(sent[0].data == "ping");
  BOOST_TEST(sent[0].to.to_string() == "192.0.2.7:6000");
  BOOST_TEST(sent[1].data == "");
  BOOST_TEST(sent[1].to.to_string() == "[2001:db8::9]:7000");
}
