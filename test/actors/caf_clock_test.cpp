// Engine timers (callback, loop, defer, cycle) driven deterministically: a
// caf_clock on an actor system with CAF's test coordinator, so time is
// virtual and advances only when a test says so. No real waiting.
//
// One step of virtual time is: sched.advance_time(d) (CAF delivers the
// scheduled wake-ups due by then to the clock's actor), sched.run() (the
// actor posts each due timer to the engine), eng.poll(0) (the engine runs
// the posted timer functions in this thread).

#include "pants/actors/caf_clock.hpp"

#include "pants/engine/engine.hpp"

#define BOOST_TEST_MODULE caf_clock
#include <boost/test/unit_test.hpp>

#include "support/tracking.hpp"

#include <caf/all.hpp>
#include <caf/scheduler/test_coordinator.hpp>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <fstream>
#include <limits>
#include <malloc.h>
#include <memory>
#include <optional>
#include <random>
#include <ratio>
#include <stdexcept>
#include <string>
#include <unistd.h>
#include <utility>
#include <vector>

using namespace pants;
using pants::test::stderr_capture;
using pants::test::tracked;
using namespace std::chrono_literals;

namespace {

using years = std::chrono::duration<std::int64_t, std::ratio<31556952>>;
using ns = std::chrono::nanoseconds;

caf::actor_system_config& testing_config(caf::actor_system_config& cfg) {
  cfg.set("scheduler.policy", caf::atom("testing"));
  return cfg;
}

/// An engine whose defer/cycle run on CAF's virtual clock.
struct virtual_time {
  caf::actor_system_config cfg;
  caf::actor_system sys{testing_config(cfg)};
  caf::scheduler::test_coordinator& sched{
      dynamic_cast<caf::scheduler::test_coordinator&>(sys.scheduler())};
  std::shared_ptr<caf_clock> clock = std::make_shared<caf_clock>(sys);
  std::optional<engine> eng{std::in_place, "", clock};
  clock_service::clock::time_point t0;

  virtual_time() {
    sched.run(); // starts the clock's actor
    t0 = clock->now();
  }
  ~virtual_time() {
    // The clock's destructor asks its actor to exit; the test scheduler must
    // run that, or the actor system's destructor waits for it forever.
    eng.reset();
    clock.reset();
    sched.run();
  }

  /// CAF runs what is due, then one engine iteration.
  void step() {
    sched.run();
    eng->poll(0ms);
  }
  /// Advances virtual time by `d`, then `step()`.
  void advance(ns d) {
    sched.advance_time(d);
    step();
  }
  /// Virtual time since the fixture was made.
  ns elapsed() const { return clock->now() - t0; }
};

/// Resident set size of this process, in bytes.
std::size_t rss_bytes() {
  std::ifstream statm("/proc/self/statm");
  std::size_t size = 0;
  std::size_t resident = 0;
  statm >> size >> resident;
  return resident * static_cast<std::size_t>(::sysconf(_SC_PAGESIZE));
}

#if defined(__SANITIZE_ADDRESS__)
constexpr bool under_asan = true;
#else
constexpr bool under_asan = false;
#endif

} // namespace

BOOST_FIXTURE_TEST_SUITE(caf_clock_suite, virtual_time)

// -- defer: deadlines and order ---------------------------------------------------

BOOST_AUTO_TEST_CASE(the_actors_layer_installs_cafs_clock_as_the_engines_default_before_main) {
  BOOST_TEST((pants::default_clock_factory() == &pants::default_clock_service));
}

BOOST_AUTO_TEST_CASE(defer_runs_at_its_deadline_and_never_before) {
  std::vector<ns> runs;
  eng->defer(10ms, [&] { runs.push_back(elapsed()); });
  advance(10ms - 1ns);
  BOOST_TEST(runs.empty());
  advance(1ns);
  BOOST_TEST(runs == (std::vector<ns>{10ms}));
  advance(1s);
  BOOST_TEST(runs.size() == 1u);
}

BOOST_AUTO_TEST_CASE(defer_does_not_run_until_the_engine_polls) {
  int runs = 0;
  eng->defer(10ms, [&] { ++runs; });
  sched.advance_time(10ms);
  sched.run(); // the clock actor has posted it to the engine
  BOOST_TEST(runs == 0);
  eng->poll(0ms);
  BOOST_TEST(runs == 1);
}

