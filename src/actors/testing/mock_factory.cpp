#include "pants/actors/testing/mock_factory.hpp"

#include "pants/channels/errors.hpp"
#include "pants/engine/engine.hpp"

#include <utility>

namespace pants::testing::detail {

std::shared_ptr<stream_io> mock_factory::make_stream(engine&, std::shared_ptr<event_sink> sink,
                                                     const void* owner) {
  auto s = std::make_shared<fake_stream>(std::move(sink), owner, engine_);
  s->local_ = endpoint::numeric("127.0.0.1", next_port_++);
  s->fail_connect_with = std::exchange(fail_next_connect, 0);
  streams_[owner] = s;
  return s;
}

std::shared_ptr<stream_io>
mock_factory::adopt_stream(engine&, int fd, std::shared_ptr<event_sink> sink, const void* owner) {
  auto i = accepted_.find(fd);
  if (i == accepted_.end())
    throw std::invalid_argument("pants::testing: adopt of a descriptor the mock did not accept");
  auto s = std::move(i->second);
  accepted_.erase(i);
  s->adopted(std::move(sink), owner);
  streams_[owner] = s;
  return s;
}

void mock_factory::discard_accepted(int fd) noexcept {
  auto i = accepted_.find(fd);
  if (i == accepted_.end())
    return;
  i->second->reset_seen = true;
  i->second->close_now();
  accepted_.erase(i);
}

std::shared_ptr<listener_io> mock_factory::listen(engine&, const endpoint& where, int backlog,
                                                  std::shared_ptr<event_sink> sink,
                                                  const void* owner) {
  if (backlog < 1)
    throw std::invalid_argument("pants: listen needs a backlog of at least 1");
  if (int err = std::exchange(fail_next_listen, 0))
    throw os_error(err, "pants: cannot listen on " + where.to_string());
  auto local = where.port() == 0 ? with_port(where, next_port_++) : where;
  auto l = std::make_shared<fake_listener>(std::move(sink), local);
  listeners_[owner] = l;
  l->sink()->deliver(listening_msg{});
  return l;
}

// As the real listener: a failed accept never reaches the server; with
// EMFILE/ENFILE the real one accepts with its spare descriptor and closes
// at once, so the client sees a reset; the mock does the same for any code.
std::shared_ptr<fake_stream> mock_factory::accept(fake_listener& l, const endpoint& from) {
  if (l.is_closed())
    throw state_error("pants::testing: accept on a listener that is closed");
  auto s = std::make_shared<fake_stream>(nullptr, nullptr, engine_);
  s->local_ = l.local();
  s->connect({l.local()});
  s->complete_connect(0); // open, as an accepted socket is; no sink yet: nothing reported
  s->remote_ = from;
  if (std::exchange(l.fail_next_accept, 0) != 0) {
    s->reset_seen = true;
    s->close_now();
    return s;
  }
  int fd = next_fd_++;
  accepted_[fd] = s;
  ++l.accepted;
  l.offer(accepted_msg{fd, from.to_string()});
  return s;
}

std::shared_ptr<datagram_io> mock_factory::make_datagram(engine&, std::shared_ptr<event_sink> sink,
                                                         const void* owner) {
  auto d = std::make_shared<fake_datagram>(std::move(sink), owner, &fail_next_bind);
  datagrams_[owner] = d;
  return d;
}

void mock_factory::resolve(std::string host, std::uint16_t port, resolve_callback done) {
  std::vector<endpoint> found;
  std::string error;
  auto i = names.find(host);
  if (i != names.end())
    for (auto& address : i->second)
      found.push_back(endpoint::numeric(address, port));
  if (found.empty())
    error = "pants::testing: the mock has no address for '" + host + "'";
  engine_.post([done = std::move(done), found = std::move(found), error = std::move(error)] {
    done(found, error);
  });
}

std::shared_ptr<fake_stream> mock_factory::stream_of(const void* owner) const {
  return find(streams_, owner);
}
std::shared_ptr<fake_listener> mock_factory::listener_of(const void* owner) const {
  return find(listeners_, owner);
}
std::shared_ptr<fake_datagram> mock_factory::datagram_of(const void* owner) const {
  return find(datagrams_, owner);
}

} // namespace pants::testing::detail
