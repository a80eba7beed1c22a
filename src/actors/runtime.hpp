#pragma once

#include "pants/actors/default_clock.hpp"

#include "pants/engine/engine.hpp"

#include <caf/fwd.hpp>

#include <chrono>
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
/// At exit, the channels and servers still open on the default engine are
/// shut down as by `shutdown()` (each gets its `on_close`); then every
/// channel actor still alive is stopped, and waited for. Safe from any
/// thread.
caf::actor_system& actor_system();

/// A clean shutdown of `eng`: closes every channel and server on it (as
/// `close()`: queued output is dropped; to flush it, `end()` them first and
/// give them time), including connects still pending, cancels the engine's
/// loops, prepares, defers and cycles, and waits until each of those
/// channels and servers has run its `on_close`, or `grace` has passed. A
/// channel made meanwhile (an `on_close` that reconnects) is closed too.
///
/// When no thread polls `eng`, the calling thread polls it meanwhile (call
/// it after `start()` returned); when one does, its `start()` returns once
/// the wait is over. Every descriptor of those channels is closed either
/// way. Returns true when every `on_close` ran within `grace`, false when
/// a handler still running held its channel past it (that channel's
/// `on_close` comes when the handler returns).
///
/// Throws state_error, changing nothing, when called on the thread that
/// polls `eng` (from a handler run there too: it would wait for itself),
/// or for a mock engine (close its channels and run the mock instead);
/// std::invalid_argument for `grace <= 0`. From a handler on a CAF worker
/// it works but holds that worker, and its own channel's `on_close` waits
/// until it returns.
bool shutdown(engine& eng, std::chrono::milliseconds grace = std::chrono::seconds(1));

/// `shutdown(engine::instance(), grace)`: the default engine.
bool shutdown(std::chrono::milliseconds grace = std::chrono::seconds(1));

} // namespace pants
