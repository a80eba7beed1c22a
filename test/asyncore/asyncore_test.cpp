// asyncore's dispatcher, loop and maps over real sockets, on the select and
// the poll backend (ctest runs the suite once with each), over IPv4, ::1
// and a Unix path: the behaviour CPython's test_asyncore checks, written
// anew for this API, and the misuse rules of this library.

#define BOOST_TEST_MODULE asyncore
#include "asyncore/harness.hpp"
#include "support/descriptors.hpp"

#include "pants/channels/errors.hpp"
#include "pants/engine/engine.hpp"

#include <boost/test/unit_test.hpp>

#include <cerrno>
#include <fcntl.h>
#include <netinet/tcp.h>
#include <stdexcept>
#include <string>
#include <sys/socket.h>
#include <unistd.h>
#include <vector>

using namespace pants::test;
using pants::endpoint;
namespace bdata = boost::unit_test::data;

namespace suite {

/// Records which handlers ran; optionally throws from handle_read.
class recorder : public ac::dispatcher {
public:
  using ac::dispatcher::dispatcher;
  void handle_read() override {
    reads++;
    auto data = recv(4096);
    received += data;
    if (throw_on_read && !data.empty())
      throw std::runtime_error("handler failure");
  }
  void handle_write() override { writes++; }
  void handle_connect() override { connects++; }
  void handle_close() override {
    closes++;
    close();
  }
  void handle_error() override {
    errors++;
    try {
      throw;
    } catch (const std::exception& e) {
      last_error = e.what();
    }
    ac::dispatcher::handle_error(); // the default: report, then handle_close
  }
  void handle_expt() override {
    expts++;
    if (read_urgent)
      urgent += recv(1, MSG_OOB);
  }
  bool writable() override { return want_write; }

  bool want_write = false;
  bool throw_on_read = false;
  bool read_urgent = true;
  int reads = 0, writes = 0, connects = 0, closes = 0, errors = 0, expts = 0;
  std::string received, urgent, last_error;
};

/// A client recorder connecting to `to` (writable until connected, so the
/// connect is seen).
std::shared_ptr<recorder> client_to(ac::socket_map* m, const endpoint& to) {
  auto c = ac::make<recorder>(m);
  c->create_socket(to.family(), SOCK_STREAM);
  c->want_write = true;
  c->connect(to);
  return c;
}

server::factory recorder_factory() {
  return [](ac::socket_handle s, ac::socket_map* m) { return ac::make<recorder>(std::move(s), m); };
}

recorder& handler(server& srv, std::size_t i = 0) {
  BOOST_TEST_REQUIRE(srv.handlers.size() > i);
  return static_cast<recorder&>(*srv.handlers[i]);
}

} // namespace suite
using namespace suite;

// -- the implied events -----------------------------------------------------------

BOOST_DATA_TEST_CASE(connect_accept_read_and_close_are_the_implied_events, bdata::make(all_nets),
                     n) {
  PANTS_NEEDS_NET(n);
  auto map = fresh_map();
  auto srv = ac::make<server>(map.get(), n, recorder_factory());
  BOOST_TEST(srv->accepting());
  auto c = client_to(map.get(), srv->address());
  BOOST_TEST(c->connecting());
  BOOST_TEST(c->connects == 0); // never from inside connect()
  BOOST_TEST_REQUIRE(run_until(*map, [&] { return c->connects == 1 && !srv->handlers.empty(); }));
  BOOST_TEST(c->connected());
  BOOST_TEST(!c->connecting());
  auto& h = handler(*srv);
  BOOST_TEST(h.connected()); // a wrapped accepted socket has its peer
  if (n == net::ipv4)
    BOOST_TEST(srv->peers[0].to_string().rfind("127.0.0.1:", 0) == 0u);
  c->want_write = false;
  BOOST_TEST(c->send("ping") == 4u);
  BOOST_TEST_REQUIRE(run_until(*map, [&] { return h.received == "ping"; }));
  c->close();
  BOOST_TEST(!c->connected());
  BOOST_TEST(c->map() == nullptr);
  BOOST_TEST_REQUIRE(run_until(*map, [&] { return h.closes == 1; }));
  BOOST_TEST(h.errors == 0);
  BOOST_TEST(map->size() == 1u); // the server only
}

