// Unit tests of the timer building blocks: the cancel handle, the record that
// runs and cancels a timer's function, the fixed-grid arithmetic of cycles,
// the delay checks, and argument binding. No engine, no clock.

#include "pants/engine/timer.hpp"

#define BOOST_TEST_MODULE timer
#include <boost/test/unit_test.hpp>

#include "support/tracking.hpp"

#include <array>
#include <atomic>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <functional>
#include <future>
#include <limits>
#include <memory>
#include <random>
#include <ratio>
#include <stdexcept>
#include <string>
#include <thread>
#include <unistd.h>
#include <utility>
#include <vector>

using namespace pants;
using pants::test::stderr_capture;
using pants::test::tracked;
using namespace std::chrono_literals;
using detail::timer_record;
using steady = std::chrono::steady_clock;

namespace {

/// Every wait in the suite is bounded by this.
constexpr auto patience = 10s;

using years = std::chrono::duration<std::int64_t, std::ratio<31556952>>;

std::shared_ptr<timer_record> make_record(std::function<void()> fn,
                                          steady::duration interval = steady::duration{0}) {
  return std::make_shared<timer_record>(std::move(fn), interval);
}

} // namespace

BOOST_AUTO_TEST_SUITE(timer_suite)

// -- the handle -----------------------------------------------------------------

BOOST_AUTO_TEST_CASE(default_handle_cancels_nothing_and_is_not_cancelled) {
  timer t;
  BOOST_TEST(!t.cancelled());
  t.cancel();
  t();
  BOOST_TEST(!t.cancelled());
}

BOOST_AUTO_TEST_CASE(calling_the_handle_cancels_the_timer) {
  int runs = 0;
  auto rec = make_record([&] { ++runs; });
  timer t(rec);
  BOOST_TEST(!t.cancelled());
  t();
  BOOST_TEST(t.cancelled());
  BOOST_TEST(rec->cancelled());
  BOOST_TEST(!rec->run());
  BOOST_TEST(runs == 0);
}

BOOST_AUTO_TEST_CASE(copies_of_a_handle_share_the_cancel_state) {
  int runs = 0;
  auto rec = make_record([&] { ++runs; });
  timer a(rec);
  timer b = a;
  timer c;
  c = b;
  c.cancel();
  BOOST_TEST(a.cancelled());
  BOOST_TEST(b.cancelled());
  BOOST_TEST(!rec->run());
  BOOST_TEST(runs == 0);
}

BOOST_AUTO_TEST_CASE(cancelling_twice_is_harmless) {
  int runs = 0;
  auto rec = make_record([&] { ++runs; });
  timer t(rec);
  t.cancel();
  t.cancel();
  t();
  BOOST_TEST(t.cancelled());
  BOOST_TEST(!rec->run());
  BOOST_TEST(runs == 0);
}

BOOST_AUTO_TEST_CASE(cancelling_after_a_run_stops_later_runs) {
  int runs = 0;
  auto rec = make_record([&] { ++runs; });
  timer t(rec);
  BOOST_TEST(rec->run());
  BOOST_TEST(rec->run());
  t.cancel();
  BOOST_TEST(!rec->run());
  BOOST_TEST(runs == 2);
}

// -- the record -----------------------------------------------------------------

BOOST_AUTO_TEST_CASE(run_calls_the_function_each_time_until_cancelled) {
  int runs = 0;
  auto rec = make_record([&] { ++runs; });
  BOOST_TEST(!rec->cancelled());
  for (int i = 0; i < 3; ++i)
    BOOST_TEST(rec->run());
  BOOST_TEST(runs == 3);
}

BOOST_AUTO_TEST_CASE(an_empty_function_never_runs) {
  auto rec = make_record(std::function<void()>{});
  BOOST_TEST(!rec->run());
}

BOOST_AUTO_TEST_CASE(cancel_releases_the_captured_state_at_once) {
  tracked::live = 0;
  int runs = 0;
  auto rec = make_record([&runs, t = tracked{}] { ++runs; });
  BOOST_TEST(tracked::live == 1);
  rec->cancel();
  BOOST_TEST(tracked::live == 0);
  BOOST_TEST(!rec->run());
  BOOST_TEST(runs == 0);
}

