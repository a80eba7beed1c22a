#include "pants/engine/timer.hpp"

#include "pants/engine/log.hpp"
#include "pants/engine/timer_queue.hpp"

#include <stdexcept>

namespace pants::detail {

namespace {
// How many timer functions are running on this thread (nested when one
// timer's function runs another engine's poll).
thread_local int runs_on_this_thread = 0;
} // namespace

bool timer_record::run(const error_handler& on_error) {
  std::lock_guard<std::mutex> guard(run_mtx_);
  if (cancelled_ || !fn_)
    return false;
  runner_ = std::this_thread::get_id();
  ++runs_on_this_thread;
  struct end_of_run { // also when on_error throws
    timer_record& r;
    ~end_of_run() {
      --runs_on_this_thread;
      r.runner_ = std::thread::id{};
      if (r.cancelled_ || r.one_shot_)
        r.fn_ = nullptr; // done: release what it captured now, not with the handle
    }
  } end{*this};
  try {
    fn_();
  } catch (const std::exception& e) {
    if (on_error)
      on_error(e);
    else
      log(log_level::error, std::string("a timer threw: ") + e.what());
  } catch (...) {
    // As a channel's handlers do: on_error hears of these too.
    if (on_error)
      on_error(std::runtime_error("a timer threw an exception not derived from std::exception"));
    else
      log(log_level::error, "a timer threw a non-standard exception");
  }
  return !cancelled_;
}

void timer_record::cancel() {
  if (cancelled_.exchange(true))
    return;
  if (auto q = queue_.lock(); q && q->remove(*this)) {
    // It waited in its queue's heap: not running, and (cancelled) it never
    // will, so no run can touch the function now. Released here.
    fn_ = nullptr;
    return;
  }
  if (runner_.load() == std::this_thread::get_id())
    return; // from inside the function: run() releases it on return
  // From inside another timer's function: don't wait for a run in progress
  // (two timers cancelling each other from two threads would deadlock); the
  // flag alone stops every later run, and run() releases the function.
  if (runs_on_this_thread > 0) {
    std::unique_lock<std::mutex> idle(run_mtx_, std::try_to_lock);
    if (idle)
      fn_ = nullptr; // not running: release now; else run() does on return
    return;
  }
  // Waits for a run in progress on another thread, so none is running or
  // will start once this returns.
  std::lock_guard<std::mutex> guard(run_mtx_);
  fn_ = nullptr;
}

bool timer_record::restart(const std::shared_ptr<timer_record>& r, clock::duration delay) {
  if (r->delay_ == clock::duration{0})
    throw std::logic_error("pants: restart needs a defer or a cycle (a callback or a loop has no "
                           "deadline to move)");
  if (delay <= clock::duration{0})
    throw std::invalid_argument("pants: restart delay must be positive");
  auto q = r->queue_.lock();
  return q && q->restart(r, delay);
}

bool timer_record::restart(const std::shared_ptr<timer_record>& r) { return restart(r, r->delay_); }

void timer_record::release() {
  std::lock_guard<std::mutex> guard(run_mtx_);
  fn_ = nullptr;
}

timer_record::clock::time_point timer_record::next_due(clock::time_point now) const noexcept {
  auto next = due_ + interval_;
  if (next > now)
    return next;
  auto missed = (now - due_) / interval_; // whole intervals elapsed since `due`
  return due_ + interval_ * (missed + 1);
}

} // namespace pants::detail

namespace pants {

const std::shared_ptr<detail::timer_record>& timer::checked() const {
  if (!record_)
    throw std::logic_error("pants: restart on a timer handle that holds no timer");
  return record_;
}

} // namespace pants
