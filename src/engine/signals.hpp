#pragma once

namespace pants {

class engine;

/// Makes SIGINT and SIGTERM stop `eng` (its `start()` returns after the
/// current iteration) instead of killing the process. The handler only
/// stores a flag and writes the engine's eventfd, both async-signal-safe.
/// Call from the main thread before `start()`; the last call wins.
void stop_on_signals(engine& eng);

} // namespace pants