BOOST_AUTO_TEST_CASE(cancel_from_inside_stops_later_runs_and_releases_state_when_the_run_returns) {
  tracked::live = 0;
  int runs = 0;
  long live_inside_after_cancel = -1;
  std::shared_ptr<timer_record> rec;
  rec = make_record([&runs, &rec, &live_inside_after_cancel, t = tracked{}] {
    ++runs;
    rec->cancel(); // from inside: must not deadlock on the run lock
    live_inside_after_cancel = tracked::live;
  });
  BOOST_TEST(tracked::live == 1);
  BOOST_TEST(!rec->run()); // false: cancelled during the run
  BOOST_TEST(runs == 1);
  BOOST_TEST(live_inside_after_cancel == 1); // still alive while the function runs
  BOOST_TEST(tracked::live == 0);            // released once the run returned
  BOOST_TEST(rec->cancelled());
  BOOST_TEST(!rec->run());
  BOOST_TEST(runs == 1);
}

BOOST_AUTO_TEST_CASE(cancel_through_a_handle_from_inside_the_function_stops_later_runs) {
  int runs = 0;
  timer self;
  auto rec = make_record([&] {
    ++runs;
    self();
  });
  self = timer(rec);
  BOOST_TEST(!rec->run());
  BOOST_TEST(!rec->run());
  BOOST_TEST(runs == 1);
  BOOST_TEST(self.cancelled());
}

BOOST_AUTO_TEST_CASE(cancel_from_another_thread_waits_for_a_run_in_progress) {
  tracked::live = 0;
  std::promise<void> entered;
  std::promise<void> gate;
  auto gate_open = gate.get_future().share();
  std::atomic<bool> fn_done{false};
  auto rec = make_record([&, gate_open, t = tracked{}] {
    entered.set_value();
    if (gate_open.wait_for(patience) != std::future_status::ready)
      return; // the main thread gave up; its checks fail
    fn_done = true;
  });

  std::thread runner([rec] { rec->run(); });
  BOOST_REQUIRE(entered.get_future().wait_for(patience) == std::future_status::ready);

  // The canceller reports whether the function had finished when cancel
  // returned, and whether the captured state was already released.
  std::promise<std::pair<bool, int>> cancel_returned;
  auto cancel_result = cancel_returned.get_future();
  std::thread canceller([&] {
    rec->cancel();
    cancel_returned.set_value({fn_done.load(), tracked::live});
  });

  // cancelled() turns true inside cancel(), before it waits for the run.
  auto deadline = steady::now() + patience;
  while (!rec->cancelled() && steady::now() < deadline)
    std::this_thread::yield();
  BOOST_TEST(rec->cancelled());
  // The run is blocked on the gate, so cancel must not have returned yet.
  BOOST_TEST((cancel_result.wait_for(50ms) == std::future_status::timeout));

  gate.set_value();
  BOOST_REQUIRE(cancel_result.wait_for(patience) == std::future_status::ready);
  auto [done_when_cancel_returned, live_when_cancel_returned] = cancel_result.get();
  BOOST_TEST(done_when_cancel_returned);
  BOOST_TEST(live_when_cancel_returned == 0);
  runner.join();
  canceller.join();
  BOOST_TEST(!rec->run());
}

BOOST_AUTO_TEST_CASE(an_exception_goes_to_the_error_handler_and_the_record_runs_next_time) {
  int runs = 0;
  auto rec = make_record([&] {
    ++runs;
    throw std::runtime_error("boom " + std::to_string(runs));
  });
  std::vector<std::string> errors;
  auto on_error = [&](const std::exception& e) { errors.emplace_back(e.what()); };
  BOOST_TEST(rec->run(on_error)); // true: not cancelled, may run again
  BOOST_TEST(rec->run(on_error));
  BOOST_TEST(runs == 2);
  BOOST_TEST(errors == (std::vector<std::string>{"boom 1", "boom 2"}));
}