BOOST_DATA_TEST_CASE(a_reset_peer_is_a_close_not_an_error, bdata::make(tcp_nets), n) {
  PANTS_NEEDS_NET(n);
  auto map = fresh_map();
  auto srv = ac::make<server>(map.get(), n, recorder_factory());
  auto c = client_to(map.get(), srv->address());
  BOOST_TEST_REQUIRE(run_until(*map, [&] { return c->connects == 1 && !srv->handlers.empty(); }));
  linger reset{1, 0};
  ::setsockopt(c->fileno(), SOL_SOCKET, SO_LINGER, &reset, sizeof reset);
  c->close(); // sends RST
  auto& h = handler(*srv);
  h.want_write = false;
  BOOST_TEST_REQUIRE(run_until(*map, [&] { return h.closes == 1; }));
  BOOST_TEST(h.errors == 0);
}

BOOST_DATA_TEST_CASE(sending_to_a_reset_peer_closes_without_sigpipe, bdata::make(all_nets), n) {
  PANTS_NEEDS_NET(n);
  auto map = fresh_map();
  auto srv = ac::make<server>(map.get(), n, recorder_factory());
  auto c = client_to(map.get(), srv->address());
  BOOST_TEST_REQUIRE(run_until(*map, [&] { return c->connects == 1 && !srv->handlers.empty(); }));
  auto& h = handler(*srv);
  c->close();
  // Writes into a closed peer: EPIPE (or ECONNRESET) on some send, never a signal.
  std::string block(64 * 1024, 'x');
  for (int i = 0; i < 100 && h.closes == 0; ++i) {
    h.send(block);
    ac::loop(10ms, use_poll(), map.get(), 1);
  }
  BOOST_TEST(h.closes == 1);
  BOOST_TEST(h.errors == 0);
}

BOOST_DATA_TEST_CASE(a_refused_connect_ends_in_handle_error_never_in_handle_connect,
                     bdata::make(tcp_nets), n) {
  PANTS_NEEDS_NET(n);
  // A bound socket that does not listen: connecting to it is refused.
  int fd = ::socket(family_of(n), SOCK_STREAM | SOCK_CLOEXEC, 0);
  auto where = listen_address(n);
  BOOST_TEST_REQUIRE(::bind(fd, where.data(), where.size()) == 0);
  auto map = fresh_map();
  auto c = client_to(map.get(), endpoint::local_of(fd));
  BOOST_TEST_REQUIRE(run_until(*map, [&] { return c->closes > 0; }));
  BOOST_TEST(c->connects == 0);
  BOOST_TEST(c->errors == 1);
  BOOST_TEST(c->last_error.find("Connection refused") != std::string::npos, c->last_error);
  BOOST_TEST(!c->connected());
  BOOST_TEST(map->empty());
  ::close(fd);
}

BOOST_AUTO_TEST_CASE(connecting_to_a_unix_path_nobody_listens_on_throws_and_changes_nothing) {
  auto map = fresh_map();
  auto c = ac::make<recorder>(map.get());
  c->create_socket(AF_UNIX, SOCK_STREAM);
  BOOST_CHECK_THROW(c->connect(listen_address(net::unix_path)), pants::os_error);
  BOOST_TEST(!c->connecting());
  BOOST_TEST(map->size() == 1u);
}

BOOST_DATA_TEST_CASE(urgent_data_reaches_handle_expt_once_and_never_spins,
                     bdata::make(tcp_nets) * bdata::make({true, false}), n, read_it) {
  PANTS_NEEDS_NET(n);
  auto map = fresh_map();
  auto srv = ac::make<server>(map.get(), n, recorder_factory());
  auto c = client_to(map.get(), srv->address());
  BOOST_TEST_REQUIRE(run_until(*map, [&] { return c->connects == 1 && !srv->handlers.empty(); }));
  c->want_write = false;
  auto& h = handler(*srv);
  h.read_urgent = read_it;
  BOOST_TEST(c->send("!", MSG_OOB) == 1u);
  BOOST_TEST_REQUIRE(run_until(*map, [&] { return h.expts == 1; }));
  // Twenty more iterations: an unread urgent byte would report each time.
  ac::loop(10ms, use_poll(), map.get(), 20);
  BOOST_TEST(h.expts == 1);
  BOOST_TEST(h.urgent == (read_it ? "!" : ""));
  BOOST_TEST(h.errors == 0);
  c->send("after");
  BOOST_TEST_REQUIRE(run_until(*map, [&] { return h.received == "after"; }));
}

