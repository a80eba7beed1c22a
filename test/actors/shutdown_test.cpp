// pants::shutdown (issue 14, item 6): every open channel and server on an
// engine gets its on_close, pending connects and the engine's timers are
// cancelled, every descriptor is closed, within the grace time; and at exit
// (a second process) the same for what is left on the default engine.
#include "pants/actors/runtime.hpp"
#include "pants/actors/stream_server.hpp"
#include "pants/channels/errors.hpp"

#include "support/loopback.hpp"

#define BOOST_TEST_MODULE shutdown
#include <boost/test/unit_test.hpp>

#include "support/child_process.hpp"
#include "support/descriptors.hpp"

#include <future>
#include <memory>
#include <optional>

using namespace pants;
using namespace pants::test;

namespace {

/// A server-side echo connection that logs its connect and close; "block"
/// makes its handler wait on `release` (mid-turn), "flood" queues 8 MiB.
struct logged_connection : connection {
  logged_connection(pants::engine& eng, event_log& log, std::shared_future<void> release)
      : connection(eng), log_(log), release_(std::move(release)) {}
  void on_connect() override { log_.add("connection connected"); }
  void on_read(std::string_view data) override {
    if (data == "block") {
      log_.add("blocked");
      release_.wait_for(patience);
      return;
    }
    if (data == "flood") { // more than the kernel's buffers hold: the rest stays queued
      write(std::string(8 << 20, 'f'));
      log_.add("flooded");
      return;
    }
    write(data);
  }
  void on_close() override { log_.add("connection closed"); }
  event_log& log_;
  std::shared_future<void> release_;
};

struct logged_server : server {
  logged_server(pants::engine& eng, event_log& log, std::shared_future<void> release)
      : server([&eng, &log,
                release] { return std::make_shared<logged_connection>(eng, log, release); },
               eng),
        log_(log) {}
  void on_close() override { log_.add("server closed"); }
  event_log& log_;
};

struct logged_client : client {
  logged_client(pants::engine& eng, event_log& log) : client(eng), log_(log) {}
  void on_connect() override { log_.add("client connected"); }
  void on_connect_error(const net_error&) override { log_.add("client connect error"); }
  void on_close() override { log_.add("client closed"); }
  event_log& log_;
};

struct fixture {
  engine eng;
  event_log log;
  std::promise<void> release;
  std::shared_future<void> released = release.get_future().share();
  std::size_t sockets_before = open_socket_count();

  ~fixture() {
    release_handlers();
    // What a failed test left open closes before the engine goes.
    if (!eng.polled())
      pants::shutdown(eng);
  }

  void release_handlers() {
    if (!released_) {
      release.set_value();
      released_ = true;
    }
  }

  std::shared_ptr<logged_server> listening_server() {
    auto srv = std::make_shared<logged_server>(eng, log, released);
    srv->listen("127.0.0.1", 0);
    return srv;
  }

  std::shared_ptr<logged_client> connected_client(std::uint16_t port) {
    auto c = std::make_shared<logged_client>(eng, log);
    c->connect("127.0.0.1", port);
    return c;
  }

  bool released_ = false;
};

} // namespace

BOOST_FIXTURE_TEST_SUITE(shutdown_suite, fixture)

BOOST_AUTO_TEST_CASE(after_start_returns_every_channel_and_server_gets_on_close) {
  std::optional<blocking_client> reader_that_never_reads;
  timer defer, cycle;
  {
    engine_thread loop{eng};
    auto srv = listening_server();
    for (int i = 0; i < 3; ++i)
      connected_client(srv->port());
    BOOST_REQUIRE(log.wait_count("client connected", 3));
    // A peer that never reads, with output queued for it.
    reader_that_never_reads.emplace(srv->port());
    reader_that_never_reads->send("flood");
    BOOST_REQUIRE(log.wait_count("flooded"));
    BOOST_REQUIRE(log.wait_count("connection connected", 4));
    defer = eng.defer(std::chrono::hours(1), [this] { log.add("defer ran"); });
    cycle = eng.cycle(std::chrono::hours(1), [this] { log.add("cycle ran"); });
  } // start() returns here; every channel is still open
  BOOST_TEST(log.count("client closed") == 0u);
  BOOST_TEST(pants::shutdown(eng));
  BOOST_TEST(log.count("client closed") == 3u);
  BOOST_TEST(log.count("connection closed") == 4u);
  BOOST_TEST(log.count("server closed") == 1u);
  BOOST_TEST(defer.cancelled());
  BOOST_TEST(cycle.cancelled());
  // Only the test's own client socket is left, and its peer closed on it.
  BOOST_TEST(open_socket_count() == sockets_before + 1);
  reader_that_never_reads->recv_all(); // what reached its kernel buffer, then the end
  BOOST_TEST(reader_that_never_reads->peer_closed());
  reader_that_never_reads.reset();
  BOOST_TEST(open_socket_count() == sockets_before);
}

