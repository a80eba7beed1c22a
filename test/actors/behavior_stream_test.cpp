#include "pants/actors/behavior_stream.hpp"

#include "pants/actors/runtime.hpp"
#include "pants/actors/stream_server.hpp"
#include "support/loopback.hpp"

#define BOOST_TEST_MODULE behavior_stream
#include <boost/test/unit_test.hpp>

#include "support/family.hpp"

#include <caf/atom.hpp>
#include <caf/message_handler.hpp>
#include <caf/scoped_actor.hpp>
#include <caf/send.hpp>

#include <algorithm>
#include <cstdint>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

using namespace pants;
using namespace pants::test;

namespace {

using ping_atom = caf::atom_constant<caf::atom("tPing")>;

long first(const std::vector<std::string>& v, const std::string& e) {
  auto i = std::find(v.begin(), v.end(), e);
  return i == v.end() ? -1 : static_cast<long>(i - v.begin());
}

struct fixture {
  engine eng;
  event_log log;
  address_maker addresses;
  engine_thread loop{eng};
  std::mutex made_mtx;
  std::vector<std::weak_ptr<stream>> made; // every channel a server made

  /// A server on a fresh address of `fam` whose connections run `make`'s
  /// behaviour.
  served serve_on(family fam, behavior_stream::factory make) {
    auto inner = behavior_stream::for_server(std::move(make), eng);
    auto srv = std::make_shared<server>(
        [this, inner] {
          auto channel = inner();
          std::lock_guard<std::mutex> guard(made_mtx);
          made.push_back(channel);
          return channel;
        },
        eng);
    auto at = addresses.listen(*srv, fam);
    return {srv, at};
  }

  /// A server on 127.0.0.1 port 0 whose connections run `make`'s behaviour.
  std::shared_ptr<server> serve(behavior_stream::factory make) {
    return serve_on(family::ipv4, std::move(make)).srv;
  }

  bool all_channels_gone() {
    std::lock_guard<std::mutex> guard(made_mtx);
    return std::all_of(made.begin(), made.end(), [](auto& w) { return w.expired(); });
  }

  /// A line-framed behaviour that logs what it sees; `extra` handlers come
  /// first, so they override the defaults below.
  behavior_stream::factory logging(std::function<caf::message_handler(stream&)> extra = {}) {
    return [this, extra](stream& self) -> caf::behavior {
      caf::message_handler base{
          [this, &self](connected_msg) {
            log.add("connected");
            self.read_delimiter("\n");
          },
          [this](const read_msg& m) { log.add("read:" + m.data); },
          [this](drained_msg) { log.add("drained"); },
          [this](closed_msg) { log.add("closed"); },
      };
      if (!extra)
        return base;
      return extra(self).or_else(base);
    };
  }

  /// End of a test (servers closed): every channel a server made is gone
  /// (its actor finished after closed_msg, or it was never adopted) and the
  /// engine holds no descriptor, so no channel outlives the engine. Polls,
  /// bounded, like engine_thread::wait_no_handles.
  void settle() {
    auto deadline = std::chrono::steady_clock::now() + patience;
    bool gone = all_channels_gone();
    while (!gone && std::chrono::steady_clock::now() < deadline) {
      std::this_thread::yield();
      gone = all_channels_gone();
    }
    BOOST_TEST(gone);
    BOOST_TEST(loop.wait_no_handles());
  }
};

} // namespace

// The README's example, as written: the default engine, no engine argument.
BOOST_AUTO_TEST_CASE(for_server_echo_on_the_default_engine_answers_a_loopback_client) {
  engine_thread loop(engine::instance());
  auto log = std::make_shared<event_log>(); // shared: outlives a late channel
  auto srv =
      std::make_shared<server>(behavior_stream::for_server([log](stream& self) -> caf::behavior {
        return {
            [&self](const read_msg& m) { self.write(m.data); },
            [log](closed_msg) { log->add("closed"); },
        };
      }));
  srv->listen("127.0.0.1", 0);
  {
    blocking_client c(srv->port());
    c.send("hello");
    BOOST_TEST(c.recv_exactly(5) == "hello");
  }
  BOOST_REQUIRE(log->wait_count("closed"));
  srv->close();
  BOOST_TEST(loop.wait_no_handles());
}

