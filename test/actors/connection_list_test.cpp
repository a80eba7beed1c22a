// The list a server keeps of its live connections, on its own: what the
// server and its connections rely on instead of reaching each other's
// private members. The channels are never connected: the list only holds
// and drops them.

#include "pants/actors/detail/connection_list.hpp"

#include "pants/actors/stream.hpp"
#include "pants/engine/engine.hpp"

#define BOOST_TEST_MODULE connection_list
#include <boost/test/unit_test.hpp>

#include <memory>
#include <vector>

using namespace pants;
using pants::detail::connection_list;

namespace {

/// Asks the list for its size while being destroyed, which would deadlock
/// if the last reference were dropped under the list's lock.
struct asks_on_death : stream {
  asks_on_death(pants::engine& eng, const connection_list& l, std::size_t& seen)
      : stream(eng), list(l), seen_(seen) {}
  ~asks_on_death() override { seen_ = list.size(); }
  const connection_list& list;
  std::size_t& seen_;
};

struct fixture {
  engine eng;
  connection_list list;
  std::shared_ptr<stream> make() { return std::make_shared<stream>(eng); }
};

bool holds(const std::vector<std::shared_ptr<stream>>& v, const std::shared_ptr<stream>& ch) {
  for (auto& x : v)
    if (x == ch)
      return true;
  return false;
}

} // namespace

BOOST_FIXTURE_TEST_SUITE(connection_list_suite, fixture)

BOOST_AUTO_TEST_CASE(add_runs_start_once_then_lists_the_channel) {
  auto a = make();
  int started = 0;
  BOOST_TEST(list.add(a, [&] { ++started; }));
  BOOST_TEST(started == 1);
  BOOST_TEST(list.size() == 1u);
  BOOST_TEST(holds(list.snapshot(), a));
}

BOOST_AUTO_TEST_CASE(remove_unlists_only_that_channel_and_ignores_one_not_listed) {
  auto a = make();
  auto b = make();
  list.add(a, [] {});
  list.add(b, [] {});
  list.remove(a.get());
  list.remove(a.get());
  auto stranger = make();
  list.remove(stranger.get());
  auto now = list.snapshot();
  BOOST_TEST(now.size() == 1u);
  BOOST_TEST(holds(now, b));
}

BOOST_AUTO_TEST_CASE(the_list_holds_a_channel_until_it_leaves) {
  auto a = make();
  std::weak_ptr<stream> watch = a;
  list.add(a, [] {});
  a.reset();
  BOOST_TEST(!watch.expired());
  list.remove(watch.lock().get());
  BOOST_TEST(watch.expired());
}

BOOST_AUTO_TEST_CASE(close_returns_the_listed_channels_and_refuses_later_adds_without_starting) {
  auto a = make();
  list.add(a, [] {});
  auto open = list.close();
  BOOST_TEST(open.size() == 1u);
  BOOST_TEST(holds(open, a));
  int started = 0;
  BOOST_TEST(!list.add(make(), [&] { ++started; }));
  BOOST_TEST(started == 0);
  BOOST_TEST(list.size() == 1u); // still listed until it leaves
  list.remove(a.get());
  BOOST_TEST(list.size() == 0u);
}

BOOST_AUTO_TEST_CASE(remove_drops_the_last_reference_after_releasing_the_lock) {
  std::size_t seen = 99;
  list.add(std::make_shared<asks_on_death>(eng, list, seen), [] {});
  auto ch = list.snapshot().at(0);
  auto* key = ch.get();
  ch.reset();
  list.remove(key); // the destructor asks the list: no deadlock
  BOOST_TEST(seen == 0u);
}

BOOST_AUTO_TEST_SUITE_END()
