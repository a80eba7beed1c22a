#pragma once

#include "pants/channels/messages.hpp"

#include <utility>

namespace pants {

/// Where a socket sends its events: the actors layer implements it by
/// sending the message to the channel's actor, the mock engine by recording
/// or forwarding it. Implementations must be safe to call from any thread;
/// a socket calls it in event order and never after `closed_msg`.
class event_sink {
public:
  virtual ~event_sink() = default;
  virtual void deliver(connected_msg) = 0;
  virtual void deliver(connect_failed_msg) = 0;
  virtual void deliver(chunk_msg) = 0;
  virtual void deliver(eof_msg) = 0;
  virtual void deliver(packet_msg) = 0;
  virtual void deliver(drained_msg) = 0;
  virtual void deliver(read_error_msg) = 0;
  virtual void deliver(write_error_msg) = 0;
  virtual void deliver(listening_msg) = 0;
  virtual void deliver(accepted_msg) = 0;
  virtual void deliver(tls_handshake_msg) = 0;
  virtual void deliver(tls_error_msg) = 0;
  virtual void deliver(closed_msg) = 0;

  /// A `read_error_msg` (`reading`) or a `write_error_msg` carrying `error`.
  void deliver_error(bool reading, net_error error) {
    if (reading)
      deliver(read_error_msg{std::move(error)});
    else
      deliver(write_error_msg{std::move(error)});
  }
};

} // namespace pants
