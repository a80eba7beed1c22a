#pragma once

#include <atomic>
#include <cstdint>

namespace pants::detail {

/// What the engine unit (engine_unit.hpp) keeps in a channel or server
/// actor: whether its inline turns run long ("heavy"), so the engine hands
/// its wake-ups to CAF's workers for a while. Engine thread only, but for
/// `initialized`.
struct inline_mark {
  /// Deliveries left that go to the workers; 0: the actor may run inline.
  std::uint32_t heavy_left = 0;
  /// How many deliveries the next heavy verdict sends to the workers: it
  /// doubles with each verdict, so a repeat offender is retried ever less,
  /// and halves with each light turn (engine_unit::min_penalty at least).
  std::uint32_t penalty = 64;
  /// Long inline turns in a row.
  std::uint8_t strikes = 0;
  /// Set by the actor once CAF has initialised it (on whichever thread):
  /// the turn that does it is not judged.
  std::atomic<bool> initialized{false};
};

} // namespace pants::detail
