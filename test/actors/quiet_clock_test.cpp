// The runtime's clock (actors/detail/quiet_clock.hpp): CAF's timeouts work
// as before, and an actor that never set one costs CAF's clock nothing when
// it ends.
#include "pants/actors/detail/quiet_clock.hpp"
#include "pants/actors/runtime.hpp"

#include "support/loopback.hpp"

#define BOOST_TEST_MODULE quiet_clock
#include <boost/test/unit_test.hpp>

#include <caf/event_based_actor.hpp>
#include <caf/scoped_actor.hpp>
#include <caf/send.hpp>

#include <chrono>
#include <future>
#include <memory>
#include <thread>

using namespace pants;
using namespace pants::test;
using namespace std::chrono_literals;

namespace {

detail::quiet_clock& runtime_clock() {
  auto* c = dynamic_cast<detail::quiet_clock*>(&pants::actor_system().clock());
  BOOST_TEST_REQUIRE(c != nullptr);
  return *c;
}

/// Waits (bounded) until `done()` holds.
template <class F> bool wait_until(F done) {
  auto deadline = std::chrono::steady_clock::now() + patience;
  while (!done()) {
    if (std::chrono::steady_clock::now() > deadline)
      return false;
    std::this_thread::yield();
  }
  return true;
}

/// Waits (bounded) until every actor but the runtime's own has ended.
bool all_ended(std::size_t baseline) {
  return wait_until([&] { return pants::actor_system().registry().running() <= baseline; });
}

} // namespace

BOOST_AUTO_TEST_CASE(actors_without_timeouts_end_without_telling_cafs_clock) {
  auto& clock = runtime_clock();
  auto baseline = pants::actor_system().registry().running();
  auto before = clock.forwarded_cancels();
  for (int i = 0; i < 50; ++i)
    pants::actor_system().spawn([](caf::event_based_actor* self) { self->quit(); });
  BOOST_TEST_REQUIRE(all_ended(baseline));
  BOOST_TEST(clock.forwarded_cancels() == before);
}

BOOST_AUTO_TEST_CASE(a_receive_timeout_still_fires_and_is_cancelled_when_its_actor_ends) {
  auto& clock = runtime_clock();
  auto baseline = pants::actor_system().registry().running();
  auto before = clock.forwarded_cancels();
  auto fired = std::make_shared<std::promise<void>>();
  auto result = fired->get_future();
  pants::actor_system().spawn([fired](caf::event_based_actor* self) -> caf::behavior {
    return {[](int) {}, caf::after(std::chrono::milliseconds(5)) >>
                            [self, fired] {
                              fired->set_value();
                              self->quit();
                            }};
  });
  BOOST_TEST_REQUIRE((result.wait_for(patience) == std::future_status::ready));
  BOOST_TEST_REQUIRE(all_ended(baseline));
  // CAF leaves the registry before it cancels the actor's timeouts
  // (local_actor::cleanup), so the cancel may come just after.
  BOOST_TEST(wait_until([&] { return clock.forwarded_cancels() == before + 1; }));
  BOOST_TEST(clock.forwarded_cancels() == before + 1);
}

BOOST_AUTO_TEST_CASE(a_request_without_an_answer_still_times_out) {
  auto silent = pants::actor_system().spawn([](caf::event_based_actor*) -> caf::behavior {
    return {[](int) -> caf::result<int> {
      return caf::delegated<int>(); // never answered
    }};
  });
  caf::scoped_actor self{pants::actor_system()};
  bool timed_out = false;
  self->request(silent, std::chrono::milliseconds(20), 1)
      .receive([](int) {}, [&](caf::error& e) { timed_out = e == caf::sec::request_timeout; });
  BOOST_TEST(timed_out);
  caf::anon_send_exit(silent, caf::exit_reason::user_shutdown);
}
