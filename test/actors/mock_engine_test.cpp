// The mock engine itself: every injection and readback, fault injection,
// determinism and virtual time. Channels here run on the mock only: no
// socket, no thread, no real waiting.

#include "pants/actors/testing/mock_engine.hpp"

#include "pants/actors/behavior_stream.hpp"
#include "pants/actors/stream.hpp"
#include "pants/actors/stream_server.hpp"
#include "pants/actors/testing/mock_fixture.hpp"
#include "pants/channels/errors.hpp"
#include "pants/engine/engine.hpp"
#include "support/tracking.hpp"

#define BOOST_TEST_MODULE mock_engine
#include <boost/test/unit_test.hpp>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

using namespace pants;
using namespace pants::testing;
using namespace std::chrono_literals;

namespace {

/// Pants' echo handler.
class echo : public connection {
public:
  using connection::connection;
  void on_read(std::string_view data) override { write(data); }
};

/// Echoes, and closes after 30 s without input.
class idle_echo : public connection {
public:
  using connection::connection;

private:
  void on_connect() override { rearm(); }
  void on_read(std::string_view data) override {
    write(data);
    rearm();
  }
  void rearm() {
    idle_.cancel();
    idle_ = defer(30s, [this] { close(); });
  }
  timer idle_;
};

/// Records every callback in order.
class recording : public client {
public:
  using client::client;
  std::vector<std::string> events;
  std::string connect_error; // the last on_connect_error's message

private:
  void on_connect() override { events.push_back("connect"); }
  void on_connect_error(const net_error& e) override {
    events.push_back("connect_error " + std::to_string(e.code));
    connect_error = e.message;
  }
  void on_read(std::string_view d) override { events.push_back("read " + std::string(d)); }
  void on_write() override { events.push_back("write"); }
  void on_read_error(const net_error& e) override {
    events.push_back("read_error " + std::to_string(e.code));
  }
  void on_write_error(const net_error& e) override {
    events.push_back("write_error " + std::to_string(e.code));
  }
  void on_close() override { events.push_back("close"); }
};

using strings = std::vector<std::string>;

/// A chat member: its own state, reached through channels<member>().
class member : public connection {
public:
  using connection::connection;
  std::string nick;
};

} // namespace

BOOST_FIXTURE_TEST_SUITE(mock, mock_fixture)

BOOST_AUTO_TEST_CASE(an_echo_connection_writes_back_what_the_peer_sends) {
  auto [conn, peer] = accept<echo>();
  peer.send("hello");
  run();
  BOOST_TEST(peer.written() == "hello");
  BOOST_TEST(!peer.closed());
}

BOOST_AUTO_TEST_CASE(nothing_runs_until_the_test_runs_the_mock) {
  auto [conn, peer] = accept<echo>();
  peer.send("hello");
  BOOST_TEST(peer.written().empty());
  run();
  BOOST_TEST(peer.written() == "hello");
}

BOOST_AUTO_TEST_CASE(an_idle_timeout_closes_the_connection_after_thirty_virtual_seconds) {
  auto [conn, peer] = accept<idle_echo>();
  advance(29s);
  peer.send("ping");
  run();
  BOOST_TEST(peer.take_written() == "ping");
  advance(29s);
  BOOST_TEST(!peer.closed()); // the read re-armed the timer
  advance(1s);
  BOOST_TEST(peer.closed());
  BOOST_TEST(conn->closed());
}

BOOST_AUTO_TEST_CASE(a_client_connect_completes_when_the_test_says_so) {
  auto c = make<recording>();
  c->connect("127.0.0.1", 4000);
  run();
  auto peer = mock.peer(*c);
  BOOST_TEST(peer.connecting());
  BOOST_TEST(peer.targets().at(0).to_string() == "127.0.0.1:4000");
  BOOST_TEST(c->events.empty());
  peer.complete_connect();
  run();
  BOOST_TEST(c->events == strings{"connect"});
  BOOST_TEST(c->remote_address() == "127.0.0.1:4000");
}

BOOST_AUTO_TEST_CASE(a_refused_connect_reports_the_error_then_the_close) {
  auto c = make<recording>();
  mock.fail_next_connect(ECONNREFUSED);
  c->connect(4000);
  run();
  BOOST_TEST(c->events == (strings{"connect_error " + std::to_string(ECONNREFUSED), "close"}));
}

