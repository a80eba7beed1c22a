#include "pants/actors/testing/datagram_peer.hpp"
#include "pants/actors/testing/listener_peer.hpp"

#include "pants/actors/stream_server.hpp"
#include "pants/actors/testing/mock_factory.hpp"
#include "pants/channels/errors.hpp"

namespace pants::testing {

namespace {

endpoint parse_address(const std::string& text) {
  if (!text.empty() && (text.front() == '/' || text.front() == '@'))
    return unix_path(text);
  auto colon = text.rfind(':');
  if (colon == std::string::npos)
    throw address_error("pants::testing: an address needs a port: '" + text + "'");
  auto host = text.substr(0, colon);
  if (!host.empty() && host.front() == '[' && host.back() == ']')
    host = host.substr(1, host.size() - 2);
  return endpoint::numeric(host, std::stol(text.substr(colon + 1)));
}

} // namespace

// -- listener_peer --------------------------------------------------------------

stream_peer listener_peer::accept(const std::string& from) {
  return stream_peer(factory_->accept(*l_, parse_address(from)));
}

void listener_peer::fail_next_accept(int code) { l_->fail_next_accept = code; }

std::shared_ptr<stream> listener_peer::channel_of(const stream_peer& client) const {
  auto srv = server_.lock();
  if (!srv)
    return nullptr;
  for (auto& ch : srv->channels())
    if (factory_->stream_of(ch.get()) == client.fake())
      return ch;
  return nullptr;
}

bool listener_peer::closed() const { return l_->is_closed(); }
std::string listener_peer::local_address() const { return l_->local().to_string(); }
std::size_t listener_peer::accepted() const { return l_->accepted; }

// -- datagram_peer --------------------------------------------------------------

void datagram_peer::receive(std::string bytes, const std::string& from) {
  receive(std::move(bytes), parse_address(from));
}

void datagram_peer::receive(std::string bytes, const endpoint& from) {
  d_->receive(std::move(bytes), from);
}

void datagram_peer::read_error(int code) { d_->read_error(code); }
void datagram_peer::fail_next_send(int code) { d_->fail_next_send = code; }

std::vector<sent_datagram> datagram_peer::take_sent() {
  std::vector<sent_datagram> out;
  out.swap(d_->sent);
  return out;
}

} // namespace pants::testing
