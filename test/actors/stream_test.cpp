#include "pants/actors/stream.hpp"

#include "pants/actors/runtime.hpp"
#include "pants/actors/stream_server.hpp"
#include "pants/channels/errors.hpp"
#include "pants/channels/resolver.hpp"
#include "support/loopback.hpp"
#include "support/pattern.hpp"
#include "support/recorder.hpp"

#define BOOST_TEST_MODULE stream
#include <boost/test/unit_test.hpp>
#include <caf/scoped_actor.hpp>

#include "support/descriptors.hpp"
#include "support/family.hpp"

#include <algorithm>
#include <atomic>
#include <future>
#include <poll.h>

using namespace pants;
using namespace pants::test;

namespace {

/// Index of the first event equal to `e`; -1 when there is none.
long first(const std::vector<std::string>& v, const std::string& e) {
  for (std::size_t i = 0; i < v.size(); ++i)
    if (v[i] == e)
      return static_cast<long>(i);
  return -1;
}

/// Index of the first event starting with `prefix`; -1 when there is none.
long first_prefix(const std::vector<std::string>& v, const std::string& prefix) {
  for (std::size_t i = 0; i < v.size(); ++i)
    if (v[i].compare(0, prefix.size(), prefix) == 0)
      return static_cast<long>(i);
  return -1;
}

/// Index of the last event equal to `e`; -1 when there is none.
long last(const std::vector<std::string>& v, const std::string& e) {
  for (auto i = v.size(); i > 0; --i)
    if (v[i - 1] == e)
      return static_cast<long>(i - 1);
  return -1;
}

sockaddr_in loopback4(std::uint16_t port) {
  sockaddr_in sa{};
  sa.sin_family = AF_INET;
  sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  sa.sin_port = htons(port);
  return sa;
}

/// A raw listening socket on `where`, to play a peer the test controls.
class raw_listener {
public:
  explicit raw_listener(const endpoint& where) {
    fd_ = ::socket(where.family(), SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd_ < 0 || ::bind(fd_, where.data(), where.size()) != 0 || ::listen(fd_, 8) != 0)
      throw std::runtime_error("raw listener failed");
    address_ = where.family() == AF_UNIX ? where : endpoint::local_of(fd_);
  }
  ~raw_listener() { ::close(fd_); }
  raw_listener(const raw_listener&) = delete;
  raw_listener& operator=(const raw_listener&) = delete;

  /// The address to connect to (with the bound port for a network family).
  const endpoint& address() const { return address_; }

  /// Accepts one connection (bounded wait); -1 if none came.
  int accept_one() {
    pollfd p{fd_, POLLIN, 0};
    if (::poll(&p, 1, static_cast<int>(std::chrono::milliseconds(patience).count())) != 1)
      return -1;
    return ::accept4(fd_, nullptr, nullptr, SOCK_CLOEXEC);
  }

private:
  int fd_ = -1;
  endpoint address_;
};

/// Closes `fd` with a reset instead of an orderly FIN.
void reset_fd(int fd) {
  linger l{1, 0};
  ::setsockopt(fd, SOL_SOCKET, SO_LINGER, &l, sizeof l);
  ::close(fd);
}

/// A port on 127.0.0.1 with nothing listening: a socket bound to port 0
/// and never listening. It stays bound while the object lives, so no other
/// test (or process) can take the port and accept what should be refused.
class refusing_port {
public:
  refusing_port() {
    fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    auto sa = loopback4(0);
    socklen_t len = sizeof sa;
    if (fd_ < 0 || ::bind(fd_, reinterpret_cast<sockaddr*>(&sa), len) != 0 ||
        ::getsockname(fd_, reinterpret_cast<sockaddr*>(&sa), &len) != 0)
      throw std::runtime_error("cannot find an unused port");
    port_ = ntohs(sa.sin_port);
  }
  ~refusing_port() { ::close(fd_); }
  refusing_port(const refusing_port&) = delete;
  refusing_port& operator=(const refusing_port&) = delete;

