#include "pants/actors/caf_clock.hpp"

#include "pants/actors/runtime.hpp"
#include "pants/engine/log.hpp"

#include <caf/actor_clock.hpp>
#include <caf/actor_system.hpp>
#include <caf/allowed_unsafe_message_type.hpp>
#include <caf/event_based_actor.hpp>
#include <caf/mailbox_element.hpp>
#include <caf/send.hpp>

namespace pants::detail {

/// A due wake-up. Local only: it carries a function, never serialised.
struct clock_fire {
  std::function<void()> fn;
};

} // namespace pants::detail

CAF_ALLOW_UNSAFE_MESSAGE_TYPE(pants::detail::clock_fire)

namespace pants {

namespace {

caf::behavior clock_actor() {
  return {
      [](detail::clock_fire& f) {
        try {
          f.fn();
        } catch (const std::exception& e) {
          log(log_level::error, std::string("a clock wake-up threw: ") + e.what());
        }
      },
  };
}

} // namespace

// Hidden: the actor system does not wait for it at shutdown (under the test
// coordinator nothing would run its exit message).
caf_clock::caf_clock(caf::actor_system& sys)
    : sys_(sys), actor_(sys.spawn<caf::hidden>(clock_actor)) {}

caf_clock::~caf_clock() { caf::anon_send_exit(actor_, caf::exit_reason::user_shutdown); }

clock_service::clock::time_point caf_clock::now() const { return sys_.clock().now(); }

void caf_clock::schedule(clock::time_point at, std::function<void()> fire) {
  // CAF's clock keeps scheduled messages in a multimap ordered by time:
  // equal deadlines are delivered in the order they were scheduled.
  sys_.clock().schedule_message(at, caf::actor_cast<caf::strong_actor_ptr>(actor_),
                                caf::make_mailbox_element(nullptr, caf::make_message_id(), {},
                                                          detail::clock_fire{std::move(fire)}));
}

bool detail::install_caf_clock() noexcept {
  install_default_clock(&default_clock_service);
  return true;
}

std::shared_ptr<clock_service> default_clock_service() {
  // Made once and never destroyed (its actor is hidden: the runtime's
  // shutdown does not wait for it).
  static auto* shared = new std::shared_ptr<caf_clock>(std::make_shared<caf_clock>(actor_system()));
  return *shared;
}

} // namespace pants
