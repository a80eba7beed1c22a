#pragma once

// Address families for tests that run the same body over IPv4, IPv6 and
// Unix stream sockets: the family type Boost's data test cases iterate,
// fresh listening addresses of each family, and a per-sample skip when the
// host lacks IPv6. Include after <boost/test/unit_test.hpp> (which the
// test file includes after defining BOOST_TEST_MODULE).

#include "pants/actors/stream_server.hpp"
#include "pants/channels/address.hpp"
#include "support/unix_sockets.hpp"

#include <boost/test/data/monomorphic.hpp>
#include <boost/test/data/test_case.hpp>
#include <boost/test/unit_test.hpp>

#include <cstdio>
#include <cstdlib>
#include <memory>
#include <netinet/in.h>
#include <ostream>
#include <stdexcept>
#include <string>
#include <sys/socket.h>
#include <unistd.h>

namespace pants::test {

/// The address family a family-parametrised test runs over.
enum class family { ipv4, ipv6, unix_path };

/// Every family, in the order the data test cases run them (`_0`, `_1`, `_2`).
inline constexpr family all_families[] = {family::ipv4, family::ipv6, family::unix_path};
static_assert(all_families[static_cast<int>(family::ipv6)] == family::ipv6,
              "a sample's index names its family");

/// `ipv4`, `ipv6`, `unix_path`: how Boost names the sample in its messages.
inline std::ostream& operator<<(std::ostream& out, family fam) {
  switch (fam) {
  case family::ipv4:
    return out << "ipv4";
  case family::ipv6:
    return out << "ipv6";
  case family::unix_path:
    return out << "unix_path";
  }
  return out << "family?";
}

/// Why the IPv6 samples are skipped on a host without IPv6.
inline constexpr const char* ipv6_skip_reason =
    "IPv6 loopback (::1) is unavailable on this host: the ipv6 cases are skipped";

/// True when a stream socket binds to `::1` on this host.
inline bool binds_ipv6_loopback() {
  int fd = ::socket(AF_INET6, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0)
    return false;
  sockaddr_in6 sa{};
  sa.sin6_family = AF_INET6;
  sa.sin6_addr = in6addr_loopback;
  bool ok = ::bind(fd, reinterpret_cast<sockaddr*>(&sa), sizeof sa) == 0;
  ::close(fd);
  return ok;
}

/// Whether the IPv6 samples can run, checked once per process; when they
/// cannot, says so once on stderr.
inline bool ipv6_loopback_available() {
  static const bool available = [] {
    bool ok = binds_ipv6_loopback();
    if (!ok)
      std::fprintf(stderr, "%s\n", ipv6_skip_reason);
    return ok;
  }();
  return available;
}

/// A Boost precondition for a test that needs `::1`: false, with the
/// reason, on a host without it, so the test is reported as skipped
/// instead of failing.
inline boost::test_tools::assertion_result ipv6_needed(boost::unit_test::test_unit_id) {
  if (ipv6_loopback_available())
    return true;
  boost::test_tools::assertion_result skip(false);
  skip.message() << ipv6_skip_reason;
  return skip;
}

/// The precondition of each sample of a PANTS_FAMILY_TEST_CASE: the IPv6
/// sample needs `::1`. Boost names a data test case's samples
/// `_<index into all_families>`.
inline boost::test_tools::assertion_result family_available(boost::unit_test::test_unit_id id) {
  const std::string name = boost::unit_test::framework::get(id, boost::unit_test::TUT_ANY).p_name;
  if (name != "_" + std::to_string(static_cast<int>(family::ipv6)))
    return true;
  return ipv6_needed(id);
}

/// Fresh listening addresses for one test: the loopback host of a network
/// family with port 0, or a new socket path in a private temporary
/// directory (made on first use, removed on destruction). One thread only.
class address_maker {
public:
  /// A new address of `fam` to listen on.
  endpoint fresh(family fam) {
    switch (fam) {
    case family::ipv4:
      return endpoint::numeric("127.0.0.1", 0);
    case family::ipv6:
      return endpoint::numeric("::1", 0);
    case family::unix_path:
      break;
    }
    if (!dir_)
      dir_ = std::make_unique<temp_dir>();
    return unix_path(dir_->path() + "/s" + std::to_string(++made_) + ".sock");
  }

  /// Makes `srv` listen on a fresh address of `fam`; returns the address a
  /// client connects to (with the bound port for a network family).
  endpoint listen(stream_server& srv, family fam) {
    auto where = fresh(fam);
    srv.listen(where);
    BOOST_TEST_MESSAGE("listening on " << srv.local_address());
    if (where.family() == AF_UNIX)
      return where;
    return endpoint::numeric(fam == family::ipv6 ? "::1" : "127.0.0.1", srv.port());
  }

private:
  std::unique_ptr<temp_dir> dir_;
  int made_ = 0;
};

/// A server and the address its clients connect to.
struct served {
  std::shared_ptr<server> srv;
  endpoint at;
};

} // namespace pants::test

/// A test case whose body runs once per address family, the family bound to
/// `fam` (`family::ipv4`, `ipv6`, `unix_path`); inside a fixture test suite
/// each sample gets a fresh fixture. The IPv6 sample is skipped, with the
/// reason, on a host without `::1`.
#define PANTS_FAMILY_TEST_CASE(test_name)                                                          \
  BOOST_TEST_DECORATOR(*boost::unit_test::precondition(pants::test::family_available))             \
  BOOST_DATA_TEST_CASE(test_name, boost::unit_test::data::make(pants::test::all_families), fam)
