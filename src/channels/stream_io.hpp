#pragma once

#include "pants/channels/address.hpp"
#include "pants/channels/messages.hpp"
#include "pants/channels/tls_context.hpp"

#include <cstddef>
#include <memory>
#include <string>
#include <string_view>
#include <sys/types.h>
#include <vector>

namespace pants {

/// What a stream channel asks of its socket: implemented by the real
/// `stream_socket` and by the mock engine's fake socket
/// (`pants::testing`). Contracts as documented on `stream_socket`; every
/// member is safe from any thread. Owned through shared_ptr by the channel.
class stream_io {
public:
  virtual ~stream_io() = default;

  /// Starts an adopted (accepted) socket: reports `connected_msg`.
  virtual void start() = 0;
  /// Connects to the first of `targets` that accepts (state_error unless idle).
  virtual void connect(std::vector<endpoint> targets) = 0;
  /// Reports `connect_failed_msg` then `closed_msg` (a name that did not
  /// resolve, a connect timeout), unless the connect completed or the
  /// socket closed first: then nothing. Safe from any thread.
  virtual void fail_connect(net_error error) = 0;
  /// Queues `data`; true when it went out at once and a drain is due.
  [[nodiscard]] virtual bool write(std::string_view data) = 0;
  /// Queues a file region (`nbytes == 0`: to the end), in order with writes.
  virtual void write_file(int file_fd, off_t offset, std::size_t nbytes) = 0;
  /// No more writes: flush, then close. Idempotent.
  virtual void end() = 0;
  /// Half-close once the queue is flushed. Idempotent.
  virtual void shutdown_write() = 0;
  /// Closes at once, discarding queued output; `closed_msg` follows.
  virtual void close() = 0;
  /// The actor processed `n` bytes of `chunk_msg`s (read flow control).
  virtual void consumed(std::size_t n) = 0;
  /// The channel handled a drain: the next may be reported.
  virtual void drain_seen() noexcept = 0;
  /// Write-queue marks (std::invalid_argument unless 0 < low <= high).
  virtual void set_write_marks(std::size_t high, std::size_t low) = 0;
  /// Bytes queued and not yet handed to the peer.
  virtual std::size_t bytes_queued() const noexcept = 0;
  /// True while `write` is allowed.
  virtual bool writable() const noexcept = 0;
  /// True while incoming data is delivered.
  virtual bool reading() const noexcept = 0;
  /// True once closed.
  virtual bool is_closed() const noexcept = 0;
  virtual std::string local_address() const = 0;
  virtual std::string remote_address() const = 0;
  /// Queues `clear_first` in the clear, then encrypts from here on with a
  /// session of `context` (`host`: what a client verifies and sends as
  /// SNI); bytes queued before go in the clear too. state_error when TLS
  /// is already on or the socket is closing.
  virtual void start_tls(std::shared_ptr<const tls_context> context, std::string host,
                         std::string_view clear_first) = 0;
  /// What the handshake agreed on; empty before it completed, or without TLS.
  virtual tls_negotiated tls_info() const = 0;
};

} // namespace pants