BOOST_AUTO_TEST_CASE(an_exception_without_a_handler_is_logged_to_stderr) {
  auto rec = make_record([] { throw std::logic_error("timer went wrong"); });
  stderr_capture capture;
  bool again = rec->run();
  auto logged = capture.text();
  BOOST_TEST(again);
  BOOST_TEST(logged.find("timer went wrong") != std::string::npos, "stderr: " << logged);
}

BOOST_AUTO_TEST_CASE(a_non_standard_exception_goes_to_the_error_handler_as_a_std_exception) {
  int runs = 0;
  std::vector<std::string> errors;
  auto rec = make_record([&] {
    ++runs;
    throw 42;
  });
  BOOST_TEST(rec->run([&](const std::exception& e) { errors.emplace_back(e.what()); }));
  BOOST_TEST(rec->run([&](const std::exception& e) { errors.emplace_back(e.what()); }));
  BOOST_TEST(runs == 2);
  BOOST_TEST(errors.size() == 2u);
}

BOOST_AUTO_TEST_CASE(a_non_standard_exception_without_a_handler_is_logged_to_stderr) {
  int runs = 0;
  auto rec = make_record([&] {
    ++runs;
    throw 42;
  });
  stderr_capture capture;
  bool first = rec->run();
  bool second = rec->run();
  auto logged = capture.text();
  BOOST_TEST(first);
  BOOST_TEST(second);
  BOOST_TEST(runs == 2);
  BOOST_TEST(logged.find("non-standard") != std::string::npos, "stderr: " << logged);
}

BOOST_AUTO_TEST_CASE(a_function_that_throws_after_cancelling_itself_runs_no_more) {
  std::shared_ptr<timer_record> rec;
  int runs = 0;
  int errors = 0;
  rec = make_record([&] {
    ++runs;
    rec->cancel();
    throw std::runtime_error("after cancel");
  });
  BOOST_TEST(!rec->run([&](const std::exception&) { ++errors; }));
  BOOST_TEST(!rec->run());
  BOOST_TEST(runs == 1);
  BOOST_TEST(errors == 1);
}

// -- next_due: the cycle grid ---------------------------------------------------

BOOST_AUTO_TEST_CASE(next_due_after_an_on_time_run_is_one_interval_later) {
  timer_record rec([] {}, 10ms);
  BOOST_TEST((rec.interval() == steady::duration(10ms)));
  steady::time_point due(1h);
  rec.due(due);
  BOOST_TEST((rec.due() == due));
  BOOST_TEST((rec.next_due(due) == due + 10ms));
  // Slightly late, within the interval: still the next grid point.
  BOOST_TEST((rec.next_due(due + 9ms) == due + 10ms));
  BOOST_TEST((rec.next_due(due + 10ms - 1ns) == due + 10ms));
}

BOOST_AUTO_TEST_CASE(
    next_due_after_a_run_late_by_two_and_a_half_intervals_skips_to_one_grid_point) {
  timer_record rec([] {}, 10ms);
  steady::time_point due(1h);
  rec.due(due);
  // Ran at due + 25ms: the points at +10 and +20 are skipped, not replayed.
  BOOST_TEST((rec.next_due(due + 25ms) == due + 30ms));
}

BOOST_AUTO_TEST_CASE(next_due_is_always_after_now_and_on_the_grid) {
  std::mt19937_64 rng(12345);
  for (auto interval : {steady::duration(1ns), steady::duration(3ns), steady::duration(10ms),
                        steady::duration(7s), steady::duration(std::chrono::hours(24))}) {
    timer_record rec([] {}, interval);
    steady::time_point due(1h);
    rec.due(due);
    std::uniform_int_distribution<std::int64_t> late(0, interval.count() * 100);
    for (int i = 0; i < 1000; ++i) {
      auto now = due + steady::duration(late(rng));
      auto next = rec.next_due(now);
      BOOST_TEST_REQUIRE((next > now));
      BOOST_TEST_REQUIRE((next - interval <= now)); // the first grid point after now
      BOOST_TEST_REQUIRE(((next - due) % interval == steady::duration::zero()));
    }
    // Exactly on a later grid point: that slot is taken by this run.
    BOOST_TEST((rec.next_due(due + 3 * interval) == due + 4 * interval));
  }
}

