#include "pants/actors/detail/channel_actor.hpp"

namespace pants::detail {

namespace {
/// Sent by nobody: the one case of the shared behaviour, which CAF needs to
/// keep an actor alive (an actor without a behaviour quits).
using never_sent_atom = caf::atom_constant<caf::atom("pNever")>;
} // namespace

const caf::behavior& dispatching_behavior() {
  // Its one case holds no state, so actors on any thread may run it at once.
  static const caf::behavior shared{[](never_sent_atom) {}};
  return shared;
}

} // namespace pants::detail
