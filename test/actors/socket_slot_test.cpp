// Where stream and datagram keep their socket: set once, read from any
// thread.

#include "pants/actors/detail/socket_slot.hpp"

#define BOOST_TEST_MODULE socket_slot
#include <boost/test/unit_test.hpp>

#include <atomic>
#include <memory>
#include <thread>

using pants::detail::socket_slot;

namespace {
struct fake_socket {
  int value = 0;
};
} // namespace

BOOST_AUTO_TEST_CASE(an_empty_slot_reads_as_null_everywhere) {
  socket_slot<fake_socket> slot;
  BOOST_TEST(!slot);
  BOOST_TEST(slot.get() == nullptr);
  BOOST_TEST(slot.share() == nullptr);
}

BOOST_AUTO_TEST_CASE(set_publishes_the_socket_and_the_slot_keeps_it_alive) {
  socket_slot<fake_socket> slot;
  auto s = std::make_shared<fake_socket>();
  std::weak_ptr<fake_socket> watch = s;
  auto* raw = s.get();
  slot.set(std::move(s));
  BOOST_TEST(static_cast<bool>(slot));
  BOOST_TEST(slot.get() == raw);
  BOOST_TEST(slot.share().get() == raw);
  BOOST_TEST(!watch.expired());
}

BOOST_AUTO_TEST_CASE(a_reader_on_another_thread_sees_the_socket_fully_built) {
  socket_slot<fake_socket> slot;
  std::atomic<int> seen{-1};
  std::thread reader([&] {
    fake_socket* s = nullptr;
    while (!(s = slot.get()))
      std::this_thread::yield();
    seen = s->value;
  });
  auto s = std::make_shared<fake_socket>();
  s->value = 42;
  slot.set(std::move(s));
  reader.join();
  BOOST_TEST(seen.load() == 42);
}