BOOST_AUTO_TEST_CASE(a_connect_not_completed_within_its_timeout_fails_with_etimedout) {
  auto c = make<recording>();
  c->set_connect_timeout(3s);
  c->connect("127.0.0.1", 4000);
  run();
  auto peer = mock.peer(*c);
  advance(2999ms);
  BOOST_TEST(peer.connecting());
  BOOST_TEST(c->events.empty());
  advance(1ms);
  BOOST_TEST(c->events == (strings{"connect_error " + std::to_string(ETIMEDOUT), "close"}));
  BOOST_TEST(c->connect_error == "connect to 127.0.0.1:4000: timed out after 3000 ms");
  BOOST_TEST(peer.closed());
}

BOOST_AUTO_TEST_CASE(a_connect_completed_in_time_is_not_touched_by_its_timeout) {
  auto c = make<recording>();
  c->set_connect_timeout(3s);
  c->connect(4000);
  run();
  auto peer = mock.peer(*c);
  advance(1s);
  peer.complete_connect();
  run();
  advance(10s);
  BOOST_TEST(c->events == (strings{"connect"}));
  BOOST_TEST(c->connected());
}

BOOST_AUTO_TEST_CASE(a_bad_connect_timeout_throws_and_changes_nothing) {
  auto c = make<recording>();
  BOOST_CHECK_THROW(c->set_connect_timeout(0ms), std::invalid_argument);
  BOOST_CHECK_THROW(c->set_connect_timeout(-5s), std::invalid_argument);
  BOOST_TEST(c->connect_timeout().count() == 0);
  c->set_connect_timeout(1s);
  c->connect(4000);
  BOOST_CHECK_THROW(c->set_connect_timeout(5s), state_error);
  BOOST_TEST(c->connect_timeout().count() == 1000);
}

BOOST_AUTO_TEST_CASE(a_name_resolves_from_the_test_table_at_the_next_run) {
  mock.resolves("db.example", {"10.0.0.1", "::1"});
  auto c = make<recording>();
  c->connect("db.example", 5432);
  run();
  auto peer = mock.peer(*c);
  BOOST_REQUIRE(peer.targets().size() == 2u);
  BOOST_TEST(peer.targets()[0].to_string() == "10.0.0.1:5432");
  BOOST_TEST(peer.targets()[1].to_string() == "[::1]:5432");
  peer.complete_connect(1);
  run();
  BOOST_TEST(c->remote_address() == "[::1]:5432");
}

BOOST_AUTO_TEST_CASE(an_unknown_name_fails_the_connect) {
  auto c = make<recording>();
  c->connect("nowhere.example", 80);
  run();
  BOOST_TEST(c->events == (strings{"connect_error 0", "close"}));
}

BOOST_AUTO_TEST_CASE(data_arrives_in_the_chunking_the_test_chooses) {
  auto c = make<recording>();
  c->connect(4000);
  run();
  auto peer = mock.peer(*c);
  peer.complete_connect();
  c->read_delimiter("\n");
  peer.send("ab");
  peer.send("c\nd");
  peer.send("\n");
  run();
  BOOST_TEST(c->events == (strings{"connect", "read abc", "read d"}));
}

BOOST_AUTO_TEST_CASE(a_peer_close_ends_the_channel_after_the_data_before_it) {
  auto c = make<recording>();
  c->connect(4000);
  run();
  auto peer = mock.peer(*c);
  peer.complete_connect();
  peer.send("last");
  peer.close();
  run();
  BOOST_TEST(c->events == (strings{"connect", "read last", "close"}));
  BOOST_TEST(peer.closed());
}

BOOST_AUTO_TEST_CASE(a_reset_reports_a_read_error_then_the_close) {
  auto [conn, peer] = accept<echo>();
  peer.reset();
  run();
  BOOST_TEST(conn->closed());
}

BOOST_AUTO_TEST_CASE(a_failed_write_reports_the_write_error_then_the_close) {
  auto c = make<recording>();
  c->connect(4000);
  run();
  auto peer = mock.peer(*c);
  peer.complete_connect();
  run();
  peer.fail_next_write(EPIPE);
  c->write("x");
  run();
  BOOST_TEST(c->events == (strings{"connect", "write_error " + std::to_string(EPIPE), "close"}));
  BOOST_TEST(peer.written().empty());
}

BOOST_AUTO_TEST_CASE(a_closed_window_queues_writes_until_it_opens) {
  auto c = make<recording>();
  c->connect(4000);
  run();
  auto peer = mock.peer(*c);
  peer.complete_connect();
  run();
  peer.set_window(false);
  c->write("ab");
  c->write("cd");
  run();
  BOOST_TEST(c->bytes_queued() == 4u);
  BOOST_TEST(peer.written().empty());
  peer.set_window(true);
  run();
  BOOST_TEST(peer.written() == "abcd");
  BOOST_TEST(c->events == (strings{"connect", "write"}));
}

