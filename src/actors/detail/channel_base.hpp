#pragma once

#include "pants/actors/detail/channel_timers.hpp"
#include "pants/actors/detail/environment.hpp"
#include "pants/actors/detail/handlers.hpp"
#include "pants/channels/drain_latch.hpp"
#include "pants/engine/timer.hpp"

#include <caf/actor.hpp>
#include <caf/fwd.hpp>

#include <chrono>
#include <exception>
#include <functional>
#include <stdexcept>
#include <type_traits>
#include <utility>

namespace pants {
class engine;
} // namespace pants

namespace pants::detail {

/// What every channel class (`stream`, `datagram`) shares: its engine, its
/// actor, its timers, and how its callbacks run: an exception escaping a
/// callback goes to `on_error`, and `on_write` for a drain caused by the
/// channel's own write runs after the callback that wrote returns.
/// Members are safe from any thread unless noted. Its actor reaches it
/// only through `channel_handlers` (the shared rows) and the kind's own
/// interface (see handlers.hpp).
class channel_base : public channel_handlers {
public:
  channel_base(const channel_base&) = delete;
  channel_base& operator=(const channel_base&) = delete;

  /// The engine this channel runs on; not owned (it must outlive the
  /// channel). Named after Pants' `channel.engine`.
  pants::engine& engine() const noexcept { return engine_; }

  /// The channel's actor; invalid before the channel starts (connect,
  /// accept, listen, a datagram's first write). Other actors may send it
  /// their own messages (handled by an actor-style behaviour).
  caf::actor actor() const { return actor_; }

  // -- timers --------------------------------------------------------------------
  //
  // The channel's own callback/loop/defer/cycle: like the engine's, but `f`
  // runs inside this channel's actor (so it may touch the channel's state,
  // and never runs concurrently with its callbacks), and every timer is
  // cancelled when the channel closes. An exception from `f` goes to
  // `on_error`. Throw state_error before the channel starts and after it
  // closed, std::invalid_argument for a delay or interval <= 0.

  template <class F, class... Args> timer callback(F&& f, Args&&... args) {
    return timers_.add_callback(actor_checked(),
                                bind_timer(std::forward<F>(f), std::forward<Args>(args)...));
  }
  template <class F, class... Args> timer loop(F&& f, Args&&... args) {
    return timers_.add_loop(engine_, actor_checked(),
                            bind_timer(std::forward<F>(f), std::forward<Args>(args)...));
  }
  template <class Rep, class Period, class F, class... Args>
  timer defer(std::chrono::duration<Rep, Period> delay, F&& f, Args&&... args) {
    auto d = checked_delay(delay, "defer delay");
    return timers_.add_timed(engine_, actor_checked(), d, {},
                             bind_timer(std::forward<F>(f), std::forward<Args>(args)...));
  }
  template <class Rep, class Period, class F, class... Args>
  timer cycle(std::chrono::duration<Rep, Period> interval, F&& f, Args&&... args) {
    auto d = checked_delay(interval, "cycle interval");
    return timers_.add_timed(engine_, actor_checked(), d, d,
                             bind_timer(std::forward<F>(f), std::forward<Args>(args)...));
  }
  /// A bare number as a delay: a compile error that says to use a duration.
  template <class D, class F, class... Args, class = std::enable_if_t<std::is_arithmetic_v<D>>>
  timer defer(D, F&&, Args&&...) {
    require_duration<D>();
    return {};
  }
  template <class D, class F, class... Args, class = std::enable_if_t<std::is_arithmetic_v<D>>>
  timer cycle(D, F&&, Args&&...) {
    require_duration<D>();
    return {};
  }

protected:
  explicit channel_base(pants::engine& eng) : engine_(eng), env_(environment::of(eng)) {}
  virtual ~channel_base();

  /// The write queue became empty after holding data. Runs in the actor.
  virtual void on_write() {}
  /// An exception escaped a callback; the channel goes on. Default: log.
  virtual void on_error(const std::exception& e);
  /// The socket reported a read error; each kind says what follows.
  virtual void on_read_error(const net_error& e) = 0;
  /// A write failed; each kind says what follows.
  virtual void on_write_error(const net_error& e) = 0;

  // -- what each kind does for a shared message (in the actor) -------------------

  /// Re-cuts the buffered bytes after a read delimiter change.
  virtual void reframe() = 0;
  /// The socket closed: `on_close` once, then nothing more is delivered.
  virtual void handle_closed() = 0;

  // -- for the channel classes (in the actor) ------------------------------------

  /// Runs `f`; an exception escaping it goes to `on_error` (and one
  /// escaping `on_error` is logged): the actor never dies of user code.
  template <class F> void guarded(F&& f) {
    try {
      f();
    } catch (const std::exception& e) {
      report(e);
    } catch (...) {
      report(std::runtime_error("an exception not derived from std::exception"));
    }
  }

  /// Runs one message's handler with this channel marked as running on
  /// this thread, then `on_write` once per drain its own writes caused
  /// (the drain protocol: channels/drain_latch.hpp).
  template <class F> void run_handler(F&& f) {
    handler_drains::scope scope(drains_);
    f();
    while (drains_.take()) {
      drain_seen();
      if (!finished_)
        guarded([this] { on_write(); });
    }
  }

  /// A write went out at once: `on_write` is due, after the running
  /// handler if it is this channel's, else by a message. Any thread.
  void report_drain();
  /// Tells the socket its drain was handled, so it may report the next.
  virtual void drain_seen() noexcept = 0;
  /// A `drained_msg` arrived.
  void handle_drained();
  /// A channel timer is due.
  void handle_timer(channel_timer_msg& m);
  /// A message the channel's own table does not know: runs the user's
  /// actor-style behaviour on it, as a handler. Returns its reply, or
  /// `caf::sec::unexpected_message` when the behaviour does not match.
  caf::result<caf::message> handle_other(caf::behavior& user, caf::message_view& view);
  /// The channel closed: cancels every timer; later callbacks are skipped.
  void finish();
  /// The actor, or state_error when the channel has not started.
  const caf::actor& actor_checked() const;

  pants::engine& engine_;
  /// Sockets, CAF system and registry of channels on `engine_`.
  environment env_;
  caf::actor actor_;
  channel_timers timers_;
  bool finished_ = false;

private:
  // -- channel_handlers: the actor's shared rows, each run as a handler ---------
  void receive_drained() override;
  void receive_error(bool reading, const net_error& e) override;
  void receive_reframe() override;
  void receive_timer(channel_timer_msg& m) override;
  void receive_closed() override;
  bool has_behavior() noexcept override;
  caf::result<caf::message> receive_other(caf::message_view& view) override;

  /// The actor-style behaviour that also handles the actor's other
  /// messages, if any (behavior_stream, behavior_datagram).
  virtual caf::behavior* user_behavior() noexcept { return nullptr; }

  void report(const std::exception& e) noexcept;

  /// Drains this channel's own handler caused (in the actor).
  handler_drains drains_;
};

} // namespace pants::detail
