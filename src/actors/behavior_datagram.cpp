#include "pants/actors/behavior_datagram.hpp"

#include "pants/engine/engine.hpp"

#include <caf/message.hpp>

#include <stdexcept>

namespace pants {

behavior_datagram::behavior_datagram(const factory& make, pants::engine& eng) : datagram(eng) {
  if (!make)
    throw std::invalid_argument("pants: behavior_datagram needs a behaviour factory");
  behavior_ = make(*this);
}

behavior_datagram::behavior_datagram(const factory& make)
    : behavior_datagram(make, engine::instance()) {}

template <class T> bool behavior_datagram::invoke(T msg) {
  auto m = caf::make_message(std::move(msg));
  return static_cast<bool>(behavior_(m));
}

void behavior_datagram::on_listen() { invoke(listening_msg{}); }
void behavior_datagram::on_write() { invoke(drained_msg{}); }
void behavior_datagram::on_close() { invoke(closed_msg{}); }

void behavior_datagram::on_read(std::string_view data, const endpoint& from) {
  auto groups = read_groups();
  invoke(datagram_msg{std::string(data), from,
                      groups.empty() ? std::vector<std::string>{} : groups.strings()});
}

void behavior_datagram::on_overflow_error(const net_error& e, const endpoint& from) {
  if (!invoke(overflow_msg{e, from}))
    datagram::on_overflow_error(e, from);
}

void behavior_datagram::on_read_error(const net_error& e) {
  if (!invoke(read_error_msg{e}))
    datagram::on_read_error(e);
}

void behavior_datagram::on_write_error(const net_error& e) {
  if (!invoke(write_error_msg{e}))
    datagram::on_write_error(e);
}

} // namespace pants