BOOST_AUTO_TEST_CASE(end_is_read_back_and_closes_after_the_flush) {
  auto [conn, peer] = accept<echo>();
  peer.set_window(false);
  conn->write("bye");
  conn->end();
  run();
  BOOST_TEST(peer.ended());
  BOOST_TEST(!peer.closed());
  peer.set_window(true);
  run();
  BOOST_TEST(peer.written() == "bye");
  BOOST_TEST(peer.closed());
}

BOOST_AUTO_TEST_CASE(shutdown_write_is_read_back) {
  auto [conn, peer] = accept<echo>();
  conn->shutdown_write();
  run();
  BOOST_TEST(peer.shut_down_write());
  BOOST_TEST(!peer.closed());
}

BOOST_AUTO_TEST_CASE(a_server_accepts_connections_and_lists_them) {
  auto srv = make<server>([this] { return std::make_shared<echo>(mock.engine()); });
  srv->listen(0);
  run();
  auto net = mock.listener(*srv);
  auto a = net.accept("192.0.2.1:1000");
  auto b = net.accept("[2001:db8::1]:2000");
  run();
  BOOST_TEST(srv->channels().size() == 2u);
  BOOST_REQUIRE(net.channel_of(b) != nullptr);
  BOOST_TEST(net.channel_of(b)->remote_address() == "[2001:db8::1]:2000");
  a.send("to a");
  run();
  BOOST_TEST(a.written() == "to a");
  BOOST_TEST(b.written().empty());
  srv->close();
  run();
  BOOST_TEST(net.closed());
  BOOST_TEST(a.closed());
  BOOST_TEST(b.closed());
}

BOOST_AUTO_TEST_CASE(at_max_connections_clients_wait_and_are_accepted_in_turn_as_others_close) {
  auto srv = make<server>([this] { return std::make_shared<echo>(mock.engine()); });
  BOOST_CHECK_THROW(srv->set_max_connections(0), std::invalid_argument);
  BOOST_TEST(srv->max_connections() == 0u);
  srv->set_max_connections(2);
  srv->listen(0);
  run();
  auto net = mock.listener(*srv);
  std::vector<stream_peer> clients;
  for (int i = 0; i < 5; ++i)
    clients.push_back(net.accept("192.0.2.1:" + std::to_string(1000 + i)));
  run();
  BOOST_TEST(srv->channels().size() == 2u); // the other three wait in the backlog
  BOOST_TEST(net.accepted() == 5u);
  BOOST_TEST(net.channel_of(clients[2]) == nullptr);
  clients[2].send("queued"); // waits unread, as in the kernel's backlog
  clients[0].close();        // a slot frees: the next client is accepted
  run();
  BOOST_TEST(srv->channels().size() == 2u);
  BOOST_REQUIRE(net.channel_of(clients[2]) != nullptr);
  BOOST_TEST(clients[2].written() == "queued");
  BOOST_TEST(net.channel_of(clients[3]) == nullptr);
  srv->set_max_connections(4); // raised: both waiting ones come in
  run();
  BOOST_TEST(srv->channels().size() == 4u);
  BOOST_TEST(net.channel_of(clients[4]) != nullptr);
}

BOOST_AUTO_TEST_CASE(a_connection_on_accept_refuses_gives_its_slot_back) {
  class picky : public server {
  public:
    using server::server;

  private:
    void on_accept(int fd, const std::string& peer) override {
      if (peer.find(":666") != std::string::npos)
        ::close(fd); // refused: never adopted
      else
        adopt(fd);
    }
  };
  auto srv = make<picky>([this] { return std::make_shared<echo>(mock.engine()); });
  srv->set_max_connections(1);
  srv->listen(0);
  run();
  auto net = mock.listener(*srv);
  net.accept("192.0.2.1:666");
  auto ok = net.accept("192.0.2.1:1000");
  run();
  BOOST_TEST(net.channel_of(ok) != nullptr); // the refused one did not keep the slot
}