BOOST_FIXTURE_TEST_SUITE(behavior_stream_suite, fixture)

PANTS_FAMILY_TEST_CASE(for_server_echo_on_an_engine_of_its_own_answers_a_client) {
  auto behaviour = [this](stream& self) -> caf::behavior {
    return {
        [&self](const read_msg& m) { self.write(m.data); },
        [this](closed_msg) { log.add("closed"); },
    };
  };
  auto [srv, at] = serve_on(fam, behaviour);
  blocking_client c(at);
  c.send("hello");
  BOOST_TEST(c.recv_exactly(5) == "hello");
  c.send("again");
  BOOST_TEST(c.recv_exactly(5) == "again");
  srv->close();
  BOOST_TEST(c.peer_closed());
  settle();
}

PANTS_FAMILY_TEST_CASE(behaviour_sees_connected_then_one_read_per_frame_then_closed_once) {
  auto [srv, at] = serve_on(fam, logging());
  {
    blocking_client c(at);
    BOOST_REQUIRE(log.wait_count("connected"));
    c.send("one\ntwo\nthr");
    BOOST_REQUIRE(log.wait_count("read:two"));
    c.send("ee\nunterminated");
    BOOST_REQUIRE(log.wait_count("read:three"));
  }
  BOOST_REQUIRE(log.wait_count("closed"));
  srv->close();
  settle();
  auto v = log.snapshot();
  std::vector<std::string> expected{"connected", "read:one", "read:two", "read:three", "closed"};
  BOOST_TEST(v == expected, boost::test_tools::per_element());
}

PANTS_FAMILY_TEST_CASE(behaviour_gets_drained_after_its_write_goes_out) {
  auto behaviour = logging([this](stream& self) -> caf::message_handler {
    return {[this, &self](const read_msg& m) {
      self.write(m.data + "\n");
      log.add("wrote");
    }};
  });
  auto [srv, at] = serve_on(fam, behaviour);
  blocking_client c(at);
  c.send("x\n");
  BOOST_TEST(c.recv_exactly(2) == "x\n");
  BOOST_REQUIRE(log.wait_count("drained"));
  srv->close();
  settle();
  auto v = log.snapshot();
  BOOST_TEST(first(v, "wrote") < first(v, "drained"));
  BOOST_TEST(first(v, "drained") < first(v, "closed"));
}

PANTS_FAMILY_TEST_CASE(overflow_without_a_handler_closes_the_channel) {
  auto behaviour = logging([](stream& self) -> caf::message_handler {
    return {[&self](connected_msg) {
      self.read_delimiter("\n");
      self.buffer_size(16);
    }};
  });
  auto [srv, at] = serve_on(fam, behaviour);
  blocking_client c(at);
  c.send(std::string(64, 'z')); // no delimiter within the 16-byte buffer
  BOOST_TEST(c.peer_closed());
  BOOST_REQUIRE(log.wait_count("closed"));
  srv->close();
  settle();
  BOOST_TEST(count_prefix(log.snapshot(), "read:") == 0u);
  BOOST_TEST(log.count("closed") == 1u);
}

PANTS_FAMILY_TEST_CASE(overflow_with_a_handler_is_delivered_and_the_channel_stays_open) {
  auto behaviour = logging([this](stream& self) -> caf::message_handler {
    return {
        [this, &self](connected_msg) {
          self.read_delimiter("\n");
          self.buffer_size(16);
          log.add("connected");
        },
        [this](const overflow_msg& m) {
          log.add(m.error.message.empty() ? "overflow:" : "overflow");
        },
        [&self](const read_msg& m) { self.write(m.data + "\n"); },
    };
  });
  auto [srv, at] = serve_on(fam, behaviour);
  blocking_client c(at);
  BOOST_REQUIRE(log.wait_count("connected"));
  c.send(std::string(64, 'z'));
  BOOST_REQUIRE(log.wait_count("overflow"));
  c.send("ok\n"); // the overflowing bytes were dropped; the channel reads on
  BOOST_TEST(c.recv_exactly(3) == "ok\n");
  BOOST_TEST(log.count("closed") == 0u);
  srv->close();
  settle();
  BOOST_TEST(log.count("overflow:") == 0u); // the error says what happened
}

