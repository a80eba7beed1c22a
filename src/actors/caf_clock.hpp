#pragma once

#include "pants/actors/default_clock.hpp"
#include "pants/engine/clock_service.hpp"

#include <caf/actor.hpp>
#include <caf/fwd.hpp>

namespace pants {

/// A clock_service on CAF's actor clock: `schedule` is a CAF scheduled
/// message to a small actor of this service, which calls the function.
/// On a system with CAF's test coordinator it runs on virtual time
/// (`sched.advance_time`), which makes timer tests deterministic.
/// Safe from any thread (on a real system; the test clock is not
/// thread-safe, as CAF's test coordinator is single-threaded).
class caf_clock final : public clock_service {
public:
  explicit caf_clock(caf::actor_system& sys);
  /// Stops the service's actor; pending wake-ups are dropped.
  ~caf_clock() override;
  caf_clock(const caf_clock&) = delete;
  caf_clock& operator=(const caf_clock&) = delete;

  clock::time_point now() const override;
  void schedule(clock::time_point at, std::function<void()> fire) override;

  /// The actor that receives the wake-ups.
  const caf::actor& actor() const noexcept { return actor_; }

private:
  caf::actor_system& sys_;
  caf::actor actor_;
};

} // namespace pants
