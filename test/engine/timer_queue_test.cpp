// Unit tests of the deadline queue behind every defer and cycle: deadline
// order, never early, one clock wake-up per drop of the earliest deadline
// (not one per timer, not one per restart), cancel and restart at heap
// cost, and the races between a run, a restart and a cancel. A manual clock
// stands in for CAF's: the test decides when time passes.

#include "pants/engine/clock_service.hpp"
#include "pants/engine/timer_queue.hpp"

#define BOOST_TEST_MODULE timer_queue
#include <boost/test/unit_test.hpp>

#include "support/tracking.hpp"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstddef>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <random>
#include <stdexcept>
#include <thread>
#include <utility>
#include <vector>

using namespace pants;
using namespace std::chrono_literals;
using detail::timer_queue;
using pants::test::tracked;
using steady = std::chrono::steady_clock;

namespace {

/// A clock whose time moves only when the test says; `schedule` keeps the
/// wake-ups until their time comes, as CAF's clock would.
class manual_clock : public clock_service {
public:
  clock::time_point now() const override {
    std::lock_guard<std::mutex> guard(mtx_);
    return now_;
  }
  void schedule(clock::time_point at, std::function<void()> fire) override {
    std::lock_guard<std::mutex> guard(mtx_);
    pending_.emplace(at, std::move(fire));
  }

  /// Moves time on by `d`, firing every wake-up due in time order, each at
  /// its own time (also those a firing schedules within `d`), on this
  /// thread, as a virtual clock does.
  void advance(clock::duration d) {
    std::unique_lock<std::mutex> lock(mtx_);
    auto end = now_ + d;
    while (!pending_.empty() && pending_.begin()->first <= end) {
      now_ = std::max(now_, pending_.begin()->first);
      auto fire = std::move(pending_.begin()->second);
      pending_.erase(pending_.begin());
      lock.unlock();
      fire();
      lock.lock();
    }
    now_ = end;
  }

  /// Wake-ups the clock holds.
  std::size_t pending() const {
    std::lock_guard<std::mutex> guard(mtx_);
    return pending_.size();
  }

private:
  mutable std::mutex mtx_;
  clock::time_point now_ = clock::time_point{} + 1h;
  std::multimap<clock::time_point, std::function<void()>> pending_;
};

/// A queue on a manual clock, its wake-ups run at once when they fire (as
/// the owner's context would).
struct fixture {
  std::shared_ptr<manual_clock> shared_clk = std::make_shared<manual_clock>();
  manual_clock& clk = *shared_clk;
  std::shared_ptr<timer_queue> q =
      std::make_shared<timer_queue>(shared_clk, [this](steady::time_point at) {
        // As an owner posts to its own context: run within this advance.
        clk.schedule(clk.now(), [w = std::weak_ptr<timer_queue>(q), at] {
          if (auto live = w.lock()) {
            live->woken(at);
            live->run_due();
          }
        });
      });

  std::shared_ptr<detail::timer_record> defer(steady::duration d, std::function<void()> fn) {
    return q->add(std::move(fn), d, {});
  }
  std::shared_ptr<detail::timer_record> cycle(steady::duration d, std::function<void()> fn) {
    return q->add(std::move(fn), d, d);
  }
};

} // namespace

BOOST_FIXTURE_TEST_SUITE(timer_queue_suite, fixture)

BOOST_AUTO_TEST_CASE(timers_run_in_deadline_order_and_equal_deadlines_in_the_order_made) {
  std::vector<int> ran;
  defer(30ms, [&] { ran.push_back(3); });
  defer(10ms, [&] { ran.push_back(1); });
  defer(20ms, [&] { ran.push_back(20); });
  defer(20ms, [&] { ran.push_back(21); });
  defer(20ms, [&] { ran.push_back(22); });
  clk.advance(30ms);
  BOOST_TEST(ran == (std::vector<int>{1, 20, 21, 22, 3}));
  BOOST_TEST(q->size() == 0u);
}

