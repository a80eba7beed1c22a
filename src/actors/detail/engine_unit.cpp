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
  if (mark != nullptr && mark->heavy.load(std::memory_order_relaxed)) {
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
    jobs_.push_back(job{ptr, delivering_});
    return;
  }
  system().scheduler().enqueue(ptr); // takes over the reference
}

void engine_unit::iteration_begins() noexcept {
  previous_ = active_unit;
  active_unit = this;
}

void engine_unit::iteration_ends() noexcept {
  run_jobs();
  active_unit = previous_;
  previous_ = nullptr;
}

void engine_unit::run_jobs() noexcept {
  using clock = std::chrono::steady_clock;
  auto deadline = clock::now() + budget;
  // Indices, not iterators: a turn may wake more channels (a write that
  // drains at once delivers to its sink), which join the end of the list.
  std::size_t i = 0;
  for (; i < jobs_.size(); ++i) {
    auto start = clock::now();
    if (start >= deadline)
      break;
    auto j = jobs_[i];
    auto result = j.ptr->resume(this, max_throughput);
    auto took = clock::now() - start;
    // The first turn initialises the actor (lazy_init) and pays first-use
    // costs: only later turns are judged.
    if (!j.mark->judged)
      j.mark->judged = true;
    else if (took > heavy_turn)
      j.mark->heavy.store(true, std::memory_order_relaxed);
    // References as caf/scheduler/worker.hpp handles them.
    switch (result) {
    case caf::resumable::resume_later:
      // Still has messages: another turn here if time is left and it is
      // light, else the scheduler takes it (and the reference) over.
      if (j.mark->heavy.load(std::memory_order_relaxed))
        system().scheduler().enqueue(j.ptr);
      else
        jobs_.push_back(j);
      break;
    case caf::resumable::done:
    case caf::resumable::awaiting_message:
      intrusive_ptr_release(j.ptr);
      break;
    case caf::resumable::shutdown_execution_unit:
      break;
    }
  }
  hand_over(i);
  jobs_.clear();
}

void engine_unit::hand_over(std::size_t from) noexcept {
  for (auto k = from; k < jobs_.size(); ++k)
    system().scheduler().enqueue(jobs_[k].ptr);
}

} // namespace pants::detail
