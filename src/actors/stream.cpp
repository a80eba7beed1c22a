#include "pants/actors/stream.hpp"

#include "pants/actors/detail/actor_sink.hpp"
#include "pants/actors/detail/connection_list.hpp"
#include "pants/actors/detail/registry.hpp"
#include "pants/actors/detail/shared_self.hpp"
#include "pants/actors/detail/stream_actor.hpp"
#include "pants/actors/stream_server.hpp"
#include "pants/channels/address.hpp"
#include "pants/channels/chunk_pool.hpp"
#include "pants/channels/errors.hpp"
#include "pants/channels/socket_factory.hpp"
#include "pants/engine/engine.hpp"
#include "pants/engine/log.hpp"

#include <caf/actor_system.hpp>
#include <caf/atom.hpp>

#include <cerrno>
#include <fcntl.h>
#include <mutex>
#include <stdexcept>
#include <unistd.h>
#include <utility>

namespace pants {

namespace {

/// The host of "127.0.0.1:4000" or "[::1]:4000"; "" for a Unix path.
std::string host_of(const std::string& address) {
  if (address.empty() || address[0] == '/' || address[0] == '@')
    return "";
  if (address[0] == '[')
    return address.substr(1, address.find(']') - 1);
  return address.substr(0, address.rfind(':'));
}

} // namespace

// The read side's cycle is touched in the channel's actor only; the write
// side's also by `write` on any thread, so it is replaced under `mtx`, and
// looked at only while `write_on` is set.
struct stream::idle_watches {
  static constexpr std::size_t index(idle_kind k) noexcept { return k == idle_kind::read ? 0 : 1; }
  std::chrono::milliseconds after[2]{};
  timer cycle[2];
  std::mutex mtx;
  std::atomic<bool> write_on{false};
};

// -- construction -----------------------------------------------------------

stream::stream(pants::engine& eng) : channel_base(eng) {}
stream::stream() : stream(engine::instance()) {}
stream::~stream() { delete idle_.load(); }

std::shared_ptr<event_sink> stream::spawn_actor() {
  auto spawned = detail::spawn_channel_actor<detail::stream_actor>(
      env_, engine_, detail::shared_self(*this, "channel"), *this, env_.actors());
  actor_ = spawned.actor;
  env_.actors().add(actor_, engine_, weak_from_this());
  return std::move(spawned.sink);
}

void stream::connect(const std::string& host, long port) {
  auto p = endpoint::check_port(port);
  if (host.empty())
    throw address_error("pants: connect needs a host");
  if (socket_)
    throw state_error("pants: connect on a channel that is already connecting, open or closed");
  bool numeric = endpoint::is_numeric_host(host);
  std::vector<endpoint> targets;
  if (numeric)
    targets.push_back(endpoint::numeric(host, p));
  socket_.set(env_.sockets().make_stream(engine_, spawn_actor(), this));
  if (tls_before_connect_)
    socket_->start_tls(std::move(tls_before_connect_), host, {});
  if (connect_timeout_.count() > 0) // the name is made only for a timeout's message
    arm_connect_timeout(numeric ? targets.front().to_string() : host + ":" + std::to_string(p));
  if (numeric) {
    socket_->connect(std::move(targets));
    return;
  }
  auto sock = socket_.share();
  env_.sockets().resolve(host, p, [sock](std::vector<endpoint> found, std::string error) {
    if (found.empty()) {
      sock->fail_connect(net_error{0, error});
      return;
    }
    try {
      sock->connect(std::move(found));
    } catch (const state_error&) {
      // closed while resolving: close() already reported on_close
    }
  });
}

void stream::connect(long port) { connect("127.0.0.1", port); }

void stream::connect(const endpoint& where) {
  if (where.empty())
    throw address_error("pants: connect needs an address");
  if (socket_)
    throw state_error("pants: connect on a channel that is already connecting, open or closed");
  socket_.set(env_.sockets().make_stream(engine_, spawn_actor(), this));
  if (tls_before_connect_)
    socket_->start_tls(std::move(tls_before_connect_), host_of(where.to_string()), {});
  if (connect_timeout_.count() > 0)
    arm_connect_timeout(where.to_string());
  socket_->connect({where});
}

void stream::start_tls(const tls_options& options, std::string_view clear_first) {
  bool server_side = !server_.expired() || connections_.lock() != nullptr;
  start_tls(tls_context::make(server_side ? tls_role::server : tls_role::client, options),
            clear_first);
}

void stream::start_tls(std::shared_ptr<const tls_context> context, std::string_view clear_first) {
  if (!context)
    throw std::invalid_argument("pants: start_tls needs a context");
  if (!socket_) { // before connect: started with the socket
    if (tls_before_connect_)
      throw state_error("pants: TLS is already started on this channel");
    if (!clear_first.empty())
      throw state_error("pants: start_tls with bytes to send first needs a connected channel");
    tls_before_connect_ = std::move(context);
    return;
  }
  // After connect the name connected to is gone: options.host_name, else
  // the peer's address, is what a client checks.
  socket_->start_tls(std::move(context), host_of(socket_->remote_address()), clear_first);
}

void stream::set_connect_timeout(std::chrono::milliseconds timeout) {
  if (timeout.count() <= 0)
    throw std::invalid_argument("pants: a connect timeout must be positive, not " +
                                std::to_string(timeout.count()) + " ms");
  if (socket_)
    throw state_error("pants: set_connect_timeout after connect: it bounds later connects");
  connect_timeout_ = timeout;
}

void stream::arm_connect_timeout(const std::string& target) {
  // In the channel's actor, cancelled on close; after the connect
  // completed the socket ignores it (the engine thread decides).
  connect_timer_ =
      defer(connect_timeout_, [sock = socket_.share(), target, ms = connect_timeout_.count()] {
        sock->fail_connect(net_error{ETIMEDOUT, "connect to " + target + ": timed out after " +
                                                    std::to_string(ms) + " ms"});
      });
}

stream::idle_watches& stream::idle_checked() {
  auto* w = idle_.load(std::memory_order_acquire);
  if (w == nullptr) {
    w = new idle_watches;
    idle_.store(w, std::memory_order_release);
  }
  return *w;
}

std::chrono::milliseconds stream::idle_timeout(idle_kind kind) const noexcept {
  auto* w = idle_.load(std::memory_order_acquire);
  return w != nullptr ? w->after[idle_watches::index(kind)] : std::chrono::milliseconds{0};
}

void stream::set_idle_timeout(std::chrono::milliseconds timeout, idle_kind kind) {
  if (timeout.count() <= 0)
    throw std::invalid_argument("pants: an idle timeout must be positive, not " +
                                std::to_string(timeout.count()) + " ms");
  if (finished_ || closed())
    throw state_error("pants: set_idle_timeout on a closed channel");
  auto& w = idle_checked();
  auto& after = w.after[idle_watches::index(kind)];
  auto before = after;
  after = timeout;
  if (!connected_seen_)
    return; // counts from the connection's completion
  try {
    arm_idle(w, kind);
  } catch (...) {
    after = before;
    throw;
  }
}

void stream::clear_idle_timeout(idle_kind kind) {
  auto* w = idle_.load(std::memory_order_acquire);
  if (w == nullptr)
    return;
  auto i = idle_watches::index(kind);
  timer old;
  {
    std::lock_guard<std::mutex> guard(w->mtx);
    if (kind == idle_kind::write)
      w->write_on = false;
    old = std::exchange(w->cycle[i], timer());
  }
  w->after[i] = {};
  old.cancel();
}

void stream::arm_idle(idle_watches& w, idle_kind kind) {
  auto i = idle_watches::index(kind);
  // A cycle: while the channel stays quiet (and open), on_idle again each
  // period. Each read or write restarts it; it runs in the actor and is
  // cancelled when the channel closes.
  auto fresh = cycle(w.after[i], [this, kind] { on_idle(kind); });
  timer old;
  {
    std::lock_guard<std::mutex> guard(w.mtx);
    old = std::exchange(w.cycle[i], std::move(fresh));
    if (kind == idle_kind::write)
      w.write_on = true;
  }
  old.cancel();
}

void stream::wrote() {
  auto* w = idle_.load(std::memory_order_acquire);
  if (w == nullptr || !w->write_on.load(std::memory_order_relaxed))
    return;
  std::lock_guard<std::mutex> guard(w->mtx);
  if (auto& t = w->cycle[idle_watches::index(idle_kind::write)])
    t.restart();
}

void unix_client::connect(const std::string& path) { stream::connect(unix_path(path)); }

void stream::adopt(int fd, const std::shared_ptr<stream_server>& server,
                   const std::shared_ptr<detail::connection_list>& list) {
  server_ = server;
  connections_ = list;
  socket_.set(env_.sockets().adopt_stream(engine_, fd, spawn_actor(), this));
  if (auto context = server ? server->tls_server_context() : nullptr)
    socket_->start_tls(std::move(context), "", {});
  socket_->start(); // only now: the first event may reach a handler that reads socket_
}

// -- operations ---------------------------------------------------------------

stream_io* stream::socket_checked() const {
  if (!socket_)
    throw state_error("pants: the channel is not connected");
  return socket_.get();
}

void stream::write(std::string_view data) {
  if (socket_checked()->write(data))
    report_drain(); // everything went out at once
  wrote();
}

void stream::write_framed(std::string_view data, const length_prefix& p) {
  auto frame = p.encode(data.size()); // throws before anything is queued
  frame.append(data);
  write(frame);
}

void stream::write_framed(std::string_view data) {
  if (framer_.delimiter().type() != read_delimiter::kind::length)
    throw std::logic_error("pants: write_framed(data) needs a length-prefix read delimiter; "
                           "pass the layout: write_framed(data, length_prefix{...})");
  write_framed(data, framer_.delimiter().prefix());
}

const binary_layout& stream::own_layout() const {
  if (framer_.delimiter().type() != read_delimiter::kind::layout)
    throw std::logic_error("pants: write_packed(values...) needs a binary-layout read delimiter; "
                           "pass the layout: write_packed(binary_layout(\"...\"), values...)");
  return framer_.delimiter().layout();
}

void stream::write_file(const std::string& path, off_t offset, std::size_t nbytes) {
  auto sock = socket_checked();
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0)
    throw std::invalid_argument("pants: write_file cannot open '" + path + "'");
  try {
    sock->write_file(fd, offset, nbytes);
  } catch (...) {
    ::close(fd);
    throw;
  }
  ::close(fd);
  wrote();
}