BOOST_AUTO_TEST_CASE(broadcast_reaches_every_open_client_and_skips_one_that_is_closing) {
  auto srv = make<server>([this] { return std::make_shared<member>(mock.engine()); });
  srv->listen(4000);
  run();
  auto net = mock.listener(*srv);
  std::vector<stream_peer> room;
  for (int i = 0; i < 8; ++i)
    room.push_back(net.accept());
  run();
  auto leaving = net.channel_of(room[3]);
  BOOST_REQUIRE(leaving != nullptr);
  leaving->end(); // closing, not closed yet: a plain write to it throws
  BOOST_CHECK_THROW(leaving->write("x"), state_error);
  BOOST_TEST(srv->broadcast("hello\n") == 7u);
  auto sender = net.channel_of(room[0]);
  BOOST_TEST(srv->broadcast("from 0\n", sender.get()) == 6u);
  run();
  for (std::size_t i = 0; i < room.size(); ++i) {
    if (i == 3)
      BOOST_TEST(room[i].written().empty());
    else if (i == 0)
      BOOST_TEST(room[i].written() == "hello\n");
    else
      BOOST_TEST(room[i].written() == "hello\nfrom 0\n", "client " << i);
  }
  BOOST_TEST(room[3].closed());
  srv->close();
  run();
}

BOOST_AUTO_TEST_CASE(channels_of_the_factory_type_reach_their_own_members) {
  auto srv = make<server>([this] { return std::make_shared<member>(mock.engine()); });
  srv->listen(4000);
  run();
  auto net = mock.listener(*srv);
  auto a = net.accept();
  auto b = net.accept();
  run();
  auto members = srv->channels<member>();
  BOOST_REQUIRE(members.size() == 2u);
  members[0]->nick = "ann";
  members[1]->nick = "bob";
  strings nicks;
  for (auto& m : srv->channels<member>())
    nicks.push_back(m->nick);
  std::sort(nicks.begin(), nicks.end());
  BOOST_TEST(nicks == (strings{"ann", "bob"}), boost::test_tools::per_element());
  BOOST_TEST(srv->channels<echo>().empty()); // not the factory's type
  srv->close();
  run();
}

BOOST_AUTO_TEST_CASE(ending_a_server_sends_each_connection_its_queue_then_closes_it) {
  auto srv = make<server>([this] { return std::make_shared<member>(mock.engine()); });
  srv->listen(4000);
  run();
  auto net = mock.listener(*srv);
  auto a = net.accept();
  run();
  a.set_window(false); // the goodbye has to wait in the queue
  srv->broadcast("goodbye\n");
  srv->end();
  run();
  BOOST_TEST(net.closed()); // no longer accepting
  BOOST_TEST(!a.closed());  // still owed its queue
  a.set_window(true);
  run();
  BOOST_TEST(a.written() == "goodbye\n");
  BOOST_TEST(a.closed());
}

/// A server that records what reaches its on_error.
class error_recording_server : public server {
public:
  using server::server;
  std::vector<std::string> errors;

private:
  void on_error(const std::exception& e) override { errors.emplace_back(e.what()); }
};

BOOST_AUTO_TEST_CASE(a_factory_that_makes_channels_on_another_engine_fails_loudly_at_the_accept) {
  // The classic mistake: the channel is made on the default engine, not the mock's.
  auto srv = make<error_recording_server>([] { return std::make_shared<echo>(); });
  srv->listen(4000);
  run();
  auto net = mock.listener(*srv);
  auto c = net.accept();
  run();
  BOOST_REQUIRE(srv->errors.size() == 1u);
  BOOST_TEST(srv->errors[0].find("another engine") != std::string::npos, srv->errors[0]);
  BOOST_TEST(srv->errors[0].find("mock.engine()") != std::string::npos);
  BOOST_TEST(srv->channels().empty());
  BOOST_TEST(c.was_reset()); // the client is turned away, not left hanging
  srv->close();
  run();
}

BOOST_AUTO_TEST_CASE(a_channel_not_made_by_make_shared_gets_an_error_naming_the_fix) {
  echo on_the_stack(mock.engine());
  try {
    on_the_stack.connect("127.0.0.1", 4000);
    BOOST_ERROR("connect did not throw");
  } catch (const state_error& e) {
    BOOST_TEST(std::string(e.what()).find("std::make_shared") != std::string::npos, e.what());
  }
  BOOST_TEST(!on_the_stack.connected()); // nothing changed
  BOOST_TEST(mock.live_actors() == 0u);
}

BOOST_AUTO_TEST_CASE(clients_leaving_by_reset_print_nothing_and_are_counted_by_their_server) {
  auto srv = make<server>([this] { return std::make_shared<echo>(mock.engine()); });
  srv->listen(4000);
  run();
  auto net = mock.listener(*srv);
  std::vector<stream_peer> peers;
  for (int i = 0; i < 20; ++i)
    peers.push_back(net.accept());
  run();
  pants::test::stderr_capture err;
  for (auto& p : peers)
    p.reset(); // ECONNRESET: the default on_read_error sees each one
  run();
  BOOST_TEST(err.text().empty());
  BOOST_TEST(srv->errors_not_shown() == 20u);
  BOOST_TEST(srv->channels().empty());
}

