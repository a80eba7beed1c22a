// stop_on_signals in a real process (test/engine/signal_child.cpp): a
// signal before start() is not lost, and the graceful hook runs, then the
// engine stops once it is empty, after its grace time, or at a second signal.

#include "support/child_process.hpp"

#define BOOST_TEST_MODULE signals
#include <boost/test/unit_test.hpp>

#include <csignal>
#include <string>

using namespace pants::test;

namespace {

child run_child(const std::string& mode) { return child({PANTS_SIGNAL_CHILD, mode}, false, true); }

bool saw(child& c, const std::string& text) {
  return c.read_until([&](const std::string& out) { return out.find(text) != std::string::npos; });
}

} // namespace

BOOST_AUTO_TEST_CASE(a_signal_between_stop_on_signals_and_start_stops_the_engine_at_start) {
  auto c = run_child("early");
  BOOST_TEST(saw(c, "stopped with 0 registered"));
  BOOST_TEST(describe(c.wait_exit()) == "exit 0");
}

BOOST_AUTO_TEST_CASE(a_signal_before_start_runs_the_graceful_hook_when_the_engine_starts) {
  auto c = run_child("early-graceful");
  BOOST_TEST(saw(c, "hook\nstopped with 0 registered"));
  BOOST_TEST(describe(c.wait_exit()) == "exit 0");
}

BOOST_AUTO_TEST_CASE(the_hook_runs_and_the_engine_stops_once_its_channels_have_closed) {
  auto c = run_child("graceful");
  BOOST_REQUIRE(saw(c, "ready"));
  BOOST_REQUIRE(c.signal(SIGTERM));
  // The grace is 60 s: returning within the test's patience means the
  // engine stopped because it was empty.
  BOOST_TEST(saw(c, "hook\nstopped with 0 registered"));
  BOOST_TEST(describe(c.wait_exit()) == "exit 0");
}

BOOST_AUTO_TEST_CASE(a_channel_that_never_closes_is_left_after_the_grace_time) {
  auto c = run_child("grace");
  BOOST_REQUIRE(saw(c, "ready"));
  BOOST_REQUIRE(c.signal(SIGINT));
  BOOST_TEST(saw(c, "hook\nstopped with 1 registered"));
  BOOST_TEST(describe(c.wait_exit()) == "exit 0");
}

BOOST_AUTO_TEST_CASE(a_second_signal_stops_at_once_during_the_grace_time) {
  auto c = run_child("twice");
  BOOST_REQUIRE(saw(c, "ready"));
  BOOST_REQUIRE(c.signal(SIGINT));
  BOOST_REQUIRE(saw(c, "hook"));
  BOOST_REQUIRE(c.signal(SIGINT));
  BOOST_TEST(saw(c, "stopped with 1 registered")); // 60 s grace: this was the second signal
  BOOST_TEST(describe(c.wait_exit()) == "exit 0");
}
