#include "pants/actors/detail/stream_actor.hpp"

namespace pants::detail {

caf::behavior stream_actor::make_behavior() {
  return table([this](connected_msg) { own_.receive_connected(); },
               [this](connect_failed_msg& m) { own_.receive_connect_failed(m.error); },
               [this](chunk_msg& m) { own_.receive_chunk(m); },
               [this](eof_msg) { own_.receive_eof(); });
}

} // namespace pants::detail
