#pragma once

#include <cstdint>

namespace pants {

/// Readiness bits exchanged between the engine and its backends.
namespace io_event {
constexpr std::uint32_t readable = 1u << 0; ///< data (or EOF) can be read
constexpr std::uint32_t writable = 1u << 1; ///< the send buffer has room
constexpr std::uint32_t error = 1u << 2;    ///< the socket has a pending error
constexpr std::uint32_t hangup = 1u << 3;   ///< both directions are shut down
/// Urgent (TCP out-of-band) data is waiting: reported only when the
/// interest mask asks for it (asyncore's handle_expt).
constexpr std::uint32_t priority = 1u << 4;
} // namespace io_event

/// Receives readiness events for one registered file descriptor.
/// Called in the engine thread only.
class io_handler {
public:
  virtual ~io_handler() = default;

  /// `events` is a mask of `io_event` bits. Must be called in the engine thread.
  virtual void handle_io(std::uint32_t events) = 0;
};

} // namespace pants
