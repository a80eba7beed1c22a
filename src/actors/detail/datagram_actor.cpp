#include "pants/actors/detail/datagram_actor.hpp"

namespace pants::detail {

bool datagram_actor::dispatch_own(caf::type_erased_tuple& xs) {
  return dispatch_as<packet_msg>(xs, [this](packet_msg& m) { own_.receive_packet(m); }) ||
         dispatch_as<listening_msg>(xs, [this](listening_msg&) { own_.receive_listening(); });
}

} // namespace pants::detail
