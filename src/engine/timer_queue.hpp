#pragma once

#include "pants/engine/timer.hpp"

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <set>
#include <vector>

namespace pants {

class clock_service;

namespace detail {

/// The deadlines of one owner's `defer`s and `cycle`s (an engine's, or one
/// channel's): a 4-ary heap ordered by deadline, then by the order the
/// deadlines were set, so equal deadlines run in order. Only the earliest
/// deadline is asked of the clock (`wake`), so scheduling, restarting and
/// cancelling cost what a heap costs, and a cancelled timer leaves the heap
/// (and frees its function) at once.
///
/// `wake(at)` must make the owner call `woken(at)` and then `run_due()` in
/// its own context (the engine thread, the channel's actor): a post or a
/// message. The queue calls it from the clock at `at` (`clock.schedule`),
/// or at once when `at` has passed (the rest of a burst, past
/// `turn_budget`). The queue holds its clock
/// weakly: once the clock is gone (its engine or mock destroyed), nothing
/// is scheduled or restarted any more. A wake-up for a deadline that has since been cancelled or
/// moved later stays with the clock and finds nothing to run; one that comes with more due than a
/// turn may run asks for another. So the clock holds one wake-up per drop of the earliest deadline,
/// not one per timer.
///
/// Safe from any thread, except `run_due`, which runs in the owner's context.
class timer_queue : public std::enable_shared_from_this<timer_queue> {
public:
  using clock = std::chrono::steady_clock;
  using wake_fn = std::function<void(clock::time_point)>;

  /// Timers run per `run_due` call at most (then another wake-up follows),
  /// so a burst of due timers never holds the owner's thread for long.
  static constexpr std::size_t turn_budget = 512;

  timer_queue(const std::shared_ptr<clock_service>& clk, wake_fn wake)
      : clock_(clk), wake_(std::move(wake)) {}
  timer_queue(const timer_queue&) = delete;
  timer_queue& operator=(const timer_queue&) = delete;
  ~timer_queue();

  /// Makes a timer of this queue: its first run `delay` from now, then
  /// every `interval` (zero: once). A delay of `duration::max()` never
  /// fires (the timer is made but not queued).
  std::shared_ptr<timer_record> add(timer_fn&& fn, clock::duration delay, clock::duration interval);

  /// A wake-up asked for `at` arrived.
  void woken(clock::time_point at);

  /// Runs the timers due now (in deadline order, at most `turn_budget`),
  /// re-queues cycles, and asks for the next wake-up. An exception from a
  /// timer goes to `on_error` (see timer_record::run).
  void run_due(const timer_record::error_handler& on_error = nullptr);

  /// Cancels every timer of the queue (the owner is closing).
  void cancel_all();

  /// Timers queued (not counting one running now).
  std::size_t size() const;

  // For timer_record:
  /// Takes a cancelled record out of the heap; true when it was there
  /// (then it is not running and never will).
  bool remove(timer_record& r);
  bool restart(const std::shared_ptr<timer_record>& r, clock::duration delay);

private:
  // A 4-ary heap of 16-byte slots: a node's four children share a cache
  // line, and a million timers take 10 levels instead of 20. The record is
  // kept alive by its own `queued_` while it is here.
  static constexpr std::size_t arity = 4;
  struct slot {
    clock::time_point due;
    timer_record* rec;
  };
  static bool before(const slot& a, const slot& b) noexcept {
    return a.due < b.due || (a.due == b.due && a.rec->seq_ < b.rec->seq_);
  }

  // Under mtx_:
  void push(std::shared_ptr<timer_record> r, clock::time_point due);
  /// Takes slot `i` out of the heap; returns its record.
  std::shared_ptr<timer_record> take(std::size_t i);
  void place(std::size_t i, slot s);
  void sift_up(std::size_t i, slot s);
  void sift_down(std::size_t i, slot s);
  /// The wake-up to ask for (outside the lock) so the top is served; zero
  /// time point for none.
  clock::time_point needed_wake();
  void ask(clock_service& clk, clock::time_point at);
  /// After a turn: re-queues the batch's cycles, restarted timers and those
  /// whose turn did not come (`batch[ran..]`), marks the rest finished,
  /// asks for the next wake-up, and releases finished defers' functions
  /// outside the lock.
  void settle(std::vector<std::shared_ptr<timer_record>>& batch, std::size_t ran,
              clock::time_point now, clock_service& clk);

  std::weak_ptr<clock_service> clock_;
  wake_fn wake_;
  mutable std::mutex mtx_;
  std::vector<slot> heap_;
  std::multiset<clock::time_point> asked_; // wake-ups the clock still holds
  std::uint64_t next_seq_ = 0;
};

} // namespace detail

} // namespace pants
