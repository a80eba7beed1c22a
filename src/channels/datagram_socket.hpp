#pragma once

#include "pants/channels/address.hpp"
#include "pants/channels/coalesced_post.hpp"
#include "pants/channels/datagram_io.hpp"
#include "pants/channels/event_sink.hpp"
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
class datagram_socket final : public io_handler,
                              public datagram_io,
                              public std::enable_shared_from_this<datagram_socket> {
public:
  enum class state { idle, open, ending, closed };

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
  void end() override;

  /// Closes at once, discarding queued datagrams. Idempotent; `closed_msg`
  /// follows as its own event. Safe from any thread.
  void close() override;

  /// The actor has processed one datagram of `n` bytes: lets the engine
  /// read again if it paused for flow control. Safe from any thread.
  void consumed(std::size_t n) override;

  /// The channel has handled a drain: the next one may be reported again.
  void drain_seen() noexcept override { drain_reported_ = false; }

  /// Bytes queued and not yet handed to the kernel. Safe from any thread.
  std::size_t bytes_queued() const noexcept override { return queued_bytes_.load(); }

  state current_state() const noexcept { return state_.load(); }
  /// True while received datagrams are delivered: open, not ending or closing.
  bool reading() const noexcept override { return state_ == state::open && !close_requested_; }
  bool is_closed() const noexcept override { return state_ == state::closed; }
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

  datagram_socket(engine& eng, std::shared_ptr<event_sink> sink);

  int open_locked(int family);
  void register_in_engine(bool listening);
  void on_readable();
  void flush();
  void schedule_flush();
  void arm_retry();
  void update_interest();
  void request_interest_update();
  void clear_socket_error();
  void close_now();

  // Called with mtx_ held.
  bool send_locked(std::string_view data, const endpoint& to, int& err);
  void report_send_error_locked(int err, const endpoint& to, std::size_t size);
  std::uint32_t mask_locked() const;

  engine& engine_;
  mutable std::mutex mtx_;
  std::shared_ptr<event_sink> sink_;
  int fd_ = -1;
  int family_ = AF_UNSPEC;
  endpoint local_;
  unix_socket_file file_;
  std::atomic<state> state_{state::idle};
  std::atomic<bool> close_requested_{false};
  std::deque<outgoing> queue_;
  std::atomic<std::size_t> queued_bytes_{0};
  timer retry_; // Unix sockets: the next attempt to flush the queue
  std::chrono::milliseconds retry_delay_{0};
  bool armed_ = false;

  std::atomic<bool> drain_reported_{false};
  coalesced_post interest_update_;
  std::atomic<std::size_t> inflight_{0};
  std::atomic<bool> flow_paused_{false};

  // Engine thread only.
  bool registered_ = false;
};

} // namespace pants
