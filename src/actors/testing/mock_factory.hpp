#pragma once

#include "pants/actors/testing/fake_datagram.hpp"
#include "pants/actors/testing/fake_listener.hpp"
#include "pants/actors/testing/fake_stream.hpp"
#include "pants/channels/socket_factory.hpp"

#include <map>
#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

namespace pants::testing::detail {

/// The mock engine's socket factory: makes fake sockets, remembers them by
/// the channel or server they belong to, carries accepted connections
/// from `listener_peer::accept` to the server's `adopt` under made-up
/// descriptor numbers, and answers name lookups from the test's table
/// through the engine (so the answer comes at a later `run()`, as with the
/// real resolver). Armed failures apply to the next request of their
/// kind. One thread only (the test's).
class mock_factory final : public socket_factory {
public:
  explicit mock_factory(engine& eng) : engine_(eng) {}

  std::shared_ptr<stream_io> make_stream(engine& eng, std::shared_ptr<event_sink> sink,
                                         const void* owner) override;
  std::shared_ptr<stream_io> adopt_stream(engine& eng, int fd, std::shared_ptr<event_sink> sink,
                                          const void* owner) override;
  void discard_accepted(int fd) noexcept override;
  std::shared_ptr<listener_io> listen(engine& eng, const endpoint& where, int backlog,
                                      std::shared_ptr<event_sink> sink, const void* owner) override;
  std::shared_ptr<datagram_io> make_datagram(engine& eng, std::shared_ptr<event_sink> sink,
                                             const void* owner) override;
  void resolve(std::string host, std::uint16_t port, resolve_callback done) override;

  /// A client connects to `l`: returns its fake socket (already reset when
  /// an accept failure was armed).
  std::shared_ptr<fake_stream> accept(fake_listener& l, const endpoint& from);

  std::shared_ptr<fake_stream> stream_of(const void* owner) const;
  std::shared_ptr<fake_listener> listener_of(const void* owner) const;
  std::shared_ptr<fake_datagram> datagram_of(const void* owner) const;

  int fail_next_connect = 0;
  int fail_next_listen = 0;
  int fail_next_bind = 0;
  /// host -> numeric addresses; an empty list: the name does not resolve.
  std::map<std::string, std::vector<std::string>> names;

private:
  template <class T>
  static std::shared_ptr<T> find(const std::unordered_map<const void*, std::shared_ptr<T>>& m,
                                 const void* owner) {
    auto i = m.find(owner);
    return i == m.end() ? nullptr : i->second;
  }

  engine& engine_;
  int next_fd_ = 1 << 30; // never a real descriptor of this process
  std::uint16_t next_port_ = 50000;
  std::unordered_map<int, std::shared_ptr<fake_stream>> accepted_;
  std::unordered_map<const void*, std::shared_ptr<fake_stream>> streams_;
  std::unordered_map<const void*, std::shared_ptr<fake_listener>> listeners_;
  std::unordered_map<const void*, std::shared_ptr<fake_datagram>> datagrams_;
};

} // namespace pants::testing::detail
