#pragma once

#include <chrono>
#include <functional>

namespace pants {

class engine;

/// Makes SIGINT and SIGTERM stop `eng` (its `start()` returns after the
/// current iteration) instead of killing the process. The handler only
/// stores a flag and writes the engine's eventfd, both async-signal-safe.
/// A signal that arrives before `start()` is kept: `start()` returns at
/// once. Call from the main thread before `start()`; the last call wins.
void stop_on_signals(engine& eng);

/// A graceful stop: the first SIGINT or SIGTERM runs `on_signal` in `eng`'s
/// thread (tell clients, `end()` them, close the server), then `eng` stops
/// once every channel and server on it has closed, or after `grace`,
/// whichever comes first (`engine::stop_when_empty`). A second signal stops
/// at once. A signal that arrives before `start()` is kept: `on_signal`
/// runs when the engine starts. An exception from `on_signal` is printed to
/// stderr and the stop goes on. Call from the main thread before `start()`;
/// the last call wins.
void stop_on_signals(engine& eng, std::function<void()> on_signal,
                     std::chrono::milliseconds grace = std::chrono::seconds(5));

} // namespace pants
