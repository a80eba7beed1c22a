#include "pants/actors/behavior_stream.hpp"

#include "pants/engine/engine.hpp"

#include <caf/message.hpp>

namespace pants {

behavior_stream::behavior_stream(const factory& make, pants::engine& eng) : stream(eng) {
  if (!make)
    throw std::invalid_argument("pants: behavior_stream needs a behaviour factory");
  behavior_ = make(*this);
}

behavior_stream::behavior_stream(const factory& make) : behavior_stream(make, engine::instance()) {}

stream_server::factory behavior_stream::for_server(factory make) {
  return for_server(std::move(make), engine::instance());
}

stream_server::factory behavior_stream::for_server(factory make, pants::engine& eng) {
  if (!make)
    throw std::invalid_argument("pants: behavior_stream needs a behaviour factory");
  return [make = std::move(make), &eng] { return std::make_shared<behavior_stream>(make, eng); };
}

template <class T> bool behavior_stream::invoke(T msg) {
  auto m = caf::make_message(std::move(msg));
  return static_cast<bool>(behavior_(m));
}

void behavior_stream::on_connect() { invoke(connected_msg{}); }
void behavior_stream::on_connect_error(const net_error& e) { invoke(connect_failed_msg{e}); }
void behavior_stream::on_read(std::string_view data) {
  auto groups = read_groups();
  invoke(
      read_msg{std::string(data), groups.empty() ? std::vector<std::string>{} : groups.strings()});
}
void behavior_stream::on_write() { invoke(drained_msg{}); }
void behavior_stream::on_close() { invoke(closed_msg{}); }

void behavior_stream::on_overflow_error(const net_error& e) {
  if (!invoke(overflow_msg{e, {}}))
    stream::on_overflow_error(e);
}

void behavior_stream::on_tls_handshake() { invoke(tls_handshake_msg{}); }

void behavior_stream::on_tls_error(const net_error& e) {
  if (!invoke(tls_error_msg{e}))
    stream::on_tls_error(e);
}

void behavior_stream::on_idle(idle_kind kind) {
  if (!invoke(idle_msg{kind}))
    stream::on_idle(kind);
}

void behavior_stream::on_read_error(const net_error& e) {
  if (!invoke(read_error_msg{e}))
    stream::on_read_error(e);
}

void behavior_stream::on_write_error(const net_error& e) {
  if (!invoke(write_error_msg{e}))
    stream::on_write_error(e);
}

} // namespace pants
