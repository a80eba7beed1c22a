#pragma once

#include <chrono>
#include <functional>
#include <memory>

namespace pants {

/// The time source and wake-up service behind `defer` and `cycle`.
///
/// The engine declares this interface and the actors layer implements it
/// with CAF's delayed messages (`caf_clock`), so timers are CAF delayed
/// sends rather than a timer heap inside the engine, and tests can drive
/// them with CAF's deterministic scheduler and virtual clock.
/// Implementations are safe to call from any thread.
class clock_service {
public:
  using clock = std::chrono::steady_clock;

  virtual ~clock_service() = default;

  /// The current time of this service (steady; virtual under test).
  virtual clock::time_point now() const = 0;

  /// Calls `fire` once, on some thread, at or after `at` (never before).
  /// Calls with equal `at` fire in the order they were made.
  virtual void schedule(clock::time_point at, std::function<void()> fire) = 0;
};

/// The default service, on the runtime's actor system (defined by the
/// actors layer, in caf_clock.cpp). Starts the runtime on first use.
std::shared_ptr<clock_service> default_clock_service();

} // namespace pants
