#include "pants/channels/socket_factory.hpp"

#include "pants/channels/datagram_socket.hpp"
#include "pants/channels/resolver.hpp"
#include "pants/channels/stream_listener.hpp"
#include "pants/channels/stream_socket.hpp"

#include <unistd.h>

namespace pants {

namespace {

/// The real sockets and the process-wide resolver.
class real_socket_factory final : public socket_factory {
public:
  std::shared_ptr<stream_io> make_stream(engine& eng, std::shared_ptr<event_sink> sink,
                                         const void*) override {
    return stream_socket::make(eng, std::move(sink));
  }
  std::shared_ptr<stream_io> adopt_stream(engine& eng, int fd, std::shared_ptr<event_sink> sink,
                                          const void*) override {
    return stream_socket::adopt(eng, fd, std::move(sink));
  }
  void discard_accepted(int fd) noexcept override { ::close(fd); }
  std::shared_ptr<listener_io> listen(engine& eng, const endpoint& where, int backlog,
                                      std::shared_ptr<event_sink> sink, const void*) override {
    return stream_listener::listen(eng, where, backlog, std::move(sink));
  }
  std::shared_ptr<datagram_io> make_datagram(engine& eng, std::shared_ptr<event_sink> sink,
                                             const void*) override {
    return datagram_socket::make(eng, std::move(sink));
  }
  void resolve(std::string host, std::uint16_t port, resolve_callback done) override {
    resolver::instance().resolve(std::move(host), port, std::move(done));
  }
};

} // namespace

socket_factory& socket_factory::real() {
  static auto* factory = new real_socket_factory(); // never destroyed: used until exit
  return *factory;
}

} // namespace pants