BOOST_DATA_TEST_CASE(an_exception_from_a_handler_goes_to_handle_error_not_out_of_the_loop,
                     bdata::make(all_nets), n) {
  PANTS_NEEDS_NET(n);
  auto map = fresh_map();
  auto srv = ac::make<server>(map.get(), n, [](ac::socket_handle s, ac::socket_map* m) {
    auto r = ac::make<recorder>(std::move(s), m);
    r->throw_on_read = true;
    return r;
  });
  auto c = client_to(map.get(), srv->address());
  BOOST_TEST_REQUIRE(run_until(*map, [&] { return c->connects == 1 && !srv->handlers.empty(); }));
  c->want_write = false;
  c->send("boom");
  auto& h = handler(*srv);
  BOOST_TEST_REQUIRE(run_until(*map, [&] { return h.errors == 1; }));
  BOOST_TEST(h.last_error == "handler failure");
  BOOST_TEST(h.closes == 1); // the default handle_error closes
  BOOST_TEST_REQUIRE(run_until(*map, [&] { return c->closes == 1; }));
  BOOST_TEST(srv->accepting()); // the others go on
}

BOOST_DATA_TEST_CASE(a_client_that_resets_before_the_accept_harms_nothing, bdata::make(all_nets),
                     n) {
  PANTS_NEEDS_NET(n);
  auto map = fresh_map();
  auto srv = ac::make<server>(map.get(), n, recorder_factory());
  auto to = srv->address();
  int fd = ::socket(to.family(), SOCK_STREAM | SOCK_CLOEXEC, 0);
  BOOST_TEST_REQUIRE(::connect(fd, to.data(), to.size()) == 0);
  linger reset{1, 0};
  ::setsockopt(fd, SOL_SOCKET, SO_LINGER, &reset, sizeof reset);
  ::close(fd); // before the loop ever ran
  ac::loop(10ms, use_poll(), map.get(), 5);
  for (auto& d : srv->handlers) {
    auto& h = static_cast<recorder&>(*d);
    h.want_write = false;
    BOOST_TEST_REQUIRE(run_until(*map, [&] { return h.closes == 1; }));
    BOOST_TEST(h.errors == 0);
  }
  // The listener still serves.
  auto c = client_to(map.get(), to);
  BOOST_TEST_REQUIRE(run_until(*map, [&] { return c->connects == 1; }));
  BOOST_TEST(srv->accepting());
}

BOOST_DATA_TEST_CASE(the_default_handle_accepted_closes_the_connection, bdata::make(all_nets), n) {
  PANTS_NEEDS_NET(n);
  auto map = fresh_map();
  auto plain = ac::make<ac::dispatcher>(map.get()); // no handler overridden
  plain->create_socket(family_of(n), SOCK_STREAM);
  plain->bind(listen_address(n));
  plain->listen(5);
  BOOST_TEST(plain->readable());
  BOOST_TEST(plain->writable()); // Python's default; a listener is still never watched for it
  auto c = client_to(map.get(), plain->socket().getsockname());
  BOOST_TEST_REQUIRE(run_until(*map, [&] { return c->closes == 1; }));
  BOOST_TEST(c->connects == 1);
  BOOST_TEST(c->received.empty());
  BOOST_TEST(plain->accepting());
  BOOST_TEST(plain->repr().find("<pants::asyncore::dispatcher listening ") == 0u, plain->repr());
}

// -- sockets --------------------------------------------------------------------

BOOST_AUTO_TEST_CASE(set_reuse_addr_lets_a_restarted_server_bind_its_port_again) {
  auto map = fresh_map();
  std::uint16_t port = 0;
  {
    auto srv = ac::make<server>(map.get(), net::ipv4, recorder_factory());
    int on = 0;
    socklen_t len = sizeof on;
    ::getsockopt(srv->fileno(), SOL_SOCKET, SO_REUSEADDR, &on, &len);
    BOOST_TEST(on != 0);
    port = srv->address().port();
    auto c = client_to(map.get(), srv->address());
    BOOST_TEST_REQUIRE(run_until(*map, [&] { return c->connects == 1 && !srv->handlers.empty(); }));
    handler(*srv).close(); // the server side closes first: its end waits in TIME_WAIT
    BOOST_TEST_REQUIRE(run_until(*map, [&] { return c->closes == 1; }));
    srv->close();
  }
  auto again = ac::make<recorder>(map.get());
  again->create_socket(AF_INET, SOCK_STREAM);
  again->set_reuse_addr();
  again->bind("127.0.0.1", port);
  again->listen(5);
  BOOST_TEST(again->accepting());
  BOOST_TEST(again->socket().getsockname().port() == port);
}