BOOST_AUTO_TEST_CASE(defers_run_in_deadline_order_each_at_its_own_deadline) {
  std::vector<std::pair<int, ns>> runs;
  eng->defer(30ms, [&] { runs.emplace_back(30, elapsed()); });
  eng->defer(10ms, [&] { runs.emplace_back(10, elapsed()); });
  eng->defer(20ms, [&] { runs.emplace_back(20, elapsed()); });
  for (int i = 0; i < 40; ++i)
    advance(1ms);
  BOOST_TEST_REQUIRE(runs.size() == 3u);
  BOOST_TEST((runs[0] == std::pair<int, ns>(10, 10ms)));
  BOOST_TEST((runs[1] == std::pair<int, ns>(20, 20ms)));
  BOOST_TEST((runs[2] == std::pair<int, ns>(30, 30ms)));
}

BOOST_AUTO_TEST_CASE(defers_with_equal_deadlines_run_in_scheduling_order) {
  std::vector<int> order;
  for (int i = 0; i < 100; ++i)
    eng->defer(10ms, [&order, i] { order.push_back(i); });
  advance(4ms);
  // Same deadline (10ms), scheduled later with a shorter delay: runs last.
  eng->defer(6ms, [&] { order.push_back(100); });
  advance(6ms);
  BOOST_TEST_REQUIRE(order.size() == 101u);
  for (int i = 0; i <= 100; ++i)
    BOOST_TEST_REQUIRE(order[static_cast<std::size_t>(i)] == i);
}

BOOST_AUTO_TEST_CASE(all_timers_due_at_once_run_in_deadline_order_in_one_poll) {
  std::vector<int> order;
  eng->defer(3ms, [&] { order.push_back(3); });
  eng->defer(1ms, [&] { order.push_back(1); });
  eng->defer(2ms, [&] { order.push_back(2); });
  advance(1s); // one big jump: all three delivered together
  BOOST_TEST(order == (std::vector<int>{1, 2, 3}));
}

BOOST_AUTO_TEST_CASE(a_defer_scheduled_by_a_timer_counts_from_the_time_it_was_scheduled) {
  std::vector<ns> runs;
  eng->defer(10ms, [&] {
    runs.push_back(elapsed());
    eng->defer(5ms, [&] { runs.push_back(elapsed()); });
  });
  for (int i = 0; i < 20; ++i)
    advance(1ms);
  BOOST_TEST(runs == (std::vector<ns>{10ms, 15ms}));
}

BOOST_AUTO_TEST_CASE(non_positive_delays_and_intervals_throw_and_schedule_nothing) {
  tracked::live = 0;
  int runs = 0;
  auto f = [&runs, t = tracked{}] { ++runs; };
  BOOST_CHECK_THROW(eng->defer(0ms, f), std::invalid_argument);
  BOOST_CHECK_THROW(eng->defer(-1ns, f), std::invalid_argument);
  BOOST_CHECK_THROW(eng->defer(std::chrono::duration<double>(0.0), f), std::invalid_argument);
  BOOST_CHECK_THROW(eng->defer(std::chrono::seconds::min(), f), std::invalid_argument);
  BOOST_CHECK_THROW(eng->cycle(0s, f), std::invalid_argument);
  BOOST_CHECK_THROW(eng->cycle(-10ms, f), std::invalid_argument);
  BOOST_CHECK_THROW(eng->cycle(std::chrono::duration<double>(-1.5), f), std::invalid_argument);
  BOOST_TEST(tracked::live == 1); // only `f` itself: no copy kept anywhere
  BOOST_TEST(!sched.has_pending_timeout());
  advance(1h);
  BOOST_TEST(runs == 0);
}

// -- callback ---------------------------------------------------------------------

BOOST_AUTO_TEST_CASE(callbacks_run_at_the_next_poll_in_scheduling_order) {
  std::vector<char> order;
  eng->callback([&] { order.push_back('a'); });
  eng->callback([&] { order.push_back('b'); });
  eng->callback([&] { order.push_back('c'); });
  sched.run();
  BOOST_TEST(order.empty()); // not before the engine's iteration
  eng->poll(0ms);
  BOOST_TEST(order == (std::vector<char>{'a', 'b', 'c'}));
  eng->poll(0ms);
  BOOST_TEST(order.size() == 3u); // once only
}

