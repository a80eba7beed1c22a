#include "pants/actors/testing/fake_datagram.hpp"

#include "pants/actors/testing/fake_stream.hpp"
#include "pants/channels/datagram_socket.hpp"
#include "pants/channels/errors.hpp"
#include "pants/channels/event_sink.hpp"

#include <cerrno>
#include <sys/socket.h>
#include <utility>

namespace pants::testing::detail {

endpoint with_port(const endpoint& where, std::uint16_t port) {
  if (where.family() != AF_INET && where.family() != AF_INET6)
    return where;
  auto text = where.to_string(); // "1.2.3.4:0" or "[::1]:0"
  auto host = text.substr(0, text.rfind(':'));
  if (!host.empty() && host.front() == '[')
    host = host.substr(1, host.size() - 2);
  return endpoint::numeric(host, port);
}

fake_datagram::fake_datagram(std::shared_ptr<event_sink> sink, const void* key,
                             int* fail_bind_source)
    : owner(key), sink_(std::move(sink)), fail_bind_(fail_bind_source) {}

void fake_datagram::bind(const endpoint& where) {
  if (state_ != state::idle)
    throw state_error("pants: listen on a datagram channel that is already open or closed");
  if (int err = *fail_bind_) {
    *fail_bind_ = 0;
    throw os_error(err, "pants: cannot bind " + where.to_string());
  }
  local_ = where.port() == 0 ? with_port(where, 40000) : where;
  state_ = state::open;
  if (sink_)
    sink_->deliver(listening_msg{});
}

bool fake_datagram::write(std::string_view data, const endpoint& to) {
  if (state_ == state::closed)
    throw state_error("pants: write on a closed datagram channel");
  if (to.empty())
    throw address_error("pants: a datagram needs a destination");
  if (state_ == state::idle) {
    // An implicit open: unbound, in the destination's family.
    local_ = to.family() == AF_INET6  ? endpoint::numeric("::", 40001)
             : to.family() == AF_INET ? endpoint::numeric("0.0.0.0", 40001)
                                      : endpoint();
    state_ = state::open;
  }
  if (!local_.empty())
    (void)to.for_family(local_.family()); // throws, as the real socket does
  int err = std::exchange(fail_next_send, 0);
  if (err == 0 && data.size() > datagram_socket::max_datagram)
    err = EMSGSIZE; // the real socket's limit
  if (err != 0) {
    if (sink_)
      sink_->deliver(write_error_msg{errno_error(err)});
    return false;
  }
  sent.push_back(sent_datagram{std::string(data), to});
  return drain_.try_report();
}

void fake_datagram::close() {
  if (state_ == state::closed)
    return;
  state_ = state::closed;
  if (auto sink = std::move(sink_))
    sink->deliver(closed_msg{});
}

void fake_datagram::receive(std::string bytes, const endpoint& from) {
  if (state_ == state::idle)
    throw state_error("pants::testing: a datagram for a channel that is not open");
  if (state_ != state::open || !sink_)
    return;
  if (bytes.size() > datagram_socket::max_datagram) // dropped, as the real socket does
    sink_->deliver(
        read_error_msg{net_error{EMSGSIZE, "a datagram larger than 64 KiB was dropped"}});
  else
    sink_->deliver(packet_msg{std::move(bytes), from});
}

void fake_datagram::read_error(int code) {
  if (state_ == state::open && sink_)
    sink_->deliver(read_error_msg{errno_error(code)});
}

} // namespace pants::testing::detail