BOOST_AUTO_TEST_CASE(a_wrapped_socket_is_connected_and_its_data_flows) {
  int sv[2];
  BOOST_TEST_REQUIRE(::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) == 0);
  auto map = fresh_map();
  auto a = ac::make<recorder>(ac::socket_handle(sv[0]), map.get());
  auto b = ac::make<recorder>(ac::socket_handle(sv[1]), map.get());
  BOOST_TEST(a->connected());
  BOOST_TEST((::fcntl(a->fileno(), F_GETFL) & O_NONBLOCK) != 0);
  BOOST_TEST(a->send("over the pair") == 13u);
  BOOST_TEST_REQUIRE(run_until(*map, [&] { return b->received == "over the pair"; }));
  b->close();
  BOOST_TEST_REQUIRE(run_until(*map, [&] { return a->closes == 1; }));
  BOOST_TEST(map->empty());
}

BOOST_AUTO_TEST_CASE(a_wrapped_listening_socket_is_accepting_and_accepts) {
  int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  auto at = endpoint::numeric("127.0.0.1", 0);
  BOOST_TEST_REQUIRE(::bind(fd, at.data(), at.size()) == 0);
  BOOST_TEST_REQUIRE(::listen(fd, 5) == 0);
  auto map = fresh_map();
  class wrapped_listener : public ac::dispatcher {
  public:
    using ac::dispatcher::dispatcher;
    void handle_accepted(ac::socket_handle, const endpoint&) override { ++accepted; }
    int accepted = 0;
  };
  auto l = ac::make<wrapped_listener>(ac::socket_handle(fd), map.get());
  BOOST_TEST(l->accepting());
  BOOST_TEST(!l->connected());
  auto c = client_to(map.get(), l->socket().getsockname());
  BOOST_TEST_REQUIRE(run_until(*map, [&] { return l->accepted == 1 && c->connects == 1; }));
}

BOOST_DATA_TEST_CASE(dispatcher_with_send_queues_what_the_socket_cannot_take, bdata::make(all_nets),
                     n) {
  PANTS_NEEDS_NET(n);
  auto map = fresh_map();
  std::string blob;
  for (std::size_t i = 0; i < 2 * 1024 * 1024; ++i)
    blob += static_cast<char>('a' + i % 26);
  auto srv = ac::make<server>(map.get(), n, [&](ac::socket_handle s, ac::socket_map* m) {
    auto h = ac::make<ac::dispatcher_with_send>(std::move(s), m);
    h->send(blob); // far more than one send takes
    return h;
  });
  auto c = client_to(map.get(), srv->address());
  BOOST_TEST_REQUIRE(run_until(
      *map, [&] { return c->received.size() >= blob.size(); }, 20s));
  BOOST_TEST((c->received == blob));
  auto& h = static_cast<ac::dispatcher_with_send&>(*srv->handlers[0]);
  BOOST_TEST(h.out_buffer.empty());
  BOOST_TEST(!h.writable());
}

// -- loop, maps -------------------------------------------------------------------

namespace suite {
/// Always writable (one end of a socket pair whose other end it holds
/// and never reads): counts the loop's iterations.
class ticker : public ac::dispatcher {
public:
  explicit ticker(ac::socket_map* m) : ac::dispatcher(m) {
    int sv[2];
    if (::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) != 0)
      throw std::runtime_error("socketpair failed");
    peer = ac::socket_handle(sv[1]);
    set_socket(ac::socket_handle(sv[0]));
  }
  void handle_write() override { ++ticks; }
  bool readable() override { return false; }
  int ticks = 0;
  ac::socket_handle peer;
};

std::shared_ptr<ticker> make_ticker(ac::socket_map* m) { return ac::make<ticker>(m); }
} // namespace suite

BOOST_AUTO_TEST_CASE(loop_with_a_count_runs_that_many_iterations) {
  auto map = fresh_map();
  auto t = make_ticker(map.get());
  ac::loop(1s, use_poll(), map.get(), 3);
  BOOST_TEST(t->ticks == 3);
  BOOST_TEST(map->size() == 1u);
  ac::loop(1s, use_poll(), map.get(), 0);
  BOOST_TEST(t->ticks == 3);
}

