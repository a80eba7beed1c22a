#include "pants/actors/stream_server.hpp"

#include "pants/actors/detail/actor_sink.hpp"
#include "pants/actors/detail/connection_list.hpp"
#include "pants/actors/detail/registry.hpp"
#include "pants/actors/detail/server_actor.hpp"
#include "pants/actors/detail/shared_self.hpp"
#include "pants/channels/address.hpp"
#include "pants/channels/errors.hpp"
#include "pants/channels/socket_factory.hpp"
#include "pants/engine/engine.hpp"
#include "pants/engine/log.hpp"

#include <caf/actor_system.hpp>

namespace pants {

stream_server::stream_server(factory make_channel, pants::engine& eng)
    : engine_(eng), env_(detail::environment::of(eng)), make_channel_(std::move(make_channel)),
      connections_(std::make_shared<detail::connection_list>()) {
  if (!make_channel_)
    throw std::invalid_argument("pants: a server needs a channel factory");
}

stream_server::stream_server(factory make_channel)
    : stream_server(std::move(make_channel), engine::instance()) {}

stream_server::~stream_server() = default;

void stream_server::listen(long port, int backlog) { listen_on(endpoint::any(port), backlog); }

void stream_server::listen(const std::string& host, long port, int backlog) {
  listen_on(endpoint::numeric(host, port), backlog);
}

void stream_server::listen(const endpoint& where, int backlog) {
  if (where.empty())
    throw address_error("pants: listen needs an address");
  listen_on(where, backlog);
}

void unix_server::listen(const std::string& path, int backlog) {
  stream_server::listen(unix_path(path), backlog);
}

void unix_server::listen(const endpoint& where, int backlog) {
  stream_server::listen(where, backlog);
}

void stream_server::listen_on(const endpoint& where, int backlog) {
  std::lock_guard<std::mutex> guard(mtx_);
  if (listener_ || closed_)
    throw state_error("pants: listen on a server that is already listening or closed");
  auto self = detail::shared_self(*this, "server");
  auto spawned =
      detail::spawn_channel_actor<detail::server_actor>(env_, engine_, self, env_.actors());
  auto a = spawned.actor;
  try {
    listener_ = env_.sockets().listen(engine_, where, backlog, std::move(spawned.sink), this);
  } catch (...) {
    caf::anon_send_exit(a, caf::exit_reason::user_shutdown);
    throw;
  }
  actor_ = a;
  env_.actors().add(a, engine_, weak_from_this());
  port_ = listener_->local().port();
  if (auto max = max_connections_.load())
    listener_->limit(max);
  // Each accepted connection gives its slot back when it leaves the list.
  connections_->on_leave([l = std::weak_ptr<listener_io>(listener_)] {
    if (auto listener = l.lock())
      listener->release();
  });
}

void stream_server::set_max_connections(std::size_t max) {
  if (max == 0)
    throw std::invalid_argument("pants: max_connections must be at least 1");
  std::lock_guard<std::mutex> guard(mtx_);
  max_connections_ = max;
  if (listener_)
    listener_->limit(max);
}

std::string stream_server::local_address() const {
  std::lock_guard<std::mutex> guard(mtx_);
  return listener_ ? listener_->local().to_string() : std::string();
}

bool stream_server::listening() const noexcept {
  std::lock_guard<std::mutex> guard(mtx_);
  return listener_ && !listener_->is_closed();
}

void stream_server::close() { shut(false); }

void stream_server::end() { shut(true); }

void stream_server::shut(bool graceful) {
  std::shared_ptr<listener_io> listener;
  {
    std::lock_guard<std::mutex> guard(mtx_);
    if (closed_)
      return;
    closed_ = true;
    listener = listener_;
  }
  // A connection accepted meanwhile is either in this list or refused.
  auto open = connections_->close();
  if (listener)
    listener->close();
  for (auto& channel : open)
    if (graceful)
      channel->end();
    else
      channel->close();
}

void stream_server::tls(const tls_options& options) {
  auto context = tls_context::make(tls_role::server, options); // throws before any change
  std::lock_guard<std::mutex> guard(mtx_);
  tls_ = std::move(context);
}

std::shared_ptr<const tls_context> stream_server::tls_server_context() const {
  std::lock_guard<std::mutex> guard(mtx_);
  return tls_;
}

std::vector<std::shared_ptr<stream>> stream_server::channels() const {
  return connections_->snapshot();
}

std::size_t stream_server::broadcast(std::string_view data, const stream* except) {
  std::size_t written = 0;
  for (auto& c : channels()) {
    if (c.get() == except || !c->connected())
      continue;
    try {
      c->write(data);
      ++written;
    } catch (const state_error&) {
      // It began closing since connected() was read: skipped like the others.
    }
  }
  return written;
}

std::shared_ptr<stream> stream_server::adopt(int fd) {
  auto channel = make_channel_();
  if (!channel) {
    env_.sockets().discard_accepted(fd);
    throw std::logic_error("pants: the server's channel factory returned null");
  }
  if (&channel->engine() != &engine_) {
    env_.sockets().discard_accepted(fd);
    throw std::logic_error(
        "pants: the server's channel factory made a channel on another engine than the "
        "server's; pass the server's engine to the channel (in a mock test: mock.engine())");
  }
  detail::accepted_stream& accepted = *channel;
  auto self = shared_from_this();
  if (!connections_->add(channel, [&] { accepted.adopt(fd, self, connections_); })) {
    env_.sockets().discard_accepted(fd); // closed
    return nullptr;
  }
  adopted_ = true; // its slot comes back when it leaves the list
  return channel;
}

void stream_server::on_accept(int fd, const std::string&) { adopt(fd); }

void stream_server::on_error(const std::exception& e) {
  log(log_level::error, std::string("a server handler threw: ") + e.what());
}

template <class F> void stream_server::guarded(F&& f) {
  try {
    f();
  } catch (const std::exception& e) {
    on_error(e);
  } catch (...) {
    on_error(std::runtime_error("an exception not derived from std::exception"));
  }
}

void stream_server::receive_listening() {
  guarded([this] { on_listen(); });
}

void stream_server::receive_accepted(accepted_msg& m) {
  int fd = m.fd;
  adopted_ = false;
  guarded([&] { on_accept(fd, m.peer); });
  if (!adopted_) { // refused or dropped by on_accept: its slot is free again
    std::shared_ptr<listener_io> listener;
    {
      std::lock_guard<std::mutex> guard(mtx_);
      listener = listener_;
    }
    if (listener)
      listener->release();
  }
}

void stream_server::receive_closed() {
  guarded([this] { on_close(); });
}

} // namespace pants
