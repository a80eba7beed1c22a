#include "pants/actors/stream_server.hpp"

#include "pants/actors/detail/actor_sink.hpp"
#include "pants/actors/detail/registry.hpp"
#include "pants/channels/address.hpp"
#include "pants/channels/errors.hpp"
#include "pants/channels/socket_factory.hpp"
#include "pants/engine/engine.hpp"

#include <caf/actor_system.hpp>
#include <caf/event_based_actor.hpp>

#include <cstdio>

namespace pants {

/// The actor that runs one server's callbacks.
class server_actor : public caf::event_based_actor {
public:
  server_actor(caf::actor_config& cfg, std::shared_ptr<stream_server> srv)
      : caf::event_based_actor(cfg), server_(std::move(srv)) {}

  caf::behavior make_behavior() override {
    auto* srv = server_.get();
    return {
        [srv](listening_msg) { srv->handle_listening(); },
        [srv](accepted_msg& m) { srv->handle_accepted(m); },
        [this, srv](closed_msg) {
          srv->handle_closed();
          srv->env_.actors().remove(id());
          quit();
        },
    };
  }

  void on_exit() override { server_.reset(); }

private:
  std::shared_ptr<stream_server> server_;
};

stream_server::stream_server(factory make_channel, pants::engine& eng)
    : engine_(eng), env_(detail::environment::of(eng)), make_channel_(std::move(make_channel)) {
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
  auto self = shared_from_this();
  auto a = env_.system().spawn<server_actor>(self);
  try {
    listener_ = env_.sockets().listen(
        engine_, where, backlog, std::make_shared<detail::actor_sink>(a, env_.sockets()), this);
  } catch (...) {
    caf::anon_send_exit(a, caf::exit_reason::user_shutdown);
    throw;
  }
  actor_ = a;
  env_.actors().add(a);
  port_ = listener_->local().port();
}

std::string stream_server::local_address() const {
  std::lock_guard<std::mutex> guard(mtx_);
  return listener_ ? listener_->local().to_string() : std::string();
}

bool stream_server::listening() const noexcept {
  std::lock_guard<std::mutex> guard(mtx_);
  return listener_ && !listener_->closed();
}

void stream_server::close() {
  std::shared_ptr<listener_io> listener;
  std::vector<std::shared_ptr<stream>> open;
  {
    std::lock_guard<std::mutex> guard(mtx_);
    if (closed_)
      return;
    closed_ = true;
    listener = listener_;
    for (auto& [key, channel] : channels_)
      open.push_back(channel);
  }
  if (listener)
    listener->close();
  for (auto& channel : open)
    channel->close();
}

std::vector<std::shared_ptr<stream>> stream_server::channels() const {
  std::lock_guard<std::mutex> guard(mtx_);
  std::vector<std::shared_ptr<stream>> out;
  out.reserve(channels_.size());
  for (auto& [key, channel] : channels_)
    out.push_back(channel);
  return out;
}

std::shared_ptr<stream> stream_server::adopt(int fd) {
  auto channel = make_channel_();
  if (!channel) {
    env_.sockets().discard_accepted(fd);
    throw std::logic_error("pants: the server's channel factory returned null");
  }
  std::lock_guard<std::mutex> guard(mtx_);
  if (closed_) {
    env_.sockets().discard_accepted(fd);
    return nullptr;
  }
  // Under the lock: channels() never hands out a channel still being set up.
  channel->adopt(fd, shared_from_this());
  channels_.emplace(channel.get(), channel);
  return channel;
}

void stream_server::forget(const stream* channel) {
  std::shared_ptr<stream> dropped;
  std::lock_guard<std::mutex> guard(mtx_);
  auto i = channels_.find(channel);
  if (i != channels_.end()) {
    dropped = std::move(i->second);
    channels_.erase(i);
  }
}

void stream_server::on_accept(int fd, const std::string&) { adopt(fd); }

void stream_server::on_error(const std::exception& e) {
  std::fprintf(stderr, "pants: a server handler threw: %s\n", e.what());
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

void stream_server::handle_listening() {
  guarded([this] { on_listen(); });
}

void stream_server::handle_accepted(accepted_msg& m) {
  int fd = m.fd;
  guarded([&] { on_accept(fd, m.peer); });
}

void stream_server::handle_closed() {
  guarded([this] { on_close(); });
}

} // namespace pants