BOOST_AUTO_TEST_CASE(loop_returns_once_the_last_channel_closed) {
  auto map = fresh_map();
  auto t = make_ticker(map.get());
  class closer : public ticker {
  public:
    using ticker::ticker;
    void handle_write() override {
      if (++ticks == 5)
        close();
    }
  };
  t->close();
  auto c = ac::make<closer>(map.get());
  ac::loop(1s, use_poll(), map.get()); // no count: until the map is empty
  BOOST_TEST(c->ticks == 5);
  BOOST_TEST(map->empty());
}

BOOST_AUTO_TEST_CASE(a_dispatcher_made_and_dropped_lives_in_its_map_until_it_closes) {
  auto map = fresh_map();
  std::weak_ptr<ticker> watch = make_ticker(map.get());
  BOOST_TEST(!watch.expired()); // the map holds it
  ac::loop(1s, use_poll(), map.get(), 2);
  BOOST_TEST_REQUIRE(!watch.expired());
  BOOST_TEST(watch.lock()->ticks == 2);
  watch.lock()->close();
  BOOST_TEST(watch.expired());
  BOOST_TEST(map->empty());
}

namespace suite {
/// Closes itself, then goes on using its members.
class self_closer : public ticker {
public:
  using ticker::ticker;
  void end() {
    close();
    ++ends; // after close: still alive while a handler runs
  }
  int ends = 0;
};

/// On its first write event, drops its reference to `other` and ends it.
class ender : public ticker {
public:
  ender(ac::socket_map* m, std::weak_ptr<self_closer> o) : ticker(m), other(std::move(o)) {}
  void handle_write() override {
    if (auto o = other.lock()) {
      auto* raw = o.get();
      o.reset(); // only the map holds it now
      raw->end();
      alive_after_end = !other.expired();
      ends_seen = raw->ends;
    }
    close();
  }
  std::weak_ptr<self_closer> other;
  bool alive_after_end = false;
  int ends_seen = 0;
};
} // namespace suite

BOOST_AUTO_TEST_CASE(a_dispatcher_closed_from_another_handler_lives_until_that_handler_returns) {
  auto map = fresh_map();
  std::weak_ptr<self_closer> b = ac::make<self_closer>(map.get());
  auto a = ac::make<ender>(map.get(), b);
  ac::loop(1s, use_poll(), map.get(), 1);
  BOOST_TEST(a->alive_after_end);
  BOOST_TEST(a->ends_seen == 1);
  BOOST_TEST(b.expired()); // released once the handler returned
}

BOOST_AUTO_TEST_CASE(a_dispatcher_on_the_stack_leaves_its_map_when_destroyed) {
  auto map = fresh_map();
  {
    ticker t(map.get());
    ac::loop(1s, use_poll(), map.get(), 1);
    BOOST_TEST(t.ticks == 1);
    BOOST_TEST(map->size() == 1u);
  }
  BOOST_TEST(map->empty());
  ac::loop(1s, use_poll(), map.get(), 1); // nothing dangles
}

BOOST_AUTO_TEST_CASE(exit_now_leaves_the_loop_and_the_map_as_it_was) {
  auto map = fresh_map();
  class quitter : public ticker {
  public:
    using ticker::ticker;
    void handle_write() override { throw ac::exit_now(); }
  };
  auto q = ac::make<quitter>(map.get());
  BOOST_CHECK_THROW(ac::loop(1s, use_poll(), map.get()), ac::exit_now);
  BOOST_TEST(map->size() == 1u);
  BOOST_TEST(q->map() == map.get());
}

BOOST_AUTO_TEST_CASE(close_all_closes_every_channel_of_the_map) {
  auto map = fresh_map();
  auto srv = ac::make<server>(map.get(), net::ipv4, recorder_factory());
  auto c = client_to(map.get(), srv->address());
  BOOST_TEST_REQUIRE(run_until(*map, [&] { return !srv->handlers.empty(); }));
  BOOST_TEST(map->size() == 3u);
  ac::close_all(map.get());
  BOOST_TEST(map->empty());
  BOOST_TEST(srv->fileno() == -1);
  BOOST_TEST(c->fileno() == -1);
}