BOOST_AUTO_TEST_CASE(no_timer_runs_before_its_deadline) {
  int runs = 0;
  defer(10ms, [&] { ++runs; });
  clk.advance(9ms);
  BOOST_TEST(runs == 0);
  clk.advance(1ms);
  BOOST_TEST(runs == 1);
}

BOOST_AUTO_TEST_CASE(the_clock_holds_one_wake_up_for_timers_made_in_deadline_order) {
  int runs = 0;
  for (int i = 1; i <= 1000; ++i)
    defer(std::chrono::milliseconds(i), [&] { ++runs; });
  BOOST_TEST(clk.pending() == 1u); // only the earliest was asked for
  clk.advance(500ms);
  BOOST_TEST(runs == 500);
  BOOST_TEST(clk.pending() == 1u); // the next one's
  clk.advance(500ms);
  BOOST_TEST(runs == 1000);
  BOOST_TEST(clk.pending() == 0u);
}

BOOST_AUTO_TEST_CASE(an_earlier_timer_asks_for_an_earlier_wake_up_and_the_later_one_finds_nothing) {
  std::vector<int> ran;
  defer(50ms, [&] { ran.push_back(50); });
  defer(10ms, [&] { ran.push_back(10); });
  BOOST_TEST(clk.pending() == 2u);
  clk.advance(10ms);
  BOOST_TEST(ran == (std::vector<int>{10}));
  BOOST_TEST(clk.pending() == 1u); // 50 ms's own wake-up serves it: none added
  clk.advance(40ms);
  BOOST_TEST(ran == (std::vector<int>{10, 50}));
}

BOOST_AUTO_TEST_CASE(a_cancel_leaves_the_queue_and_frees_the_function_at_once) {
  tracked::live = 0;
  auto r = defer(1h, [t = tracked()] { (void)t; });
  defer(2h, [] {});
  BOOST_TEST(tracked::live == 1);
  BOOST_TEST(q->size() == 2u);
  r->cancel();
  BOOST_TEST(q->size() == 1u);
  BOOST_TEST(tracked::live == 0); // not at the deadline, an hour from now
}

BOOST_AUTO_TEST_CASE(a_defer_releases_what_it_captured_after_its_run) {
  tracked::live = 0;
  auto r = defer(1ms, [t = tracked()] { (void)t; });
  clk.advance(1ms);
  BOOST_TEST(tracked::live == 0);
  BOOST_TEST(!detail::timer_record::restart(r)); // it ran: nothing to re-arm
}

BOOST_AUTO_TEST_CASE(a_restart_moves_the_deadline_later) {
  int runs = 0;
  auto r = defer(10ms, [&] { ++runs; });
  clk.advance(8ms);
  BOOST_TEST(detail::timer_record::restart(r)); // now due at 18 ms
  clk.advance(2ms);
  BOOST_TEST(runs == 0); // the 10 ms wake-up found nothing due
  clk.advance(7ms);
  BOOST_TEST(runs == 0);
  clk.advance(1ms);
  BOOST_TEST(runs == 1);
}

BOOST_AUTO_TEST_CASE(a_restart_with_a_shorter_delay_asks_for_an_earlier_wake_up) {
  int runs = 0;
  auto r = defer(1h, [&] { ++runs; });
  BOOST_TEST(detail::timer_record::restart(r, 5ms));
  clk.advance(5ms);
  BOOST_TEST(runs == 1);
}

BOOST_AUTO_TEST_CASE(restarting_a_million_times_holds_one_timer_and_at_most_two_wake_ups) {
  int runs = 0;
  auto r = defer(100ms, [&] { ++runs; });
  std::size_t most = 0;
  for (int i = 0; i < 1'000'000; ++i) {
    BOOST_REQUIRE(detail::timer_record::restart(r));
    if (i % 1000 == 0)
      clk.advance(1ms); // time passes between reads: old wake-ups fire empty
    most = std::max(most, clk.pending());
  }
  BOOST_TEST(q->size() == 1u);
  BOOST_TEST(most <= 2u);
  BOOST_TEST(runs == 0);
  clk.advance(100ms);
  BOOST_TEST(runs == 1);
}

