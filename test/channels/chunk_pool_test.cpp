#include "pants/channels/chunk_pool.hpp"

#define BOOST_TEST_MODULE chunk_pool
#include <boost/test/unit_test.hpp>

#include <string>
#include <thread>
#include <vector>

namespace {

/// Empties this thread's pool, so each case starts from none.
void drain() {
  for (std::size_t i = 0; i < pants::chunk_pool::slots + 1; ++i)
    (void)pants::chunk_pool::take("", 0);
}

} // namespace

BOOST_AUTO_TEST_CASE(a_given_buffer_is_filled_again_by_the_next_take_on_the_thread) {
  drain();
  auto first = pants::chunk_pool::take(std::string(1000, 'a').data(), 1000);
  const char* buffer = first.data();
  pants::chunk_pool::give(std::move(first));
  auto second = pants::chunk_pool::take("hello", 5);
  BOOST_TEST(second == "hello");
  BOOST_TEST(static_cast<const void*>(second.data()) == static_cast<const void*>(buffer));
}

BOOST_AUTO_TEST_CASE(a_take_larger_than_the_kept_buffer_still_holds_every_byte) {
  drain();
  pants::chunk_pool::give(std::string(100, 'x'));
  std::string big(5000, 'b');
  big[4999] = 'z';
  BOOST_TEST(pants::chunk_pool::take(big.data(), big.size()) == big);
}

BOOST_AUTO_TEST_CASE(buffers_over_the_capacity_limit_are_not_kept) {
  drain();
  std::string huge(pants::chunk_pool::capacity_limit + 1, 'h');
  const char* buffer = huge.data();
  pants::chunk_pool::give(std::move(huge));
  auto next = pants::chunk_pool::take(std::string(2000, 'n').data(), 2000);
  BOOST_TEST(static_cast<const void*>(next.data()) != static_cast<const void*>(buffer));
}

BOOST_AUTO_TEST_CASE(the_pool_keeps_at_most_its_byte_limit) {
  drain();
  const std::size_t each = 8 * 1024;
  std::vector<const char*> kept;
  for (std::size_t i = 0; i < pants::chunk_pool::byte_limit / each + 4; ++i) {
    std::string s(each, 'k');
    kept.push_back(s.data());
    pants::chunk_pool::give(std::move(s));
  }
  // Only what fits the byte limit came back (the rest was freed, and a
  // take with an empty pool allocates).
  std::size_t reused = 0;
  for (std::size_t i = 0; i < kept.size(); ++i) {
    auto s = pants::chunk_pool::take("r", 1);
    if (s.capacity() >= each)
      ++reused;
  }
  BOOST_TEST(reused == pants::chunk_pool::byte_limit / each);
}

BOOST_AUTO_TEST_CASE(a_buffer_given_on_another_thread_stays_in_that_threads_pool) {
  drain();
  const char* buffer = nullptr;
  std::thread other([&] {
    std::string s(1000, 'o');
    buffer = s.data();
    pants::chunk_pool::give(std::move(s));
    auto again = pants::chunk_pool::take("same thread", 11);
    BOOST_TEST(static_cast<const void*>(again.data()) == static_cast<const void*>(buffer));
    pants::chunk_pool::give(std::move(again));
  });
  other.join();
  auto here = pants::chunk_pool::take("here", 4);
  BOOST_TEST(here == "here");
  BOOST_TEST(here.capacity() < 1000u); // a fresh string, not the other thread's
}
