#pragma once

#include "pants/channels/address.hpp"
#include "pants/channels/event_sink.hpp"
#include "pants/channels/socket_core.hpp"
#include "pants/channels/stream_io.hpp"
#include "pants/channels/tls_session.hpp"
#include "pants/channels/write_queue.hpp"
#include "pants/engine/engine.hpp"

#include <atomic>
#include <cerrno>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <sys/types.h>
#include <utility>
#include <vector>

namespace pants {

/// A connected (or connecting) stream socket on an engine: owns the
/// descriptor, its write queue and its read flow control, and reports
/// events to an `event_sink` in socket order. Registration, interest,
/// closing and read credit are `socket_core`'s; this class says how a
/// stream connects, reads, writes and half-closes.
///
/// Thread affinity: every system call on the descriptor except the direct
/// send in `write` happens in the engine thread; `write`, `write_file`,
/// `end`, `close`, `consumed`, `set_write_marks` and the getters are safe
/// from any thread (a mutex guards the descriptor, state and queue).
/// Owned through shared_ptr; the engine holds it while registered.
class stream_socket final : public socket_core, public stream_io {
public:
  using state = socket_core::state;

  static constexpr std::size_t default_high_water = 1024 * 1024;
  static constexpr std::size_t default_low_water = 256 * 1024;
  static constexpr std::size_t read_chunk = 64 * 1024;
  static constexpr std::size_t inflight_limit = 256 * 1024;
  /// Over TLS, queued files are read and encrypted this many bytes at a
  /// time, while less than that much ciphertext waits for the socket.
  static constexpr std::size_t tls_piece = 64 * 1024;

  /// A socket not connected yet; `connect` starts it. Safe from any thread.
  static std::shared_ptr<stream_socket> make(engine& eng, std::shared_ptr<event_sink> sink);

  /// Adopts an accepted, connected descriptor (made non-blocking here).
  /// Nothing happens until `start()`. Safe from any thread.
  static std::shared_ptr<stream_socket> adopt(engine& eng, int fd,
                                              std::shared_ptr<event_sink> sink);

  /// Registers an adopted socket with the engine, which then reports
  /// `connected_msg` and starts reading. Safe from any thread.
  void start() override;

  /// Connects to the first of `targets` that accepts, trying them in order;
  /// reports `connected_msg`, or `connect_failed_msg` then `closed_msg`.
  /// Throws state_error unless idle. Safe from any thread.
  void connect(std::vector<endpoint> targets) override;

  /// Reports `connect_failed_msg` then `closed_msg` (a name that did not
  /// resolve). Safe from any thread.
  void fail_connect(net_error error) override;

  /// Queues `data` after everything queued before, sending at once when the
  /// queue is empty. Returns true when that emptied the queue and a drain is
  /// due: the caller reports it (the drain protocol, channels/drain_latch.hpp);
  /// later drains come as `drained_msg`. Throws state_error unless open.
  /// Safe from any thread.
  [[nodiscard]] bool write(std::string_view data) override;

  /// Queues `nbytes` of the file open as `file_fd` (duplicated; the caller
  /// keeps its descriptor) from `offset`, sent in order with writes: with
  /// sendfile in the clear, read and encrypted `tls_piece` bytes at a time
  /// over TLS; `nbytes == 0` means to the end of the file. Throws
  /// state_error unless open, std::invalid_argument for a bad region.
  void write_file(int file_fd, off_t offset, std::size_t nbytes) override;

  /// No more writes: flushes the queue, then closes. Idempotent; a no-op
  /// once closing. Safe from any thread.
  void end() override;

  /// Closes at once, discarding queued output. Idempotent. `closed_msg`
  /// follows as its own event. Safe from any thread.
  void close() override { request_close(); }

  /// The channel's actor has processed `n` bytes of `chunk_msg`s: lets the
  /// engine read again if it paused for flow control. Safe from any thread.
  void consumed(std::size_t n) override { release_credit(n); }