void stream::write_file(int fd, off_t offset, std::size_t nbytes) {
  socket_checked()->write_file(fd, offset, nbytes);
  wrote();
}

void stream::end() {
  if (socket_)
    socket_->end();
}

void stream::shutdown_write() {
  if (socket_)
    socket_->shutdown_write();
}

void stream::close() {
  if (socket_)
    socket_->close();
}

std::size_t stream::bytes_queued() const noexcept { return socket_ ? socket_->bytes_queued() : 0; }

void stream::set_write_marks(std::size_t high, std::size_t low) {
  if (low == 0 || low > high)
    throw std::invalid_argument("pants: write marks need 0 < low <= high");
  socket_checked()->set_write_marks(high, low);
}

bool stream::connected() const noexcept { return socket_ && socket_->writable(); }

bool stream::closed() const noexcept { return socket_ && socket_->is_closed(); }

std::string stream::local_address() const { return socket_ ? socket_->local_address() : ""; }
std::string stream::remote_address() const { return socket_ ? socket_->remote_address() : ""; }
tls_negotiated stream::tls_info() const { return socket_ ? socket_->tls_info() : tls_negotiated{}; }
void stream::drain_seen() noexcept { socket_->drain_seen(); }

void stream::read_delimiter(pants::read_delimiter d) {
  framer_.delimiter(std::move(d));
  // Outside on_read, complete frames already buffered are delivered by a
  // message to ourselves, so the change still applies to buffered data.
  if (!in_feed_ && framer_.buffered() > 0 && !reframe_pending_ && actor_) {
    reframe_pending_ = true;
    caf::anon_send(actor_, detail::reframe_atom::value);
  }
}

