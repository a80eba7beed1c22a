#include "pants/channels/write_queue.hpp"

#define BOOST_TEST_MODULE write_queue
#include <boost/test/unit_test.hpp>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <fcntl.h>
#include <string>
#include <sys/socket.h>
#include <unistd.h>

namespace {

/// A non-blocking socketpair: `ours` is flushed into, `theirs` is read.
struct pair_fixture {
  int ours = -1, theirs = -1;
  pair_fixture() {
    int sv[2];
    BOOST_REQUIRE(::socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0, sv) == 0);
    ours = sv[0];
    theirs = sv[1];
  }
  ~pair_fixture() {
    ::close(ours);
    if (theirs >= 0)
      ::close(theirs);
  }
  std::string drain() {
    std::string out;
    char buf[65536];
    for (ssize_t n; (n = ::read(theirs, buf, sizeof buf)) > 0;)
      out.append(buf, static_cast<std::size_t>(n));
    return out;
  }
};

/// A temporary file holding `content`; returns an open descriptor.
int temp_file(const std::string& content) {
  char path[] = "/tmp/pants-write-queue-XXXXXX";
  int fd = ::mkstemp(path);
  BOOST_REQUIRE(fd >= 0);
  ::unlink(path);
  BOOST_REQUIRE(::write(fd, content.data(), content.size()) ==
                static_cast<ssize_t>(content.size()));
  return fd;
}

} // namespace

BOOST_FIXTURE_TEST_SUITE(write_queue_suite, pair_fixture)

BOOST_AUTO_TEST_CASE(buffers_and_file_regions_go_out_in_order) {
  pants::write_queue q;
  q.push("head ");
  q.push_file(temp_file("0123456789"), 2, 5);
  q.push(" middle ");
  q.push(" tail");
  BOOST_TEST(q.bytes() == 5u + 5u + 8u + 5u);
  int error = 0;
  BOOST_TEST(q.flush(ours, error));
  BOOST_TEST(error == 0);
  BOOST_TEST(q.empty());
  BOOST_TEST(q.bytes() == 0u);
  BOOST_TEST(drain() == "head 23456 middle  tail");
}

BOOST_AUTO_TEST_CASE(a_full_socket_blocks_the_flush_and_it_resumes_where_it_stopped) {
  pants::write_queue q;
  std::string big;
  for (int i = 0; i < 4 * 1024 * 1024; ++i)
    big.push_back(static_cast<char>('a' + i % 26));
  for (std::size_t off = 0; off < big.size(); off += 100000)
    q.push(std::string_view(big).substr(off, 100000));
  int error = 0;
  std::string got;
  BOOST_TEST(!q.flush(ours, error)); // 4 MiB does not fit a socketpair's buffer
  BOOST_TEST(error == 0);
  BOOST_TEST(q.bytes() > 0u);
  for (int rounds = 0; !q.empty() && rounds < 10000; ++rounds) {
    got += drain();
    q.flush(ours, error);
    BOOST_REQUIRE(error == 0);
  }
  got += drain();
  BOOST_TEST(q.empty());
  BOOST_TEST(got == big);
}

BOOST_AUTO_TEST_CASE(a_closed_peer_reports_the_error_and_keeps_the_queue) {
  pants::write_queue q;
  ::close(theirs);
  theirs = -1;
  q.push("lost");
  int error = 0;
  BOOST_TEST(!q.flush(ours, error));
  BOOST_TEST(error == EPIPE);
  BOOST_TEST(q.bytes() == 4u);
  q.clear();
  BOOST_TEST(q.empty());
  BOOST_TEST(q.bytes() == 0u);
}

BOOST_AUTO_TEST_CASE(a_file_that_shrank_is_sent_as_far_as_it_goes) {
  pants::write_queue q;
  int fd = temp_file("0123456789");
  q.push_file(fd, 0, 10);
  BOOST_REQUIRE(::ftruncate(fd, 4) == 0);
  q.push("!");
  int error = 0;
  BOOST_TEST(q.flush(ours, error));
  BOOST_TEST(drain() == "0123!");
  BOOST_TEST(q.bytes() == 0u);
}

BOOST_AUTO_TEST_CASE(read_out_takes_buffers_and_file_regions_up_to_the_bound) {
  pants::write_queue q;
  q.push("head ");
  int fd = temp_file("0123456789");
  q.push_file(fd, 2, 5);
  q.push(" tail");
  int error = 0;
  std::string out;
  BOOST_TEST(q.read_out(out, 7, error)); // stops inside the file region
  BOOST_TEST(out == "head 23");
  BOOST_TEST(q.bytes() == 3u + 5u);
  BOOST_REQUIRE(::ftruncate(fd, 5) == 0); // the region's last two bytes are gone
  BOOST_TEST(q.read_out(out, 100, error));
  BOOST_TEST(error == 0);
  BOOST_TEST(out == "head 234 tail");
  BOOST_TEST(q.empty());
  BOOST_TEST(q.bytes() == 0u);
}

BOOST_AUTO_TEST_SUITE_END()