BOOST_AUTO_TEST_CASE(next_due_does_not_drift_over_many_late_runs) {
  std::mt19937_64 rng(99);
  const auto interval = steady::duration(10ms);
  std::uniform_int_distribution<std::int64_t> jitter(0, interval.count() - 1);
  timer_record rec([] {}, interval);
  const steady::time_point start(5s);
  rec.due(start);
  for (std::int64_t k = 1; k <= 100000; ++k) {
    auto now = rec.due() + steady::duration(jitter(rng)); // each run late, by less than a slot
    rec.due(rec.next_due(now));
    BOOST_TEST_REQUIRE((rec.due() == start + k * interval));
  }
}

// -- checked_delay ---------------------------------------------------------------

BOOST_AUTO_TEST_CASE(zero_and_negative_delays_are_rejected_for_every_duration_type) {
  using detail::checked_delay;
  BOOST_CHECK_THROW(checked_delay(0ns, "d"), std::invalid_argument);
  BOOST_CHECK_THROW(checked_delay(-1ns, "d"), std::invalid_argument);
  BOOST_CHECK_THROW(checked_delay(0ms, "d"), std::invalid_argument);
  BOOST_CHECK_THROW(checked_delay(-5ms, "d"), std::invalid_argument);
  BOOST_CHECK_THROW(checked_delay(0s, "d"), std::invalid_argument);
  BOOST_CHECK_THROW(checked_delay(-1s, "d"), std::invalid_argument);
  BOOST_CHECK_THROW(checked_delay(std::chrono::minutes(-3), "d"), std::invalid_argument);
  BOOST_CHECK_THROW(checked_delay(std::chrono::hours(0), "d"), std::invalid_argument);
  BOOST_CHECK_THROW(checked_delay(std::chrono::duration<int>(0), "d"), std::invalid_argument);
  BOOST_CHECK_THROW(checked_delay(std::chrono::duration<double>(0.0), "d"), std::invalid_argument);
  BOOST_CHECK_THROW(checked_delay(std::chrono::duration<double>(-0.0), "d"), std::invalid_argument);
  BOOST_CHECK_THROW(checked_delay(std::chrono::duration<double>(-0.5), "d"), std::invalid_argument);
  BOOST_CHECK_THROW(checked_delay(std::chrono::duration<float, std::milli>(-1e30f), "d"),
                    std::invalid_argument);
  BOOST_CHECK_THROW(checked_delay(std::chrono::nanoseconds::min(), "d"), std::invalid_argument);
  BOOST_CHECK_THROW(checked_delay(std::chrono::hours::min(), "d"), std::invalid_argument);
  BOOST_CHECK_THROW(
      checked_delay(std::chrono::duration<double>(-std::numeric_limits<double>::infinity()), "d"),
      std::invalid_argument);
}

BOOST_AUTO_TEST_CASE(a_nan_delay_is_rejected) {
  // std::chrono's <= is !(zero < delay), which is true for NaN: rejected
  // rather than converted to an integer count (undefined behaviour).
  BOOST_CHECK_THROW(detail::checked_delay(std::chrono::duration<double>(std::nan("")), "d"),
                    std::invalid_argument);
  BOOST_CHECK_THROW(
      detail::checked_delay(std::chrono::duration<float, std::milli>(std::nanf("")), "d"),
      std::invalid_argument);
}

BOOST_AUTO_TEST_CASE(the_rejection_message_names_what_was_wrong) {
  try {
    detail::checked_delay(0ms, "defer delay");
    BOOST_FAIL("no exception");
  } catch (const std::invalid_argument& e) {
    BOOST_TEST(std::string(e.what()).find("defer delay") != std::string::npos);
  }
}