  std::uint16_t port() const { return port_; }

private:
  int fd_ = -1;
  std::uint16_t port_ = 0;
};

/// A recorder that logs "discarded" if it is destroyed without having
/// closed: a channel the factory made but a closing server never adopted
/// (a late connection), so a test can account for every channel it made.
class tracked_recorder : public recorder {
public:
  tracked_recorder(event_log& log, pants::engine& eng) : recorder(log, eng), log_(log) {}
  ~tracked_recorder() override {
    if (!closed_)
      log_.add("discarded");
  }

protected:
  void on_close() override {
    closed_ = true; // before the log entry a test may be waiting on
    recorder::on_close();
  }

private:
  event_log& log_;
  bool closed_ = false;
};

/// A connection that notes, in on_close, whether its server still lists it.
class self_lister : public connection {
public:
  self_lister(event_log& log, pants::engine& eng) : connection(eng), log_(log) {}

protected:
  void on_connect() override { log_.add("connect"); }
  void on_close() override {
    bool listed = false;
    if (auto srv = server())
      for (auto& ch : srv->channels())
        listed = listed || ch.get() == this;
    log_.add(listed ? "listed_in_on_close" : "unlisted_in_on_close");
    log_.add("close");
  }

private:
  event_log& log_;
};

/// A host name that never resolves, and fails without a DNS query (an
/// empty label): no traffic leaves the host and no DNS timeout can slow a
/// test, while the channel takes the same path as for any unknown name.
const std::string unresolvable = "no-such-host..invalid";

/// Makes a recorder echo what it reads.
void echoing(recorder& r) {
  r.read_hook = [](recorder& self, std::string_view d) { self.write(d); };
}

/// A server that logs "server_close" when its on_close runs: its actor has
/// handled every connection the listener handed it by then (they come
/// first in its mailbox), so no late one can outlive the test.
class logging_server : public server {
public:
  template <class F>
  logging_server(F&& make, pants::engine& eng, event_log& log)
      : server(std::forward<F>(make), eng), log_(log) {}

protected:
  void on_close() override { log_.add("server_close"); }

private:
  event_log& log_;
};

struct fixture {
  engine eng;
  event_log log;  // the server-side connections (recorder)
  event_log clog; // the clients (client_recorder)
  event_log slog; // the servers' on_close (logging_server)
  std::atomic<std::size_t> accepted{0};
  std::size_t servers = 0; // made by the helpers below, each closed before settle()
  address_maker addresses;
  engine_thread loop{eng};

  /// A server whose connections are recorders, each passed to `setup`
  /// first; not yet listening.
  std::shared_ptr<server> unbound_recording_server(std::function<void(recorder&)> setup) {
    ++servers;
    return std::make_shared<logging_server>(
        [this, setup] {
          auto r = std::make_shared<tracked_recorder>(log, eng);
          if (setup)
            setup(*r);
          ++accepted;
          return r;
        },
        eng, slog);
  }

  /// A recording server on `host` (empty: dual-stack on all interfaces)
  /// port 0.
  std::shared_ptr<server> recording_server(std::function<void(recorder&)> setup = {},
                                           const std::string& host = "127.0.0.1") {
    auto srv = unbound_recording_server(std::move(setup));
    if (host.empty())
      srv->listen(0);
    else
      srv->listen(host, 0);
    return srv;
  }

  /// A recording server that echoes what it reads.
  std::shared_ptr<server> echo_server(const std::string& host = "127.0.0.1") {
    return recording_server(echoing, host);
  }

  /// A recording server on a fresh address of `fam`.
  served recording_server_on(family fam, std::function<void(recorder&)> setup = {}) {
    auto srv = unbound_recording_server(std::move(setup));
    auto at = addresses.listen(*srv, fam);
    return {srv, at};
  }

  /// A recording echo server on a fresh address of `fam`.
  served echo_server_on(family fam) { return recording_server_on(fam, echoing); }

  /// A recording client whose frames end in "\n".
  std::shared_ptr<client_recorder> line_client() {
    auto c = std::make_shared<client_recorder>(clog, eng);
    c->read_delimiter("\n");
    return c;
  }

  /// End of a test: every server closed (so it adopted or dropped every
  /// connection handed to it), every server-side connection ran on_close (or
  /// was never adopted) and the engine holds no descriptor, so no channel
  /// outlives the engine.
  void settle() {
    BOOST_TEST(slog.wait_count("server_close", servers));
    bool all_closed = log.wait([this](const auto& v) {
      auto done =
          std::count(v.begin(), v.end(), "close") + std::count(v.begin(), v.end(), "discarded");
      return static_cast<std::size_t>(done) == accepted;
    });
    BOOST_TEST(all_closed);
    if (!all_closed) {
      std::string seen;
      for (auto& e : log.snapshot())
        seen += " [" + e + "]";
      BOOST_TEST_MESSAGE("accepted " << accepted << ", server-side events:" << seen);
    }
    BOOST_TEST(loop.wait_no_handles());
  }
};

} // namespace

BOOST_FIXTURE_TEST_SUITE(stream_suite, fixture)

// -- connecting -----------------------------------------------------------------

BOOST_AUTO_TEST_CASE(client_connects_to_a_numeric_ipv4_host_and_round_trips_data) {
  auto srv = echo_server();
  auto c = line_client();
  c->connect_hook = [](client_recorder& self) { self.write("ping\n"); };
  c->connect("127.0.0.1", srv->port());
  BOOST_REQUIRE(clog.wait_count("read:ping"));
  c->write("pong\n");
  BOOST_REQUIRE(clog.wait_count("read:pong"));
  c->close();
  BOOST_REQUIRE(clog.wait_count("close"));
  srv->close();
  settle();
  BOOST_TEST(clog.count("connect") == 1u);
  BOOST_TEST(count_prefix(clog.snapshot(), "connect_error") == 0u);
}

BOOST_TEST_DECORATOR(*boost::unit_test::precondition(ipv6_needed))
BOOST_AUTO_TEST_CASE(client_connects_to_ipv6_loopback_and_round_trips_data) {
  auto srv = echo_server("::1");
  auto c = line_client();
  c->connect_hook = [](client_recorder& self) { self.write("six\n"); };
  c->connect("::1", srv->port());
  BOOST_REQUIRE(clog.wait_count("read:six"));
  BOOST_TEST(c->remote_address() == "[::1]:" + std::to_string(srv->port()));
  BOOST_TEST(c->local_address().rfind("[::1]:", 0) == 0u);
  c->close();
  BOOST_REQUIRE(clog.wait_count("close"));
  srv->close();
  settle();
  BOOST_TEST(clog.count("connect") == 1u);
}

