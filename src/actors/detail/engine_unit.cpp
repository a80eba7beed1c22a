#include "pants/actors/detail/engine_unit.hpp"

#include "pants/actors/runtime.hpp"

#include <caf/abstract_actor.hpp>
#include <caf/actor_system.hpp>
#include <caf/resumable.hpp>
#include <caf/scheduler/abstract_coordinator.hpp>

namespace pants::detail {

namespace {
// The unit whose poll() runs on this thread, if any.
thread_local engine_unit* active_unit = nullptr;
} // namespace

engine_unit::engine_unit(caf::actor_system& sys) : caf::execution_unit(&sys) {}

std::shared_ptr<engine_unit> engine_unit::for_engine(engine& eng) {
  if (!inline_handlers_enabled())
    return nullptr;
  auto installed = eng.observe(std::make_shared<engine_unit>(pants::actor_system()));
  // Another layer's observer: no inline handlers on this engine.
  return std::dynamic_pointer_cast<engine_unit>(installed);
}

bool engine_unit::active_here() const noexcept { return active_unit == this; }

void engine_unit::deliver(caf::abstract_actor& target, caf::mailbox_element_ptr msg,
                          inline_mark* mark) {
  if (mark != nullptr && mark->heavy_left > 0) {
    --mark->heavy_left;
    target.enqueue(std::move(msg), nullptr); // to the workers, as before
    return;
  }
  delivering_ = mark;
  target.enqueue(std::move(msg), this);
  delivering_ = nullptr;
}

void engine_unit::exec_later(caf::resumable* ptr) {
  // Only the actor a sink is waking is kept. Anything a handler running
  // here makes ready goes to the workers: the handler might block waiting
  // for it, and it must not be parked behind that handler.
  if (delivering_ != nullptr && active_here()) {
    keep(job{ptr, delivering_});
    return;
  }
  system().scheduler().enqueue(ptr); // takes over the reference
}

void engine_unit::keep(job j) noexcept {
  {
    std::lock_guard<std::mutex> guard(jobs_mtx_);
    if (!relieved_) {
      jobs_.push_back(j);
      return;
    }
  }
  system().scheduler().enqueue(j.ptr);
}

bool engine_unit::next_job(job& j) noexcept {
  std::lock_guard<std::mutex> guard(jobs_mtx_);
  if (next_ >= jobs_.size())
    return false;
  j = jobs_[next_++];
  return true;
}

void engine_unit::iteration_begins() noexcept {
  {
    // Set by the last iteration's end (or a relief, which ends before that
    // iteration's poll() returns).
    std::lock_guard<std::mutex> guard(jobs_mtx_);
    relieved_ = false;
  }
  previous_ = active_unit;
  active_unit = this;
}

void engine_unit::iteration_ends() noexcept {
  run_jobs();
  active_unit = previous_;
  previous_ = nullptr;
}

void engine_unit::relieve() noexcept { hand_over_rest(); }

bool engine_unit::has_work() noexcept {
  std::lock_guard<std::mutex> guard(jobs_mtx_);
  return next_ < jobs_.size();
}

void engine_unit::judge(inline_mark& mark, std::chrono::steady_clock::duration took) noexcept {
  // One long turn may be the thread being preempted; two in a row, or one
  // the engine had to be relieved of, make the actor heavy.
  if (took <= heavy_turn) {
    // A light turn: forget the strikes, and halve the penalty, so verdicts
    // caused by preemption do not pile up; a truly heavy actor has no light
    // turns.
    mark.strikes = 0;
    if (mark.penalty > min_penalty)
      mark.penalty /= 2;
    return;
  }
  if (++mark.strikes < heavy_strikes && took < engine::relief_tick)
    return;
  mark.strikes = 0;
  ++verdicts_;
  mark.heavy_left = mark.penalty;
  if (mark.penalty < max_penalty)
    mark.penalty *= 2;
}

void engine_unit::run_jobs() noexcept {
  using clock = std::chrono::steady_clock;
  // One clock read per turn: a turn starts where the last one ended.
  auto start = clock::now();
  auto deadline = start + budget;
  job j;
  // The list grows while this runs (a write that drains at once wakes its
  // own channel again), so it is read one job at a time.
  while (next_job(j)) {
    // The turn that initialises the actor (lazy_init) pays first-use costs:
    // it is not judged.
    bool settled = j.mark->initialized.load(std::memory_order_relaxed);
    auto result = j.ptr->resume(this, max_throughput);
    auto end = clock::now();
    if (settled)
      judge(*j.mark, end - start);
    start = end;
    // References as caf/scheduler/worker.hpp handles them.
    switch (result) {
    case caf::resumable::resume_later:
      // Still has messages: another turn here if it is light, else the
      // scheduler takes it (and the reference) over.
      if (j.mark->heavy_left > 0)
        system().scheduler().enqueue(j.ptr);
      else
        keep(j);
      break;
    case caf::resumable::done:
    case caf::resumable::awaiting_message:
      intrusive_ptr_release(j.ptr);
      break;
    case caf::resumable::shutdown_execution_unit:
      break;
    }
    if (end >= deadline)
      break;
  }
  hand_over_rest();
}

void engine_unit::hand_over_rest() noexcept {
  std::vector<job> rest;
  {
    std::lock_guard<std::mutex> guard(jobs_mtx_);
    relieved_ = true; // until the next iteration begins
    rest.assign(jobs_.begin() + static_cast<std::ptrdiff_t>(next_), jobs_.end());
    jobs_.clear();
    next_ = 0;
  }
  for (auto& j : rest)
    system().scheduler().enqueue(j.ptr);
}

} // namespace pants::detail