  /// The channel has handled a drain (a `drained_msg`, or `write` returning
  /// true): the next drain may be reported again. Safe from any thread.
  void drain_seen() noexcept override { drain_.seen(); }

  /// Sets the high- and low-water marks of the write queue (reading pauses
  /// above `high`, resumes at or below `low`). Throws std::invalid_argument
  /// unless 0 < low <= high. Safe from any thread.
  void set_write_marks(std::size_t high, std::size_t low) override;

  /// Bytes queued and not yet handed to the kernel. Safe from any thread.
  std::size_t bytes_queued() const noexcept override {
    return queue_.bytes() + (tls_on_ ? tls_->backlog.bytes() : 0);
  }

  /// True while `write` is allowed: connected, not ending, not closing,
  /// writing not shut down. Safe from any thread.
  bool writable() const noexcept override { return reading() && !write_shut_; }

  /// True while incoming data is delivered: connected, not ending, not
  /// closing (a shut-down write side still reads). Safe from any thread.
  bool reading() const noexcept override { return state_ == state::open && !close_requested_; }

  /// True once closed. Safe from any thread.
  bool is_closed() const noexcept override { return socket_core::is_closed(); }

  /// Half-close: no more writes; once the queue is flushed, the write side
  /// is shut down (the peer reads EOF) while reading goes on until the
  /// peer closes. Idempotent; a no-op unless open. Safe from any thread.
  void shutdown_write() override;
  /// The local and the peer's address ("" before connected). Safe from any
  /// thread.
  std::string local_address() const override;
  std::string remote_address() const override;

  /// Starts TLS with a session of `context`: bytes queued before the call,
  /// and `clear_first`, go out in the clear, then the handshake, then every
  /// later write encrypted (STARTTLS ordering; a server answering STARTTLS
  /// passes its answer as `clear_first`, so that no byte of the client's
  /// handshake can be read before TLS is on). Before the socket is open (a client
  /// connecting, an accepted socket not started), `connected_msg` waits
  /// for the handshake and follows `tls_handshake_msg`. A failure reports
  /// `tls_error_msg`, then the socket closes. Throws state_error when TLS
  /// is already on, or the socket is ending, closing or closed. Safe from
  /// any thread.
  void start_tls(std::shared_ptr<const tls_context> context, std::string host,
                 std::string_view clear_first) override;
  /// What the handshake agreed on (empty before it completed, or without
  /// TLS, or after a failure). Safe from any thread.
  tls_negotiated tls_info() const override;

  /// Engine-thread entry point. Must be called in the engine thread.
  void handle_io(std::uint32_t events) override;

  /// Why `write` is refused in `st` (with a close requested, the write side
  /// shut), or nullptr when it is allowed. Shared with the mock engine's
  /// fake stream, so both say the same.
  static const char* write_refusal(state st, bool close_requested, bool write_shut) noexcept;
  /// Why `start_tls` is refused (TLS already on; the socket ending,
  /// closing or closed; bytes to send first before it is open), or nullptr.
  /// Shared with the fake stream too.
  static const char* start_tls_refusal(bool tls_on, state st, bool close_requested, bool write_shut,
                                       bool clear_first, bool open_reported) noexcept;

private:
  /// Only `make` can name it: the constructor is public for make_shared.
  struct make_tag {
    explicit make_tag() = default;
  };

public:
  /// Use `make` or `adopt`.
  stream_socket(make_tag, engine& eng, std::shared_ptr<event_sink> sink);

private:
  // socket_core's hooks.
  std::uint32_t interest_locked() const override;
  void before_interest_update_locked() override;
  bool output_empty_locked() const override {
    return queue_.empty() && (!tls_ || tls_->backlog.empty());
  }
  void discard_locked() noexcept override;