BOOST_AUTO_TEST_CASE(client_resolves_localhost_and_round_trips_data) {
  auto srv = echo_server(""); // dual-stack: whichever address localhost gives
  auto c = line_client();
  c->connect_hook = [](client_recorder& self) { self.write("named\n"); };
  c->connect("localhost", srv->port());
  BOOST_REQUIRE(clog.wait_count("read:named"));
  c->close();
  BOOST_REQUIRE(clog.wait_count("close"));
  srv->close();
  settle();
  BOOST_TEST(clog.count("connect") == 1u);
}

BOOST_AUTO_TEST_CASE(a_pending_name_lookup_does_not_hold_up_the_engine) {
  auto srv = echo_server("");
  // Hold the resolver thread: the name lookup below stays pending.
  auto release = std::make_shared<std::promise<void>>();
  auto held = std::make_shared<std::promise<void>>();
  auto resolver_held = held->get_future();
  resolver::instance().resolve(
      unresolvable, 80,
      [held, released = release->get_future().share()](std::vector<endpoint>, std::string) {
        held->set_value();
        released.wait_for(patience);
      });
  BOOST_REQUIRE(resolver_held.wait_for(patience) == std::future_status::ready);
  auto named = line_client();
  named->connect("localhost", srv->port());
  // Meanwhile the engine serves a numeric connection in full.
  event_log other_log;
  auto other = std::make_shared<client_recorder>(other_log, eng);
  other->read_delimiter("\n");
  other->connect_hook = [](client_recorder& self) { self.write("busy?\n"); };
  other->connect("127.0.0.1", srv->port());
  BOOST_TEST(other_log.wait_count("read:busy?"));
  BOOST_TEST(clog.count("connect") == 0u); // the lookup is still pending
  release->set_value();
  BOOST_REQUIRE(clog.wait_count("connect"));
  named->write("named\n");
  BOOST_REQUIRE(clog.wait_count("read:named"));
  other->close();
  named->close();
  BOOST_REQUIRE(other_log.wait_count("close"));
  BOOST_REQUIRE(clog.wait_count("close"));
  srv->close();
  settle();
}

BOOST_AUTO_TEST_CASE(connect_to_a_port_with_nothing_listening_gives_connect_error_then_close) {
  refusing_port nothing;
  auto sockets = open_socket_count();
  auto c = line_client();
  c->connect("127.0.0.1", nothing.port());
  BOOST_REQUIRE(clog.wait_count("close"));
  BOOST_TEST(loop.wait_no_handles());
  BOOST_TEST(open_socket_count() == sockets); // the refused socket was closed
  auto v = clog.snapshot();
  BOOST_TEST(count_prefix(v, "connect_error:") == 1u);
  BOOST_TEST(first_prefix(v, "connect_error:") < first(v, "close"));
  BOOST_TEST(v[static_cast<std::size_t>(first_prefix(v, "connect_error:"))].find("refused") !=
             std::string::npos);
  BOOST_TEST(clog.count("close") == 1u);
  BOOST_TEST(clog.count("connect") == 0u);
  BOOST_TEST(c->closed());
  BOOST_TEST(!c->connected());
  BOOST_CHECK_THROW(c->write("x"), state_error);
}

BOOST_AUTO_TEST_CASE(a_connect_that_hangs_ends_at_its_timeout_and_releases_its_descriptor) {
  // A listener with a full backlog that never accepts: the kernel drops the
  // next SYN, so a connect to it hangs (until the timeout).
  int lst = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  auto at = endpoint::numeric("127.0.0.1", 0);
  BOOST_TEST_REQUIRE(::bind(lst, at.data(), at.size()) == 0);
  BOOST_TEST_REQUIRE(::listen(lst, 0) == 0); // room for one queued connection
  at = endpoint::local_of(lst);
  int filler = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  BOOST_TEST_REQUIRE(::connect(filler, at.data(), at.size()) == 0); // the queue is now full
  auto before = open_socket_count();
  {
    auto c = line_client();
    c->set_connect_timeout(std::chrono::milliseconds(300));
    c->connect("127.0.0.1", at.port());
    BOOST_REQUIRE(clog.wait_count("close"));
    auto v = clog.snapshot();
    BOOST_REQUIRE(count_prefix(v, "connect_error:") == 1u);
    auto error = v[static_cast<std::size_t>(first_prefix(v, "connect_error:"))];
    BOOST_TEST(error.find("timed out after 300 ms") != std::string::npos, error);
    BOOST_TEST(first_prefix(v, "connect_error:") < first(v, "close"));
    BOOST_TEST(clog.count("connect") == 0u);
    BOOST_TEST(loop.wait_no_handles());
  }
  BOOST_TEST(open_socket_count() == before); // the connecting socket was closed
  ::close(filler);
  ::close(lst);
}

