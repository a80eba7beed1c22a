#include "pants/channels/address.hpp"

#include "pants/channels/errors.hpp"

#define BOOST_TEST_MODULE address
#include <boost/test/unit_test.hpp>

#include <string>
#include <sys/socket.h>
#include <sys/un.h>

using namespace pants;
using namespace std::string_literals;

BOOST_AUTO_TEST_SUITE(address_suite)

// Found by fuzz/address_fuzz: inet_pton reads a host up to its first NUL, so
// "127.0.0.1\0evil" was taken for 127.0.0.1.
BOOST_AUTO_TEST_CASE(a_host_with_a_nul_byte_is_not_numeric) {
  for (const auto& host : {"127.0.0.1\0evil"s, "::1\0"s, "[::1]\0"s, "\0"s}) {
    BOOST_TEST(!endpoint::is_numeric_host(host));
    BOOST_CHECK_THROW(endpoint::numeric(host, 80), address_error);
  }
  BOOST_TEST(endpoint::is_numeric_host("[::1]"));
  BOOST_TEST(endpoint::numeric("127.0.0.1", 80).to_string() == "127.0.0.1:80");
}

// Found by fuzz/address_fuzz: an address cut short by its length (as resize
// sets it after recvfrom) was read past the length, so two equal endpoints
// could differ in family, port and text.
BOOST_AUTO_TEST_CASE(an_address_cut_short_has_no_family_port_or_text) {
  for (auto e : {endpoint::numeric("10.1.2.3", 4000), endpoint::numeric("fe80::1", 4000)}) {
    for (socklen_t n : {socklen_t{1}, socklen_t{4}, static_cast<socklen_t>(e.size() - 1)}) {
      auto cut = e;
      cut.resize(n);
      compact_endpoint small(cut);
      BOOST_TEST((small.get() == cut));
      BOOST_TEST(cut.family() == AF_UNSPEC, "length " << n);
      BOOST_TEST(small.family() == AF_UNSPEC, "length " << n);
      BOOST_TEST(cut.port() == 0u, "length " << n);
      BOOST_TEST(cut.to_string().empty(), "length " << n);
      BOOST_TEST(small.get().to_string().empty(), "length " << n);
      BOOST_CHECK_THROW(cut.for_family(AF_INET6), address_error);
    }
  }
}

BOOST_AUTO_TEST_CASE(an_unnamed_unix_address_is_unix_with_no_text) {
  endpoint e;
  e.data()->sa_family = AF_UNIX;
  e.resize(sizeof(sa_family_t));
  BOOST_TEST(e.family() == AF_UNIX);
  BOOST_TEST(compact_endpoint(e).family() == AF_UNIX);
  BOOST_TEST(e.to_string().empty());
}

BOOST_AUTO_TEST_SUITE_END()
