#pragma once

#include <functional>
#include <string>
#include <string_view>

namespace pants {

/// How much a message the library reports matters.
enum class log_level {
  debug,   ///< detail for finding a problem (the library reports none today)
  info,    ///< what asyncore's `log()` and `log_info(…, "info")` report
  warning, ///< a peer's doing, the channel goes on: rate-limited network errors
  error,   ///< a handler, task or timer threw; a default error handler's report
};

/// "debug", "info", "warning" or "error".
const char* to_string(log_level level) noexcept;

/// Where everything the library reports goes: handler, task and timer
/// exceptions, the default error handlers (rate-limited as they are), the
/// relief thread giving up, asyncore's default `log` and `log_info`.
/// Called on whichever thread reports (the engine thread, a CAF worker,
/// the clock's thread), possibly at the same time: it must be thread-safe.
/// `message` names what happened without a "pants: " prefix.
using log_sink = std::function<void(log_level level, std::string_view message)>;

/// Installs `sink` for every thread, from the next report on, and returns
/// the sink it replaces (empty for the default). An empty `sink` restores
/// the default: one line "pants: MESSAGE" on stderr per report. An
/// exception the sink throws is written to stderr and dropped. Safe from
/// any thread; a report under way finishes with the sink it started with.
log_sink set_log_sink(log_sink sink);

/// Drops reports below `least` before they reach the sink (default:
/// `info`, so only `debug` is dropped). Safe from any thread.
void set_log_level(log_level least) noexcept;

/// The level set by `set_log_level`.
log_level log_threshold() noexcept;

/// Whether a report at `level` would reach the sink: check it before
/// building an expensive message.
bool log_enabled(log_level level) noexcept;

/// Reports `message` at `level` to the sink (unless below the threshold).
/// Never throws. Safe from any thread.
void log(log_level level, std::string_view message) noexcept;

} // namespace pants
