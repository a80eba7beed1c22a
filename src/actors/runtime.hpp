#pragma once

#include "pants/actors/default_clock.hpp"

#include <caf/fwd.hpp>

#include <cstddef>
#include <string>

namespace pants {

/// How the worker pool that runs every channel's handlers is set up.
/// Zero / empty fields take the environment (`PANTS_WORKERS`,
/// `PANTS_SCHEDULER`, `PANTS_INLINE`), then the defaults.
struct runtime_options {
  /// Worker threads running handlers; default: the number of cores.
  std::size_t workers = 0;
  /// "sharing" (one shared queue; the default: measured 3-4x lower
  /// request/reply latency than work stealing, see docs/performance.md) or
  /// "stealing" (CAF's work stealing).
  std::string scheduler;
  /// Messages one actor handles before yielding its worker; default 64, so
  /// a busy channel cannot starve the others on its worker.
  std::size_t max_throughput = 0;
  /// "auto" (the default): a channel actor woken by its engine runs on the
  /// engine thread after the engine's dispatch, a few messages at a time
  /// within a time budget; what is left, and channels whose handlers take
  /// long, go to the workers. A handler that blocks holds the engine thread
  /// for at most `engine::relief_tick` to twice that: then the engine's
  /// relief thread polls in its place and the channels waiting behind it
  /// go to the workers. "never": every handler runs on a worker, one thread
  /// hand-off per message. Empty takes `PANTS_INLINE`, then "auto".
  std::string inline_handlers;
};

/// Sets the options of the default runtime. Must be called before the
/// first channel is created; throws state_error after, and
/// std::invalid_argument for an unknown scheduler or inline_handlers name.
void configure(const runtime_options& options);

/// The CAF actor system that runs channel actors, started on first use.
/// At exit it stops every channel actor still alive, then waits for them.
/// Safe from any thread.
caf::actor_system& actor_system();

} // namespace pants