BOOST_AUTO_TEST_CASE(from_another_thread_it_waits_for_every_on_close_then_stops_start) {
  engine_thread loop{eng};
  auto srv = listening_server();
  auto c = connected_client(srv->port());
  BOOST_REQUIRE(log.wait_count("client connected"));
  BOOST_REQUIRE(log.wait_count("connection connected"));
  BOOST_TEST(pants::shutdown(eng));
  BOOST_TEST(log.count("client closed") == 1u);
  BOOST_TEST(log.count("connection closed") == 1u);
  BOOST_TEST(log.count("server closed") == 1u);
  BOOST_TEST(loop.wait_returned()); // start() returned
  BOOST_TEST(c->closed());
  BOOST_TEST(open_socket_count() == sockets_before);
}

BOOST_AUTO_TEST_CASE(a_handler_mid_turn_holds_only_its_own_on_close_past_the_grace) {
  engine_thread loop{eng};
  auto srv = listening_server();
  auto c = connected_client(srv->port());
  BOOST_REQUIRE(log.wait_count("client connected"));
  blocking_client stuck(srv->port());
  stuck.send("block");
  BOOST_REQUIRE(log.wait_count("blocked"));
  // The blocked connection's on_close cannot run while its handler does.
  BOOST_TEST(!pants::shutdown(eng, std::chrono::milliseconds(200)));
  BOOST_TEST(log.count("client closed") == 1u);
  BOOST_TEST(log.count("server closed") == 1u);
  BOOST_TEST(log.count("connection closed") == 1u); // the client's peer, not the blocked one
  // Every descriptor is closed anyway: the blocked one's peer sees the end.
  BOOST_TEST(stuck.peer_closed());
  release_handlers();
  BOOST_TEST(log.wait_count("connection closed", 2)); // when its handler returned
}

BOOST_AUTO_TEST_CASE(a_connect_still_pending_is_cancelled) {
  // A listener with a full backlog that never accepts: the kernel drops the
  // next SYN, so a connect to it hangs.
  int lst = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  auto at = endpoint::numeric("127.0.0.1", 0);
  BOOST_TEST_REQUIRE(::bind(lst, at.data(), at.size()) == 0);
  BOOST_TEST_REQUIRE(::listen(lst, 0) == 0);
  at = endpoint::local_of(lst);
  int filler = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  BOOST_TEST_REQUIRE(::connect(filler, at.data(), at.size()) == 0);
  auto before = open_socket_count();
  {
    engine_thread loop{eng};
    auto c = connected_client(at.port());
    BOOST_TEST(pants::shutdown(eng));
    BOOST_TEST(c->closed());
  }
  BOOST_TEST(log.count("client closed") == 1u);
  BOOST_TEST(log.count("client connected") == 0u);
  BOOST_TEST(open_socket_count() == before);
  ::close(filler);
  ::close(lst);
}

BOOST_AUTO_TEST_CASE(misuse_throws_and_changes_nothing) {
  engine_thread loop{eng};
  auto srv = listening_server();
  auto c = connected_client(srv->port());
  BOOST_REQUIRE(log.wait_count("client connected"));
  BOOST_CHECK_THROW(pants::shutdown(eng, std::chrono::milliseconds(0)), std::invalid_argument);
  BOOST_CHECK_THROW(pants::shutdown(eng, std::chrono::milliseconds(-5)), std::invalid_argument);
  // On the engine thread it would wait for itself.
  BOOST_CHECK_THROW(loop.call([this] { return pants::shutdown(eng); }), state_error);
  BOOST_TEST(c->connected());
  BOOST_TEST(srv->listening());
  BOOST_TEST(log.count("client closed") == 0u);
  BOOST_TEST(pants::shutdown(eng));
}

BOOST_AUTO_TEST_CASE(returning_from_main_gives_what_is_open_on_the_default_engine_its_on_close) {
  child p({PANTS_EXIT_CHILD}, false, false);
  BOOST_TEST_REQUIRE(p.read_to_eof());
  auto status = p.wait_exit();
  BOOST_TEST_REQUIRE(status.has_value());
  BOOST_TEST(describe(status) == "exit 0");
  const auto& out = p.out();
  BOOST_TEST(out.find("started\n") != std::string::npos, out);
  BOOST_TEST(out.find("client closed\n") != std::string::npos, out);
  BOOST_TEST(out.find("connection closed\n") != std::string::npos, out);
  BOOST_TEST(out.find("server closed\n") != std::string::npos, out);
}

BOOST_AUTO_TEST_SUITE_END()