// -- default callbacks ----------------------------------------------------------

void stream::on_overflow_error(const net_error&) { close(); }

void stream::on_idle(idle_kind) { close(); }

void stream::on_tls_error(const net_error& e) { log_error("TLS error", e); }

void stream::on_read_error(const net_error& e) { log_error("read error", e); }

void stream::on_write_error(const net_error& e) { log_error("write error", e); }

// A reset or a broken pipe is how a peer often leaves: not worth a line.
// Other errors print at most one line a second per server (its connections
// share the limit, since each one fails once), counting the rest; a
// client's other errors always print.
void stream::log_error(const char* what, const net_error& e) {
  bool ordinary = e.code == ECONNRESET || e.code == EPIPE;
  std::string more;
  auto srv = server_.lock();
  if (srv ? !srv->connection_errors_.admit(engine().clock().now(), ordinary, more) : ordinary)
    return;
  log(log_level::warning, std::string(what) + " on " + remote_address() + ": " + e.message + more);
}

// -- actor side ---------------------------------------------------------------

void stream::receive_connected() {
  run_handler([this] { handle_connected(); });
}

void stream::receive_connect_failed(const net_error& e) {
  run_handler([&] { guarded([&] { on_connect_error(e); }); });
}

void stream::receive_chunk(chunk_msg& m) {
  run_handler([&] { handle_chunk(m); });
}