BOOST_AUTO_TEST_CASE(a_connection_quiet_past_its_idle_timeout_is_closed_by_the_server) {
  auto before = open_socket_count();
  {
    auto srv =
        recording_server([](recorder& r) { r.set_idle_timeout(std::chrono::milliseconds(200)); });
    auto c = line_client();
    c->connect("127.0.0.1", srv->port());
    BOOST_REQUIRE(clog.wait_count("connect"));
    // The client sends nothing: the server's side times out and closes,
    // and the client reads the end of the stream.
    BOOST_REQUIRE(clog.wait_count("close"));
    BOOST_REQUIRE(log.wait_count("close"));
    BOOST_TEST(log.count("connect") == 1u);
    srv->close();
    settle();
  }
  BOOST_TEST(open_socket_count() == before);
}

BOOST_AUTO_TEST_CASE(host_name_that_does_not_resolve_gives_connect_error_then_close) {
  auto c = line_client();
  c->connect(unresolvable, 80);
  BOOST_REQUIRE(clog.wait_count("close"));
  BOOST_TEST(loop.wait_no_handles());
  auto v = clog.snapshot();
  BOOST_TEST(count_prefix(v, "connect_error:") == 1u);
  BOOST_TEST(first_prefix(v, "connect_error:") < first(v, "close"));
  BOOST_TEST(clog.count("close") == 1u);
  BOOST_TEST(clog.count("connect") == 0u);
  BOOST_TEST(c->closed());
}

BOOST_AUTO_TEST_CASE(bad_port_and_empty_host_throw_invalid_argument_and_change_nothing) {
  auto sockets_before = open_socket_count();
  auto srv = echo_server();
  auto c = line_client();
  BOOST_CHECK_THROW(c->connect("127.0.0.1", 70000), std::invalid_argument);
  BOOST_CHECK_THROW(c->connect("127.0.0.1", -1), std::invalid_argument);
  BOOST_CHECK_THROW(c->connect("", srv->port()), std::invalid_argument);
  BOOST_TEST(!c->actor());
  BOOST_TEST(!c->connected());
  BOOST_TEST(!c->closed());
  BOOST_TEST(c->remote_address().empty());
  BOOST_TEST(clog.snapshot().empty());
  // The client is untouched: it still connects.
  c->connect_hook = [](client_recorder& self) { self.write("after\n"); };
  c->connect("127.0.0.1", srv->port());
  BOOST_REQUIRE(clog.wait_count("read:after"));
  c->close();
  BOOST_REQUIRE(clog.wait_count("close"));
  srv->close();
  settle();
  BOOST_TEST(count_prefix(clog.snapshot(), "connect_error") == 0u);
  BOOST_TEST(open_socket_count() == sockets_before); // the refused calls opened nothing
}

BOOST_AUTO_TEST_CASE(connect_twice_throws_state_error_and_the_first_connection_goes_on) {
  auto srv = echo_server();
  auto c = line_client();
  c->connect("127.0.0.1", srv->port());
  BOOST_CHECK_THROW(c->connect("127.0.0.1", srv->port()), state_error);
  BOOST_REQUIRE(clog.wait_count("connect"));
  BOOST_CHECK_THROW(c->connect("127.0.0.1", srv->port()), std::logic_error);
  c->write("still\n");
  BOOST_REQUIRE(clog.wait_count("read:still"));
  c->close();
  BOOST_REQUIRE(clog.wait_count("close"));
  BOOST_CHECK_THROW(c->connect("127.0.0.1", srv->port()), state_error);
  srv->close();
  settle();
  BOOST_TEST(clog.count("connect") == 1u);
  BOOST_TEST(clog.count("close") == 1u);
  BOOST_TEST(log.count("connect") == 1u); // the server saw one connection
}

BOOST_AUTO_TEST_CASE(close_while_resolving_fires_on_close_once_and_never_connect_error) {
  auto srv = echo_server("");
  auto c = line_client();
  c->connect("localhost", srv->port());
  c->close();
  BOOST_REQUIRE(clog.wait_count("close"));
  // The resolver serves requests in order: once a later lookup has
  // connected, the first one has finished too and holds no engine.
  event_log later_log;
  auto later = std::make_shared<client_recorder>(later_log, eng);
  later->connect("localhost", srv->port());
  BOOST_REQUIRE(later_log.wait_count("connect"));
  later->close();
  BOOST_REQUIRE(later_log.wait_count("close"));
  srv->close();
  settle();
  auto v = clog.snapshot();
  BOOST_TEST(clog.count("close") == 1u);
  BOOST_TEST(count_prefix(v, "connect_error") == 0u);
  BOOST_TEST(clog.count("connect") <= 1u); // the lookup may win the race
  BOOST_TEST(last(v, "close") == static_cast<long>(v.size()) - 1);
}