BOOST_AUTO_TEST_CASE(small_positive_delays_are_kept_and_never_rounded_to_zero) {
  using detail::checked_delay;
  BOOST_TEST((checked_delay(1ns, "d") == steady::duration(1ns)));
  BOOST_TEST((checked_delay(1us, "d") == steady::duration(1us)));
  BOOST_TEST((checked_delay(10ms, "d") == steady::duration(10ms)));
  BOOST_TEST((checked_delay(std::chrono::duration<double>(0.25), "d") == steady::duration(250ms)));
  // Below the clock's resolution: one tick, not zero (which would mean "now").
  BOOST_TEST(
      (checked_delay(std::chrono::duration<double, std::nano>(0.5), "d") == steady::duration(1)));
  BOOST_TEST((checked_delay(std::chrono::duration<double>(1e-12), "d") == steady::duration(1)));
}

BOOST_AUTO_TEST_CASE(long_delays_of_hours_and_years_are_exact) {
  using detail::checked_delay;
  BOOST_TEST((checked_delay(std::chrono::hours(24 * 365), "d") ==
              steady::duration(std::chrono::hours(24 * 365))));
  BOOST_TEST((checked_delay(years(10), "d") == steady::duration(years(10))));
  BOOST_TEST((checked_delay(years(100), "d") == steady::duration(years(100))));
}

BOOST_AUTO_TEST_CASE(delays_of_centuries_mean_never_and_do_not_overflow) {
  using detail::checked_delay;
  const auto never = steady::duration::max();
  BOOST_TEST((checked_delay(years(1000), "d") == never));
  BOOST_TEST((checked_delay(years(1000000), "d") == never));
  BOOST_TEST((checked_delay(std::chrono::hours::max(), "d") == never));
  BOOST_TEST((checked_delay(std::chrono::seconds::max(), "d") == never));
  BOOST_TEST((checked_delay(std::chrono::nanoseconds::max(), "d") == never));
  BOOST_TEST((checked_delay(std::chrono::duration<double>(1e30), "d") == never));
  BOOST_TEST((checked_delay(std::chrono::duration<double>(std::numeric_limits<double>::max()),
                            "d") == never));
  BOOST_TEST((checked_delay(std::chrono::duration<double>(std::numeric_limits<double>::infinity()),
                            "d") == never));
  BOOST_TEST((checked_delay(std::chrono::duration<std::uint64_t, std::ratio<86400>>(1ull << 62),
                            "d") == never));
  // 1000 years in a double count of hours: no int64 overflow on the way.
  BOOST_TEST((checked_delay(std::chrono::duration<double, std::ratio<3600>>(1000.0 * 24 * 365),
                            "d") == never));
}

// -- bind_timer -------------------------------------------------------------------

BOOST_AUTO_TEST_CASE(bind_timer_binds_argument_values_at_scheduling_time) {
  int seen = 0;
  std::string seen_text;
  int value = 1;
  std::string text = "before";
  auto fn = detail::bind_timer(
      [&](int v, const std::string& s) {
        seen = v;
        seen_text = s;
      },
      value, text);
  value = 2;
  text = "after";
  fn();
  BOOST_TEST(seen == 1);
  BOOST_TEST(seen_text == "before");
}

BOOST_AUTO_TEST_CASE(bind_timer_passes_the_same_bound_values_on_every_run) {
  std::vector<int> seen;
  auto fn = detail::bind_timer([&](int a, int b) { seen.push_back(a * 10 + b); }, 4, 2);
  fn();
  fn();
  fn();
  BOOST_TEST(seen == (std::vector<int>{42, 42, 42}));
}

BOOST_AUTO_TEST_CASE(bind_timer_moves_rvalue_arguments_in) {
  auto p = std::make_shared<int>(7);
  std::weak_ptr<int> watch = p;
  int seen = 0;
  auto fn = detail::bind_timer([&](const std::shared_ptr<int>& q) { seen = *q; }, std::move(p));
  BOOST_TEST(!p); // moved from, not copied
  BOOST_TEST(watch.use_count() == 1);
  fn();
  BOOST_TEST(seen == 7);
  fn = nullptr; // releasing the function releases the bound argument
  BOOST_TEST(watch.expired());
}

