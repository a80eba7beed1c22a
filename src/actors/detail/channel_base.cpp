#include "pants/actors/detail/channel_base.hpp"

#include "pants/channels/errors.hpp"
#include "pants/channels/messages.hpp"
#include "pants/engine/engine.hpp"
#include "pants/engine/log.hpp"

#include <caf/behavior.hpp>
#include <caf/message_view.hpp>
#include <caf/result.hpp>
#include <caf/send.hpp>

namespace pants::detail {

channel_base::~channel_base() = default;

void channel_base::on_error(const std::exception& e) {
  log(log_level::error, std::string("a channel handler threw: ") + e.what());
}

// on_error is user code too: it must not take the actor down either.
void channel_base::report(const std::exception& e) noexcept {
  try {
    on_error(e);
  } catch (...) {
    log(log_level::error, std::string("on_error threw while handling: ") + e.what());
  }
}

void channel_base::report_drain() {
  if (!drains_.report())
    caf::anon_send(actor_, drained_msg{});
}

void channel_base::handle_drained() {
  drain_seen();
  if (!finished_)
    guarded([this] { on_write(); });
}

caf::result<caf::message> channel_base::handle_other(caf::behavior& user, caf::message_view& view) {
  auto msg = view.move_content_to_message();
  caf::optional<caf::message> reply;
  run_handler([&] { guarded([&] { reply = user(msg); }); });
  if (reply)
    return std::move(*reply);
  return caf::sec::unexpected_message;
}

void channel_base::finish() {
  finished_ = true;
  timers_.cancel_all();
}

const caf::actor& channel_base::actor_checked() const {
  if (!actor_)
    throw state_error("pants: channel timers need a channel that has started");
  return actor_;
}

void channel_base::handle_timer(channel_timer_msg& m) {
  if (m.pending)
    *m.pending = false; // the engine may queue the next loop run
  if (finished_)
    return;
  auto on_error = [this](const std::exception& e) { report(e); };
  if (m.record)
    m.record->run(on_error);
  else
    timers_.run_due(m, on_error);
}

// -- the actor's shared rows ----------------------------------------------------

void channel_base::receive_drained() {
  run_handler([this] { handle_drained(); });
}

void channel_base::receive_error(bool reading, const net_error& e) {
  run_handler([&] {
    guarded([&] {
      if (reading)
        on_read_error(e);
      else
        on_write_error(e);
    });
  });
}

void channel_base::receive_reframe() {
  run_handler([this] { reframe(); });
}

void channel_base::receive_timer(channel_timer_msg& m) {
  run_handler([&] { handle_timer(m); });
}

void channel_base::receive_closed() {
  run_handler([this] { handle_closed(); });
}

bool channel_base::has_behavior() noexcept { return user_behavior() != nullptr; }

caf::result<caf::message> channel_base::receive_other(caf::message_view& view) {
  return handle_other(*user_behavior(), view);
}

} // namespace pants::detail