BOOST_AUTO_TEST_CASE(own_messages_reach_the_behaviour_in_the_channel_actor) {
  auto srv = serve(logging([this](stream& self) -> caf::message_handler {
    return {
        // Handler-only state (the delimiter) may be touched: this runs in
        // the channel's actor, between its socket events.
        [this, &self](const std::string& delimiter) {
          self.read_delimiter(delimiter);
          log.add("delimiter:" + delimiter);
        },
        [&self](ping_atom) { self.write("pong\n"); },
        [](std::int32_t x) { return x * 2; },
    };
  }));
  blocking_client c(srv->port());
  BOOST_REQUIRE(log.wait_count("connected"));
  auto a = srv->channels().at(0)->actor();
  BOOST_REQUIRE(a);
  caf::anon_send(a, ping_atom::value);
  BOOST_TEST(c.recv_exactly(5) == "pong\n");
  caf::anon_send(a, std::string(";"));
  BOOST_REQUIRE(log.wait_count("delimiter:;"));
  c.send("a;b;");
  BOOST_REQUIRE(log.wait_count("read:b"));
  BOOST_TEST(log.count("read:a") == 1u);
  // A handler's result goes back to a requester.
  caf::scoped_actor requester{actor_system()};
  std::int32_t answer = 0;
  requester->request(a, std::chrono::seconds(patience), std::int32_t{21})
      .receive([&](std::int32_t x) { answer = x; },
               [&](caf::error& e) { BOOST_ERROR("request failed: " << to_string(e)); });
  BOOST_TEST(answer == 42);
  srv->close();
  settle();
}

BOOST_AUTO_TEST_CASE(exceptions_from_behaviour_handlers_are_contained_and_the_channel_goes_on) {
  auto srv = serve(logging([](stream& self) -> caf::message_handler {
    return {
        [&self](const read_msg& m) {
          if (m.data == "bad")
            throw std::runtime_error("bad frame");
          self.write(m.data + "\n");
        },
        [](const std::string&) { throw std::runtime_error("bad message"); },
        [&self](ping_atom) { self.write("pong\n"); },
    };
  }));
  blocking_client c(srv->port());
  BOOST_REQUIRE(log.wait_count("connected"));
  c.send("bad\nok\n");
  BOOST_TEST(c.recv_exactly(3) == "ok\n");
  auto a = srv->channels().at(0)->actor();
  caf::anon_send(a, std::string("throw"));
  caf::anon_send(a, ping_atom::value); // in order after the throwing one
  BOOST_TEST(c.recv_exactly(5) == "pong\n");
  c.send("still\n");
  BOOST_TEST(c.recv_exactly(6) == "still\n");
  BOOST_TEST(log.count("closed") == 0u);
  srv->close();
  settle();
}

BOOST_AUTO_TEST_CASE(a_request_after_closed_msg_gets_an_error_not_the_behaviour) {
  caf::actor a;
  auto srv = serve(logging([this](stream&) -> caf::message_handler {
    return {
        [this](std::int32_t x) {
          log.add("asked");
          return x;
        },
    };
  }));
  {
    blocking_client c(srv->port());
    BOOST_REQUIRE(log.wait_count("connected"));
    a = srv->channels().at(0)->actor();
  }
  BOOST_REQUIRE(log.wait_count("closed"));
  caf::scoped_actor requester{actor_system()};
  bool answered = false;
  caf::error refusal;
  requester->request(a, std::chrono::seconds(patience), std::int32_t{1})
      .receive([&](std::int32_t) { answered = true; }, [&](caf::error& e) { refusal = e; });
  BOOST_TEST(!answered);
  BOOST_TEST(static_cast<bool>(refusal));             // bounced by the finished actor...
  BOOST_TEST((refusal != caf::sec::request_timeout)); // ...at once, not dropped
  BOOST_TEST(log.count("asked") == 0u);
  srv->close();
  settle();
}