BOOST_AUTO_TEST_CASE(a_restarted_cycle_keeps_its_interval_from_the_new_start) {
  std::vector<steady::time_point> at;
  auto start = clk.now();
  auto r = cycle(10ms, [&] { at.push_back(clk.now()); });
  clk.advance(5ms);
  BOOST_TEST(detail::timer_record::restart(r)); // next at 15 ms, then 25, 35
  clk.advance(30ms);
  BOOST_TEST(at == (std::vector<steady::time_point>{start + 15ms, start + 25ms, start + 35ms}));
}

BOOST_AUTO_TEST_CASE(a_restart_from_inside_a_defer_runs_it_once_more) {
  int runs = 0;
  std::shared_ptr<detail::timer_record> r;
  r = defer(10ms, [&] {
    if (++runs == 1)
      BOOST_TEST(detail::timer_record::restart(r, 20ms));
  });
  clk.advance(10ms);
  BOOST_TEST(runs == 1);
  BOOST_TEST(q->size() == 1u);
  clk.advance(19ms);
  BOOST_TEST(runs == 1);
  clk.advance(1ms);
  BOOST_TEST(runs == 2);
  BOOST_TEST(q->size() == 0u);
  r.reset(); // the function holds a reference to r's slot only through the test
}

BOOST_AUTO_TEST_CASE(a_cancel_from_inside_a_cycle_ends_it) {
  int runs = 0;
  std::shared_ptr<detail::timer_record> r;
  r = cycle(10ms, [&] {
    if (++runs == 2)
      r->cancel();
  });
  clk.advance(100ms);
  BOOST_TEST(runs == 2);
  BOOST_TEST(q->size() == 0u);
  BOOST_TEST(!detail::timer_record::restart(r));
}

BOOST_AUTO_TEST_CASE(restart_misuse_throws_and_changes_nothing) {
  int runs = 0;
  auto r = defer(10ms, [&] { ++runs; });
  BOOST_CHECK_THROW(detail::timer_record::restart(r, 0ms), std::invalid_argument);
  BOOST_CHECK_THROW(detail::timer_record::restart(r, -1ms), std::invalid_argument);
  auto plain = std::make_shared<detail::timer_record>([] {}, steady::duration{0}, true);
  BOOST_CHECK_THROW(detail::timer_record::restart(plain), std::logic_error);
  BOOST_CHECK_THROW(timer().restart(), std::logic_error);
  clk.advance(10ms);
  BOOST_TEST(runs == 1); // the deadline held
}

BOOST_AUTO_TEST_CASE(restart_after_a_cancel_or_with_the_queue_gone_returns_false) {
  auto r = defer(10ms, [] {});
  r->cancel();
  BOOST_TEST(!detail::timer_record::restart(r));
  auto s = defer(10ms, [] {});
  q.reset();
  BOOST_TEST(!detail::timer_record::restart(s));
}

BOOST_AUTO_TEST_CASE(a_defer_for_duration_max_never_fires_until_restarted) {
  int runs = 0;
  auto r = defer(steady::duration::max(), [&] { ++runs; });
  BOOST_TEST(q->size() == 0u);
  BOOST_TEST(clk.pending() == 0u);
  BOOST_TEST(detail::timer_record::restart(r, 3ms));
  clk.advance(3ms);
  BOOST_TEST(runs == 1);
}

BOOST_AUTO_TEST_CASE(a_burst_of_due_timers_runs_in_turns_of_bounded_size) {
  // A queue whose wake-ups nobody serves: the test runs its turns.
  auto solo = std::make_shared<timer_queue>(shared_clk, [](steady::time_point) {});
  std::size_t runs = 0;
  for (int i = 0; i < 2000; ++i)
    solo->add([&] { ++runs; }, 1ms, {});
  clk.advance(1ms);
  solo->run_due();
  BOOST_TEST(runs == timer_queue::turn_budget);
  solo->run_due();
  BOOST_TEST(runs == 2 * timer_queue::turn_budget);
}