BOOST_AUTO_TEST_CASE(other_connection_errors_print_at_most_one_line_a_second_per_server) {
  auto srv = make<server>([this] { return std::make_shared<echo>(mock.engine()); });
  srv->listen(4000);
  run();
  auto net = mock.listener(*srv);
  std::vector<stream_peer> peers;
  for (int i = 0; i < 31; ++i)
    peers.push_back(net.accept());
  run();
  pants::test::stderr_capture err;
  for (std::size_t i = 0; i < 30; ++i)
    peers[i].read_error(ETIMEDOUT);
  run();
  advance(std::chrono::seconds(1));
  peers[30].read_error(ETIMEDOUT);
  run();
  auto text = err.text();
  BOOST_TEST(std::count(text.begin(), text.end(), '\n') == 2, text);
  BOOST_TEST(text.find("(29 more errors not shown)") != std::string::npos, text);
  BOOST_TEST(srv->errors_not_shown() == 29u);
}

BOOST_AUTO_TEST_CASE(data_and_eof_sent_before_the_server_takes_the_connection_arrive) {
  auto srv = make<server>([this] { return std::make_shared<echo>(mock.engine()); });
  srv->listen(4000);
  run();
  auto net = mock.listener(*srv);
  auto c = net.accept();
  c.send("early");
  c.close();
  run();
  BOOST_TEST(c.written() == "early");
  BOOST_TEST(c.held() == 0u);
  BOOST_TEST(srv->channels().empty()); // the end of stream reached the channel: it closed
}

BOOST_AUTO_TEST_CASE(an_accept_failing_with_emfile_drops_the_client_and_the_server_goes_on) {
  auto srv = make<server>([this] { return std::make_shared<echo>(mock.engine()); });
  srv->listen(4000);
  run();
  auto net = mock.listener(*srv);
  net.fail_next_accept(EMFILE);
  auto dropped = net.accept();
  run();
  BOOST_TEST(dropped.was_reset());
  BOOST_TEST(srv->channels().empty());
  auto next = net.accept();
  run();
  BOOST_TEST(srv->channels().size() == 1u);
  BOOST_TEST(!next.closed());
}

BOOST_AUTO_TEST_CASE(a_listen_failing_with_eaddrinuse_throws_and_leaves_the_server_usable) {
  auto srv = make<server>([this] { return std::make_shared<echo>(mock.engine()); });
  mock.fail_next_listen(EADDRINUSE);
  BOOST_CHECK_THROW(srv->listen(4000), os_error);
  BOOST_TEST(!srv->listening());
  srv->listen(4000);
  run();
  BOOST_TEST(srv->listening());
  BOOST_TEST(mock.listener(*srv).local_address() == "[::]:4000");
}

BOOST_AUTO_TEST_CASE(a_cycle_fires_once_per_interval_of_virtual_time) {
  auto [conn, peer] = accept<echo>();
  int ticks = 0;
  conn->cycle(1s, [&ticks] { ++ticks; });
  advance(30s);
  BOOST_TEST(ticks == 30);
  conn->close();
  run();
  advance(5s);
  BOOST_TEST(ticks == 30); // cancelled with the close
}

BOOST_AUTO_TEST_CASE(a_loop_timer_cannot_make_run_spin_forever) {
  auto [conn, peer] = accept<echo>();
  int runs = 0;
  conn->loop([&runs] { ++runs; });
  run();
  BOOST_TEST(runs > 0);
  conn->close();
  run();
}

BOOST_AUTO_TEST_CASE(pending_wakeups_and_virtual_time_are_read_back) {
  auto t0 = mock.now();
  auto [conn, peer] = accept<idle_echo>();
  BOOST_TEST(mock.pending_wakeups() >= 1u);
  BOOST_REQUIRE(mock.next_wakeup().has_value());
  BOOST_TEST((*mock.next_wakeup() == std::chrono::steady_clock::duration(30s)));
  advance(10s);
  BOOST_TEST((mock.now() - t0 == std::chrono::steady_clock::duration(10s)));
}

BOOST_AUTO_TEST_CASE(an_actor_style_connection_runs_on_the_mock) {
  auto conn = make<behavior_stream>([](stream& self) -> caf::behavior {
    return {[&self](read_msg& m) { self.write("<" + m.data + ">"); }};
  });
  auto peer = mock.accept(conn);
  peer.send("x");
  run();
  BOOST_TEST(peer.written() == "<x>");
}

BOOST_AUTO_TEST_SUITE_END()