BOOST_AUTO_TEST_CASE(a_callback_scheduled_by_a_function_runs_after_that_function_returns) {
  std::vector<std::string> log;
  eng->callback([&] {
    log.push_back("a begins");
    eng->callback([&] { log.push_back("b"); });
    log.push_back("a ends");
  });
  eng->poll(0ms);
  eng->poll(0ms);
  BOOST_TEST(log == (std::vector<std::string>{"a begins", "a ends", "b"}));
}

BOOST_AUTO_TEST_CASE(a_cancelled_callback_does_not_run) {
  tracked::live = 0;
  int runs = 0;
  auto h = eng->callback([&runs, t = tracked{}] { ++runs; });
  h.cancel();
  BOOST_TEST(tracked::live == 0); // released at cancel
  eng->poll(0ms);
  BOOST_TEST(runs == 0);
}

// -- loop -------------------------------------------------------------------------

BOOST_AUTO_TEST_CASE(loop_runs_once_per_poll_until_cancelled) {
  int runs = 0;
  auto h = eng->loop([&] { ++runs; });
  BOOST_TEST(runs == 0);
  for (int i = 1; i <= 5; ++i) {
    eng->poll(0ms);
    BOOST_TEST(runs == i);
  }
  h.cancel();
  for (int i = 0; i < 3; ++i)
    eng->poll(0ms);
  BOOST_TEST(runs == 5);
}

BOOST_AUTO_TEST_CASE(a_loop_cancelling_itself_from_inside_never_runs_again) {
  tracked::live = 0;
  int runs = 0;
  int other_runs = 0;
  timer self;
  self = eng->loop([&runs, &self, t = tracked{}] {
    if (++runs == 3)
      self.cancel();
  });
  auto other = eng->loop([&] { ++other_runs; });
  for (int i = 0; i < 10; ++i)
    eng->poll(0ms);
  BOOST_TEST(runs == 3);
  BOOST_TEST(other_runs == 10); // the other loop is not disturbed
  BOOST_TEST(self.cancelled());
  BOOST_TEST(tracked::live == 0); // released when the cancelling run returned
  other.cancel();
}

BOOST_AUTO_TEST_CASE(a_loop_cancelled_by_an_earlier_loop_in_the_same_iteration_does_not_run) {
  int second_runs = 0;
  timer second;
  auto first = eng->loop([&] { second.cancel(); });
  second = eng->loop([&] { ++second_runs; });
  eng->poll(0ms);
  eng->poll(0ms);
  BOOST_TEST(second_runs == 0);
  first.cancel();
}

BOOST_AUTO_TEST_CASE(a_loop_scheduled_by_a_loop_starts_at_the_next_poll) {
  std::vector<std::pair<int, char>> log; // (poll number, which loop)
  int poll_no = 0;
  timer inner;
  timer outer;
  outer = eng->loop([&] {
    log.emplace_back(poll_no, 'o');
    if (log.size() == 1) // first run only
      inner = eng->loop([&] { log.emplace_back(poll_no, 'i'); });
  });
  for (poll_no = 1; poll_no <= 3; ++poll_no)
    eng->poll(0ms);
  std::vector<std::pair<int, char>> expected{{1, 'o'}, {2, 'o'}, {2, 'i'}, {3, 'o'}, {3, 'i'}};
  BOOST_TEST((log == expected));
  outer.cancel();
  inner.cancel();
}

BOOST_AUTO_TEST_CASE(an_active_loop_keeps_poll_from_sleeping) {
  int runs = 0;
  auto h = eng->loop([&] { ++runs; });
  eng->poll(0ms); // the loop joins; the wake-up is drained
  auto start = std::chrono::steady_clock::now();
  eng->poll(5000ms); // no I/O pending: would sleep 5 s without the loop
  auto waited = std::chrono::steady_clock::now() - start;
  BOOST_TEST(runs == 2);
  BOOST_TEST((waited < 2s));
  h.cancel();
}

// -- cycle ------------------------------------------------------------------------