BOOST_AUTO_TEST_CASE(a_burst_of_due_timers_asks_for_the_turns_that_finish_it) {
  std::size_t runs = 0;
  for (int i = 0; i < 2000; ++i)
    defer(1ms, [&] { ++runs; });
  clk.advance(1ms); // one wake-up; each turn past the budget asks for the next
  BOOST_TEST(runs == 2000u);
  BOOST_TEST(clk.pending() == 0u);
}

BOOST_AUTO_TEST_CASE(a_timer_of_the_turn_restarted_by_an_earlier_one_waits_for_its_new_deadline) {
  // Both are due in the same turn, so both leave the heap together; the
  // first moves the second 30 ms on, which must hold although it was taken.
  std::vector<int> order;
  std::shared_ptr<detail::timer_record> second;
  defer(10ms, [&] {
    order.push_back(1);
    BOOST_TEST(detail::timer_record::restart(second, 30ms));
  });
  second = defer(10ms, [&] { order.push_back(2); });
  clk.advance(10ms);
  BOOST_TEST(order == std::vector<int>{1});
  BOOST_TEST(q->size() == 1u);
  clk.advance(29ms);
  BOOST_TEST(order == std::vector<int>{1});
  clk.advance(1ms);
  BOOST_TEST((order == std::vector<int>{1, 2}));
  BOOST_TEST(q->size() == 0u);
}

BOOST_AUTO_TEST_CASE(a_timer_of_the_turn_cancelled_by_an_earlier_one_never_runs) {
  tracked::live = 0;
  bool second_ran = false;
  std::shared_ptr<detail::timer_record> second;
  defer(10ms, [&] { second->cancel(); });
  second = defer(10ms, [&second_ran, t = tracked()] { second_ran = true; });
  BOOST_TEST(tracked::live == 1);
  clk.advance(10ms);
  BOOST_TEST(!second_ran);
  BOOST_TEST(tracked::live == 0); // its function is released
  BOOST_TEST(q->size() == 0u);
}

BOOST_AUTO_TEST_CASE(a_throwing_error_handler_loses_no_timer_of_the_turn) {
  auto solo = std::make_shared<timer_queue>(shared_clk, [](steady::time_point) {});
  std::vector<int> ran;
  solo->add([&] { ran.push_back(0); }, 1ms, {});
  solo->add([] { throw std::runtime_error("boom"); }, 1ms, {});
  solo->add([&] { ran.push_back(2); }, 1ms, {});
  auto cyc = solo->add([&] { ran.push_back(3); }, 1ms, 5ms);
  clk.advance(1ms);
  auto rethrow = [](const std::exception& e) { throw std::logic_error(e.what()); };
  BOOST_CHECK_THROW(solo->run_due(rethrow), std::logic_error);
  BOOST_TEST(ran == std::vector<int>{0});
  BOOST_TEST(solo->size() == 2u); // the two whose turn did not come are back
  solo->run_due(rethrow);
  BOOST_TEST((ran == std::vector<int>{0, 2, 3}));
  BOOST_TEST(solo->size() == 1u); // the cycle, at its next grid point
  clk.advance(5ms);
  solo->run_due(rethrow);
  BOOST_TEST((ran == std::vector<int>{0, 2, 3, 3}));
  cyc->cancel();
  BOOST_TEST(solo->size() == 0u);
}

