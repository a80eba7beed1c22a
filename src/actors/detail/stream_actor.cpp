#include "pants/actors/detail/stream_actor.hpp"

namespace pants::detail {

bool stream_actor::dispatch_own(caf::type_erased_tuple& xs) {
  return dispatch_as<chunk_msg>(xs, [this](chunk_msg& m) { own_.receive_chunk(m); }) ||
         dispatch_as<connected_msg>(xs, [this](connected_msg&) { own_.receive_connected(); }) ||
         dispatch_as<eof_msg>(xs, [this](eof_msg&) { own_.receive_eof(); }) ||
         dispatch_as<tls_handshake_msg>(
             xs, [this](tls_handshake_msg&) { own_.receive_tls_handshake(); }) ||
         dispatch_as<tls_error_msg>(
             xs, [this](tls_error_msg& m) { own_.receive_tls_error(m.error); }) ||
         dispatch_as<connect_failed_msg>(
             xs, [this](connect_failed_msg& m) { own_.receive_connect_failed(m.error); });
}

} // namespace pants::detail