BOOST_AUTO_TEST_CASE(cycle_runs_exactly_on_its_grid) {
  std::vector<ns> runs;
  auto h = eng->cycle(10ms, [&] { runs.push_back(elapsed()); });
  for (int i = 0; i < 100; ++i)
    advance(1ms);
  std::vector<ns> expected;
  for (int k = 1; k <= 10; ++k)
    expected.push_back(k * 10ms);
  BOOST_TEST(runs == expected);
  h.cancel();
}

BOOST_AUTO_TEST_CASE(cycle_after_a_stall_runs_once_then_continues_on_the_grid) {
  std::vector<ns> runs;
  auto h = eng->cycle(10ms, [&] { runs.push_back(elapsed()); });
  advance(55ms); // slots 10..50 missed: one late run, no burst
  BOOST_TEST(runs == (std::vector<ns>{55ms}));
  advance(5ms - 1ns);
  BOOST_TEST(runs.size() == 1u);
  advance(1ns);
  advance(10ms);
  BOOST_TEST(runs == (std::vector<ns>{55ms, 60ms, 70ms}));
  h.cancel();
}

BOOST_AUTO_TEST_CASE(cycle_runs_once_per_passed_grid_point_over_random_stalls) {
  std::mt19937 rng(2024);
  std::uniform_int_distribution<int> step_us(1, 47000); // up to 4.7 slots at once
  const ns interval = 10ms;
  std::vector<ns> runs;
  auto h = eng->cycle(interval, [&] { runs.push_back(elapsed()); });
  for (int i = 0; i < 2000; ++i) {
    auto before = elapsed();
    auto count_before = runs.size();
    advance(std::chrono::microseconds(step_us(rng)));
    auto now = elapsed();
    bool passed_grid_point = now / interval > before / interval;
    BOOST_TEST_REQUIRE(runs.size() == count_before + (passed_grid_point ? 1u : 0u));
    if (passed_grid_point)
      BOOST_TEST_REQUIRE((runs.back() == now));
  }
  // Stepping onto the grid points again: each run is exactly on the
  // original grid (t0 + k * interval), which never drifted.
  runs.clear();
  advance(interval - elapsed() % interval);
  for (int i = 0; i < 3; ++i)
    advance(interval);
  BOOST_TEST_REQUIRE(runs.size() == 4u);
  for (auto t : runs)
    BOOST_TEST((t % interval == ns::zero()));
  BOOST_TEST((runs.back() - runs.front() == 3 * interval));
  h.cancel();
}

BOOST_AUTO_TEST_CASE(a_cycle_cancelling_itself_from_inside_never_runs_again) {
  tracked::live = 0;
  std::vector<ns> runs;
  timer self;
  self = eng->cycle(10ms, [&runs, &self, this, t = tracked{}] {
    runs.push_back(elapsed());
    if (runs.size() == 3)
      self();
  });
  for (int i = 0; i < 100; ++i)
    advance(1ms);
  BOOST_TEST(runs == (std::vector<ns>{10ms, 20ms, 30ms}));
  BOOST_TEST(tracked::live == 0);
  BOOST_TEST(!sched.has_pending_timeout()); // not re-armed
}

// -- cancellation in every position -------------------------------------------------

BOOST_AUTO_TEST_CASE(a_defer_cancelled_before_its_deadline_never_runs_and_is_released) {
  tracked::live = 0;
  int runs = 0;
  auto h = eng->defer(10ms, [&runs, t = tracked{}] { ++runs; });
  advance(5ms);
  BOOST_TEST(tracked::live == 1);
  h.cancel();
  BOOST_TEST(tracked::live == 0); // released at cancel, not at the deadline
  advance(1s);
  BOOST_TEST(runs == 0);
}

BOOST_AUTO_TEST_CASE(a_defer_cancelled_after_caf_delivered_its_wake_up_does_not_run) {
  int runs = 0;
  auto h = eng->defer(10ms, [&] { ++runs; });
  sched.advance_time(10ms); // in the clock actor's mailbox
  h.cancel();
  step();
  BOOST_TEST(runs == 0);
}

