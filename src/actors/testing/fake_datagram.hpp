#pragma once

#include "pants/channels/datagram_io.hpp"
#include "pants/channels/drain_latch.hpp"
#include "pants/channels/messages.hpp"

#include <memory>
#include <string>
#include <vector>

namespace pants {
class event_sink;
}

namespace pants::testing {

/// One datagram a channel sent.
struct sent_datagram {
  std::string data;
  endpoint to;
};

namespace detail {

/// The mock engine's datagram socket: records what the channel sends and
/// injects what arrives (`datagram_peer`). Same states and event order as
/// `datagram_socket`; received datagrams are delivered at once (no read
/// flow control). One thread only (the test's).
class fake_datagram final : public datagram_io {
public:
  enum class state { idle, open, closed };

  fake_datagram(std::shared_ptr<event_sink> sink, const void* owner, int* fail_bind_source);

  void bind(const endpoint& where) override;
  bool write(std::string_view data, const endpoint& to) override;
  void end() override { close(); }
  void close() override;
  void consumed(std::size_t) override {}
  void drain_seen() noexcept override { drain_.seen(); }
  std::size_t bytes_queued() const noexcept override { return 0; }
  bool reading() const noexcept override { return state_ == state::open; }
  bool is_closed() const noexcept override { return state_ == state::closed; }
  endpoint local() const override { return local_; }

  void receive(std::string bytes, const endpoint& from);
  void read_error(int code);

  const void* owner;
  std::vector<sent_datagram> sent;
  int fail_next_send = 0;

private:
  std::shared_ptr<event_sink> sink_;
  int* fail_bind_; // the mock's armed bind failure
  state state_ = state::idle;
  drain_latch drain_;
  endpoint local_;
};

/// `where` with port 0 replaced by a made-up port (IP only).
endpoint with_port(const endpoint& where, std::uint16_t port);

} // namespace detail
} // namespace pants::testing
