#include "pants/actors/testing/stream_peer.hpp"

#include "pants/actors/testing/fake_stream.hpp"
#include "pants/channels/errors.hpp"
#include "pants/channels/os_errors.hpp"

#include <cerrno>

namespace pants::testing {

void stream_peer::complete_connect(std::size_t target) { s_->complete_connect(target); }

void stream_peer::fail_connect(int code) {
  if (!connecting())
    throw state_error("pants::testing: fail_connect on a channel that is not connecting");
  // The address the test last let it try, as the real socket names it.
  s_->fail_connect(connect_net_error(code, s_->targets.back()));
}

void stream_peer::send(std::string bytes) { s_->send(std::move(bytes)); }
void stream_peer::close() { s_->peer_close(); }
void stream_peer::reset() { read_error(ECONNRESET); }
void stream_peer::read_error(int code) { s_->fail(true, code); }
void stream_peer::fail_next_write(int code) { s_->fail_next_write = code; }
void stream_peer::set_window(bool open) { s_->set_window_open(open); }
void stream_peer::complete_tls(tls_negotiated agreed) { s_->complete_tls(std::move(agreed)); }
void stream_peer::fail_tls(const std::string& reason) { s_->fail_tls(reason); }

const std::string& stream_peer::written() const { return s_->written; }

std::string stream_peer::take_written() {
  std::string out;
  out.swap(s_->written);
  return out;
}

bool stream_peer::ended() const { return s_->end_called; }
bool stream_peer::closed() const { return s_->is_closed(); }
bool stream_peer::shut_down_write() const { return s_->write_shut_done; }
bool stream_peer::was_reset() const { return s_->reset_seen; }

bool stream_peer::connecting() const {
  return s_->current() == detail::fake_stream::state::connecting;
}

const std::vector<endpoint>& stream_peer::targets() const { return s_->targets; }
std::size_t stream_peer::held() const { return s_->held_bytes(); }
bool stream_peer::tls_started() const { return s_->tls != nullptr; }
bool stream_peer::tls_handshaking() const {
  return s_->tls_handshaking() && s_->current() != detail::fake_stream::state::closed;
}
std::shared_ptr<const tls_context> stream_peer::tls() const { return s_->tls; }
const std::string& stream_peer::tls_host() const { return s_->tls_host; }
std::size_t stream_peer::clear_bytes() const { return s_->clear_bytes; }

} // namespace pants::testing