BOOST_AUTO_TEST_CASE(a_defer_cancelled_after_it_was_posted_to_the_engine_does_not_run) {
  int runs = 0;
  auto h = eng->defer(10ms, [&] { ++runs; });
  sched.advance_time(10ms);
  sched.run(); // posted to the engine, waiting for its poll
  h.cancel();
  eng->poll(0ms);
  BOOST_TEST(runs == 0);
}

BOOST_AUTO_TEST_CASE(a_cycle_cancelled_after_it_was_posted_to_the_engine_stops_for_good) {
  std::vector<ns> runs;
  auto h = eng->cycle(10ms, [&] { runs.push_back(elapsed()); });
  advance(10ms);
  sched.advance_time(10ms);
  sched.run();
  h.cancel();
  eng->poll(0ms);
  BOOST_TEST(!sched.has_pending_timeout()); // not re-armed
  advance(1s);
  BOOST_TEST(runs == (std::vector<ns>{10ms}));
}

BOOST_AUTO_TEST_CASE(a_timer_cancelled_by_another_timer_due_at_the_same_time_does_not_run) {
  std::vector<int> order;
  timer second;
  eng->defer(10ms, [&] {
    order.push_back(1);
    second.cancel();
  });
  second = eng->defer(10ms, [&] { order.push_back(2); });
  eng->defer(10ms, [&] { order.push_back(3); });
  advance(10ms);
  BOOST_TEST(order == (std::vector<int>{1, 3}));
}

BOOST_AUTO_TEST_CASE(a_cycle_cancelled_by_a_defer_runs_no_more) {
  std::vector<ns> runs;
  auto c = eng->cycle(10ms, [&] { runs.push_back(elapsed()); });
  eng->defer(25ms, [&] { c.cancel(); });
  for (int i = 0; i < 60; ++i)
    advance(1ms);
  BOOST_TEST(runs == (std::vector<ns>{10ms, 20ms}));
  BOOST_TEST(!sched.has_pending_timeout());
}

BOOST_AUTO_TEST_CASE(a_fired_defer_or_callback_releases_its_state_while_its_handle_lives) {
  tracked::live = 0;
  int runs = 0;
  auto once = eng->defer(10ms, [&runs, t = tracked()] { ++runs; });
  auto soon = eng->callback([&runs, t = tracked()] { ++runs; });
  auto every = eng->cycle(10ms, [&runs, t = tracked()] { ++runs; });
  BOOST_TEST(tracked::live == 3);
  advance(10ms);
  BOOST_TEST(runs == 3);
  BOOST_TEST(tracked::live == 1); // only the cycle still holds its state
  BOOST_TEST(!once.cancelled());
  every.cancel();
  BOOST_TEST(tracked::live == 0);
}

BOOST_AUTO_TEST_CASE(cancelling_twice_or_after_the_last_run_is_harmless) {
  int runs = 0;
  auto twice = eng->defer(10ms, [&] { ++runs; });
  twice.cancel();
  twice();
  auto done = eng->defer(10ms, [&] { runs += 10; });
  advance(10ms);
  BOOST_TEST(runs == 10);
  BOOST_TEST(!done.cancelled());
  done.cancel();
  done.cancel();
  BOOST_TEST(done.cancelled());
  BOOST_TEST(twice.cancelled());
  advance(1s);
  BOOST_TEST(runs == 10);
}

BOOST_AUTO_TEST_CASE(a_defer_cancelling_itself_from_inside_is_harmless) {
  int runs = 0;
  timer self;
  self = eng->defer(10ms, [&] {
    ++runs;
    self.cancel();
  });
  advance(10ms);
  advance(1s);
  BOOST_TEST(runs == 1);
  BOOST_TEST(self.cancelled());
}

BOOST_AUTO_TEST_CASE(a_timer_due_after_its_engine_is_gone_does_not_run_and_is_released) {
  tracked::live = 0;
  int runs = 0;
  eng->defer(10ms, [&runs, t = tracked{}] { ++runs; });
  eng.reset();
  sched.advance_time(10ms);
  sched.run();
  BOOST_TEST(runs == 0);
  BOOST_TEST(tracked::live == 0);
}

// -- arguments ----------------------------------------------------------------------

