// Datagram channel logic, deterministically through the mock engine:
// datagrams from any address, what the channel sent, send failures, the
// close path; both handler styles.

#include "pants/actors/testing/mock_fixture.hpp"

#include "pants/actors/behavior_datagram.hpp"
#include "pants/actors/datagram.hpp"
#include "pants/channels/errors.hpp"
#include "support/log_capture.hpp"
#include "support/tracking.hpp"

#define BOOST_TEST_MODULE datagram_mock
#include <boost/test/unit_test.hpp>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <string>
#include <string_view>
#include <vector>

using namespace pants;
using namespace pants::testing;
using strings = std::vector<std::string>;

namespace {

/// Answers every datagram to its sender, logging callbacks.
class udp_echo : public datagram {
public:
  using datagram::datagram;
  strings log;

private:
  void on_listen() override { log.push_back("listen"); }
  void on_read(std::string_view d, const endpoint& from) override {
    log.push_back("read " + std::string(d) + " from " + from.to_string());
    write(d, from);
  }
  void on_write_error(const net_error& e) override {
    log.push_back("write_error " + std::to_string(e.code));
  }
  void on_read_error(const net_error& e) override {
    log.push_back("read_error " + std::to_string(e.code));
  }
  void on_close() override { log.push_back("close"); }
};

} // namespace

BOOST_FIXTURE_TEST_SUITE(datagram_mock, mock_fixture)

BOOST_AUTO_TEST_CASE(a_datagram_echo_answers_each_sender) {
  auto d = make<udp_echo>();
  d->listen(5000);
  run();
  auto net = mock.peer(*d);
  BOOST_TEST(net.local_address() == "[::]:5000");
  net.receive("a", "192.0.2.1:1");
  net.receive("b", "[2001:db8::2]:2");
  run();
  BOOST_TEST(d->log ==
             (strings{"listen", "read a from 192.0.2.1:1", "read b from [2001:db8::2]:2"}));
  auto sent = net.take_sent();
  BOOST_REQUIRE(sent.size() == 2u);
  BOOST_TEST(sent[0].data == "a");
  BOOST_TEST(sent[0].to.to_string() == "192.0.2.1:1");
  BOOST_TEST(sent[1].to.to_string() == "[2001:db8::2]:2");
}

BOOST_AUTO_TEST_CASE(a_refused_send_is_reported_and_the_channel_goes_on) {
  auto d = make<udp_echo>();
  d->listen(5000);
  run();
  auto net = mock.peer(*d);
  net.fail_next_send(EMSGSIZE);
  net.receive("big", "192.0.2.1:1");
  net.receive("ok", "192.0.2.1:1");
  run();
  // Both datagrams were queued before the answer to the first failed.
  BOOST_TEST(d->log == (strings{"listen", "read big from 192.0.2.1:1", "read ok from 192.0.2.1:1",
                                "write_error " + std::to_string(EMSGSIZE)}));
  BOOST_TEST(net.sent().size() == 1u);
}

BOOST_AUTO_TEST_CASE(datagrams_over_64_kib_are_refused_both_ways_as_on_a_real_socket) {
  auto d = make<udp_echo>();
  d->listen(5000);
  run();
  auto net = mock.peer(*d);
  const std::string big(64 * 1024 + 1, 'x');
  net.receive(big, "192.0.2.1:1");
  run();
  BOOST_TEST(d->log == (strings{"listen", "read_error " + std::to_string(EMSGSIZE)}));
  d->write(big, pants::endpoint::numeric("192.0.2.1", 1));
  run();
  BOOST_TEST(d->log.back() == "write_error " + std::to_string(EMSGSIZE));
  BOOST_TEST(net.sent().empty());
  BOOST_CHECK_THROW(d->write("x", pants::unix_path("@elsewhere")), address_error);
  net.receive(std::string(64 * 1024, 'y'), "192.0.2.1:1"); // the largest that fits
  run();
  BOOST_TEST(net.sent().size() == 1u);
}

BOOST_AUTO_TEST_CASE(the_default_error_log_goes_through_the_log_sink_as_a_warning) {
  pants::test::log_capture logged;
  auto d = make<datagram>(); // the default handlers
  d->listen(5000);
  run();
  auto net = mock.peer(*d);
  net.receive(std::string(64 * 1024 + 1, 'x'), "192.0.2.1:1"); // dropped with a read error
  run();
  auto entries = logged.entries();
  BOOST_REQUIRE(entries.size() == 1u);
  BOOST_TEST((entries[0].first == log_level::warning));
  BOOST_TEST(entries[0].second.rfind("read error on datagram ", 0) == 0, entries[0].second);
}

BOOST_AUTO_TEST_CASE(the_default_error_log_writes_at_most_one_line_a_second_and_counts_the_rest) {
  auto d = make<datagram>(); // the default handlers
  d->listen(5000);
  run();
  auto net = mock.peer(*d);
  const std::string big(64 * 1024 + 1, 'x'); // each one is dropped with a read error
  pants::test::stderr_capture err;
  for (int i = 0; i < 100; ++i)
    net.receive(big, "192.0.2.1:1");
  run();
  advance(std::chrono::seconds(1));
  net.receive(big, "192.0.2.1:1");
  run();
  auto text = err.text();
  BOOST_TEST(std::count(text.begin(), text.end(), '\n') == 2, text);
  BOOST_TEST(text.find("(99 more errors not shown)") != std::string::npos, text);
  BOOST_TEST(!d->closed());
}

BOOST_AUTO_TEST_CASE(a_bind_failure_throws_os_error_and_the_channel_stays_usable) {
  auto d = make<udp_echo>();
  mock.fail_next_bind(EADDRINUSE);
  BOOST_CHECK_THROW(d->listen(5000), os_error);
  d->listen(5001);
  run();
  BOOST_TEST(d->log == strings{"listen"});
}

BOOST_AUTO_TEST_CASE(a_first_write_opens_the_channel_without_on_listen) {
  auto d = make<udp_echo>();
  d->write("hello", endpoint::numeric("192.0.2.9", 53));
  run();
  auto net = mock.peer(*d);
  BOOST_TEST(net.sent().at(0).data == "hello");
  net.receive("answer", "192.0.2.9:53");
  net.read_error(ECONNREFUSED);
  run();
  d->close();
  run();
  BOOST_TEST(d->log == (strings{"read answer from 192.0.2.9:53",
                                "read_error " + std::to_string(ECONNREFUSED), "close"}));
  BOOST_TEST(net.closed());
  BOOST_CHECK_THROW(d->write("late", endpoint::numeric("192.0.2.9", 53)), state_error);
}

BOOST_AUTO_TEST_CASE(an_actor_style_datagram_channel_gets_datagram_msgs) {
  auto d = make<behavior_datagram>([](datagram& self) -> caf::behavior {
    return {[&self](datagram_msg& m) { self.write("re:" + m.data, m.from); }};
  });
  d->listen(5000);
  run();
  auto net = mock.peer(*d);
  net.receive("x", "192.0.2.1:7");
  run();
  BOOST_TEST(net.sent().at(0).data == "re:x");
  BOOST_TEST(net.sent().at(0).to.to_string() == "192.0.2.1:7");
}

BOOST_AUTO_TEST_SUITE_END()