BOOST_AUTO_TEST_CASE(maps_are_independent) {
  auto one = fresh_map();
  auto two = fresh_map();
  auto a = make_ticker(one.get());
  auto b = make_ticker(two.get());
  ac::loop(1s, use_poll(), one.get(), 3);
  BOOST_TEST(a->ticks == 3);
  BOOST_TEST(b->ticks == 0);
  BOOST_TEST(one->find(a->fileno()) == a.get());
  BOOST_TEST(two->find(a->fileno()) == nullptr);
}

BOOST_AUTO_TEST_CASE(the_default_map_takes_dispatchers_given_no_map) {
  auto t = make_ticker(nullptr);
  BOOST_TEST(t->map() == &ac::socket_map::default_map());
  ac::loop(1s, use_poll(), nullptr, 2);
  BOOST_TEST(t->ticks == 2);
  ac::close_all();
  BOOST_TEST(ac::socket_map::default_map().empty());
}

BOOST_AUTO_TEST_CASE(loop_switches_a_map_between_select_and_poll) {
  auto map = std::make_unique<ac::socket_map>("select");
  auto t = make_ticker(map.get());
  ac::loop(1s, false, map.get(), 1);
  BOOST_TEST(std::string(map->get_engine().backend_name()) == "select");
  ac::loop(1s, true, map.get(), 1);
  BOOST_TEST(std::string(map->get_engine().backend_name()) == "poll");
  ac::loop(1s, false, map.get(), 1);
  BOOST_TEST(t->ticks == 3);
}

namespace suite {
/// Wraps a given socket; always writable, counts write events.
class wrapped_ticker : public ac::dispatcher {
public:
  using ac::dispatcher::dispatcher;
  void handle_write() override { ++ticks; }
  bool readable() override { return false; }
  int ticks = 0;
};
} // namespace suite

BOOST_AUTO_TEST_CASE(select_refuses_a_descriptor_at_or_above_fd_setsize_and_changes_nothing) {
  int sv[2];
  BOOST_TEST_REQUIRE(::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) == 0);
  int big = dup_at_or_above_fd_setsize(sv[0]);
  ac::socket_map on_select("select");
  try {
    wrapped_ticker t(ac::socket_handle(big), &on_select);
    BOOST_FAIL("a descriptor above FD_SETSIZE was taken");
  } catch (const pants::os_error& e) {
    BOOST_TEST(e.code() == EMFILE);
    BOOST_TEST(std::string(e.what()).find("FD_SETSIZE") != std::string::npos, e.what());
  }
  BOOST_TEST(on_select.empty());
  BOOST_TEST(::fcntl(big, F_GETFD) == -1); // the refused socket was closed, not leaked
  // poll takes one that high.
  ac::socket_map on_poll("poll");
  auto t = ac::make<wrapped_ticker>(ac::socket_handle(dup_at_or_above_fd_setsize(sv[0])), &on_poll);
  ac::loop(1s, true, &on_poll, 1);
  BOOST_TEST(t->ticks == 1);
  // Switching that map to select refuses it through handle_error: it closes.
  ac::loop(1s, false, &on_poll, 1);
  BOOST_TEST(on_poll.empty());
  BOOST_TEST(t->fileno() == -1);
  BOOST_TEST(t->ticks == 1);
  ::close(sv[0]);
  ::close(sv[1]);
}