BOOST_AUTO_TEST_CASE(bind_timer_binds_a_reference_only_through_std_ref) {
  int counter = 0;
  auto fn = detail::bind_timer([](int& c) { ++c; }, std::ref(counter));
  fn();
  fn();
  BOOST_TEST(counter == 2);
}

BOOST_AUTO_TEST_CASE(bind_timer_keeps_a_move_only_argument_and_lends_it_to_each_run) {
  int seen = 0;
  auto fn =
      detail::bind_timer([&](std::unique_ptr<int>& p) { seen += ++*p; }, std::make_unique<int>(1));
  fn();
  fn();
  BOOST_TEST(seen == 2 + 3);
}

BOOST_AUTO_TEST_CASE(timer_fn_moves_and_releases_small_and_large_functions) {
  // Small: kept inside; large (over 48 bytes): on the heap. Both move, run
  // from where they were moved to, and release their captures once each.
  auto small = std::make_shared<int>(0);
  std::array<char, 200> bulk{};
  auto large = std::make_shared<int>(0);
  detail::timer_fn a([small] { ++*small; });
  detail::timer_fn b([large, bulk] { *large += 1 + bulk[0]; });
  detail::timer_fn a2(std::move(a)), b2;
  b2 = std::move(b);
  BOOST_TEST(!a);
  BOOST_TEST(!b);
  a2();
  b2();
  BOOST_TEST(*small == 1);
  BOOST_TEST(*large == 1);
  BOOST_TEST(small.use_count() == 2);
  BOOST_TEST(large.use_count() == 2);
  a2 = nullptr;
  b2 = detail::timer_fn();
  BOOST_TEST(small.use_count() == 1);
  BOOST_TEST(large.use_count() == 1);
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_CASE(two_timers_cancelling_each_other_from_two_threads_do_not_deadlock) {
  using detail::timer_record;
  // Each function waits (bounded) until the other runs too, cancels it, and
  // waits until the other's cancel of itself has returned: both cancels are
  // made while the other run is in progress. A cancel that waited for the
  // other run would deadlock here (broken only by the bounded waits).
  std::promise<void> a_running, b_running, a_cancelled_b, b_cancelled_a;
  auto a_up = a_running.get_future().share(), b_up = b_running.get_future().share();
  auto a_done = a_cancelled_b.get_future().share(), b_done = b_cancelled_a.get_future().share();
  constexpr auto limit = std::chrono::seconds(10);
  std::shared_ptr<timer_record> a, b;
  int a_runs = 0, b_runs = 0;
  a = std::make_shared<timer_record>(
      [&] {
        ++a_runs;
        a_running.set_value();
        if (b_up.wait_for(limit) != std::future_status::ready)
          return;
        b->cancel();
        a_cancelled_b.set_value();
        b_done.wait_for(limit);
      },
      std::chrono::steady_clock::duration{0});
  b = std::make_shared<timer_record>(
      [&] {
        ++b_runs;
        b_running.set_value();
        if (a_up.wait_for(limit) != std::future_status::ready)
          return;
        a->cancel();
        b_cancelled_a.set_value();
        a_done.wait_for(limit);
      },
      std::chrono::steady_clock::duration{0});
  auto ran_a = std::async(std::launch::async, [&] { return a->run(); });
  auto ran_b = std::async(std::launch::async, [&] { return b->run(); });
  BOOST_REQUIRE(a_done.wait_for(limit) == std::future_status::ready);
  BOOST_REQUIRE(b_done.wait_for(limit) == std::future_status::ready);
  BOOST_REQUIRE(ran_a.wait_for(limit) == std::future_status::ready);
  BOOST_REQUIRE(ran_b.wait_for(limit) == std::future_status::ready);
  BOOST_TEST(!ran_a.get()); // each was cancelled during its run
  BOOST_TEST(!ran_b.get());
  BOOST_TEST(!a->run());
  BOOST_TEST(!b->run());
  BOOST_TEST(a_runs == 1);
  BOOST_TEST(b_runs == 1);
}
