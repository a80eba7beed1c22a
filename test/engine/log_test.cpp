// The log sink (issue 14, item 11): everything the library reports goes to
// one replaceable sink with levels; the default writes a line to stderr.
#include "pants/engine/engine.hpp"
#include "pants/engine/log.hpp"
#include "pants/engine/timer.hpp"

#define BOOST_TEST_MODULE log
#include <boost/test/unit_test.hpp>

#include "support/log_capture.hpp"
#include "support/tracking.hpp"

#include <atomic>
#include <stdexcept>
#include <string>
#include <thread>
#include <unistd.h>
#include <utility>
#include <vector>

using namespace pants;
using pants::test::log_capture;
using pants::test::stderr_capture;

namespace {

/// Every test starts and ends with the default sink and level.
struct fixture {
  ~fixture() {
    set_log_sink(nullptr);
    set_log_level(log_level::info);
  }
};

struct throwing_handler : io_handler {
  void handle_io(std::uint32_t) override { throw std::runtime_error("handler went wrong"); }
};

} // namespace

BOOST_FIXTURE_TEST_SUITE(log_suite, fixture)

BOOST_AUTO_TEST_CASE(the_default_sink_writes_one_prefixed_line_to_stderr) {
  stderr_capture capture;
  log(log_level::error, "something broke");
  log(log_level::warning, "a peer misbehaved");
  BOOST_TEST(capture.text() == "pants: something broke\npants: a peer misbehaved\n");
}

BOOST_AUTO_TEST_CASE(an_installed_sink_gets_level_and_message_and_stderr_nothing) {
  BOOST_TEST(!set_log_sink(nullptr)); // the default was installed
  log_capture k;
  stderr_capture capture;
  log(log_level::error, "boom");
  log(log_level::info, "fyi");
  BOOST_TEST(capture.text().empty());
  auto entries = k.entries();
  BOOST_REQUIRE(entries.size() == 2u);
  BOOST_TEST((entries[0].first == log_level::error));
  BOOST_TEST(entries[0].second == "boom");
  BOOST_TEST((entries[1].first == log_level::info));
  // Replacing gives the previous sink back; an empty one restores stderr.
  auto previous = set_log_sink(nullptr);
  BOOST_REQUIRE(previous);
  previous(log_level::warning, "through the returned sink");
  BOOST_TEST(k.entries().size() == 3u);
  stderr_capture again;
  log(log_level::error, "back on stderr");
  BOOST_TEST(again.text() == "pants: back on stderr\n");
}

BOOST_AUTO_TEST_CASE(reports_below_the_threshold_are_dropped) {
  log_capture k;
  BOOST_TEST((log_threshold() == log_level::info));
  log(log_level::debug, "dropped by default");
  set_log_level(log_level::warning);
  BOOST_TEST(!log_enabled(log_level::info));
  BOOST_TEST(log_enabled(log_level::error));
  log(log_level::info, "dropped");
  log(log_level::warning, "kept");
  log(log_level::error, "kept too");
  set_log_level(log_level::debug);
  log(log_level::debug, "now kept");
  auto entries = k.entries();
  BOOST_REQUIRE(entries.size() == 3u);
  BOOST_TEST(entries[0].second == "kept");
  BOOST_TEST(entries[2].second == "now kept");
}

BOOST_AUTO_TEST_CASE(a_sink_that_throws_loses_nothing_and_throws_nothing) {
  set_log_sink([](log_level, std::string_view) { throw std::runtime_error("sink down"); });
  stderr_capture capture;
  BOOST_CHECK_NO_THROW(log(log_level::error, "the original report"));
  BOOST_TEST(capture.text() == "pants: the log sink threw (sink down) on: the original report\n");
}

BOOST_AUTO_TEST_CASE(the_engine_reports_a_throwing_task_timer_and_handler_through_the_sink) {
  log_capture k;
  engine eng("epoll");
  eng.post([] { throw std::runtime_error("task went wrong"); });
  int fds[2];
  BOOST_REQUIRE(::pipe(fds) == 0);
  BOOST_REQUIRE(::write(fds[1], "x", 1) == 1);
  eng.add(fds[0], io_event::readable, std::make_shared<throwing_handler>());
  eng.poll(std::chrono::milliseconds(1000));
  eng.remove(fds[0]);
  ::close(fds[0]);
  ::close(fds[1]);
  auto rec = std::make_shared<detail::timer_record>(
      [] { throw std::logic_error("timer went wrong"); }, clock_service::clock::duration{0});
  rec->run();
  auto entries = k.entries();
  BOOST_REQUIRE(entries.size() == 3u);
  for (auto& [level, message] : entries)
    BOOST_TEST((level == log_level::error), message);
  BOOST_TEST(entries[0].second == "engine task threw: task went wrong");
  BOOST_TEST(entries[1].second ==
             "I/O handler for fd " + std::to_string(fds[0]) + " threw: handler went wrong");
  BOOST_TEST(entries[2].second == "a timer threw: timer went wrong");
}

BOOST_AUTO_TEST_CASE(reports_from_many_threads_while_the_sink_changes_reach_one_sink_each) {
  std::atomic<int> a{0}, b{0};
  auto count_a = [&a](log_level, std::string_view) { ++a; };
  auto count_b = [&b](log_level, std::string_view) { ++b; };
  set_log_sink(count_a);
  constexpr int threads = 4, each = 2000;
  std::vector<std::thread> reporters;
  for (int t = 0; t < threads; ++t)
    reporters.emplace_back([] {
      for (int i = 0; i < each; ++i)
        log(log_level::warning, "busy");
    });
  for (int i = 0; i < 200; ++i)
    set_log_sink(i % 2 ? log_sink(count_a) : log_sink(count_b));
  for (auto& r : reporters)
    r.join();
  BOOST_TEST(a + b == threads * each);
}

BOOST_AUTO_TEST_CASE(levels_have_names) {
  BOOST_TEST(to_string(log_level::debug) == std::string("debug"));
  BOOST_TEST(to_string(log_level::info) == std::string("info"));
  BOOST_TEST(to_string(log_level::warning) == std::string("warning"));
  BOOST_TEST(to_string(log_level::error) == std::string("error"));
}

BOOST_AUTO_TEST_SUITE_END()
