#include "pants/actors/detail/datagram_actor.hpp"

namespace pants::detail {

caf::behavior datagram_actor::make_behavior() {
  return table([this](listening_msg) { own_.receive_listening(); },
               [this](packet_msg& m) { own_.receive_packet(m); });
}

} // namespace pants::detail
