#include "pants/actors/datagram.hpp"

#include "pants/actors/detail/actor_sink.hpp"
#include "pants/actors/detail/datagram_actor.hpp"
#include "pants/actors/detail/registry.hpp"
#include "pants/actors/detail/shared_self.hpp"
#include "pants/channels/address.hpp"
#include "pants/channels/errors.hpp"
#include "pants/channels/socket_factory.hpp"
#include "pants/engine/engine.hpp"
#include "pants/engine/log.hpp"

#include <caf/actor_system.hpp>
#include <caf/atom.hpp>

#include <cerrno>

namespace pants {

// -- construction -----------------------------------------------------------

datagram::datagram(pants::engine& eng) : channel_base(eng) {}
datagram::datagram() : datagram(engine::instance()) {}
datagram::~datagram() = default;

// The actor and the socket, made once by whichever call comes first
// (listen, write, end, close), from any thread.
void datagram::start() {
  std::call_once(started_, [this] {
    auto spawned = detail::spawn_channel_actor<detail::datagram_actor>(
        env_, engine_, detail::shared_self(*this, "channel"), *this, env_.actors());
    actor_ = spawned.actor;
    env_.actors().add(actor_, engine_, weak_from_this());
    socket_.set(env_.sockets().make_datagram(engine_, std::move(spawned.sink), this));
  });
}

void datagram::listen(long port) { listen(endpoint::any(port)); }

void datagram::listen(const std::string& host, long port) { listen(endpoint::numeric(host, port)); }

void datagram::listen(const endpoint& where) {
  if (where.empty())
    throw address_error("pants: listen needs an address");
  start();
  socket()->bind(where);
}

// -- operations ---------------------------------------------------------------

void datagram::write(std::string_view data, const endpoint& to) {
  start();
  if (socket()->write(data, to))
    report_drain(); // it went out at once
}

void datagram::write(std::string_view data, const std::string& host, long port) {
  write(data, endpoint::numeric(host, port));
}

void datagram::end() {
  start();
  socket()->end();
}

void datagram::close() {
  start();
  socket()->close();
}

std::size_t datagram::bytes_queued() const noexcept {
  auto s = socket();
  return s ? s->bytes_queued() : 0;
}

bool datagram::closed() const noexcept {
  auto s = socket();
  return s && s->is_closed();
}

std::string datagram::local_address() const {
  auto s = socket();
  return s ? s->local().to_string() : std::string();
}

std::uint16_t datagram::port() const {
  auto s = socket();
  return s ? s->local().port() : 0;
}

void datagram::read_delimiter(pants::read_delimiter d) {
  framers_.delimiter(std::move(d));
  // Other senders' buffered data may hold complete frames now: they are
  // delivered by a message to ourselves (inside on_read, the sender being
  // read is re-cut at once by its own feed).
  if (framers_.senders() > 0 && !reframe_pending_ && actor_) {
    reframe_pending_ = true;
    caf::anon_send(actor_, detail::reframe_atom::value);
  }
}

void datagram::drain_seen() noexcept { socket_->drain_seen(); }

// -- default callbacks ----------------------------------------------------------

void datagram::on_overflow_error(const net_error& e, const endpoint& from) {
  log_error("sender " + from.to_string() + " overflowed", e);
}

void datagram::on_read_error(const net_error& e) { log_error("read error", e); }

void datagram::on_write_error(const net_error& e) { log_error("write error", e); }

// Peers decide how often a datagram channel's errors happen (oversized or
// refused datagrams, senders overflowing), and the channel goes on: the
// default handlers log at most one line a second, counting the rest.
void datagram::log_error(const std::string& what, const net_error& e) {
  std::string more;
  if (!errors_.admit(engine().clock().now(), false, more))
    return;
  log(log_level::warning, what + " on datagram " + local_address() + ": " + e.message + more);
}

// -- actor side ---------------------------------------------------------------

void datagram::receive_listening() {
  run_handler([this] {
    if (!finished_)
      guarded([this] { on_listen(); });
  });
}

void datagram::receive_packet(packet_msg& m) {
  run_handler([&] { handle_packet(m); });
}

void datagram::overflowed(const endpoint& from) {
  guarded([&] {
    on_overflow_error(net_error{ENOBUFS, "a sender's frames overflowed (" +
                                             framers_.overflow_reason() +
                                             "); its buffered bytes were dropped"},
                      from);
  });
}

void datagram::handle_packet(packet_msg& m) {
  auto n = m.bytes.size();
  if (!finished_ && socket_->reading()) {
    bool fits = framers_.feed(std::move(m.bytes), m.from, [&](std::string_view frame) {
      guarded([&] { on_read(frame, m.from); });
      return socket_->reading(); // stop after close() or end() from on_read
    });
    if (!fits)
      overflowed(m.from);
  }
  socket_->consumed(n);
}

void datagram::reframe() {
  reframe_pending_ = false;
  if (finished_ || !socket_->reading())
    return;
  framers_.reframe(
      [this](std::string_view frame, const endpoint& from) {
        guarded([&] { on_read(frame, from); });
        return socket_->reading();
      },
      [this](const endpoint& from) { overflowed(from); });
}

void datagram::handle_closed() {
  if (finished_)
    return;
  finish();
  framers_.clear();
  guarded([this] { on_close(); });
}

} // namespace pants