BOOST_AUTO_TEST_CASE(cancel_all_cancels_every_timer_and_frees_them) {
  tracked::live = 0;
  std::vector<std::shared_ptr<detail::timer_record>> all;
  for (int i = 0; i < 100; ++i)
    all.push_back(defer(std::chrono::milliseconds(i + 1), [t = tracked()] { (void)t; }));
  q->cancel_all();
  BOOST_TEST(q->size() == 0u);
  BOOST_TEST(tracked::live == 0);
  for (auto& r : all)
    BOOST_TEST(r->cancelled());
  clk.advance(1s); // the wake-ups left find nothing
}

BOOST_AUTO_TEST_CASE(random_adds_restarts_and_cancels_keep_order_and_never_run_early) {
  std::mt19937 rng(7);
  std::uniform_int_distribution<int> ms(1, 200);
  struct entry {
    std::shared_ptr<detail::timer_record> rec;
    steady::time_point due;
    bool cancelled = false;
    int runs = 0;
  };
  std::vector<entry> es(500);
  steady::time_point last_due{};
  bool in_order = true;
  for (std::size_t i = 0; i < es.size(); ++i) {
    auto d = std::chrono::milliseconds(ms(rng));
    es[i].due = clk.now() + d;
    es[i].rec = defer(d, [&, i] {
      if (clk.now() < es[i].due || es[i].due < last_due)
        in_order = false; // early, or after a later deadline
      last_due = es[i].due;
      ++es[i].runs;
    });
  }
  for (int step = 0; step < 300; ++step) {
    auto& e = es[rng() % es.size()];
    switch (rng() % 3) {
    case 0:
      if (e.runs == 0 && !e.cancelled) {
        auto d = std::chrono::milliseconds(ms(rng));
        BOOST_TEST(detail::timer_record::restart(e.rec, d));
        e.due = clk.now() + d;
      }
      break;
    case 1:
      e.rec->cancel();
      e.cancelled = e.runs == 0 || e.cancelled;
      break;
    default:
      clk.advance(1ms);
    }
  }
  clk.advance(1s);
  BOOST_TEST(in_order);
  for (auto& e : es)
    BOOST_TEST(e.runs == (e.cancelled ? 0 : 1));
  BOOST_TEST(q->size() == 0u);
}

BOOST_AUTO_TEST_CASE(restarts_and_cancels_from_other_threads_race_a_running_queue_safely) {
  // One thread runs the queue (as the owner does); two others restart and
  // cancel. A timer cancelled never runs after the cancel returned; the
  // rest run (twice where a restart came during the run: it re-arms).
  constexpr std::size_t n = 200;
  std::vector<std::shared_ptr<detail::timer_record>> rs;
  std::vector<std::atomic<int>> runs(n);
  std::vector<std::atomic<bool>> cancelled(n);
  std::atomic<int> ran_after_cancel{0};
  for (std::size_t i = 0; i < n; ++i)
    rs.push_back(defer(std::chrono::milliseconds(1 + i % 50), [&, i] {
      if (cancelled[i].load())
        ++ran_after_cancel;
      ++runs[i];
    }));
  std::atomic<bool> done{false};
  std::thread restarter([&] {
    for (std::size_t k = 0; !done; ++k)
      detail::timer_record::restart(rs[k % n], std::chrono::milliseconds(1 + k % 30));
  });
  std::thread canceller([&] {
    for (std::size_t i = 0; i < n; i += 3) {
      rs[i]->cancel();
      cancelled[i] = true;
    }
  });
  canceller.join();
  // The owner's thread: this one. Time runs on until every timer is done.
  for (int t = 0; t < 200 && q->size() > 0; ++t)
    clk.advance(1ms);
  done = true;
  restarter.join();
  for (int t = 0; t < 200 && q->size() > 0; ++t)
    clk.advance(1ms);
  BOOST_TEST(q->size() == 0u);
  BOOST_TEST(ran_after_cancel.load() == 0);
  for (std::size_t i = 0; i < n; ++i)
    if (i % 3 == 0)
      BOOST_TEST(runs[i].load() == 0);
    else
      BOOST_TEST(runs[i].load() >= 1);
}

BOOST_AUTO_TEST_SUITE_END()