BOOST_AUTO_TEST_CASE(client_closed_during_a_failing_lookup_never_touches_its_engine_again) {
  // Hold the resolver thread (lookups are served in order) so the doomed
  // client's lookup fails only after it closed and its engine is gone.
  auto release = std::make_shared<std::promise<void>>();
  auto held = std::make_shared<std::promise<void>>();
  auto resolver_held = held->get_future();
  resolver::instance().resolve(
      unresolvable, 80,
      [held, released = release->get_future().share()](std::vector<endpoint>, std::string) {
        held->set_value();
        released.wait_for(patience);
      });
  BOOST_REQUIRE(resolver_held.wait_for(patience) == std::future_status::ready);
  event_log doomed_log;
  {
    auto doomed_engine = std::make_unique<engine>();
    engine_thread doomed_loop(*doomed_engine);
    auto doomed = std::make_shared<client_recorder>(doomed_log, *doomed_engine);
    doomed->connect(unresolvable, 80);
    doomed->close();
    BOOST_REQUIRE(doomed_log.wait_count("close"));
  } // the engine is destroyed; the lookup is still queued
  release->set_value();
  // A later lookup finishing means the doomed one has finished too.
  auto last_one = line_client();
  last_one->connect(unresolvable, 80);
  BOOST_REQUIRE(clog.wait_count("close"));
  BOOST_TEST(loop.wait_no_handles());
  BOOST_TEST(doomed_log.count("close") == 1u);
  BOOST_TEST(count_prefix(doomed_log.snapshot(), "connect_error") == 0u);
  BOOST_TEST(count_prefix(clog.snapshot(), "connect_error:") == 1u);
}

// -- writing in the wrong state ---------------------------------------------------

BOOST_AUTO_TEST_CASE(write_before_connect_throws_state_error) {
  auto c = line_client();
  BOOST_CHECK_THROW(c->write("early"), state_error);
  BOOST_TEST(!c->connected());
  BOOST_TEST(clog.snapshot().empty());
}

PANTS_FAMILY_TEST_CASE(write_after_close_throws_state_error) {
  auto [srv, at] = echo_server_on(fam);
  auto c = line_client();
  c->connect(at);
  BOOST_REQUIRE(clog.wait_count("connect"));
  c->close();
  BOOST_CHECK_THROW(c->write("late"), state_error); // at once, before on_close
  BOOST_REQUIRE(clog.wait_count("close"));
  BOOST_CHECK_THROW(c->write("later"), state_error);
  srv->close();
  settle();
}

PANTS_FAMILY_TEST_CASE(write_after_end_throws_state_error) {
  auto [srv, at] = echo_server_on(fam);
  auto c = line_client();
  c->connect(at);
  BOOST_REQUIRE(clog.wait_count("connect"));
  c->end();
  BOOST_CHECK_THROW(c->write("late"), state_error);
  BOOST_REQUIRE(clog.wait_count("close"));
  BOOST_CHECK_THROW(c->write("later"), state_error);
  srv->close();
  settle();
}

// -- on_close exactly once, on every path ------------------------------------------

PANTS_FAMILY_TEST_CASE(close_is_idempotent_and_on_close_fires_once_after_local_close) {
  auto [srv, at] = echo_server_on(fam);
  auto c = line_client();
  c->connect(at);
  BOOST_REQUIRE(clog.wait_count("connect"));
  c->close();
  c->close();
  c->end();
  c->close();
  BOOST_REQUIRE(clog.wait_count("close"));
  c->close();
  BOOST_REQUIRE(log.wait_count("close")); // the server side saw the close
  srv->close();
  settle();
  BOOST_TEST(clog.count("close") == 1u);
  BOOST_TEST(c->closed());
}

PANTS_FAMILY_TEST_CASE(end_with_an_empty_queue_closes_and_fires_on_close_once) {
  auto [srv, at] = recording_server_on(fam);
  blocking_client peer(at);
  BOOST_REQUIRE(log.wait_count("connect"));
  auto conn = srv->channels().at(0);
  conn->end();
  conn->end();
  BOOST_TEST(peer.peer_closed());
  BOOST_REQUIRE(log.wait_count("close"));
  srv->close();
  settle();
  BOOST_TEST(log.count("close") == 1u);
  BOOST_TEST(conn->closed());
}

PANTS_FAMILY_TEST_CASE(end_with_queued_data_delivers_the_data_then_eof) {
  auto [srv, at] = recording_server_on(fam);
  blocking_client peer(at);
  BOOST_REQUIRE(log.wait_count("connect"));
  auto conn = srv->channels().at(0);
  auto data = pattern(0, 16 * MiB); // more than the kernel buffers hold
  conn->write(data);
  BOOST_REQUIRE(conn->bytes_queued() > 0u); // the peer reads nothing yet
  conn->end();
  BOOST_CHECK_THROW(conn->write("more"), state_error);
  BOOST_TEST(log.count("close") == 0u); // still flushing
  auto got = peer.recv_all();
  BOOST_TEST(got.size() == data.size());
  BOOST_TEST((got == data));
  BOOST_TEST(peer.peer_closed());
  BOOST_REQUIRE(log.wait_count("close"));
  srv->close();
  settle();
  BOOST_TEST(log.count("close") == 1u);
  BOOST_TEST(log.count("write_error") == 0u);
}

PANTS_FAMILY_TEST_CASE(on_close_fires_once_after_peer_orderly_close) {
  auto [srv, at] = recording_server_on(fam);
  {
    blocking_client peer(at);
    BOOST_REQUIRE(log.wait_count("connect"));
  }
  BOOST_REQUIRE(log.wait_count("close"));
  BOOST_TEST(srv->channels().empty());
  srv->close();
  settle();
  BOOST_TEST(log.count("close") == 1u);
  BOOST_TEST(log.count("read_error") == 0u);
}

