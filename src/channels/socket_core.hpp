#pragma once

#include "pants/channels/coalesced_post.hpp"
#include "pants/channels/drain_latch.hpp"
#include "pants/channels/event_sink.hpp"
#include "pants/channels/os_errors.hpp"
#include "pants/channels/read_credit.hpp"
#include "pants/engine/engine.hpp"

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <mutex>
#include <utility>

namespace pants {

/// What every socket on an engine shares (stream_socket, datagram_socket,
/// stream_listener): the descriptor and its registration, the interest
/// mask (updated in the engine thread, or requested from any thread with
/// one coalesced post), the close path (unregister, close the descriptor,
/// `closed_msg` last), read flow control and the drain latch. A socket
/// class derives from it and says only what differs, through the hooks.
///
/// Owns the descriptor (closed by `close_now`, or by the destructor if never
/// closed). Owned through shared_ptr; the engine holds it while registered.
/// Members say their thread; the fields below are grouped by who may touch
/// them.
class socket_core : public io_handler, public std::enable_shared_from_this<socket_core> {
public:
  /// A socket's lifecycle; `connecting` is the stream client's only.
  enum class state { idle, connecting, open, ending, closed };

  ~socket_core() override;
  socket_core(const socket_core&) = delete;
  socket_core& operator=(const socket_core&) = delete;

  /// Safe from any thread.
  state current_state() const noexcept { return state_.load(); }
  /// True once closed (`closed_msg` is delivered or on its way). Safe from
  /// any thread.
  bool is_closed() const noexcept { return state_ == state::closed; }

protected:
  /// `credit_limit` and `credit_overhead`: see read_credit.
  socket_core(engine& eng, std::shared_ptr<event_sink> sink, std::size_t credit_limit,
              std::size_t credit_overhead = 0);

  /// This object as the derived socket type `T`, for posted tasks.
  template <class T> std::shared_ptr<T> self() {
    return std::static_pointer_cast<T>(shared_from_this());
  }

  // -- hooks (the differences) ----------------------------------------------------

  /// The interest mask now (io_event bits). Called with mtx_ held.
  virtual std::uint32_t interest_locked() const = 0;
  /// Before `interest_locked` in `update_interest` (the stream re-applies
  /// its write marks). Called with mtx_ held, in the engine thread.
  virtual void before_interest_update_locked() {}
  /// True when no output is queued. Called with mtx_ held.
  virtual bool output_empty_locked() const = 0;
  /// Drops queued output as the socket closes. Called with mtx_ held, in
  /// the engine thread, `fd_` still set.
  virtual void discard_locked() noexcept {}
  /// After unregistering, before the descriptor is closed (a Unix socket
  /// file goes first). Engine thread, no lock.
  virtual void before_close_unlocked() {}

  // -- engine thread only -----------------------------------------------------------

  /// Registers `fd_` with `interest_locked()`. Returns true when it did so
  /// now (false: closed, no descriptor, or already registered). Must be
  /// called in the engine thread.
  bool register_in_engine();
  /// Recomputes the interest mask of a registered socket. Must be called in
  /// the engine thread.
  void update_interest();
  /// Unregisters and closes `fd_` without closing the socket (a failed
  /// connect attempt). Must be called in the engine thread.
  void abandon_descriptor();
  /// Closes now: state closed, output discarded, descriptor unregistered and
  /// closed, then `closed_msg` (after every writer's delivery in progress).
  /// Idempotent. Must be called in the engine thread.
  void close_now();
  /// Delivers `m` to the sink (none once closed). The engine thread is the
  /// only one that takes the sink away, so it reads it without the lock.
  /// Must be called in the engine thread, never with mtx_ held.
  template <class M> void report(M m) {
    PANTS_ASSERT_IN_LOOP(engine_);
    if (sink_)
      sink_->deliver(std::move(m));
  }

  // -- any thread -------------------------------------------------------------------

  /// `update_interest` now in the engine thread, else one coalesced post.
  void request_interest_update();
  /// Requests the close: from now on `close_requested_` is set, and
  /// `close_now` runs in the engine thread. Idempotent.
  void request_close();
  /// No more writes: `ending` until the queue is flushed (the flush then
  /// closes), or closes at once when nothing is queued or nothing was ever
  /// open. Idempotent; a no-op once closing.
  void request_end();
  /// The channel processed `n` bytes: resumes reading after a pause.
  void release_credit(std::size_t n);
  /// Delivers `f(sink)` from a writer's thread, outside the lock: `lock`
  /// (holding mtx_, socket not closed) is released first and is released on
  /// return. A `close_now` meanwhile holds its `closed_msg` back until this
  /// delivery is done, so `closed_msg` stays last.
  template <class F> void deliver_unlocked(std::unique_lock<std::mutex>& lock, F f) {
    auto sink = sink_;
    ++writer_deliveries_;
    lock.unlock();
    if (sink)
      f(*sink);
    end_writer_delivery();
  }

  engine& engine_;

  // -- any thread, under mtx_ (and written only under it) ---------------------------
  mutable std::mutex mtx_;
  /// The descriptor, -1 when none. Read without the lock in the engine
  /// thread, which is the only one to change it once registered.
  int fd_ = -1;
  /// Taken (moved out) only by `close_now`, in the engine thread.
  std::shared_ptr<event_sink> sink_;

  // -- atomic: read from any thread, written under mtx_ ---------------------------------
  std::atomic<state> state_{state::idle};
  std::atomic<bool> close_requested_{false};

  // -- atomic, lock-free, any thread --------------------------------------------------
  read_credit credit_;
  drain_latch drain_;

private:
  void end_writer_delivery();

  // -- any thread, under mtx_ ------------------------------------------------------
  int writer_deliveries_ = 0;                  // deliver_unlocked calls in progress
  std::shared_ptr<event_sink> closed_waiting_; // close_now's sink, while they are

  // -- atomic, any thread ------------------------------------------------------------
  coalesced_post interest_update_;

  // -- engine thread only ---------------------------------------------------------------
  bool registered_ = false;
};

} // namespace pants