void stream::receive_eof() {
  run_handler([this] { handle_eof(); });
}

void stream::receive_tls_handshake() {
  run_handler([this] { guarded([this] { on_tls_handshake(); }); });
}

void stream::receive_tls_error(const net_error& e) {
  run_handler([&] { guarded([&] { on_tls_error(e); }); });
}

void stream::handle_connected() {
  connect_timer_.cancel();
  if (finished_)
    return;
  connected_seen_ = true;
  if (auto* w = idle_.load(std::memory_order_acquire))
    guarded([this, w] {
      for (auto k : {idle_kind::read, idle_kind::write})
        if (w->after[idle_watches::index(k)].count() > 0)
          arm_idle(*w, k);
    });
  guarded([this] { on_connect(); });
}

bool stream::deliver_frames(std::string&& bytes) {
  in_feed_ = true;
  bool fits = framer_.feed(std::move(bytes), [this](std::string_view frame) {
    guarded([&] { on_read(frame); });
    return socket_->reading(); // stop after close() or end() from on_read
  });
  in_feed_ = false;
  return fits;
}

void stream::deliver_final_frames() {
  in_feed_ = true;
  framer_.finish([this](std::string_view frame) {
    guarded([&] { on_read(frame); });
    return socket_->reading();
  });
  in_feed_ = false;
}

void stream::handle_chunk(chunk_msg& m) {
  auto n = m.bytes.size();
  if (auto* w = idle_.load(std::memory_order_relaxed))
    if (auto& t = w->cycle[idle_watches::index(idle_kind::read)])
      t.restart(); // heard from the peer: a heap update, no allocation
  if (!finished_ && socket_->reading() && !deliver_frames(std::move(m.bytes)))
    guarded([this] { on_overflow_error(net_error{ENOBUFS, framer_.overflow_reason()}); });
  socket_->consumed(n);
  chunk_pool::give(std::move(m.bytes)); // framed (or copied into the framer): reuse its buffer
}

void stream::reframe() {
  reframe_pending_ = false;
  if (!finished_ && socket_->reading() && framer_.buffered() > 0 && !deliver_frames(std::string()))
    guarded([this] { on_overflow_error(net_error{ENOBUFS, framer_.overflow_reason()}); });
}

void stream::handle_eof() {
  // Complete frames were delivered as they arrived (but a pattern's match
  // the end completes); an unterminated tail is discarded, as in Pants.
  // Queued output is flushed before the close.
  if (!finished_ && socket_->reading())
    deliver_final_frames();
  framer_.clear();
  socket_->end();
}

void stream::handle_closed() {
  if (finished_)
    return;
  finish();
  framer_.clear();
  // Leave the server's list first: once on_close runs (and after), the
  // server no longer lists this channel.
  if (auto list = connections_.lock())
    list->remove(this);
  guarded([this] { on_close(); });
}

} // namespace pants