PANTS_FAMILY_TEST_CASE(server_no_longer_lists_a_connection_when_its_on_close_runs) {
  ++servers;
  auto srv = std::make_shared<logging_server>(
      [this] {
        ++accepted;
        return std::make_shared<self_lister>(log, eng);
      },
      eng, slog);
  auto at = addresses.listen(*srv, fam);
  {
    blocking_client peer(at);
    BOOST_REQUIRE(log.wait_count("connect"));
    BOOST_TEST(srv->channels().size() == 1u);
  }
  BOOST_REQUIRE(log.wait_count("close"));
  BOOST_TEST(log.count("unlisted_in_on_close") == 1u);
  BOOST_TEST(srv->channels().empty());
  srv->close();
  settle();
}

PANTS_FAMILY_TEST_CASE(client_on_close_fires_once_after_the_server_side_closes) {
  auto [srv, at] = recording_server_on(fam);
  auto c = line_client();
  c->connect(at);
  BOOST_REQUIRE(clog.wait_count("connect"));
  BOOST_REQUIRE(log.wait_count("connect"));
  srv->channels().at(0)->close();
  BOOST_REQUIRE(clog.wait_count("close"));
  srv->close();
  settle();
  BOOST_TEST(clog.count("close") == 1u);
  BOOST_TEST(c->closed());
}

PANTS_FAMILY_TEST_CASE(on_close_fires_once_after_peer_reset) {
  auto [srv, at] = recording_server_on(fam);
  blocking_client peer(at);
  BOOST_REQUIRE(log.wait_count("connect"));
  // Bytes the peer leaves unread make its close a reset on a Unix socket
  // too (on TCP, SO_LINGER 0 alone does).
  srv->channels().at(0)->write("unread");
  BOOST_REQUIRE(log.wait_count("write"));
  peer.reset();
  BOOST_REQUIRE(log.wait_count("close"));
  srv->close();
  settle();
  BOOST_TEST(log.count("read_error") + log.count("write_error") == 1u);
  BOOST_TEST(log.count("close") == 1u);
  BOOST_TEST(log.count("connect") == 1u);
}

PANTS_FAMILY_TEST_CASE(client_on_close_fires_once_after_peer_reset) {
  raw_listener peer(addresses.fresh(fam));
  auto sockets = open_socket_count();
  auto c = line_client();
  c->connect(peer.address());
  int fd = peer.accept_one();
  BOOST_REQUIRE(fd >= 0);
  BOOST_REQUIRE(clog.wait_count("connect"));
  c->write("unread\n"); // as above: left unread, it makes the close a reset
  BOOST_REQUIRE(clog.wait_count("write"));
  reset_fd(fd);
  BOOST_REQUIRE(clog.wait_count("close"));
  BOOST_TEST(loop.wait_no_handles());
  BOOST_TEST(open_socket_count() == sockets); // the reset one's socket was closed
  BOOST_TEST(clog.count("read_error") + clog.count("write_error") == 1u);
  BOOST_TEST(clog.count("close") == 1u);
  BOOST_TEST(clog.count("connect") == 1u);
  BOOST_TEST(count_prefix(clog.snapshot(), "connect_error") == 0u);
}

PANTS_FAMILY_TEST_CASE(closing_a_server_closes_its_connections) {
  auto [srv, at] = recording_server_on(fam);
  blocking_client peer(at);
  auto c = line_client();
  c->connect(at);
  BOOST_REQUIRE(clog.wait_count("connect"));
  BOOST_REQUIRE(log.wait_count("connect", 2));
  srv->close();
  BOOST_TEST(peer.peer_closed());
  BOOST_REQUIRE(log.wait_count("close", 2));
  BOOST_REQUIRE(clog.wait_count("close"));
  BOOST_TEST(!srv->listening());
  BOOST_TEST(srv->channels().empty());
  BOOST_CHECK_THROW(blocking_client{at}, std::runtime_error); // nothing listens
  settle();
  BOOST_TEST(log.count("close") == 2u);
  BOOST_TEST(clog.count("close") == 1u);
}

// -- callbacks never run inside the call that caused them --------------------------

PANTS_FAMILY_TEST_CASE(close_inside_on_read_returns_first_and_no_read_follows) {
  auto [srv, at] = recording_server_on(fam, [this](recorder& r) {
    r.connect_hook = [](recorder& self) { self.read_delimiter("\n"); };
    r.read_hook = [this](recorder& self, std::string_view) {
      self.close();
      log.add("close_returned");
    };
  });
  blocking_client peer(at);
  BOOST_REQUIRE(log.wait_count("connect"));
  peer.send("a\nb\nc\n");
  BOOST_REQUIRE(log.wait_count("close"));
  BOOST_TEST(peer.peer_closed());
  srv->close();
  settle();
  auto v = log.snapshot();
  BOOST_TEST(count_prefix(v, "read:") == 1u);
  BOOST_TEST(first(v, "read:a") >= 0);
  BOOST_TEST(first(v, "read:a") < first(v, "close_returned"));
  BOOST_TEST(first(v, "close_returned") < first(v, "close"));
  BOOST_TEST(log.count("close") == 1u);
  BOOST_TEST(last(v, "close") == static_cast<long>(v.size()) - 1);
}