PANTS_FAMILY_TEST_CASE(behaviour_sees_read_error_then_closed_after_a_peer_reset) {
  auto behaviour = logging([this](stream&) -> caf::message_handler {
    return {[this](const read_error_msg&) { log.add("read_error"); },
            [this](const write_error_msg&) { log.add("write_error"); }};
  });
  auto [srv, at] = serve_on(fam, behaviour);
  blocking_client c(at);
  BOOST_REQUIRE(log.wait_count("connected"));
  // Bytes the peer leaves unread make its close a reset on a Unix socket
  // too (on TCP, SO_LINGER 0 alone does).
  srv->channels().at(0)->write("unread");
  BOOST_REQUIRE(log.wait_count("drained"));
  c.reset();
  BOOST_REQUIRE(log.wait_count("closed"));
  srv->close();
  settle();
  auto v = log.snapshot();
  BOOST_TEST(log.count("read_error") + log.count("write_error") == 1u);
  BOOST_TEST(v.back() == "closed");
  BOOST_TEST(log.count("closed") == 1u);
}

PANTS_FAMILY_TEST_CASE(behavior_client_connects_out_and_round_trips) {
  auto behaviour = [this](stream& self) -> caf::behavior {
    return {[&self](const read_msg& m) { self.write(m.data); },
            [this](closed_msg) { log.add("closed"); }};
  };
  auto [srv, at] = serve_on(fam, behaviour);
  auto clog = std::make_shared<event_log>(); // shared: the actor may outlive the test
  auto c = std::make_shared<behavior_stream>(
      [clog](stream& self) -> caf::behavior {
        return {
            [clog, &self](connected_msg) {
              clog->add("connected");
              self.read_delimiter("\n");
              self.write("hi\nthere\n");
            },
            [clog](const read_msg& m) { clog->add("read:" + m.data); },
            [clog](closed_msg) { clog->add("closed"); },
        };
      },
      eng);
  c->connect(at);
  BOOST_REQUIRE(clog->wait_count("read:there"));
  c->close();
  BOOST_REQUIRE(clog->wait_count("closed"));
  srv->close();
  settle();
  auto v = clog->snapshot();
  std::vector<std::string> expected{"connected", "read:hi", "read:there", "closed"};
  BOOST_TEST(v == expected, boost::test_tools::per_element());
}

BOOST_AUTO_TEST_CASE(behavior_client_gets_connect_failed_then_closed_when_refused) {
  // A port nothing listens on: bound and never listening, kept bound so
  // no other socket can take it meanwhile.
  int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in sa{};
  sa.sin_family = AF_INET;
  sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof sa;
  BOOST_REQUIRE(::bind(fd, reinterpret_cast<sockaddr*>(&sa), len) == 0);
  BOOST_REQUIRE(::getsockname(fd, reinterpret_cast<sockaddr*>(&sa), &len) == 0);
  auto c = std::make_shared<behavior_stream>(
      [this](stream&) -> caf::behavior {
        return {
            [this](connected_msg) { log.add("connected"); },
            [this](const connect_failed_msg& m) { log.add("connect_failed:" + m.error.message); },
            [this](closed_msg) { log.add("closed"); },
        };
      },
      eng);
  c->connect("127.0.0.1", ntohs(sa.sin_port));
  BOOST_REQUIRE(log.wait_count("closed"));
  BOOST_TEST(loop.wait_no_handles());
  ::close(fd);
  auto v = log.snapshot();
  BOOST_REQUIRE(v.size() == 2u);
  BOOST_TEST(v[0].rfind("connect_failed:", 0) == 0u);
  BOOST_TEST(v[1] == "closed");
}

BOOST_AUTO_TEST_SUITE_END()
