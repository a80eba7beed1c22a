#pragma once

#include "pants/channels/address.hpp"
#include "pants/channels/datagram_io.hpp"
#include "pants/channels/event_sink.hpp"
#include "pants/channels/socket_core.hpp"
#include "pants/channels/unix_socket_file.hpp"
#include "pants/engine/engine.hpp"
#include "pants/engine/timer.hpp"

#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>

namespace pants {

/// A datagram socket (UDP over IPv4/IPv6, or a Unix datagram socket) on an
/// engine: owns the descriptor, its queue of outgoing datagrams and its
/// read flow control, and reports events to an `event_sink` in socket
/// order: `listening_msg`, one `packet_msg` per datagram received,
/// `drained_msg`, `read_error_msg` / `write_error_msg` (the socket goes on
/// after both), `closed_msg` last.
///
/// Thread affinity: `bind` binds in the calling thread; reading and queued
/// sends happen in the engine thread; `write` sends directly from the
/// calling thread when nothing is queued. `bind`, `write`, `end`, `close`,
/// `consumed` and the getters are safe from any thread (a mutex guards the
/// descriptor, state and queue). Owned through shared_ptr; the engine holds
/// it while registered.
class datagram_socket final : public socket_core, public datagram_io {
public:
  /// idle, open, ending, closed (never connecting).
  using state = socket_core::state;

  /// The largest datagram read or sent (every UDP datagram fits). A larger
  /// one received is dropped with a `read_error_msg` (EMSGSIZE).
  static constexpr std::size_t max_datagram = 64 * 1024;
  /// Most datagrams read per readiness event, so one busy socket cannot
  /// monopolise an iteration.
  static constexpr int read_batch = 64;
  /// Reading pauses while the datagrams handed to the actor and not yet
  /// `consumed` cost more than this; the kernel drops what arrives then.
  static constexpr std::size_t inflight_limit = 256 * 1024;
  /// What one datagram costs against `inflight_limit` besides its bytes, so
  /// a flood of empty datagrams is bounded too.
  static constexpr std::size_t datagram_overhead = 128;

  /// A socket not opened yet: `bind` (listen) or the first `write` opens
  /// it. Safe from any thread.
  static std::shared_ptr<datagram_socket> make(engine& eng, std::shared_ptr<event_sink> sink);
  ~datagram_socket() override;

  /// Opens a socket of `where`'s family and binds it, in the calling thread:
  /// `[::]` is dual-stack; a Unix path follows unix_socket_file's policy.
  /// The engine then reports `listening_msg` and starts reading. Throws
  /// os_error (address in use, no permission) with nothing left open, or
  /// state_error unless idle. Safe from any thread.
  void bind(const endpoint& where) override;

  /// Sends `data` as one datagram to `to`, after every datagram queued
  /// before; sends at once from the calling thread when nothing is queued.
  /// An idle socket is opened first, unbound, in `to`'s family (a Unix one
  /// autobinds, so its receiver can answer). Returns true when the datagram
  /// went out at once and a drain is due (see stream_socket::write).
  /// A datagram the system refuses (too large, unreachable, refused) is
  /// dropped with a `write_error_msg` naming `to`; the socket goes on.
  /// Throws state_error when ending or closed, address_error when `to` is
  /// empty or of a family this socket cannot reach, os_error when the
  /// socket cannot be opened; nothing changes then. Safe from any thread.
  [[nodiscard]] bool write(std::string_view data, const endpoint& to) override;

  /// No more writes: flushes the queue, then closes. Idempotent; a no-op
  /// once closing. Safe from any thread.
  void end() override { request_end(); }

  /// Closes at once, discarding queued datagrams. Idempotent; `closed_msg`
  /// follows as its own event. Safe from any thread.
  void close() override { request_close(); }

  /// The actor has processed one datagram of `n` bytes: lets the engine
  /// read again if it paused for flow control. Safe from any thread.
  void consumed(std::size_t n) override { release_credit(n); }

  /// The channel has handled a drain: the next one may be reported again.
  /// Safe from any thread.
  void drain_seen() noexcept override { drain_.seen(); }

  /// Bytes queued and not yet handed to the kernel. Safe from any thread.
  std::size_t bytes_queued() const noexcept override { return queued_bytes_.load(); }

  /// True while received datagrams are delivered: open, not ending or
  /// closing. Safe from any thread.
  bool reading() const noexcept override { return state_ == state::open && !close_requested_; }
  /// True once closed. Safe from any thread.
  bool is_closed() const noexcept override { return socket_core::is_closed(); }
  /// The bound address (with the real port after binding port 0; the
  /// kernel's choice after an implicit open); empty before. Safe from any
  /// thread.
  endpoint local() const override;

  /// Must be called in the engine thread.
  void handle_io(std::uint32_t events) override;

private:
  struct outgoing {
    std::string data;
    endpoint to;
  };
  /// A datagram the system refused, to report once the lock is released.
  struct refused {
    int err;
    endpoint to;
    std::size_t size;
  };

  datagram_socket(engine& eng, std::shared_ptr<event_sink> sink);

  // socket_core's hooks.
  std::uint32_t interest_locked() const override;
  bool output_empty_locked() const override { return queue_.empty(); }
  void discard_locked() noexcept override;
  void before_close_unlocked() override;

  // Engine thread only.
  void register_in_engine(bool listening);
  void on_readable();
  void flush();
  void clear_socket_error();

  // Any thread.
  void schedule_flush();
  void arm_retry();

  // Any thread, mtx_ held.
  int open_locked(int family);
  bool send_locked(std::string_view data, const endpoint& to, int& err);

  static write_error_msg refusal(const refused& r);

  // -- any thread, under mtx_ -------------------------------------------------------
  int family_ = AF_UNSPEC;
  endpoint local_; // kept after the close, for local()
  std::deque<outgoing> queue_;
  timer retry_; // Unix sockets: the next attempt to flush the queue
  std::chrono::milliseconds retry_delay_{0};
  bool armed_ = false;

  // -- atomic: read from any thread, written under mtx_ -------------------------------
  std::atomic<std::size_t> queued_bytes_{0};

  // -- set by bind under mtx_, then used by the engine thread only ----------------------
  unix_socket_file file_;
};

} // namespace pants
