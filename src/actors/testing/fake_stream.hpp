#pragma once

#include "pants/channels/drain_latch.hpp"
#include "pants/channels/read_credit.hpp"
#include "pants/channels/socket_core.hpp"
#include "pants/channels/stream_io.hpp"
#include "pants/engine/timer.hpp"

#include <cstddef>
#include <deque>
#include <memory>
#include <string>
#include <vector>

namespace pants {
class engine;
class event_sink;
} // namespace pants

namespace pants::testing::detail {

/// The mock engine's stream socket: the channel's side (`stream_io`)
/// records what the channel does; the test's side (`stream_peer`) injects
/// events. Same state machine and event order as `stream_socket`, with no
/// descriptor: writes land in `written`, peer data arrives as `chunk_msg`s
/// under the same read flow control. TLS is simulated: `start_tls` is
/// recorded and the test completes or fails the handshake; no bytes are
/// encrypted. One thread only (the test's).
class fake_stream final : public stream_io {
public:
  /// The real socket's states.
  using state = socket_core::state;

  /// `eng` runs the handshake timeout's timer (virtual time).
  fake_stream(std::shared_ptr<event_sink> sink, const void* owner, engine& eng);
  ~fake_stream() override { handshake_timer_.cancel(); }
  fake_stream(const fake_stream&) = delete;
  fake_stream& operator=(const fake_stream&) = delete;

  // -- stream_io (the channel's side) -------------------------------------------
  void start() override;
  void connect(std::vector<endpoint> targets) override;
  void fail_connect(net_error error) override;
  bool write(std::string_view data) override;
  void write_file(int file_fd, off_t offset, std::size_t nbytes) override;
  void end() override;
  void shutdown_write() override;
  void close() override;
  void consumed(std::size_t n) override;
  void drain_seen() noexcept override { drain_.seen(); }
  void set_write_marks(std::size_t high, std::size_t low) override;
  std::size_t bytes_queued() const noexcept override {
    return queued_.size() + tls_backlog_.size();
  }
  bool writable() const noexcept override { return reading() && !write_shut_; }
  bool reading() const noexcept override { return state_ == state::open && !close_requested_; }
  bool is_closed() const noexcept override { return state_ == state::closed; }
  std::string local_address() const override { return local_.to_string(); }
  std::string remote_address() const override { return remote_.to_string(); }
  /// Records the context and the name a client checks, sends `clear_first`
  /// in the clear and starts the handshake, which waits for the test
  /// (`complete_tls`, `fail_tls`) or the context's handshake timeout. The
  /// real socket's checks and order: connected_msg waits for the handshake,
  /// and writes meanwhile wait in a backlog the write marks count.
  void start_tls(std::shared_ptr<const tls_context> context, std::string host,
                 std::string_view clear_first) override;
  /// What `complete_tls` was given; empty before.
  tls_negotiated tls_info() const override { return tls_done_ ? agreed_ : tls_negotiated{}; }

  // -- the test's side (see stream_peer) --------------------------------------------
  void adopted(std::shared_ptr<event_sink> sink, const void* owner);
  void complete_connect(std::size_t target);
  void send(std::string bytes);
  void peer_close();
  void fail(bool reading, int code);
  void set_window_open(bool open);
  void close_now();
  void complete_tls(tls_negotiated agreed);
  void fail_tls(const std::string& reason);

  const void* owner = nullptr;
  endpoint local_, remote_;
  std::vector<endpoint> targets;
  std::string written;
  int fail_next_write = 0;
  int fail_connect_with = 0; // armed by mock_engine::fail_next_connect
  bool end_called = false;
  bool write_shut_done = false; // the peer reads end of stream
  bool reset_seen = false;      // the connection was dropped (refused accept)
  bool window_open = true;
  std::shared_ptr<const tls_context> tls; // set by start_tls
  std::string tls_host;                   // what a client checks ("" for a server)
  std::size_t clear_bytes = 0;            // written before TLS began

  state current() const noexcept { return state_; }
  std::size_t held_bytes() const noexcept;
  std::size_t inflight() const noexcept { return credit_.inflight(); }
  bool tls_handshaking() const noexcept { return tls && !tls_done_; }

private:
  void throw_unless_writable() const;
  void append(std::string_view data);
  void flush_queue();
  bool paused() const noexcept;
  void release_held();
  /// Bytes were queued: over the high mark, reading pauses.
  void note_queued();
  /// The connection is open and TLS is on: the handshake's turn.
  void begin_handshake();
  void on_handshake_timeout();

  std::shared_ptr<event_sink> sink_;
  engine& engine_;
  state state_ = state::idle;
  bool close_requested_ = false;
  bool write_shut_ = false;
  drain_latch drain_;
  bool eof_pending_ = false;
  bool eof_sent_ = false;
  std::string queued_; // written while the peer's window is closed
  std::size_t high_water_;
  std::size_t low_water_;
  bool hwm_paused_ = false;
  read_credit credit_;           // the real socket's flow control, on peer data
  std::deque<std::string> held_; // peer data not read yet (flow control)
  bool open_reported_ = false;   // connected_msg delivered, or held for the handshake
  std::size_t written_total_ = 0;
  bool tls_done_ = false;     // the handshake completed
  tls_negotiated agreed_;     // what it agreed on
  bool connect_held_ = false; // connected_msg waits for the handshake
  std::string tls_backlog_;   // written during the handshake
  timer handshake_timer_;
};

/// `{code, strerror(code)}`.
net_error errno_error(int code);

} // namespace pants::testing::detail
