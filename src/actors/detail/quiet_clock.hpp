#pragma once

#include <caf/actor_system.hpp>
#include <caf/detail/thread_safe_actor_clock.hpp>
#include <caf/policy/work_sharing.hpp>
#include <caf/policy/work_stealing.hpp>
#include <caf/scheduler/coordinator.hpp>

#include <atomic>
#include <cstddef>
#include <mutex>
#include <unordered_set>

namespace pants::detail {

/// CAF's clock, minus one cost: when an actor ends, CAF 0.17's
/// `local_actor::cleanup` calls `cancel_timeouts`, which hands a command to
/// the clock thread and wakes it (a condition-variable broadcast and a
/// context switch) whether or not the actor ever had a timeout. A channel
/// actor usually has none (its timers are scheduled messages), so for each
/// connection that ended this was a quarter of a churn benchmark's CPU.
/// This clock remembers which actors set a receive, multi or request
/// timeout and forwards `cancel_timeouts` only for those; everything else
/// goes to CAF's clock (`inner`) unchanged. Safe from any thread.
class quiet_clock final : public caf::detail::thread_safe_actor_clock {
public:
  explicit quiet_clock(caf::detail::thread_safe_actor_clock& inner) : inner_(inner) {}

  time_point now() const noexcept override { return inner_.now(); }
  duration_type difference(caf::atom_value measurement, long units, time_point t0,
                           time_point t1) const noexcept override {
    return inner_.difference(measurement, units, t0, t1);
  }
  void set_ordinary_timeout(time_point t, caf::abstract_actor* self, caf::atom_value type,
                            uint64_t id) override;
  void set_multi_timeout(time_point t, caf::abstract_actor* self, caf::atom_value type,
                         uint64_t id) override;
  void set_request_timeout(time_point t, caf::abstract_actor* self, caf::message_id id) override;
  void cancel_ordinary_timeout(caf::abstract_actor* self, caf::atom_value type) override {
    inner_.cancel_ordinary_timeout(self, type);
  }
  void cancel_request_timeout(caf::abstract_actor* self, caf::message_id id) override {
    inner_.cancel_request_timeout(self, id);
  }
  void cancel_timeouts(caf::abstract_actor* self) override;
  void schedule_message(time_point t, caf::strong_actor_ptr receiver,
                        caf::mailbox_element_ptr content) override {
    inner_.schedule_message(t, std::move(receiver), std::move(content));
  }
  void schedule_message(time_point t, caf::group target, caf::strong_actor_ptr sender,
                        caf::message content) override {
    inner_.schedule_message(t, std::move(target), std::move(sender), std::move(content));
  }
  void cancel_all() override { inner_.cancel_all(); }

  /// How many `cancel_timeouts` calls went on to CAF's clock (for tests).
  std::size_t forwarded_cancels() const noexcept { return forwarded_.load(); }

private:
  void note(caf::abstract_actor* self);

  caf::detail::thread_safe_actor_clock& inner_;
  std::mutex mtx_;
  std::unordered_set<caf::abstract_actor*> timed_; // actors that set a timeout
  std::atomic<std::size_t> forwarded_{0};
};

/// CAF's coordinator with `Policy` (work sharing or stealing), whose clock
/// is a `quiet_clock` over its own. Installed by the runtime as the actor
/// system's scheduler module.
template <class Policy> class quiet_coordinator final : public caf::scheduler::coordinator<Policy> {
public:
  using super = caf::scheduler::coordinator<Policy>;

  explicit quiet_coordinator(caf::actor_system& sys) : super(sys), clock_(super::clock()) {}

  caf::detail::thread_safe_actor_clock& clock() noexcept override { return clock_; }

private:
  quiet_clock clock_;
};

} // namespace pants::detail
