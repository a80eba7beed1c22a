// docs: hidden {
// The C++ blocks of docs/testing.md, each compiled (docs_sync_test checks that
// this file, without its hidden lines, is exactly the page's code).

// docs: hidden }
// docs: hidden {
#include <pants/actors/testing/mock_fixture.hpp>
#include <pants/pants.hpp>

#include <boost/test/unit_test.hpp>

#include <string_view>

using namespace pants;
using namespace pants::testing;

struct echo : connection {
  using connection::connection;
  void on_read(std::string_view data) override { write(data); }
};

BOOST_FIXTURE_TEST_CASE(the_first_test, mock_fixture) {
// docs: hidden }
auto [conn, peer] = accept<echo>();
peer.send("hello");
run();
BOOST_TEST(peer.written() == "hello");
// docs: hidden {
}
// docs: hidden }