PANTS_FAMILY_TEST_CASE(end_inside_on_read_returns_first_then_on_close_follows) {
  auto [srv, at] = recording_server_on(fam, [this](recorder& r) {
    r.connect_hook = [](recorder& self) { self.read_delimiter("\n"); };
    r.read_hook = [this](recorder& self, std::string_view d) {
      self.write("bye " + std::string(d) + "\n");
      self.end();
      log.add("end_returned");
    };
  });
  blocking_client peer(at);
  BOOST_REQUIRE(log.wait_count("connect"));
  peer.send("x\ny\n");
  BOOST_TEST(peer.recv_all() == "bye x\n");
  BOOST_REQUIRE(log.wait_count("close"));
  srv->close();
  settle();
  auto v = log.snapshot();
  BOOST_TEST(count_prefix(v, "read:") == 1u);
  BOOST_TEST(first(v, "end_returned") < first(v, "close"));
  BOOST_TEST(log.count("close") == 1u);
}

PANTS_FAMILY_TEST_CASE(write_inside_on_connect_returns_before_on_write_runs) {
  auto [srv, at] = echo_server_on(fam);
  auto c = line_client();
  c->connect_hook = [this](client_recorder& self) {
    self.write("a\n");
    self.write("b\n");
    clog.add("writes_returned");
  };
  c->connect(at);
  BOOST_REQUIRE(clog.wait_count("read:b"));
  BOOST_REQUIRE(clog.wait_count("write"));
  c->close();
  BOOST_REQUIRE(clog.wait_count("close"));
  srv->close();
  settle();
  auto v = clog.snapshot();
  BOOST_TEST(first(v, "read:a") < first(v, "read:b"));
  BOOST_TEST(first(v, "writes_returned") < first(v, "write"));
  // Both went out at once: one drain. Never more than one per write.
  BOOST_TEST(clog.count("write") >= 1u);
  BOOST_TEST(clog.count("write") <= 2u);
  BOOST_TEST(last(v, "write") < first(v, "close"));
  BOOST_TEST(last(v, "close") == static_cast<long>(v.size()) - 1);
}

PANTS_FAMILY_TEST_CASE(on_write_fires_only_after_queued_data_drains) {
  auto [srv, at] = recording_server_on(fam);
  blocking_client peer(at);
  BOOST_REQUIRE(log.wait_count("connect"));
  auto conn = srv->channels().at(0);
  auto data = pattern(0, 16 * MiB);
  conn->write(data);
  BOOST_REQUIRE(conn->bytes_queued() > 0u);
  BOOST_TEST(log.count("write") == 0u); // the queue holds data: no drain yet
  BOOST_TEST((peer.recv_exactly(data.size()) == data));
  BOOST_REQUIRE(log.wait_count("write"));
  BOOST_TEST(conn->bytes_queued() == 0u);
  conn->close();
  BOOST_REQUIRE(log.wait_count("close"));
  srv->close();
  settle();
  BOOST_TEST(log.count("write") == 1u);
}

PANTS_FAMILY_TEST_CASE(close_from_another_thread_while_a_handler_runs_returns_at_once) {
  auto release = std::make_shared<std::promise<void>>();
  auto released = release->get_future().share();
  auto [srv, at] = recording_server_on(fam, [this, released](recorder& r) {
    r.connect_hook = [](recorder& self) { self.read_delimiter("\n"); };
    r.read_hook = [this, released](recorder&, std::string_view) {
      bool in_time = released.wait_for(patience) == std::future_status::ready;
      log.add(in_time ? "handler_done" : "handler_timed_out");
    };
  });
  blocking_client peer(at);
  BOOST_REQUIRE(log.wait_count("connect"));
  peer.send("x\ny\n");
  BOOST_REQUIRE(log.wait_count("read:x")); // the handler is now busy
  auto conn = srv->channels().at(0);
  conn->close(); // from the test thread, while the channel's handler runs
  log.add("close_returned");
  BOOST_TEST(peer.peer_closed());       // the socket closed without waiting for the handler
  BOOST_TEST(log.count("close") == 0u); // on_close waits for the handler to return
  release->set_value();
  BOOST_REQUIRE(log.wait_count("close"));
  srv->close();
  settle();
  auto v = log.snapshot();
  BOOST_TEST(first(v, "close_returned") < first(v, "handler_done"));
  BOOST_TEST(first(v, "handler_done") < first(v, "close"));
  BOOST_TEST(log.count("read:y") == 0u);
  BOOST_TEST(log.count("close") == 1u);
}

// -- handler exceptions -----------------------------------------------------------

BOOST_AUTO_TEST_CASE(exception_in_on_read_is_reported_and_the_connection_goes_on) {
  auto srv = recording_server([](recorder& r) {
    r.connect_hook = [](recorder& self) { self.read_delimiter("\n"); };
    r.read_hook = [](recorder& self, std::string_view d) {
      if (d == "bad")
        throw std::runtime_error("boom");
      self.write(std::string(d) + "\n");
    };
  });
  blocking_client a(srv->port());
  a.send("bad\n");
  BOOST_REQUIRE(log.wait_count("error:boom"));
  a.send("good\n");
  BOOST_TEST(a.recv_exactly(5) == "good\n");
  blocking_client b(srv->port());
  b.send("other\n");
  BOOST_TEST(b.recv_exactly(6) == "other\n");
  BOOST_TEST(log.count("close") == 0u);
  BOOST_TEST(log.count("error:boom") == 1u);
  srv->close();
  settle();
}

