// The README's promises, kept: its two echo servers (built from the page's
// own code, see docs_sync_test) answer on port 4000, and `./quickstart`
// refuses bad arguments with its usage before it installs or builds anything.
// ctest runs the two backends' entries of this suite one at a time (a
// RESOURCE_LOCK on port 4000); where another program holds port 4000 the
// echo cases are skipped with a message, never passed.

#include "support/child_process.hpp"
#include "support/loopback.hpp"

#define BOOST_TEST_MODULE readme
#include <boost/test/unit_test.hpp>

#include <chrono>
#include <csignal>
#include <cstdint>
#include <memory>
#include <netinet/in.h>
#include <stdexcept>
#include <string>
#include <sys/socket.h>
#include <unistd.h>
#include <vector>

using namespace pants::test;
namespace utf = boost::unit_test;

namespace {

constexpr std::uint16_t readme_port = 4000;

/// Whether a dual-stack listener could bind `port` now, as `listen(port)`
/// does (SO_REUSEADDR, so connections left in TIME_WAIT do not count).
bool port_is_free(std::uint16_t port) {
  int fd = ::socket(AF_INET6, SOCK_STREAM | SOCK_CLOEXEC, 0);
  int on = 1, off = 0;
  ::setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &on, sizeof on);
  ::setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &off, sizeof off);
  sockaddr_in6 sa{};
  sa.sin6_family = AF_INET6;
  sa.sin6_port = htons(port);
  bool bound = fd >= 0 && ::bind(fd, reinterpret_cast<sockaddr*>(&sa), sizeof sa) == 0;
  if (fd >= 0)
    ::close(fd);
  return bound;
}

boost::test_tools::assertion_result readme_port_is_free(utf::test_unit_id) {
  boost::test_tools::assertion_result ok(port_is_free(readme_port));
  if (!ok)
    ok.message() << "port " << readme_port << " is held by another program";
  return ok;
}

std::string readme_program(const std::string& name) {
  return std::string(PANTS_README_DIR) + "/" + name;
}

/// The README's programs print nothing: connects to `port` as soon as the
/// program listens, retrying a refused connect after a bounded wait for the
/// program's exit (which fails the test at once instead).
std::unique_ptr<blocking_client> connect_when_listening(child& proc, std::uint16_t port) {
  auto deadline = clock_type::now() + patience;
  while (clock_type::now() < deadline) {
    try {
      return std::make_unique<blocking_client>(port);
    } catch (const std::runtime_error&) {
      auto status = proc.wait_exit(std::chrono::milliseconds(20));
      BOOST_TEST_REQUIRE(!status.has_value(), "the program ended: " << describe(status));
    }
  }
  BOOST_FAIL("nothing listened on port " << port << " in time");
  return nullptr;
}

void check_echoes_on_port_4000(const std::string& name) {
  child proc({readme_program(name)}, false, false);
  auto c = connect_when_listening(proc, readme_port);
  for (std::string line : {std::string("hello, pants\n"), std::string(100000, 'p')}) {
    c->send(line);
    BOOST_TEST((c->recv_exactly(line.size()) == line));
  }
  // The README's program has no signal handling of its own: SIGTERM ends it.
  BOOST_TEST(describe(proc.stop(SIGTERM)) == "signal " + std::to_string(SIGTERM));
  BOOST_TEST(c->peer_closed());
}

/// Runs ./quickstart with `args`; returns its exit description, stdout and stderr.
struct quickstart_run {
  std::string status, out, err;
};
quickstart_run quickstart(std::vector<std::string> args) {
  args.insert(args.begin(), std::string(PANTS_SOURCE_DIR) + "/quickstart");
  child proc(args, false, true);
  auto status = proc.wait_exit();
  auto err = proc.err();
  proc.read_to_eof();
  return {describe(status), proc.out(), err};
}

} // namespace

BOOST_AUTO_TEST_CASE(the_readme_echo_server_sends_every_byte_back_on_port_4000,
                     *utf::precondition(readme_port_is_free)) {
  check_echoes_on_port_4000("readme_echo_server");
}

BOOST_AUTO_TEST_CASE(the_readme_behavior_echo_server_sends_every_byte_back_on_port_4000,
                     *utf::precondition(readme_port_is_free)) {
  check_echoes_on_port_4000("readme_echo_behavior");
}

BOOST_AUTO_TEST_CASE(quickstart_refuses_bad_arguments_with_its_usage_and_exit_2) {
  const std::vector<std::vector<std::string>> bad{{},
                                                  {"bogus"},
                                                  {"echo", "abc"},
                                                  {"echo", "4000x"},
                                                  {"echo", "-1"},
                                                  {"echo", "65536"},
                                                  {"echo", "099999"},
                                                  {"echo", ""},
                                                  {"echo", "1", "2"},
                                                  {"test", "now"},
                                                  {"sanitize", "x"},
                                                  {"tsan", "x"},
                                                  {"fuzz", "x"}};
  for (const auto& args : bad) {
    std::string shown;
    for (const auto& a : args)
      shown += "'" + a + "' ";
    auto run = quickstart(args);
    BOOST_TEST(run.status == "exit 2", shown);
    BOOST_TEST(run.err.find("usage: ./quickstart echo [PORT] | test | sanitize | tsan | fuzz") !=
                   std::string::npos,
               shown << run.err);
    BOOST_TEST(run.out.empty(), shown << "printed " << run.out); // nothing installed or built
  }
}

BOOST_AUTO_TEST_CASE(quickstart_help_prints_the_usage_and_exits_0) {
  auto run = quickstart({"--help"});
  BOOST_TEST(run.status == "exit 0");
  BOOST_TEST(run.out.find("usage: ./quickstart echo [PORT] | test | sanitize | tsan | fuzz") == 0u,
             run.out);
  BOOST_TEST(run.err.empty(), run.err);
}