BOOST_AUTO_TEST_CASE(arguments_are_bound_at_scheduling_time) {
  std::vector<std::string> seen;
  auto note = [&](const std::string& kind, int v, const std::string& s) {
    seen.push_back(kind + ":" + std::to_string(v) + ":" + s);
  };
  int value = 1;
  std::string text = "early";
  eng->callback(note, "callback", value, text);
  auto l = eng->loop(note, "loop", value, text);
  eng->defer(10ms, note, "defer", value, text);
  auto c = eng->cycle(10ms, note, "cycle", value, text);
  value = 2;
  text = "late";
  eng->poll(0ms);
  l.cancel();
  advance(10ms);
  c.cancel();
  std::vector<std::string> expected{"callback:1:early", "loop:1:early", "defer:1:early",
                                    "cycle:1:early"};
  BOOST_TEST(seen == expected);
}

// -- exceptions ---------------------------------------------------------------------

BOOST_AUTO_TEST_CASE(an_exception_is_logged_and_other_timers_due_in_the_same_poll_still_run) {
  std::vector<int> order;
  eng->defer(10ms, [&] {
    order.push_back(1);
    throw std::runtime_error("first timer failed");
  });
  eng->defer(10ms, [&] {
    order.push_back(2);
    throw 7; // not a std::exception
  });
  eng->defer(10ms, [&] { order.push_back(3); });
  eng->callback([&] { order.push_back(0); });
  stderr_capture capture;
  advance(10ms);
  auto logged = capture.text();
  BOOST_TEST(order == (std::vector<int>{0, 1, 2, 3}));
  BOOST_TEST(logged.find("first timer failed") != std::string::npos, "stderr: " << logged);
  BOOST_TEST(logged.find("non-standard") != std::string::npos, "stderr: " << logged);
}

BOOST_AUTO_TEST_CASE(a_throwing_cycle_and_loop_keep_running) {
  std::vector<ns> cycle_runs;
  int loop_runs = 0;
  auto c = eng->cycle(10ms, [&] {
    cycle_runs.push_back(elapsed());
    throw std::runtime_error("cycle failed");
  });
  auto l = eng->loop([&] {
    ++loop_runs;
    throw std::runtime_error("loop failed");
  });
  stderr_capture capture;
  for (int i = 0; i < 30; ++i)
    advance(1ms);
  auto logged = capture.text();
  c.cancel();
  l.cancel();
  BOOST_TEST(cycle_runs == (std::vector<ns>{10ms, 20ms, 30ms}));
  BOOST_TEST(loop_runs == 30);
  BOOST_TEST(logged.find("cycle failed") != std::string::npos);
  BOOST_TEST(logged.find("loop failed") != std::string::npos);
}

// -- huge delays --------------------------------------------------------------------

BOOST_AUTO_TEST_CASE(a_ten_year_defer_neither_overflows_nor_fires_early) {
  std::vector<ns> runs;
  eng->defer(years(10), [&] { runs.push_back(elapsed()); });
  for (int y = 0; y < 9; ++y) {
    advance(years(1));
    BOOST_TEST_REQUIRE(runs.empty());
  }
  advance(years(1) - 1ns);
  BOOST_TEST(runs.empty());
  advance(1ns);
  BOOST_TEST(runs == (std::vector<ns>{years(10)}));
}

BOOST_AUTO_TEST_CASE(a_ten_year_cycle_runs_on_its_grid) {
  std::vector<ns> runs;
  auto h = eng->cycle(years(10), [&] { runs.push_back(elapsed()); });
  advance(years(10) - 1ns);
  BOOST_TEST(runs.empty());
  advance(1ns);
  advance(years(10));
  BOOST_TEST(runs == (std::vector<ns>{years(10), years(20)}));
  h.cancel();
}

BOOST_AUTO_TEST_CASE(delays_of_centuries_never_fire) {
  int runs = 0;
  eng->defer(years(1000), [&] { ++runs; });
  eng->defer(std::chrono::duration<double>(1e300), [&] { ++runs; });
  eng->defer(std::chrono::hours::max(), [&] { ++runs; });
  auto c = eng->cycle(years(1000), [&] { ++runs; });
  for (int i = 0; i < 10; ++i)
    advance(years(10));
  BOOST_TEST(runs == 0);
  c.cancel();
}

// -- scale ----------------------------------------------------------------------------

