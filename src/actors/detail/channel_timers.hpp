#pragma once

#include "pants/engine/timer.hpp"

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

/// A due run of a channel timer, sent to the channel's actor. `pending`
/// (loops only) is cleared by the actor, so a slow channel never has more
/// than one loop run queued.
struct channel_timer_msg {
  std::shared_ptr<timer_record> record;
  std::shared_ptr<std::atomic<bool>> pending;
};

/// The timers a channel scheduled on itself: each run is a message to the
/// channel's actor, so the function runs there and may touch the channel's
/// state; `defer`/`cycle` wake-ups come from the engine's clock (CAF
/// delayed messages). All are cancelled when the channel closes.
/// Safe from any thread.
class channel_timers {
public:
  using duration = std::chrono::steady_clock::duration;

  channel_timers() = default;
  ~channel_timers() { delete list_.load(); }
  channel_timers(const channel_timers&) = delete;
  channel_timers& operator=(const channel_timers&) = delete;

  timer add_callback(const caf::actor& target, std::function<void()> fn);
  timer add_loop(engine& eng, const caf::actor& target, std::function<void()> fn);
  timer add_timed(engine& eng, const caf::actor& target, duration delay, duration interval,
                  std::function<void()> fn);

  /// Schedules the next run of a cycle at `record->due()`.
  static void arm(engine& eng, const caf::actor& target, std::shared_ptr<timer_record> record);

  /// Cancels every timer and refuses new ones (the channel closed).
  void cancel_all();

private:
  /// The timers made so far, under their lock.
  struct list {
    std::mutex mtx;
    std::vector<std::weak_ptr<timer_record>> records;
  };

  std::shared_ptr<timer_record> track(std::function<void()> fn, duration interval, bool one_shot);
  /// The list, made by the first timer (most channels never make one: 16
  /// bytes in each channel instead of 72).
  list& the_list();

  std::atomic<list*> list_{nullptr};
  std::atomic<bool> closed_{false};
};

} // namespace pants::detail