BOOST_AUTO_TEST_CASE(a_request_the_channel_does_not_know_gets_unexpected_message_and_it_goes_on) {
  auto srv = recording_server([](recorder& r) {
    r.read_hook = [](recorder& self, std::string_view d) { self.write(std::string(d)); };
  });
  blocking_client c(srv->port());
  BOOST_REQUIRE(log.wait_count("connect"));
  auto a = srv->channels().at(0)->actor();
  BOOST_REQUIRE(a);
  caf::scoped_actor requester{pants::actor_system()};
  caf::error refusal;
  requester->request(a, std::chrono::seconds(patience), std::string("what?"))
      .receive([&](const std::string&) { BOOST_ERROR("answered"); },
               [&](caf::error& e) { refusal = e; });
  BOOST_TEST((refusal == caf::sec::unexpected_message)); // at once, not a timeout
  c.send("still");
  BOOST_TEST(c.recv_exactly(5) == "still");
  srv->close();
  settle();
}

BOOST_AUTO_TEST_CASE(exception_in_on_connect_is_reported_and_the_client_goes_on) {
  auto srv = echo_server();
  auto c = line_client();
  c->connect_hook = [](client_recorder&) { throw std::runtime_error("connect hook"); };
  c->connect("127.0.0.1", srv->port());
  BOOST_REQUIRE(clog.wait_count("error:connect hook"));
  c->write("alive\n");
  BOOST_REQUIRE(clog.wait_count("read:alive"));
  c->close();
  BOOST_REQUIRE(clog.wait_count("close"));
  srv->close();
  settle();
}

// -- addresses and state ------------------------------------------------------------

BOOST_AUTO_TEST_CASE(addresses_name_both_ends_as_host_and_port) {
  auto srv = echo_server();
  auto c = line_client();
  BOOST_TEST(c->local_address().empty());
  c->connect("127.0.0.1", srv->port());
  BOOST_REQUIRE(clog.wait_count("connect"));
  BOOST_REQUIRE(log.wait_count("connect"));
  BOOST_TEST(c->remote_address() == "127.0.0.1:" + std::to_string(srv->port()));
  auto local = c->local_address();
  BOOST_REQUIRE(local.rfind("127.0.0.1:", 0) == 0u);
  auto local_port = std::stol(local.substr(10));
  BOOST_TEST(local_port > 0);
  BOOST_TEST(local_port != srv->port());
  auto conn = srv->channels().at(0);
  BOOST_TEST(conn->remote_address() == local);
  BOOST_TEST(conn->local_address() == c->remote_address());
  c->close();
  BOOST_REQUIRE(clog.wait_count("close"));
  srv->close();
  settle();
}

PANTS_FAMILY_TEST_CASE(connected_and_closed_follow_the_channel_state) {
  auto [srv, at] = echo_server_on(fam);
  auto c = line_client();
  c->connect_hook = [this](client_recorder& self) {
    clog.add(self.connected() && !self.closed() ? "state:open" : "state:bad");
  };
  c->close_hook = [this](client_recorder& self) {
    clog.add(self.closed() && !self.connected() ? "state:closed" : "state:bad");
  };
  auto states_seen = [this](std::size_t n) {
    return clog.wait([n](const auto& v) { return count_prefix(v, "state:") >= n; });
  };
  BOOST_TEST(!c->connected());
  BOOST_TEST(!c->closed());
  c->connect(at);
  BOOST_REQUIRE(states_seen(1));
  BOOST_TEST(c->connected());
  BOOST_TEST(!c->closed());
  c->end();
  BOOST_TEST(!c->connected()); // ending: no more writes
  BOOST_REQUIRE(states_seen(2));
  BOOST_TEST(!c->connected());
  BOOST_TEST(c->closed());
  srv->close();
  settle();
  auto v = clog.snapshot();
  std::vector<std::string> expected{"connect", "state:open", "close", "state:closed"};
  BOOST_TEST(v == expected, boost::test_tools::per_element());
}

PANTS_FAMILY_TEST_CASE(a_handler_writes_to_another_channel_of_its_server) {
  auto [srv, at] = recording_server_on(fam, [](recorder& r) {
    r.connect_hook = [](recorder& self) { self.read_delimiter("\n"); };
    r.read_hook = [](recorder& self, std::string_view d) {
      for (auto& other : self.server()->channels())
        if (other.get() != &self)
          other->write("relay " + std::string(d) + "\n");
    };
  });
  blocking_client a(at);
  blocking_client b(at);
  BOOST_REQUIRE(log.wait_count("connect", 2));
  a.send("from a\n");
  BOOST_TEST(b.recv_exactly(13) == "relay from a\n");
  b.send("from b\n");
  BOOST_TEST(a.recv_exactly(13) == "relay from b\n");
  srv->close();
  settle();
}

BOOST_AUTO_TEST_SUITE_END()
