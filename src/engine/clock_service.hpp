#pragma once

#include <chrono>
#include <functional>
#include <memory>

namespace pants {

/// The time source and wake-up service behind `defer` and `cycle`.
///
/// The engine declares this interface and receives an implementation by
/// injection (its constructor, or the default factory below); the actors
/// layer implements it with CAF's delayed messages (`caf_clock`), so timers
/// are CAF delayed sends rather than a timer heap inside the engine, and
/// tests can drive them with CAF's deterministic scheduler and virtual clock.
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

/// Makes the clock an engine uses when none was given to its constructor.
using clock_factory = std::shared_ptr<clock_service> (*)();

/// Installs `make` as the default clock factory and returns the one it
/// replaces. The engine knows no clock of its own: the actors layer
/// installs CAF's (`caf_clock` on the runtime's actor system) before `main`
/// in every program that includes its headers. Safe from any thread and
/// during static initialisation.
clock_factory install_default_clock(clock_factory make) noexcept;

/// The installed default clock factory; null if none. Safe from any thread.
clock_factory default_clock_factory() noexcept;

} // namespace pants