  // Engine thread only.
  void connected_in_engine();
  void start_connect();
  void finish_connect();
  void on_readable();
  void on_writable();
  /// `size` bytes read into `data` on a TLS socket: decrypts, answers the
  /// handshake, reports what it completes.
  void on_tls_bytes(const char* data, std::size_t size);
  /// Whether the TLS handshake completed. Locks mtx_.
  bool open_or_closed_tls();
  /// Queues what the TLS session has for the wire. Under mtx_.
  void push_tls_output_locked();
  /// Encrypts the next piece of the TLS backlog into the queue, once the
  /// handshake is done and the queue is short. A file read error sets
  /// `error` (an errno value). Engine thread, under mtx_.
  void refill_tls_locked(int& error);
  /// Whether the TLS backlog can move now. Under mtx_.
  bool tls_backlog_ready_locked() const;
  /// Sends close_notify now, or after the backlog when one waits. Under mtx_.
  void close_notify_locked();
  /// Starts a TLS client's handshake once connected; whether connected_msg
  /// waits for it. Engine thread, under mtx_.
  bool begin_tls_locked();
  /// Starts the handshake's time bound (tls_options::handshake_timeout).
  /// Under mtx_.
  void arm_handshake_timer_locked();
  /// The bound passed: a handshake still going on fails. Engine thread.
  void on_handshake_timeout();
  /// Cancels the handshake's bound. Engine thread, not under mtx_.
  void cancel_handshake_timer();
  void before_close_unlocked() override { cancel_handshake_timer(); }
  void fail(bool reading, int code);

  // -- any thread, under mtx_ --------------------------------------------------------
  write_queue queue_; // bytes() also lock-free
  std::size_t high_water_ = default_high_water;
  std::size_t low_water_ = default_low_water;
  compact_endpoint local_, remote_; // set when open; kept after the close
  /// A TLS channel's session, and the plaintext waiting to be encrypted:
  /// what is written before the handshake completes, and behind a file
  /// (records are numbered, so everything written after a `write_file`
  /// waits with it, in order). The engine encrypts it a piece at a time
  /// (`refill_tls_locked`); the write marks count it.
  struct tls_link {
    tls_link(std::shared_ptr<const tls_context> context, std::string_view host)
        : handshake_timeout(context->options().handshake_timeout),
          session(std::move(context), host) {}
    std::chrono::milliseconds handshake_timeout;
    timer handshake_timer; // armed when the handshake starts; cancelled in the engine thread
    tls_session session;
    write_queue backlog;
    bool notify_after_backlog = false; // end or shutdown_write came while it waited
  };
  std::unique_ptr<tls_link> tls_; // set once by start_tls; writes encrypt through it
  bool open_reported_ = false;    // connected_msg reported, or held for the handshake
  bool user_output_ =
      false; // with TLS: written bytes queued (a drain is theirs, not the handshake's)

  // -- atomic: read from any thread, written under mtx_ -------------------------------
  std::atomic<bool> write_shut_{false}; // shutdown_write() called
  std::atomic<bool> tls_on_{false};     // tls_ is set (the engine reads without the lock)

  // -- engine thread only (the targets are set by connect before its post) --------------
  /// A client's addresses and what each failed with (engine thread once
  /// published by connect); dropped when connected. Accepted sockets never
  /// have one.
  struct connect_plan {
    std::vector<endpoint> targets;
    std::size_t next = 0;
    std::string failures; // "connect to A: reason; connect to B: reason"
    int last_code = ECONNREFUSED;
    /// Notes that `targets[next]` failed with `error`, and moves on.
    void failed(const net_error& error);
    /// The error for on_connect_error: each address tried, and why.
    net_error error() const;
  };
  std::unique_ptr<connect_plan> plan_;
  bool eof_ = false;          // read side: the peer's end of stream was seen
  bool connect_held_ = false; // connected_msg waits for the TLS handshake
  bool hwm_paused_ = false;   // read side: paused by the write marks (written under mtx_)
};

} // namespace pants