BOOST_AUTO_TEST_CASE(a_connection_select_cannot_watch_is_closed_and_the_listener_goes_on) {
  ac::socket_map on_select("select");
  auto srv = ac::make<server>(&on_select, net::ipv4, recorder_factory());
  auto to = srv->address();
  int first = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  BOOST_TEST_REQUIRE(::connect(first, to.data(), to.size()) == 0);
  ::close(dup_at_or_above_fd_setsize(first)); // room for one descriptor at FD_SETSIZE
  std::vector<int> filler; // every free descriptor below it: accept gets FD_SETSIZE
  for (int fd; (fd = ::open("/dev/null", O_RDONLY | O_CLOEXEC)) >= 0;) {
    if (fd >= FD_SETSIZE) {
      ::close(fd);
      break;
    }
    filler.push_back(fd);
  }
  ac::loop(10ms, false, &on_select, 3);
  for (int fd : filler)
    ::close(fd);
  BOOST_TEST(srv->handlers.empty());
  BOOST_TEST(srv->accepting());
  char byte;
  timeval tv{5, 0};
  ::setsockopt(first, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  BOOST_TEST(::recv(first, &byte, 1, 0) == 0); // closed by the server, not left hanging
  ::close(first);
  auto c = client_to(&on_select, to); // the listener still serves
  BOOST_TEST_REQUIRE(
      run_until(on_select, [&] { return c->connects == 1 && srv->handlers.size() == 1; }));
}

// -- misuse: a typed exception, and nothing changed --------------------------------

BOOST_AUTO_TEST_CASE(send_or_recv_before_connect_throws_and_sends_nothing) {
  auto map = fresh_map();
  auto d = ac::make<recorder>(map.get());
  BOOST_CHECK_THROW(d->send("x"), pants::state_error); // no socket at all
  d->create_socket(AF_INET, SOCK_STREAM);
  BOOST_CHECK_THROW(d->send("x"), pants::state_error);
  BOOST_CHECK_THROW(d->recv(10), pants::state_error);
  ac::dispatcher_with_send w(map.get());
  w.create_socket(AF_INET, SOCK_STREAM);
  BOOST_CHECK_THROW(w.send("x"), pants::state_error);
  BOOST_TEST(w.out_buffer.empty());
  BOOST_CHECK_THROW(d->create_socket(AF_INET, SOCK_STREAM), pants::state_error);
}

BOOST_AUTO_TEST_CASE(listening_twice_or_connecting_a_listener_throws_and_changes_nothing) {
  auto map = fresh_map();
  auto srv = ac::make<server>(map.get(), net::ipv4, recorder_factory());
  auto at = srv->address();
  BOOST_CHECK_THROW(srv->listen(5), pants::state_error);
  BOOST_CHECK_THROW(srv->connect(at), pants::state_error);
  BOOST_CHECK_THROW(srv->send("x"), pants::state_error);
  BOOST_TEST(srv->accepting());
  auto c = client_to(map.get(), at);
  BOOST_CHECK_THROW(c->connect(at), pants::state_error); // connecting already
  BOOST_CHECK_THROW(c->listen(5), pants::state_error);
  BOOST_CHECK_THROW(c->accept(), pants::state_error);
  BOOST_CHECK_THROW(c->recv(0), std::invalid_argument);
  BOOST_TEST_REQUIRE(run_until(*map, [&] { return c->connects == 1; }));
}

BOOST_AUTO_TEST_CASE(a_bad_address_throws_address_error_and_changes_nothing) {
  auto map = fresh_map();
  auto d = ac::make<recorder>(map.get());
  d->create_socket(AF_INET, SOCK_STREAM);
  BOOST_CHECK_THROW(d->connect("127.0.0.1", 70000), pants::address_error);
  BOOST_CHECK_THROW(d->connect(endpoint::numeric("::1", 80)), pants::address_error);
  BOOST_CHECK_THROW(d->bind(endpoint::unix_socket("/tmp/x.sock")), pants::address_error);
  BOOST_CHECK_THROW(d->connect("", 80), pants::address_error);
  BOOST_CHECK_THROW(endpoint::unix_socket(std::string(200, 'p')), pants::address_error);
  BOOST_TEST(!d->connecting());
  BOOST_TEST(d->addr().empty());
  BOOST_CHECK_THROW(ac::loop(-1ms, use_poll(), map.get(), 1), std::invalid_argument);
  BOOST_CHECK_THROW(ac::socket_map("epoll"), std::invalid_argument);
}

BOOST_AUTO_TEST_CASE(binding_an_address_in_use_throws_os_error) {
  auto map = fresh_map();
  auto srv = ac::make<server>(map.get(), net::unix_path, recorder_factory());
  auto d = ac::make<recorder>(map.get());
  d->create_socket(AF_UNIX, SOCK_STREAM);
  try {
    d->bind(srv->address());
    BOOST_FAIL("bound a live listener's path");
  } catch (const pants::os_error& e) {
    BOOST_TEST(e.code() == EADDRINUSE);
  }
  BOOST_TEST(srv->accepting());
}

BOOST_AUTO_TEST_CASE(loop_from_a_handler_of_the_same_map_is_refused) {
  auto map = fresh_map();
  class nester : public ticker {
  public:
    using ticker::ticker;
    void handle_write() override {
      try {
        ac::loop(1s, use_poll(), map(), 1);
      } catch (const pants::state_error&) {
        refused = true;
      }
      close();
    }
    bool refused = false;
  };
  auto n = ac::make<nester>(map.get());
  ac::loop(1s, use_poll(), map.get(), 5);
  BOOST_TEST(n->refused);
}
