#pragma once

#include <atomic>

namespace pants::detail {

/// What the engine unit (engine_unit.hpp) keeps in a channel or server
/// actor: whether its inline turns took long ("heavy"), so the engine hands
/// its wake-ups to CAF's workers from then on. Written and read in the
/// engine thread; atomic so that reading it anywhere else is not a race.
struct inline_mark {
  std::atomic<bool> heavy{false};
  /// Whether an inline turn was judged yet (the first one is not). Engine
  /// thread only.
  bool judged = false;
};

} // namespace pants::detail
