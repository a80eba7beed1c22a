#pragma once

#include "pants/actors/detail/inline_mark.hpp"
#include "pants/engine/engine.hpp"

#include <caf/execution_unit.hpp>
#include <caf/fwd.hpp>
#include <caf/mailbox_element.hpp>

#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <mutex>
#include <vector>

namespace pants::detail {

/// The engine thread as a CAF execution unit ("inline handlers"). While the
/// engine's `poll()` runs, an actor sink on that thread enqueues with this
/// unit as context (`deliver`), so an idle channel actor it wakes is kept
/// here instead of waking a worker; at the end of the iteration the unit
/// resumes the kept actors on the engine thread, a few messages each,
/// within a time budget. What is left, actors whose turns take long (marked
/// heavy for a while) and every other actor given to `exec_later` go to
/// CAF's scheduler. Nothing stays here after `poll()` returns. A turn that
/// blocks is relieved by the engine (`relieve`): the engine's relief thread
/// polls meanwhile, and the jobs behind the turn go to the scheduler.
///
/// Installed on an engine by `for_engine`; kept alive by the engine and by
/// the sinks using it. `deliver` and `exec_later` must be called in the
/// engine thread; `active_here` is safe from any thread.
class engine_unit final : public caf::execution_unit, public iteration_observer {
public:
  /// Messages one actor handles per inline turn.
  static constexpr std::size_t max_throughput = 8;
  /// Time for inline turns per iteration; the rest goes to the workers.
  static constexpr std::chrono::microseconds budget{1000};
  /// Inline turns longer than this, `heavy_strikes` in a row (or one the
  /// engine had to be relieved of), mark the actor heavy.
  static constexpr std::chrono::microseconds heavy_turn{50};
  static constexpr std::uint8_t heavy_strikes = 2;
  /// The fewest and the most deliveries one heavy verdict sends to the
  /// workers (the count doubles with each verdict, halves with each light
  /// turn).
  static constexpr std::uint32_t min_penalty = 64;
  static constexpr std::uint32_t max_penalty = 1u << 16;

  explicit engine_unit(caf::actor_system& sys);

  /// The unit of `eng` (installed on first use), or null when inline
  /// handlers are off (`PANTS_INLINE=never`). Only for engines whose
  /// channels use the runtime's actor system. Safe from any thread.
  static std::shared_ptr<engine_unit> for_engine(engine& eng);

  /// True when called in the engine thread inside this unit's `poll()`.
  bool active_here() const noexcept;

  /// Enqueues `msg` to `target` with this unit as context: an idle `target`
  /// is kept for an inline turn unless `mark` says it is heavy. Must be
  /// called when `active_here()`.
  void deliver(caf::abstract_actor& target, caf::mailbox_element_ptr msg, inline_mark* mark);

  /// CAF: `ptr` was made ready by a send with this unit as context. Kept
  /// only while `deliver` runs; everything else goes to the scheduler.
  void exec_later(caf::resumable* ptr) override;

  void iteration_begins() noexcept override;
  void iteration_ends() noexcept override;
  /// From the engine's relief thread while a turn holds the engine thread
  /// too long: the jobs waiting behind it go to the scheduler, and so does
  /// everything woken until the turn ends.
  void relieve() noexcept override;
  /// True when jobs wait for this iteration's end.
  bool has_work() noexcept override;

  /// How many times an actor was marked heavy (for tests and statistics).
  /// Safe from any thread.
  std::uint64_t heavy_verdicts() const noexcept { return verdicts_.load(); }

private:
  struct job {
    caf::resumable* ptr; // holds the reference CAF added when scheduling it
    inline_mark* mark;
  };

  void run_jobs() noexcept;
  bool next_job(job& j) noexcept;
  void keep(job j) noexcept;
  void hand_over_rest() noexcept;
  void judge(inline_mark& mark, std::chrono::steady_clock::duration took) noexcept;

  /// Kept jobs of this iteration and the next to run: the engine thread
  /// adds and runs them, the relief thread may hand them over.
  std::mutex jobs_mtx_;
  std::vector<job> jobs_;
  std::size_t next_ = 0;
  bool relieved_ = false;
  std::atomic<std::uint64_t> verdicts_{0};
  /// The mark of the actor `deliver` is enqueuing to, else null (engine thread).
  inline_mark* delivering_ = nullptr;
  /// The unit active before this one on this thread (nested polls).
  engine_unit* previous_ = nullptr;
};

/// True when the runtime's `inline_handlers` option (or `PANTS_INLINE`) is
/// "auto". Starts the runtime. Safe from any thread.
bool inline_handlers_enabled();

} // namespace pants::detail
