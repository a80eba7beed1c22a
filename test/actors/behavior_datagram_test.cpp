#include "pants/actors/behavior_datagram.hpp"

#include "pants/channels/address.hpp"
#include "support/datagram_peer.hpp"
#include "support/loopback.hpp"
#include "support/tracking.hpp"

#define BOOST_TEST_MODULE behavior_datagram
#include <boost/test/unit_test.hpp>

#include <caf/atom.hpp>
#include <caf/send.hpp>

#include <functional>
#include <memory>
#include <stdexcept>
#include <string>

using namespace pants;
using namespace pants::test;

namespace {

using ping_atom = caf::atom_constant<caf::atom("tDgPing")>;

endpoint v4(std::uint16_t port) { return endpoint::numeric("127.0.0.1", port); }

struct fixture {
  engine eng;
  event_log log;
  engine_thread loop{eng};
  std::shared_ptr<behavior_datagram> channel;

  /// An actor-style echo on 127.0.0.1, logging what it sees; `extra`
  /// handlers are tried first; `before` runs before listen.
  void start(caf::message_handler extra = {}, std::function<void(datagram&)> before = {}) {
    channel = std::make_shared<behavior_datagram>(
        [this, extra](datagram& self) -> caf::behavior {
          caf::message_handler base{
              [this](listening_msg) { log.add("listening"); },
              [this, &self](const datagram_msg& m) {
                log.add("datagram:" + m.data);
                self.write(m.data, m.from);
              },
              [this](drained_msg) { log.add("drained"); },
              [this](closed_msg) { log.add("closed"); },
          };
          return extra.or_else(base);
        },
        eng);
    if (before)
      before(*channel);
    channel->listen("127.0.0.1", 0);
    BOOST_TEST_REQUIRE(log.wait_count("listening"));
  }

  ~fixture() {
    if (channel) {
      channel->close();
      log.wait_count("closed");
    }
    loop.wait_no_handles();
  }
};

} // namespace

BOOST_FIXTURE_TEST_SUITE(behavior_datagram_suite, fixture)

BOOST_AUTO_TEST_CASE(a_behaviour_gets_each_datagram_with_its_sender_and_answers_it) {
  start();
  datagram_peer peer(v4(0));
  BOOST_TEST_REQUIRE(peer.send_to("actor style", v4(channel->port())));
  auto back = peer.receive();
  BOOST_TEST_REQUIRE(back.has_value());
  BOOST_TEST(back->first == "actor style");
  BOOST_TEST(log.wait_count("drained"));
  channel->close();
  BOOST_TEST(log.wait_count("closed"));
  BOOST_TEST(log.count("closed") == 1u);
}

BOOST_AUTO_TEST_CASE(other_messages_sent_to_the_actor_reach_the_behaviour) {
  datagram_peer peer(v4(0));
  auto to = peer.address();
  start(caf::message_handler{[this, to](ping_atom) {
    log.add("ping");
    channel->write("pong", to);
  }});
  caf::anon_send(channel->actor(), ping_atom::value);
  auto got = peer.receive();
  BOOST_TEST_REQUIRE(got.has_value());
  BOOST_TEST(got->first == "pong");
  BOOST_TEST(log.count("ping") == 1u);
}

BOOST_AUTO_TEST_CASE(an_overflow_message_names_the_sender_and_others_go_on) {
  start(caf::message_handler{[this](const overflow_msg& m) {
          log.add("overflow:" + m.from.to_string());
        }},
        [](datagram& self) {
          self.read_delimiter("\n");
          self.buffer_size(4);
        });
  datagram_peer a(v4(0)), b(v4(0));
  BOOST_TEST_REQUIRE(a.send_to("too long", v4(channel->port())));
  BOOST_TEST_REQUIRE(log.wait_count("overflow:" + a.address().to_string()));
  BOOST_TEST_REQUIRE(b.send_to("ok\n", v4(channel->port())));
  BOOST_TEST(log.wait_count("datagram:ok"));
}

BOOST_AUTO_TEST_CASE(an_unhandled_write_error_keeps_the_default_and_the_channel_goes_on) {
  start();
  stderr_capture err;
  channel->write(std::string(70000, 'x'), v4(9)); // too large: on_write_error's default logs
  datagram_peer peer(v4(0));
  BOOST_TEST_REQUIRE(peer.send_to("after", v4(channel->port())));
  auto back = peer.receive();
  BOOST_TEST_REQUIRE(back.has_value());
  BOOST_TEST(back->first == "after");
  BOOST_TEST(err.text().find("70000 bytes") != std::string::npos);
  BOOST_TEST(log.count("closed") == 0u);
}

BOOST_AUTO_TEST_CASE(an_empty_factory_throws) {
  BOOST_CHECK_THROW(behavior_datagram(behavior_datagram::factory{}, eng), std::invalid_argument);
}

BOOST_AUTO_TEST_SUITE_END()