// Many pending defers with random deadlines, a tenth cancelled: the rest fire
// in deadline order (FIFO among equal deadlines), the cancelled never, and
// memory is bounded while pending and given back after.
BOOST_AUTO_TEST_CASE(a_million_pending_defers_fire_in_deadline_order_with_bounded_memory) {
  // AddressSanitizer makes each allocation several times larger and slower.
  const std::size_t n = under_asan ? 200000 : 1000000;
  const auto span = 1000ms;
  tracked::live = 0;

  std::mt19937_64 rng(42);
  std::uniform_int_distribution<std::int64_t> delay_ns(1, ns(span).count());
  std::bernoulli_distribution cancel_it(0.1);
  std::vector<std::int64_t> deadline(n);
  std::vector<char> cancelled(n, 0);
  std::vector<std::uint32_t> fired;
  fired.reserve(n);
  std::vector<std::pair<std::uint32_t, timer>> to_cancel;
  to_cancel.reserve(n / 5);
  ::malloc_trim(0);
  const auto baseline = rss_bytes();

  auto begin = std::chrono::steady_clock::now();
  for (std::uint32_t i = 0; i < n; ++i) {
    deadline[i] = delay_ns(rng);
    auto h = eng->defer(ns(deadline[i]), [&fired, i, t = tracked{}] { fired.push_back(i); });
    if (cancel_it(rng))
      to_cancel.emplace_back(i, std::move(h));
  }
  const auto pending_rss = rss_bytes();
  BOOST_TEST(tracked::live == static_cast<long>(n));
  for (auto& [i, h] : to_cancel) {
    h.cancel();
    cancelled[i] = 1;
  }
  BOOST_TEST(tracked::live == static_cast<long>(n - to_cancel.size())); // released at cancel
  auto scheduled = std::chrono::steady_clock::now();

  ns now{0};
  std::size_t checked = 0;
  while (now < span) {
    advance(1ms);
    // About 900 fall due per step; the engine runs at most 512 per turn
    // (timer_queue::turn_budget), the rest in the turns right after, at
    // the same virtual time.
    for (int turn = 0; turn < 3; ++turn)
      eng->poll(0ms);
    now += 1ms;
    // Each fired in this step was due in this step: never early, never late.
    for (; checked < fired.size(); ++checked) {
      auto i = fired[checked];
      BOOST_TEST_REQUIRE(!cancelled[i]);
      BOOST_TEST_REQUIRE(deadline[i] <= now.count());
      BOOST_TEST_REQUIRE(deadline[i] > (now - 1ms).count());
      if (checked > 0) {
        auto prev = fired[checked - 1];
        BOOST_TEST_REQUIRE(deadline[prev] <= deadline[i]);
        if (deadline[prev] == deadline[i])
          BOOST_TEST_REQUIRE(prev < i); // FIFO
      }
    }
  }
  auto done = std::chrono::steady_clock::now();
  BOOST_TEST(fired.size() == n - to_cancel.size());
  BOOST_TEST(!sched.has_pending_timeout());
  BOOST_TEST(tracked::live == 0); // every record and its function released
  to_cancel.clear();
  to_cancel.shrink_to_fit();
  ::malloc_trim(0);
  const auto after_rss = rss_bytes();

  auto mib = [](std::size_t bytes) { return static_cast<double>(bytes) / 1048576.0; };
  auto per_timer =
      (static_cast<double>(pending_rss) - static_cast<double>(baseline)) / static_cast<double>(n);
  auto seconds = [](auto d) { return std::chrono::duration<double>(d).count(); };
  BOOST_TEST_MESSAGE("scale: " << n << " defers; schedule " << seconds(scheduled - begin)
                               << " s, fire " << seconds(done - scheduled) << " s; RSS baseline "
                               << mib(baseline) << " MiB, pending " << mib(pending_rss) << " MiB ("
                               << per_timer << " B/timer), after " << mib(after_rss) << " MiB");
  if (!under_asan) {
    BOOST_TEST(pending_rss < baseline + (std::size_t{1} << 30));
    BOOST_TEST(after_rss < baseline + (std::size_t{64} << 20));
  }
}

BOOST_AUTO_TEST_SUITE_END()
