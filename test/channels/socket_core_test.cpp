#include "pants/channels/socket_core.hpp"

#define BOOST_TEST_MODULE socket_core
#include <boost/test/unit_test.hpp>

// The core's lock-free parts, alone: read credit and the drain protocol's
// two halves. The core's lifecycle is tested through the real sockets
// (stream_socket_test, datagram_socket_test, stream_listener_test).

using namespace pants;

BOOST_AUTO_TEST_CASE(read_credit_pauses_over_the_limit_and_resumes_at_half_of_it) {
  read_credit credit(100);
  BOOST_TEST(!credit.charge(100));
  BOOST_TEST(!credit.paused());
  BOOST_TEST(credit.charge(1)); // 101: over
  BOOST_TEST(credit.paused());
  BOOST_TEST(!credit.release(40)); // 61: still above half
  BOOST_TEST(credit.paused());
  BOOST_TEST(credit.release(11)); // 50: this release ends the pause
  BOOST_TEST(!credit.paused());
  BOOST_TEST(!credit.release(50)); // no pause left to end
  BOOST_TEST(credit.inflight() == 0u);
}

BOOST_AUTO_TEST_CASE(read_credit_charges_an_overhead_per_unit) {
  read_credit credit(300, 128);
  BOOST_TEST(!credit.charge(0));
  BOOST_TEST(!credit.charge(0));
  BOOST_TEST(credit.charge(0));   // three empty datagrams cost 384
  BOOST_TEST(!credit.release(0)); // 256: above half the limit
  BOOST_TEST(credit.release(0));  // 128
  BOOST_TEST(credit.inflight() == 128u);
}

BOOST_AUTO_TEST_CASE(a_pause_whose_backlog_was_already_consumed_clears_itself) {
  read_credit credit(100);
  // A charge that crosses the limit while the consumer has caught up (its
  // release came before the flag) must not leave reading paused.
  BOOST_TEST(!credit.charge(60));
  BOOST_TEST(!credit.release(60));
  BOOST_TEST(credit.charge(101));
  BOOST_TEST(credit.paused());
}

BOOST_AUTO_TEST_CASE(drain_latch_reports_one_drain_until_it_is_seen) {
  drain_latch latch;
  BOOST_TEST(latch.try_report());
  BOOST_TEST(!latch.try_report());
  BOOST_TEST(!latch.try_report());
  latch.seen();
  BOOST_TEST(latch.try_report());
}

BOOST_AUTO_TEST_CASE(handler_drains_defers_only_inside_its_own_handler_scope) {
  handler_drains mine, other;
  BOOST_TEST(!mine.report()); // no handler running: by message
  {
    handler_drains::scope running(mine);
    BOOST_TEST(!other.report());
    {
      handler_drains::scope nested(other);
      BOOST_TEST(!mine.report()); // the innermost handler is other's
      BOOST_TEST(other.report());
    }
    BOOST_TEST(mine.report());
    BOOST_TEST(mine.report());
  }
  BOOST_TEST(mine.take()); // due once, however many reports
  BOOST_TEST(!mine.take());
  BOOST_TEST(other.take());
  BOOST_TEST(!mine.report());
}
