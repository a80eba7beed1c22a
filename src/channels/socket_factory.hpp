#pragma once

#include "pants/channels/address.hpp"
#include "pants/channels/datagram_io.hpp"
#include "pants/channels/event_sink.hpp"
#include "pants/channels/listener_io.hpp"
#include "pants/channels/stream_io.hpp"

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

namespace pants {

class engine;

/// Makes the sockets channels run on, and resolves host names: the seam
/// between channels and the operating system. `real()` makes the real
/// sockets; the mock engine (`pants::testing`) makes fakes. `owner` is the
/// channel or server the socket is for (an opaque key: a factory may use it
/// to find the socket again, never to call it). Safe from any thread.
class socket_factory {
public:
  using resolve_callback = std::function<void(std::vector<endpoint> found, std::string error)>;

  virtual ~socket_factory() = default;

  /// The factory of real sockets (process-wide, never destroyed).
  static socket_factory& real();

  /// A stream socket not connected yet.
  virtual std::shared_ptr<stream_io> make_stream(engine& eng, std::shared_ptr<event_sink> sink,
                                                 const void* owner) = 0;
  /// A stream socket for a descriptor an `accepted_msg` carried; nothing
  /// happens until its `start()`.
  virtual std::shared_ptr<stream_io>
  adopt_stream(engine& eng, int fd, std::shared_ptr<event_sink> sink, const void* owner) = 0;
  /// Drops a descriptor an `accepted_msg` carried that nobody adopts.
  virtual void discard_accepted(int fd) noexcept = 0;
  /// A listening socket bound to `where` (os_error at the call).
  virtual std::shared_ptr<listener_io> listen(engine& eng, const endpoint& where, int backlog,
                                              std::shared_ptr<event_sink> sink,
                                              const void* owner) = 0;
  /// A datagram socket not opened yet.
  virtual std::shared_ptr<datagram_io> make_datagram(engine& eng, std::shared_ptr<event_sink> sink,
                                                     const void* owner) = 0;
  /// Resolves `host`:`port`; `done` runs later, on some thread, exactly once.
  virtual void resolve(std::string host, std::uint16_t port, resolve_callback done) = 0;
};

} // namespace pants
