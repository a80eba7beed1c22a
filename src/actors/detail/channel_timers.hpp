#pragma once

#include "pants/engine/timer.hpp"
#include "pants/engine/timer_queue.hpp"

#include <caf/actor.hpp>

#include <atomic>
#include <chrono>
#include <functional>
#include <memory>
#include <mutex>
#include <vector>

namespace pants {
class engine;
} // namespace pants

namespace pants::detail {

/// A due run of a channel timer, sent to the channel's actor: a callback's
/// or a loop's `record`, or (no record) the wake-up the channel's
/// deadline queue asked for `woken`. `pending` (loops only) is cleared by
/// the actor, so a slow channel never has more than one loop run queued.
struct channel_timer_msg {
  std::shared_ptr<timer_record> record;
  std::shared_ptr<std::atomic<bool>> pending;
  std::chrono::steady_clock::time_point woken{};
};

/// The timers a channel scheduled on itself: each run is a message to the
/// channel's actor, so the function runs there and may touch the channel's
/// state. `defer`s and `cycle`s wait in the channel's own deadline queue,
/// which asks the engine's clock (CAF delayed messages) for its earliest
/// wake-up only. All are cancelled when the channel closes.
/// Safe from any thread, except `run_due` (the channel's actor).
class channel_timers {
public:
  using duration = std::chrono::steady_clock::duration;

  channel_timers() = default;
  ~channel_timers() { delete list_.load(); }
  channel_timers(const channel_timers&) = delete;
  channel_timers& operator=(const channel_timers&) = delete;

  timer add_callback(const caf::actor& target, timer_fn&& fn);
  timer add_loop(engine& eng, const caf::actor& target, timer_fn&& fn);
  timer add_timed(engine& eng, const caf::actor& target, duration delay, duration interval,
                  timer_fn&& fn);

  /// The wake-up asked for `m.woken` came: runs the defers and cycles due.
  void run_due(const channel_timer_msg& m, const timer_record::error_handler& on_error);

  /// Cancels every timer and refuses new ones (the channel closed).
  void cancel_all();

private:
  /// The callbacks and loops made so far, and the deadline queue (made by
  /// the first defer or cycle), under their lock.
  struct list {
    std::mutex mtx;
    std::vector<std::weak_ptr<timer_record>> records;
    std::shared_ptr<timer_queue> queue;
  };

  std::shared_ptr<timer_record> track(timer_fn&& fn, bool one_shot);
  /// Throws state_error once the channel closed (call under the list's lock).
  void check_open() const;
  /// The list, made by the first timer (most channels never make one: 16
  /// bytes in each channel instead of 72).
  list& the_list();

  std::atomic<list*> list_{nullptr};
  std::atomic<bool> closed_{false};
};

} // namespace pants::detail
